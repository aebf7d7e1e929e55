"""``python app.py --source demo`` on a fresh clone: serves the page on 127.0.0.1 and has
consolidated books from every venue within 15 s."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from provider.models import Venue
from tests.helpers import running_app

pytestmark = pytest.mark.slow


def test_demo_serves_the_dashboard_with_every_venue() -> None:
    with running_app("--source", "demo", timeout=30) as app:
        url = app.url
        assert "SIMULATED MARKET" in "".join(app.log)  # said plainly
        page = urllib.request.urlopen(url, timeout=5).read().decode()
        assert "<title>COB" in page
        ready = time.monotonic()
        summary: dict = {}
        while time.monotonic() - ready < 15:
            summary = json.loads(urllib.request.urlopen(url + "api/snapshot/BTC", timeout=5).read())
            if summary.get("ready") and len(summary["included"]) == len(Venue):
                break
            time.sleep(0.5)
        assert summary.get("source") == "SIMULATED MARKET"
        assert sorted(summary["included"]) == sorted(v.value for v in Venue), summary
        assert all(b > 0 and a > 0 for b, a in summary["levels"].values()), summary["levels"]
        assert summary["best_bid"][0] < summary["best_ask"][0] * 1.01
    assert app.proc.returncode in (0, -15)
