"""Running the real feed against the emulator in a test: one venue, its markets, faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from websockets.asyncio.client import connect

from provider.emulator.server import Emulator
from provider.exchanges import adapter_class
from provider.exchanges.base import Adapter
from provider.feed import FeedConfig, VenueFeed
from provider.models import Market, Venue
from provider.session import VenueBooks
from provider.sync import SyncState


@dataclass
class Rig:
    emulator: Emulator
    venue: Venue
    books: VenueBooks
    feed: VenueFeed
    markets: list[Market]

    def tracker(self, market: Market):  # type: ignore[no-untyped-def]
        return self.books.tracker(market)

    async def wait(self, cond: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll ``cond`` until true; fail the test after ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise AssertionError(f"condition not met within {timeout} s")
            await asyncio.sleep(0.05)

    def all_in_sync(self) -> bool:
        return all(self.books.tracker(m).state is SyncState.IN_SYNC for m in self.markets)

    async def settle(self, timeout: float = 10.0) -> None:
        """Pause the market and wait until every book is in sync with the emulator's."""
        self.emulator.paused = True
        await self.wait(lambda: self.all_in_sync() and self.equal_books(), timeout)

    def resume(self) -> None:
        self.emulator.paused = False

    def equal_books(self, n: int = 20) -> bool:
        for m in self.markets:
            t = self.books.tracker(m)
            bids, asks = self.emulator.client_book(self.venue, m.native, n)
            if t.book.top_bids(n) != bids or t.book.top_asks(n) != asks:
                return False
        return True

    def mismatch(self, n: int = 20) -> str:
        """A readable diff of the first book that differs (for assertion messages)."""
        for m in self.markets:
            t = self.books.tracker(m)
            bids, asks = self.emulator.client_book(self.venue, m.native, n)
            if t.book.top_bids(n) != bids or t.book.top_asks(n) != asks:
                return f"{m}: ours {t.book.top_bids(3)} / {t.book.top_asks(3)} vs {bids[:3]} / {asks[:3]}"
        return "books equal"


async def _http_get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with session.get(url) as r:
        return r.status, await r.read()


@contextlib.asynccontextmanager
async def rig(
    venue: Venue,
    symbols: list[str],
    seed: int = 3,
    adapter: type[Adapter] | None = None,
    connector: Callable[..., Any] = connect,
    **feed_kw: float,
) -> AsyncIterator[Rig]:
    """The emulator with one venue and a live feed subscribed to ``symbols`` (BASE/QUOTE);
    ``adapter`` replaces the venue's adapter class (e.g. to change its limits),
    ``connector`` the WebSocket connect function."""
    emu = Emulator(venues=[venue], seed=seed)
    endpoints = await emu.start()
    ep = endpoints[venue]
    http = aiohttp.ClientSession()
    books = VenueBooks(venue, adapter or adapter_class(venue))
    probe = books.adapter_factory(None)
    markets = [probe.market_for(s) for s in symbols]
    cfg = FeedConfig(ws_base=ep.ws, rest_base=ep.rest, backoff_base_s=0.1, **feed_kw)  # type: ignore[arg-type]
    feed = VenueFeed(books, markets, cfg, connector, lambda url: _http_get(http, url))
    task = asyncio.create_task(feed.run())
    try:
        yield Rig(emu, venue, books, feed, markets)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await http.close()
        await emu.stop()
