"""Bybit through the emulator: the real feed, adapter and guard, end to end, and the wire
protocol of the emulated v5 public spot stream seen through a raw WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from provider.emulator.faults import Fault
from provider.emulator.server import Emulator
from provider.emulator.venues.bybit import BybitSession
from provider.exchanges.bybit import BybitAdapter, BybitGuard
from provider.models import BookDelta, BookSnapshot, Heartbeat, Status, Venue
from provider.sync import MarketTracker
from tests.emulator.support import rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
V = Venue.BYBIT


async def test_books_equal_the_emulator() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(
            lambda: (
                sum(tc.buys for tc in r.books.trades.values()) > 0
                and sum(tc.sells for tc in r.books.trades.values()) > 0
            )
        )
        await r.settle()
        assert r.equal_books(), r.mismatch()
        for m in r.markets:
            c = r.tracker(m).counters
            assert c.snapshots == 1 and c.gaps == 0 and c.deltas > 0
        counters = r.books.counters
        assert counters.parse_errors == 0 and counters.venue_errors == 0
        assert r.feed.health.rest_snapshots == 0  # Bybit resyncs on the socket


@pytest.mark.parametrize("fault", [Fault.DROP, Fault.DUPLICATE, Fault.REORDER])
async def test_broken_u_chain_is_a_gap_and_resubscribes(fault: Fault) -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, fault)
        t = r.tracker(r.markets[0])
        await r.wait(lambda: t.counters.gaps == 1)
        await r.wait(lambda: t.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert t.counters.snapshots == 2  # the fresh snapshot after unsubscribe + subscribe
        assert r.feed.health.connects == 1
        assert r.books.counters.venue_errors == 0


async def test_silence_delays_frames_without_losing_any() -> None:
    """A stalled path: nothing arrives for a while, then everything, in order."""
    async with rig(V, ["ETH/USDT"]) as r:
        await r.wait(r.all_in_sync)
        t = r.tracker(r.markets[0])
        before = t.counters.deltas
        r.emulator.inject(V, Fault.SILENCE, 1.5)
        await asyncio.sleep(0.5)
        during = t.counters.deltas
        await asyncio.sleep(0.9)
        assert t.counters.deltas - during <= 1  # (one frame may have been in flight)
        await r.wait(lambda: t.counters.deltas > during + 5)  # the held frames arrived
        assert t.counters.gaps == 0 and t.counters.resyncs == 0 and t.counters.deltas > before
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_malformed_frame_is_counted() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_big_snapshot_is_skipped_as_bybit_has_a_window() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.BIG_SNAPSHOT)
        r.emulator.inject(V, Fault.DROP)  # the resync brings the next snapshot
        t = r.tracker(r.markets[0])
        await r.wait(lambda: t.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        sessions = [c.session for c in r.emulator.clients[V]]
        assert sessions and all(s.faults.bloat_snapshot == 0 for s in sessions)
        assert len(t.book) <= 400  # 200 levels a side, no padding


async def test_unlisted_symbol_is_refused_by_the_venue() -> None:
    async with rig(V, ["XRP/USDT"]) as r:
        await r.wait(lambda: r.books.counters.venue_errors == 1)
        assert "Invalid symbol" in r.books.counters.last_error
        assert "orderbook.200.XRPUSDT" in r.books.counters.last_error


# ----------------------------------------------------------------------------- raw socket


@contextlib.asynccontextmanager
async def raw(path: str = "/v5/public/spot") -> AsyncIterator[tuple[Emulator, ClientConnection]]:
    emu = Emulator(venues=[V], seed=5)
    endpoints = await emu.start()
    try:
        async with connect(endpoints[V].ws + path, compression=None) as ws:
            yield emu, ws
    finally:
        await emu.stop()


async def recv_until(
    ws: ClientConnection, cond: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """The next frame that satisfies ``cond`` (others are skipped)."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("no such frame")
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), left))
        if cond(msg):
            return msg  # type: ignore[no-any-return]


