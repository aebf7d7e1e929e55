"""Bitfinex through the emulator: the real feed, adapter and guard, end to end, and the wire
protocol of the emulated WebSocket v2 channels seen through a raw WebSocket."""

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
from provider.emulator.venues.bitfinex import BitfinexServer
from provider.exchanges.bitfinex import CONF_FLAGS, BitfinexAdapter, BitfinexGuard
from provider.models import BookDelta, BookSnapshot, Status, Trade, Venue
from provider.sync import MarketTracker
from tests.emulator.support import Rig, rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USD", "ETH/USD"]
V = Venue.BITFINEX


def both_sides_traded(r: Rig) -> bool:
    trades = r.books.trades.values()
    return sum(tc.buys for tc in trades) > 0 and sum(tc.sells for tc in trades) > 0


def window_equal(r: Rig, n: int = 100) -> bool:
    """The whole ``len`` window (not only the top 20) equals the emulator's, and the client
    holds nothing beyond it."""
    for m in r.markets:
        t = r.tracker(m)
        bids, asks = r.emulator.client_book(V, m.native, n)
        if t.book.top_bids(n + 1) != bids or t.book.top_asks(n + 1) != asks:
            return False
    return True


async def test_books_equal_the_emulator() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: both_sides_traded(r))
        await r.wait(lambda: all(r.tracker(m).counters.deltas > 100 for m in r.markets))
        await r.settle()
        assert r.equal_books(), r.mismatch()
        await r.wait(lambda: window_equal(r))  # frames sent before the pause still arrive
        for m in r.markets:
            c = r.tracker(m).counters
            assert c.snapshots == 1 and c.deltas > 0
            assert c.checksums_ok > c.deltas // 2  # a checksum after every update
            assert c.checksums_failed == 0 and c.gaps == 0
        counters = r.books.counters
        assert counters.parse_errors == 0 and counters.venue_errors == 0
        assert counters.connection_gaps == 0
        assert r.feed.health.connects == 1 and r.feed.health.rest_snapshots == 0


async def test_corrupt_checksum_is_detected_and_reconnects() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CORRUPT_CHECKSUM)
        await r.wait(lambda: sum(r.tracker(m).counters.checksums_failed for m in r.markets) == 1)
        await r.wait(lambda: r.feed.health.connects == 2)  # Bitfinex resyncs by reconnecting
        await r.settle()
        assert r.equal_books(), r.mismatch()
        await r.wait(lambda: window_equal(r))  # frames sent before the pause still arrive
        assert sum(r.tracker(m).counters.resyncs for m in r.markets) >= 1
        assert r.books.counters.connection_gaps == 0


@pytest.mark.parametrize("fault", [Fault.DROP, Fault.DUPLICATE, Fault.REORDER])
async def test_lost_or_misordered_update_is_a_connection_gap(fault: Fault) -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, fault)
        await r.wait(lambda: r.books.counters.connection_gaps >= 1)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        for m in r.markets:
            c = r.tracker(m).counters
            assert c.resyncs == 1 and c.checksums_failed == 0  # the gap is seen first


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.books.counters.connection_gaps == 0  # a new connection starts at 1 again


