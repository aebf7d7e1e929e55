"""Kraken through the emulator: the real feed, adapter and guard, end to end, and the wire
protocol of the emulated WebSocket v2 channels seen through a raw WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from provider.emulator.faults import Fault
from provider.emulator.market import Change, StepResult
from provider.emulator.server import Emulator
from provider.exchanges.kraken import BOOK_DEPTH, KrakenAdapter, KrakenGuard, book_checksum
from provider.models import BookDelta, BookSnapshot, Heartbeat, Status, Trade, Venue
from provider.sync import MarketTracker
from tests.emulator.support import Rig, rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USD", "ETH/USD"]
V = Venue.KRAKEN
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def both_sides_traded(r: Rig) -> bool:
    trades = r.books.trades.values()
    return sum(tc.buys for tc in trades) > 0 and sum(tc.sells for tc in trades) > 0


def window_equal(r: Rig, n: int = BOOK_DEPTH) -> bool:
    """The whole depth-1000 window (not only the top 20) equals the emulator's, and the
    client holds nothing beyond it."""
    for m in r.markets:
        t = r.tracker(m)
        bids, asks = r.emulator.client_book(V, m.native, n)
        if t.book.top_bids(n + 1) != bids or t.book.top_asks(n + 1) != asks:
            return False
    return True


def push(emu: Emulator, native: str, changes: list[Change]) -> None:
    """Move one emulated book by hand (the market paused) and send the step to the
    clients, as ``Emulator.step_once`` does."""
    vm = emu.market.markets[(V, native)]
    result = StepResult()
    for c in changes:
        side = vm.bids if c.is_bid else vm.asks
        if c.size > 0:
            side[c.tick] = c.size
        else:
            side.pop(c.tick, None)
        result.changes.append(c)
    server = emu.servers[V]
    visible = server.visible_changes(native, result)
    for client in list(emu.clients[V]):
        client.push(client.session.step(native, visible, result, time.time()))


def resize_best(emu: Emulator, native: str, is_bid: bool) -> Change:
    """A new size for the best bid (or ask): a change inside the checksummed top 10."""
    vm = emu.market.markets[(V, native)]
    tick = vm.best_bid() if is_bid else vm.best_ask()
    assert tick is not None
    side = vm.bids if is_bid else vm.asks
    lot = vm.spec.lot_decimals
    return Change(is_bid, tick, round(side[tick] + 3 * 10**-lot, lot))


async def test_books_equal_the_emulator() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: both_sides_traded(r))
        await r.wait(lambda: all(r.tracker(m).counters.deltas > 40 for m in r.markets))
        assert r.books.counters.heartbeats == 0  # updates all the time: no heartbeat due
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert window_equal(r)
        for m in r.markets:
            c = r.tracker(m).counters
            assert c.snapshots == 1 and c.deltas > 0
            # the snapshot and every update carry a checksum, and each one was verified
            assert c.checksums_ok == c.snapshots + c.deltas
            assert c.checksums_failed == 0 and c.gaps == 0 and c.bad_levels == 0
        counters = r.books.counters
        assert counters.parse_errors == 0 and counters.venue_errors == 0
        assert r.feed.health.connects == 1 and r.feed.health.rest_snapshots == 0
        # the market stands still: heartbeats, about one a second
        beats = counters.heartbeats
        await r.wait(lambda: r.books.counters.heartbeats >= beats + 2, timeout=4)


async def test_corrupt_checksum_is_detected_and_resubscribes() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: all(r.tracker(m).counters.deltas >= 3 for m in r.markets))
        r.emulator.inject(V, Fault.CORRUPT_CHECKSUM)
        await r.wait(lambda: sum(r.tracker(m).counters.checksums_failed for m in r.markets) == 1)
        await r.wait(lambda: sum(r.tracker(m).counters.resyncs for m in r.markets) == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert window_equal(r)
        hit = [m for m in r.markets if r.tracker(m).counters.checksums_failed]
        assert r.tracker(hit[0]).counters.snapshots == 2  # unsubscribe + subscribe: a snapshot
        assert sum(r.tracker(m).counters.checksums_failed for m in r.markets) == 1
        assert r.feed.health.connects == 1  # resynchronised on the same connection
        assert r.books.counters.venue_errors == 0  # the unsubscribe/subscribe were accepted


async def test_dropped_update_fails_the_next_checksum_and_resubscribes() -> None:
    """Kraken numbers nothing: a lost update shows only when a later checksum (top 10 a
    side) differs. The dropped update here changes the best bid, so the next update's
    checksum must catch it. (A lost update that touched only levels beyond the top 10
    would go unnoticed until those levels reach the top 10: the venue offers no check.)"""
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: all(r.tracker(m).counters.deltas >= 3 for m in r.markets))
        emu = r.emulator
        emu.paused = True
        t = r.tracker(r.markets[0])
        other = r.tracker(r.markets[1])
        await r.wait(lambda: r.equal_books())  # everything sent so far has arrived
        ok_before = t.counters.checksums_ok
        emu.inject(V, Fault.DROP)
        push(emu, "BTC/USD", [resize_best(emu, "BTC/USD", True)])  # lost
        push(emu, "BTC/USD", [resize_best(emu, "BTC/USD", False)])  # checksum differs
        await r.wait(lambda: t.counters.checksums_failed == 1)
        assert t.counters.checksums_ok == ok_before  # the first update after the drop failed
        await r.wait(lambda: t.counters.resyncs == 1)
        r.resume()
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert window_equal(r)
        assert t.counters.snapshots == 2 and t.counters.checksums_failed == 1
        assert other.counters.checksums_failed == 0 and other.counters.snapshots == 1
        assert r.feed.health.connects == 1 and r.books.counters.venue_errors == 0


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert window_equal(r)
        for m in r.markets:
            assert r.tracker(m).counters.snapshots == 2


async def test_malformed_frame_is_counted() -> None:
    async with rig(V, ["BTC/USD"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.connects == 1
        assert r.tracker(r.markets[0]).counters.snapshots == 1


async def test_big_snapshot_is_skipped_as_depth_bounds_it() -> None:
    async with rig(V, ["ETH/USD"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.BIG_SNAPSHOT)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert window_equal(r)


async def test_unlisted_symbol_is_refused_by_the_venue() -> None:
    async with rig(V, ["BTC/XYZ", "ETH/USD"]) as r:
        await r.wait(lambda: r.books.counters.venue_errors >= 2)  # book and trade
        assert "Currency pair not supported BTC/XYZ" in r.books.counters.last_error
        eth = r.tracker(r.markets[1])
        await r.wait(lambda: eth.in_sync)


# ----------------------------------------------------------------------------- raw socket


@contextlib.asynccontextmanager
async def raw() -> AsyncIterator[tuple[Emulator, ClientConnection]]:
    emu = Emulator(venues=[V], seed=5)
    endpoints = await emu.start()
    try:
        async with connect(endpoints[V].ws + "/v2", compression=None, max_size=None) as ws:
            yield emu, ws
    finally:
        await emu.stop()


async def recv_until(
    ws: ClientConnection, cond: Callable[[Any], bool], timeout: float = 5.0
) -> tuple[Any, str]:
    """The next frame (decoded, and its text) that satisfies ``cond``; others are skipped."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("no such frame")
        text = await asyncio.wait_for(ws.recv(), left)
        assert isinstance(text, str)
        msg = orjson.loads(text)
        if cond(msg):
            return msg, text


