"""Small helpers shared by tests: feeding frames, replaying captures, running app.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider.exchanges import adapter_class
from provider.models import Market, Venue
from provider.replay import replay
from provider.session import Connection, VenueBooks

REPO = Path(__file__).resolve().parents[1]


def connection(venue: Venue, url: str | None = None) -> Connection:
    """A fresh venue session with one connection, as the feed would make it."""
    return VenueBooks(venue, adapter_class(venue)).connect(url)


def feed_all(conn: Connection, frames: list[Any], start: float = 0.0) -> list[str]:
    """Feed frames at 1 ms steps; returns every reply the adapter asked to send."""
    replies: list[str] = []
    for i, f in enumerate(frames):
        replies += conn.feed(f, start + i / 1000)
    return replies


def book_levels(conn: Connection, market: Market, n: int = 1000) -> dict[str, list]:
    t = conn.books.trackers[market]
    return {"bids": t.book.top_bids(n), "asks": t.book.top_asks(n)}


def replay_markets(*paths: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Replay report entries keyed by (venue, native symbol, kind)."""
    rep = replay([str(p) for p in paths]).report()
    return {(m["venue"], m["symbol"], m["kind"]): m for m in rep["markets"]}


@dataclass
class RunningApp:
    """``python app.py`` in a subprocess: its URL (as logged, ending in "/") and its log."""

    proc: subprocess.Popen[str]
    url: str = ""
    log: list[str] = field(default_factory=list)


@contextmanager
def running_app(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[RunningApp]:
    """Start ``python app.py --port 0 *args``, wait for its "dashboard on URL" line, and stop
    it (terminate, then kill after 10 s) on exit. The log is read by a thread all along, so a
    chatty app never blocks on a full pipe; a start that fails shows the log's last lines."""
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env if env is not None else os.environ, PYTHONUNBUFFERED="1"),
    )
    app = RunningApp(proc)
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            app.log.append(line)
            m = re.search(r"dashboard on (http://\S+)", line)
            if m and not found.is_set():
                app.url = m.group(1).rstrip("/") + "/"
                found.set()
        found.set()  # (the app ended)

    threading.Thread(target=read, daemon=True).start()
    try:
        found.wait(timeout)
        if not app.url:
            raise AssertionError("app did not start:\n" + "".join(app.log[-30:]))
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_served(url: str, timeout: float = 60.0) -> None:
    """Until the page's layout answers (the server is up and Dash is ready)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "_dash-layout", timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
