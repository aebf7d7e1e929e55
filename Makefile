# Two commands do all set-up on a fresh machine:
#   make run    - create .venv, install requirements, start the dashboard
#   make test   - create .venv, install dev requirements (+ Debian chromium if missing), run tests
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
ARGS   ?=

.PHONY: run test bench lint venv dev chromium plotlyjs

run: $(VENV)/.runtime plotlyjs
	$(PY) app.py $(ARGS)

test: $(VENV)/.dev chromium plotlyjs
	$(PY) -m pytest $(ARGS)

bench: $(VENV)/.dev
	$(PY) -m bench $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check provider dashboard tests bench app.py
	$(VENV)/bin/ruff format --check provider dashboard tests bench app.py
	$(VENV)/bin/mypy

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install -r requirements.txt 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import dash, plotly, websockets, aiohttp, orjson, zstandard"
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import dash, pytest, hypothesis, playwright"
	touch $(VENV)/.runtime $@

# plotly's cartesian partial bundle (1.5 MB instead of 4.8 MB) from the npm registry, checked
# against its sha512; without it the page loads the full bundle (see dashboard/plotlyjs.py).
plotlyjs: $(VENV)/.runtime
	@$(PY) -m dashboard.plotlyjs fetch

# Browser tests and server-side image export use Debian's chromium (never a downloaded one).
chromium:
	@bash scripts/ensure-chromium.sh
