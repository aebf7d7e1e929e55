"""``python app.py --source demo`` on a fresh clone: serves the page on 127.0.0.1 and has
consolidated books from every venue within 15 s."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from provider.models import Venue

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_demo_serves_the_dashboard_with_every_venue() -> None:
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--source", "demo", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = None
        log = []
        start = time.monotonic()
        while time.monotonic() - start < 30:
            line = proc.stdout.readline()
            log.append(line)
            m = re.search(r"dashboard on (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m.group(1)
                break
        assert url, "no URL in the log:\n" + "".join(log)
        assert "SIMULATED MARKET" in "".join(log)  # said plainly
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
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode in (0, -15)
