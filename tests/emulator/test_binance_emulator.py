"""Binance through the emulator: the real feed, adapter and guard, end to end."""

from __future__ import annotations

import pytest

from provider.emulator.faults import Fault
from provider.models import Venue
from tests.emulator.support import rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USDT", "ETH/USDT"]


async def test_books_equal_the_emulator() -> None:
    async with rig(Venue.BINANCE, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: sum(tc.buys for tc in r.books.trades.values()) > 0)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        trades = r.books.trades
        assert sum(tc.buys for tc in trades.values()) > 0
        assert r.feed.health.rest_snapshots == 2


async def test_dropped_diff_is_a_gap_and_resyncs_by_rest() -> None:
    async with rig(Venue.BINANCE, ["BTC/USDT"]) as r:
        t = r.tracker(r.markets[0])
        # bridged and running: a drop right after the snapshot would be a stale snapshot
        await r.wait(lambda: r.all_in_sync() and t.counters.deltas >= 3)
        r.emulator.inject(Venue.BINANCE, Fault.DROP)
        await r.wait(lambda: t.counters.gaps == 1)
        await r.wait(lambda: t.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.rest_snapshots >= 2


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(Venue.BINANCE, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(Venue.BINANCE, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_malformed_frame_is_counted() -> None:
    async with rig(Venue.BINANCE, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(Venue.BINANCE, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_slow_rest_snapshot_still_bridges() -> None:
    async with rig(Venue.BINANCE, ["BTC/USDT"]) as r:
        r.emulator.inject(Venue.BINANCE, Fault.DELAY_REST, 1.0)
        await r.wait(r.all_in_sync, timeout=15)
        await r.settle()
        assert r.equal_books(), r.mismatch()