def method(name: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("method") == name


def book(kind: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("channel") == "book" and m["type"] == kind


def exact(text: str) -> Any:
    """Decode keeping every number's wire text (as the adapter does for the checksum)."""
    return json.loads(text, parse_float=str, parse_int=str)


def sub(channel: str, symbols: list[str], req_id: int, **params: Any) -> str:
    body = {"channel": channel, "symbol": symbols, **params}
    return orjson.dumps({"method": "subscribe", "params": body, "req_id": req_id}).decode()


async def test_control_messages_are_krakens() -> None:
    adapter = KrakenAdapter()
    async with raw() as (_emu, ws):
        status = orjson.loads(await ws.recv())
        assert list(status) == ["channel", "data", "type"]
        assert status["channel"] == "status" and status["type"] == "update"
        d = status["data"][0]
        assert d["api_version"] == "v2" and d["system"] == "online"
        assert d["version"].startswith("2.0.") and isinstance(d["connection_id"], int)
        (ev,) = adapter.parse(orjson.dumps(status))
        assert isinstance(ev, Status) and ev.ok

        await ws.send('{"method":"ping","req_id":101}')
        pong, _ = await recv_until(ws, method("pong"))
        assert list(pong) == ["method", "time_in", "time_out", "req_id"]
        assert pong["req_id"] == 101 and RFC3339.match(pong["time_in"])

        await ws.send(sub("book", ["BTC/XYZ"], 7, depth=10))
        err, text = await recv_until(ws, lambda m: "error" in m)
        assert list(err) == [
            *("error", "method", "success", "symbol", "time_in", "time_out", "req_id"),
        ]
        assert err["error"] == "Currency pair not supported BTC/XYZ"
        assert err["success"] is False and err["symbol"] == "BTC/XYZ" and err["req_id"] == 7
        (ev,) = adapter.parse(text)
        assert isinstance(ev, Status) and not ev.ok

        await ws.send(sub("book", ["BTC/USD"], 8, depth=30))
        err, _ = await recv_until(ws, lambda m: "error" in m)
        assert err["error"].startswith("EGeneral:Invalid arguments") and err["req_id"] == 8
        await ws.send(sub("candles", ["BTC/USD"], 9))
        err, _ = await recv_until(ws, lambda m: "error" in m)
        assert err["success"] is False and err["req_id"] == 9

        await ws.send(sub("book", ["BTC/USD"], 10, depth=10, snapshot=True))
        ack, text = await recv_until(ws, method("subscribe"))
        assert list(ack) == ["method", "result", "success", "time_in", "time_out", "req_id"]
        assert ack["result"] == {
            "channel": "book",
            "depth": 10,
            "snapshot": True,
            "symbol": "BTC/USD",
        }
        assert list(ack["result"]) == ["channel", "depth", "snapshot", "symbol"]
        assert ack["success"] is True and ack["req_id"] == 10
        (ev,) = adapter.parse(text)
        assert isinstance(ev, Status) and ev.ok
        _, text = await recv_until(ws, book("snapshot"))
        (d,) = exact(text)["data"]
        assert list(d) == ["symbol", "bids", "asks", "checksum", "timestamp"]
        assert len(d["bids"]) == 10 and len(d["asks"]) == 10
        bids = [(lv["price"], lv["qty"]) for lv in d["bids"]]
        asks = [(lv["price"], lv["qty"]) for lv in d["asks"]]
        # full precision: BTC/USD prices with 1 decimal, quantities with 8 (zeros kept)
        assert all(re.fullmatch(r"\d+\.\d", p) and re.fullmatch(r"\d+\.\d{8}", q) for p, q in bids)
        assert all(re.fullmatch(r"\d+\.\d", p) and re.fullmatch(r"\d+\.\d{8}", q) for p, q in asks)
        assert [float(p) for p, _ in bids] == sorted((float(p) for p, _ in bids), reverse=True)
        assert [float(p) for p, _ in asks] == sorted(float(p) for p, _ in asks)
        assert float(bids[0][0]) < float(asks[0][0])
        assert int(d["checksum"]) == book_checksum(asks, bids)
        assert RFC3339.match(d["timestamp"])

        await ws.send(sub("book", ["BTC/USD"], 11, depth=10))
        err, _ = await recv_until(ws, lambda m: "error" in m)
        assert err["error"] == "Already subscribed" and err["symbol"] == "BTC/USD"

        unsub = {"channel": "book", "symbol": ["BTC/USD"], "depth": 10}
        await ws.send(orjson.dumps({"method": "unsubscribe", "params": unsub, "req_id": 12}))
        gone, text = await recv_until(ws, method("unsubscribe"))
        assert gone["success"] is True and gone["req_id"] == 12
        assert gone["result"] == {"channel": "book", "depth": 10, "symbol": "BTC/USD"}
        await ws.send(orjson.dumps({"method": "unsubscribe", "params": unsub, "req_id": 13}))
        err, _ = await recv_until(ws, lambda m: "error" in m)
        assert err["method"] == "unsubscribe" and err["success"] is False

        # the trade channel's snapshot (last trades) is sent when asked for, even if empty
        await ws.send(sub("trade", ["ETH/USD"], 14, snapshot=True))
        ack, _ = await recv_until(ws, method("subscribe"))
        assert ack["result"] == {"channel": "trade", "snapshot": True, "symbol": "ETH/USD"}
        tsnap, _ = await recv_until(ws, lambda m: m.get("channel") == "trade")
        assert tsnap["type"] == "snapshot" and isinstance(tsnap["data"], list)


async def test_depth_10_book_trades_checksums_and_heartbeats() -> None:
    """A depth-10 book and trades of ETH/USD on one connection: every update's checksum is
    right (the adapter's guard checks each), levels pushed out of the window get no delete
    (the client truncates), the book ends equal to the emulator's top 10, trades carry the
    taker's side and sequential ids, and a quiet connection gets heartbeats."""
    adapter = KrakenAdapter()
    market = adapter.market_for("ETH/USD")
    tracker = MarketTracker(market, KrakenGuard())
    wire: dict[str, dict[float, float]] = {"bids": {}, "asks": {}}  # never truncated
    pushed_out = 0
    sides: set[str] = set()
    trade_ids: list[int] = []
    heartbeats = 0
    async with raw() as (emu, ws):
        await ws.send(sub("book", ["ETH/USD"], 1, depth=10, snapshot=True))
        await ws.send(sub("trade", ["ETH/USD"], 2, snapshot=False))

        async def read() -> None:
            nonlocal pushed_out, heartbeats
            async for frame in ws:
                assert isinstance(frame, str)
                msg = orjson.loads(frame)
                if msg.get("channel") == "book":
                    (d,) = exact(frame)["data"]
                    if msg["type"] == "snapshot":
                        for k in wire:
                            wire[k] = {}
                    for k in wire:
                        for lv in d[k]:
                            # a delete is written with the pair's precision too
                            assert re.fullmatch(r"\d+\.\d{6}", lv["qty"])
                            if float(lv["qty"]) == 0:
                                wire[k].pop(float(lv["price"]), None)
                            else:
                                wire[k][float(lv["price"])] = float(lv["qty"])
                    pushed_out = max(pushed_out, len(wire["bids"]) - 10, len(wire["asks"]) - 10)
                elif msg.get("channel") == "trade":
                    assert msg["type"] == "update"
                    for tr in msg["data"]:
                        assert list(tr) == [
                            *("symbol", "side", "price", "qty", "ord_type", "trade_id"),
                            "timestamp",
                        ]
                        assert tr["ord_type"] in ("market", "limit")
                        sides.add(tr["side"])
                        trade_ids.append(tr["trade_id"])
                for ev in adapter.parse(frame):
                    if isinstance(ev, BookSnapshot):
                        assert ev.depth == 10
                        tracker.on_snapshot(ev, 0.0)
                    elif isinstance(ev, BookDelta):
                        assert ev.checksum is not None
                        tracker.on_delta(ev, 0.0)
                    elif isinstance(ev, Trade):
                        assert ev.price > 0 and ev.size > 0
                    elif isinstance(ev, Heartbeat):
                        heartbeats += 1

        reader = asyncio.create_task(read())
        try:
            end = time.monotonic() + 10
            while time.monotonic() < end and (
                len(sides) < 2 or pushed_out == 0 or tracker.counters.deltas <= 10
            ):
                await asyncio.sleep(0.1)
            assert sides == {"buy", "sell"}
            assert pushed_out > 0  # a level left the window without a delete
            emu.paused = True

            def equal() -> bool:
                bids, asks = emu.client_book(V, "ETH/USD", 10)
                return (
                    tracker.in_sync
                    and tracker.book.top_bids(11) == bids
                    and tracker.book.top_asks(11) == asks
                )

            end = time.monotonic() + 5
            while not equal():
                assert time.monotonic() < end, "the depth-10 book differs from the emulator"
                await asyncio.sleep(0.05)
            c = tracker.counters
            assert c.snapshots == 1 and c.deltas > 10 and c.checksums_failed == 0
            assert c.checksums_ok == c.snapshots + c.deltas
            assert trade_ids == list(range(trade_ids[0], trade_ids[0] + len(trade_ids)))
            await asyncio.sleep(2.2)
            assert heartbeats >= 1
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