def op(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("op") == name


async def test_control_messages_are_bybits() -> None:
    url = "wss://stream.bybit.com/v5/public/spot"
    adapter = BybitAdapter(url)
    async with raw() as (_emu, ws):
        await ws.send('{"op":"ping","req_id":"p1"}')
        pong = await recv_until(ws, op("ping"))
        assert pong["ret_msg"] == "pong" and pong["req_id"] == "p1" and pong["conn_id"]
        assert isinstance(adapter.parse(orjson.dumps(pong))[0], Heartbeat)

        await ws.send('{"op":"subscribe","args":["orderbook.200.NOPEUSDT"],"req_id":"s1"}')
        refused = await recv_until(ws, op("subscribe"))
        assert refused["success"] is False
        assert refused["ret_msg"] == "Invalid symbol :[orderbook.200.NOPEUSDT]"
        (status,) = adapter.parse(orjson.dumps(refused))
        assert isinstance(status, Status) and not status.ok

        # one bad topic refuses the whole request: nothing of BTCUSDT follows
        await ws.send('{"op":"subscribe","args":["publicTrade.BTCUSDT","orderbook.30.BTCUSDT"]}')
        refused = await recv_until(ws, op("subscribe"))
        assert refused["ret_msg"] == "error:handler not found,topic:orderbook.30.BTCUSDT"
        assert "req_id" not in refused

        args = [f"orderbook.1.X{i}USDT" for i in range(11)]
        await ws.send(orjson.dumps({"op": "subscribe", "args": args}).decode())
        assert (await recv_until(ws, op("subscribe")))["ret_msg"] == "args size >10"

        await ws.send('{"op":"subscribe","args":["orderbook.50.BTCUSDT"],"req_id":"s2"}')
        ack = await recv_until(ws, op("subscribe"))
        assert ack["success"] is True and ack["ret_msg"] == "subscribe" and ack["req_id"] == "s2"
        snap = await recv_until(ws, lambda m: m.get("type") == "snapshot")
        assert snap["topic"] == "orderbook.50.BTCUSDT"
        assert len(snap["data"]["b"]) == 50 and len(snap["data"]["a"]) == 50
        assert all(not p.endswith("0") for p, _ in snap["data"]["b"])  # spot: no padding

        await ws.send('{"op":"subscribe","args":["orderbook.50.BTCUSDT"],"req_id":"s3"}')
        again = await recv_until(ws, op("subscribe"))
        assert again["ret_msg"] == "error:already subscribed,topic:orderbook.50.BTCUSDT"

        await ws.send('{"op":"unsubscribe","args":["orderbook.50.BTCUSDT"],"req_id":"u1"}')
        gone = await recv_until(ws, op("unsubscribe"))
        assert gone["success"] is True and gone["req_id"] == "u1"

        await ws.send('{"op":"nope"}')
        assert (await recv_until(ws, op("nope")))["ret_msg"] == "error:invalid op"


async def test_linear_path_lists_nothing() -> None:
    async with raw("/v5/public/linear") as (_emu, ws):
        await ws.send('{"op":"subscribe","args":["orderbook.200.BTCUSDT"]}')
        refused = await recv_until(ws, op("subscribe"))
        assert refused["success"] is False
        assert refused["ret_msg"] == "error:handler not found,topic:orderbook.200.BTCUSDT"


async def test_every_spot_depth_follows_the_market() -> None:
    """orderbook.1 (snapshots only), .50 and .200 on one connection, each kept by the
    adapter's guard, equal the emulator's top levels once the market stops; trades carry
    the taker side."""
    url = "wss://stream.bybit.com/v5/public/spot"
    adapter = BybitAdapter(url)
    market = adapter.market_for("ETH/USDT")
    depths = (1, 50, 200)
    trackers = {d: MarketTracker(market, BybitGuard()) for d in depths}
    sides: set[str] = set()
    async with raw() as (emu, ws):
        args = [f"orderbook.{d}.ETHUSDT" for d in depths] + ["publicTrade.ETHUSDT"]
        await ws.send(orjson.dumps({"op": "subscribe", "args": args}).decode())

        async def read() -> None:
            async for frame in ws:
                msg = orjson.loads(frame)
                topic = msg.get("topic", "")
                if topic.startswith("publicTrade."):
                    sides.update(d["S"] for d in msg["data"])
                    assert all("L" not in d for d in msg["data"])  # spot trades have no L
                if not topic.startswith("orderbook."):
                    continue
                depth = int(topic.split(".")[1])
                if depth == 1:
                    assert msg["type"] == "snapshot"
                for ev in adapter.parse(frame):
                    if isinstance(ev, BookSnapshot):
                        trackers[depth].on_snapshot(ev, 0.0)
                    elif isinstance(ev, BookDelta):
                        trackers[depth].on_delta(ev, 0.0)

        reader = asyncio.create_task(read())
        try:
            end = time.monotonic() + 10
            while len(sides) < 2 and time.monotonic() < end:
                await asyncio.sleep(0.1)
            assert sides == {"Buy", "Sell"}
            emu.paused = True

            def equal() -> bool:
                for d, t in trackers.items():
                    bids, asks = emu.client_book(V, "ETHUSDT", d)
                    if not t.in_sync or t.book.top_bids(d) != bids or t.book.top_asks(d) != asks:
                        return False
                    if len(t.book) != len(bids) + len(asks):  # deletes keep the window
                        return False
                return True

            end = time.monotonic() + 5
            while not equal():
                assert time.monotonic() < end, "depth books differ from the emulator"
                await asyncio.sleep(0.05)
            for t in trackers.values():
                assert t.counters.gaps == 0 and t.counters.snapshots >= 1
            assert trackers[50].counters.deltas > 0 and trackers[200].counters.deltas > 0
            session = next(iter(emu.clients[V])).session
            assert isinstance(session, BybitSession)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