async def test_malformed_frame_is_counted() -> None:
    async with rig(V, ["BTC/USD"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.connects == 1 and r.books.counters.connection_gaps == 0


async def test_big_snapshot_is_skipped_as_len_bounds_it() -> None:
    async with rig(V, ["ETH/USD"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.BIG_SNAPSHOT)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        await r.wait(lambda: window_equal(r))  # frames sent before the pause still arrive


async def test_unlisted_symbol_is_refused_by_the_venue() -> None:
    async with rig(V, ["XRP/USD"]) as r:
        await r.wait(lambda: r.books.counters.venue_errors >= 1)
        assert "10300 symbol: invalid" in r.books.counters.last_error


# ----------------------------------------------------------------------------- raw socket


@contextlib.asynccontextmanager
async def raw() -> AsyncIterator[tuple[Emulator, ClientConnection]]:
    emu = Emulator(venues=[V], seed=5)
    endpoints = await emu.start()
    try:
        async with connect(endpoints[V].ws + "/ws/2", compression=None) as ws:
            yield emu, ws
    finally:
        await emu.stop()


async def recv_until(
    ws: ClientConnection, cond: Callable[[Any], bool], timeout: float = 5.0
) -> Any:
    """The next frame that satisfies ``cond`` (others are skipped)."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("no such frame")
        msg = orjson.loads(await asyncio.wait_for(ws.recv(), left))
        if cond(msg):
            return msg


def event(name: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("event") == name


async def test_control_messages_are_bitfinexs() -> None:
    adapter = BitfinexAdapter()
    async with raw() as (_emu, ws):
        info = orjson.loads(await ws.recv())
        assert info["event"] == "info" and info["version"] == 2
        assert info["platform"] == {"status": 1} and len(info["serverId"]) == 36

        await ws.send(orjson.dumps({"event": "conf", "flags": CONF_FLAGS}).decode())
        assert await recv_until(ws, event("conf")) == {
            "event": "conf",
            "status": "OK",
            "flags": 196608,
        }

        await ws.send('{"event":"ping","cid":1234}')
        pong = await recv_until(ws, event("pong"))
        assert pong["cid"] == 1234 and abs(pong["ts"] / 1000 - time.time()) < 5

        await ws.send('{"event":"subscribe","channel":"book","symbol":"tNOPE","prec":"P0"}')
        err = await recv_until(ws, event("error"))
        assert err["code"] == 10300 and err["msg"] == "symbol: invalid"
        (status,) = adapter.parse(orjson.dumps(err))
        assert isinstance(status, Status) and not status.ok

        await ws.send('{"event":"subscribe","channel":"candlez","symbol":"tBTCUSD"}')
        assert (await recv_until(ws, event("error")))["code"] == 10302

        await ws.send('{"event":"subscribe","channel":"book","symbol":"tBTCUSD","len":"30"}')
        assert (await recv_until(ws, event("error")))["msg"] == "len: invalid"

        sub = {"event": "subscribe", "channel": "book", "symbol": "tBTCUSD", "prec": "P0"}
        await ws.send(orjson.dumps({**sub, "freq": "F0", "len": "25", "subId": 7}).decode())
        ack = await recv_until(ws, event("subscribed"))
        assert list(ack) == [
            *("event", "channel", "chanId", "symbol", "prec", "freq", "len", "subId", "pair"),
        ]
        assert ack["len"] == "25" and ack["pair"] == "BTCUSD" and ack["subId"] == 7
        cid = ack["chanId"]
        snap = await recv_until(ws, lambda m: isinstance(m, list))
        assert snap[0] == cid and len(snap) == 3
        levels = snap[1]
        bids = [lv for lv in levels if lv[2] > 0]
        asks = [lv for lv in levels if lv[2] < 0]
        assert len(bids) == 25 and len(asks) == 25 and levels == bids + asks
        assert all(lv[1] >= 1 and isinstance(lv[1], int) for lv in levels)
        assert [lv[0] for lv in bids] == sorted((lv[0] for lv in bids), reverse=True)
        assert [lv[0] for lv in asks] == sorted(lv[0] for lv in asks)
        assert all(isinstance(lv[0], int) for lv in levels)  # BTC P0 prices: "65012"
        cs = orjson.loads(await ws.recv())
        assert cs[:2] == [cid, "cs"] and cs[3] == snap[2] + 1

        await ws.send(orjson.dumps({**sub, "len": "25"}).decode())
        dup = await recv_until(ws, event("error"))
        assert dup["code"] == 10301 and dup["msg"] == "subscribe: dup"

        await ws.send(orjson.dumps({"event": "unsubscribe", "chanId": cid}).decode())
        gone = await recv_until(ws, event("unsubscribed"))
        assert gone == {"event": "unsubscribed", "status": "OK", "chanId": cid}
        await ws.send(orjson.dumps({"event": "unsubscribe", "chanId": cid}).decode())
        assert (await recv_until(ws, event("error")))["code"] == 10401

        await ws.send('{"event":"nope"}')
        assert (await recv_until(ws, event("error")))["code"] == 10000


async def test_sequence_checksums_trades_and_heartbeats() -> None:
    """One connection with ``len`` 1, 25 and 100 books and trades: SEQ_ALL counts every
    channel message by one, each book (kept by the adapter's guard, which checks every
    checksum) equals the emulator's top levels once the market stops, ``te`` comes before
    its ``tu``, and quiet channels get heartbeats."""
    adapter = BitfinexAdapter()
    market = adapter.market_for("ETH/USD")
    lens = (1, 25, 100)
    trackers = {n: MarketTracker(market, BitfinexGuard()) for n in lens}
    chans: dict[int, int] = {}  # chanId -> len (0 = trades)
    seqs: list[int] = []
    te: list[int] = []
    tu: list[int] = []
    sides: set[str] = set()
    hb: set[int] = set()
    async with raw() as (emu, ws):
        server = emu.servers[V]
        assert isinstance(server, BitfinexServer)
        await ws.send(orjson.dumps({"event": "conf", "flags": CONF_FLAGS}).decode())
        for n in lens:
            sub = {"event": "subscribe", "channel": "book", "symbol": "tETHUSD", "len": str(n)}
            await ws.send(orjson.dumps({**sub, "prec": "P0", "freq": "F0"}).decode())
        await ws.send('{"event":"subscribe","channel":"trades","symbol":"tETHUSD"}')

        async def read() -> None:
            async for frame in ws:
                msg = orjson.loads(frame)
                if isinstance(msg, dict) and msg.get("event") == "subscribed":
                    chans[msg["chanId"]] = int(msg.get("len", 0))
                if isinstance(msg, list):
                    seqs.append(msg[-1])
                    if msg[1] == "te":
                        te.append(msg[2][0])
                        sides.add("buy" if msg[2][2] > 0 else "sell")
                    elif msg[1] == "tu":
                        assert msg[2][0] in te
                        tu.append(msg[2][0])
                    elif msg[1] == "hb":
                        hb.add(msg[0])
                for ev in adapter.parse(frame):
                    if isinstance(ev, BookSnapshot | BookDelta):
                        n = chans[msg[0]]
                        t = trackers[n]
                        if isinstance(ev, BookSnapshot):
                            assert ev.depth == n
                            t.on_snapshot(ev, 0.0)
                        else:
                            t.on_delta(ev, 0.0)
                    elif isinstance(ev, Trade):
                        assert ev.price > 0 and ev.size > 0

        reader = asyncio.create_task(read())
        try:
            end = time.monotonic() + 10
            while len(sides) < 2 and time.monotonic() < end:
                await asyncio.sleep(0.1)
            assert sides == {"buy", "sell"}
            emu.paused = True

            def equal() -> bool:
                for n, t in trackers.items():
                    bids, asks = emu.client_book(V, "tETHUSD", n)
                    if not t.in_sync or t.book.top_bids(n + 1) != bids:
                        return False
                    if t.book.top_asks(n + 1) != asks:
                        return False
                return True

            end = time.monotonic() + 5
            while not equal():
                assert time.monotonic() < end, "len books differ from the emulator"
                await asyncio.sleep(0.05)
            for t in trackers.values():
                c = t.counters
                assert c.snapshots == 1 and c.checksums_failed == 0 and c.checksums_ok > 1
            assert trackers[25].counters.deltas > 0 and trackers[100].counters.deltas > 0
            # the tu of the last trades go out on the next idle tick
            await asyncio.sleep(1.2)
            assert te and sorted(tu) == sorted(te)
            # quiet channels: a heartbeat each once the market stands still
            server.heartbeat_s = 0.5
            await asyncio.sleep(2.2)
            assert hb == set(chans)
            assert seqs == list(range(1, len(seqs) + 1))
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
