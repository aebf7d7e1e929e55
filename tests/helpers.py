"""Small helpers shared by tests: feeding frames and replaying captures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from provider.exchanges import adapter_class
from provider.models import Market, Venue
from provider.replay import replay
from provider.session import Connection, VenueBooks


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
