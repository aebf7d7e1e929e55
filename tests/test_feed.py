"""The feed loop's own rules, against the emulator: how soon it reconnects, that reading
starts with the connection, that a connection left closes in the background, and the
venue's limit of connections per minute."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import connect

from provider.emulator.faults import Fault
from provider.exchanges.bitfinex import BitfinexAdapter
from provider.exchanges.bybit import BybitAdapter
from provider.feed import FeedConfig, VenueFeed, backoff
from provider.models import Venue
from provider.session import VenueBooks
from tests.emulator.support import rig


def _feed(**kw: float) -> VenueFeed:
    books = VenueBooks(Venue.BYBIT, BybitAdapter)
    cfg = FeedConfig(**kw)  # type: ignore[arg-type]
    return VenueFeed(books, [], cfg, connect, lambda url: None)  # type: ignore[arg-type,return-value]


def test_first_reconnect_after_a_connection_that_worked_is_a_small_jitter() -> None:
    feed = _feed(reconnect_jitter_s=0.1, backoff_base_s=0.5, backoff_cap_s=30.0)
    assert feed.retry_delay(0, rnd=0.0) == 0.0
    assert feed.retry_delay(0, rnd=1.0) == pytest.approx(0.1)
    # then the backoff, from its first step
    for attempt in range(1, 12):
        for r in (0.0, 0.5, 1.0):
            assert feed.retry_delay(attempt, rnd=r) == backoff(attempt - 1, 0.5, 30.0, r)
    assert feed.retry_delay(1, rnd=1.0) == 0.5
    assert feed.retry_delay(50, rnd=1.0) == 30.0


class _OneMessagePerSecond(BitfinexAdapter):
    max_messages_per_s = 1.0


@pytest.mark.asyncio
async def test_books_are_read_while_later_subscriptions_wait_for_the_rate_limit() -> None:
    """conf, two books, two trades at one message a second: 4 s of subscribing. The first
    book is in sync long before the last subscription is sent."""
    async with rig(Venue.BITFINEX, ["BTC/USD", "ETH/USD"], adapter=_OneMessagePerSecond) as r:
        first = r.tracker(r.markets[0])
        await r.wait(lambda: first.in_sync)
        assert r.feed.health.sent < 5, "the book waited for every subscription to be sent"
        await r.wait(lambda: r.feed.health.sent == 5)
        await r.settle()
        assert r.equal_books(), r.mismatch()


class _SlowClose:
    """websockets' connect whose closing handshake takes ``delay`` seconds (a venue that is
    slow to answer a close)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.closing = 0
        self.opened = 0

    def __call__(self, url: str, **kw: Any) -> Any:
        outer = self

        @contextlib.asynccontextmanager
        async def opening() -> AsyncIterator[Any]:
            async with connect(url, **kw) as ws:
                outer.opened += 1
                try:
                    yield ws
                finally:
                    outer.closing += 1
                    await asyncio.sleep(outer.delay)

        return opening()


@pytest.mark.asyncio
async def test_a_connection_left_closes_in_the_background() -> None:
    """A book lost (Bitfinex resyncs by reconnecting): the next connection opens while the
    one left is still closing."""
    slow = _SlowClose(delay=3.0)
    async with rig(Venue.BITFINEX, ["BTC/USD"], connector=slow) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(Venue.BITFINEX, Fault.DROP)
        await r.wait(lambda: r.books.counters.connection_gaps == 1)
        await r.wait(lambda: r.feed.health.connects == 2 and r.all_in_sync())
        assert slow.closing == 1 and r.feed._closing, "the next connection waited for the close"
        await r.settle()
        assert r.equal_books(), r.mismatch()


class _TwoConnectsPerMinute(BitfinexAdapter):
    max_connects_per_min = 2.0


@pytest.mark.asyncio
async def test_connections_per_minute_stay_within_the_venue_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with rig(Venue.BITFINEX, ["BTC/USD"], adapter=_TwoConnectsPerMinute) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(Venue.BITFINEX, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2 and r.all_in_sync())
        with caplog.at_level(logging.WARNING, logger="provider.feed"):
            r.emulator.inject(Venue.BITFINEX, Fault.CLOSE)
            await r.wait(lambda: r.feed.health.next_retry_at is not None)
        await asyncio.sleep(0.5)
        assert r.feed.health.connects == 2  # the third waits for the minute to pass
        assert any("connections in the last minute" in m for m in caplog.messages)
