"""Fixtures for browser tests: the real app (emulator source) and Debian's Chromium.

The browser fixture is module-scoped on purpose: Playwright's sync API keeps an event loop
running in the main thread while it is open, which would break pytest-asyncio tests that run
after it in the same module (see ../shared/docs/tooling.md, pitfall P1). Browser tests live
in this folder only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, running_app, wait_until_served

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def app_url() -> Iterator[str]:
    """``python app.py --source demo`` in a subprocess; its URL from the log.

    Function-scoped: one smoke test uses it, and an idle second app (emulator, provider)
    would only slow the other browser tests down on a small machine."""
    env = dict(os.environ, COB_EXPORTS_ROOT=str(REPO / "out"))
    with running_app("--source", "demo", env=env) as app:
        wait_until_served(app.url)
        yield app.url


@dataclass
class LiveApp:
    """The real app served in this process, on the emulator, with handles for the tests."""

    url: str  # with a trailing slash
    emulator: Any  # provider.emulator.server.EmulatorThread (inject faults, pause)
    provider: Any  # provider.service.Provider

    def summary(self, symbol: str = "BTC") -> dict[str, Any]:
        """The app's own JSON summary of the latest snapshot (``/api/snapshot/<symbol>``)."""
        with urllib.request.urlopen(f"{self.url}api/snapshot/{symbol}", timeout=5) as r:
            data: dict[str, Any] = json.loads(r.read())
        return data


@pytest.fixture
def live_app() -> Iterator[LiveApp]:
    """Emulator + provider + ``create_app(provider)`` in this process (werkzeug, port 0).

    Built like ``app.py --source demo`` builds it (``provider.sources.start_demo``,
    ``build_config`` with the SIMULATED MARKET label, ``Provider``), except that the emulator
    is an ``EmulatorThread`` in this process (the demo source runs it in a child process),
    so tests can inject faults into it. Yields once every venue is included in the BTC and
    ETH views and the page answers.

    Function-scoped on purpose (about 1.5 s each): each test sees the app as someone who
    just started it, and a fault injected by one test cannot leak into the next. A shared
    app would also age as the tests run: its heatmap payload grows with every trade in the
    window, so the first heatmap draw of a later test gets slower (about 10 s once the app
    has run for 3-4 minutes), and timings would depend on the order tests run in.
    """
    from dashboard.app import create_app
    from dashboard.server import PooledWSGIServer
    from provider.config import build_config
    from provider.emulator.market import specs_for
    from provider.emulator.server import EmulatorThread
    from provider.models import Venue
    from provider.service import Endpoint, Provider
    from provider.sources import SIMULATED

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per Interval tick
    venues = tuple(Venue)
    emulator = EmulatorThread(venues=list(venues), seed=7, speed=1.0)
    provider = None
    server = None
    try:
        eps = emulator.start()
        listings = {v: {f"{s.base}/{s.quote}" for s in specs_for(v)} for v in venues}
        cfg = build_config(("BTC", "ETH"), venues, {}, "1:1", SIMULATED, listings)
        endpoints = {v: Endpoint(e.ws, e.rest) for v, e in eps.items()}
        provider = Provider(cfg, endpoints=endpoints).start()
        app = create_app(provider)
        server = PooledWSGIServer("127.0.0.1", 0, app.server)
        threading.Thread(target=server.serve_forever, name="dash-test", daemon=True).start()
        live = LiveApp(f"http://127.0.0.1:{server.server_port}/", emulator, provider)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(live.url + "_dash-layout", timeout=2).read()
                btc, eth = live.summary("BTC"), live.summary("ETH")
                if all(s.get("ready") and len(s["included"]) == len(Venue) for s in (btc, eth)):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"in-process app not ready within 30 s: {live.summary('BTC')}")
            time.sleep(0.2)
        yield live
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if provider is not None:
            provider.stop()
        emulator.stop()
        _stop_kaleido()


def _stop_kaleido() -> None:
    """Close the kaleido Chromium that the app's exports started in this process."""
    from dashboard import export

    if getattr(export, "_kaleido_started", False):
        import kaleido

        with contextlib.suppress(Exception):  # best effort at exit
            kaleido.stop_sync_server(silence_warnings=True)
        export._kaleido_started = False


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()
