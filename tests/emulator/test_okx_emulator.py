"""OKX through the emulator: the real feed, adapter and guard, end to end, and the wire
protocol of the emulated v5 public stream seen through a raw WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from provider.emulator.faults import Fault
from provider.emulator.server import Emulator
from provider.emulator.venues.okx import LEVELS, OkxServer, OkxSession
from provider.exchanges.okx import OkxAdapter, OkxGuard, checksum_text, signed_crc32
from provider.models import BookDelta, BookSnapshot, Heartbeat, Side, Status, Trade, Venue
from provider.sync import MarketTracker
from tests.emulator.support import rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
V = Venue.OKX


def okx_server(emu: Emulator) -> OkxServer:
    server = emu.servers[V]
    assert isinstance(server, OkxServer)
    return server


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
            t = r.tracker(m)
            c = t.counters
            assert c.snapshots == 1 and c.gaps == 0 and c.deltas > 0
            # every snapshot and update carries a checksum, and each was verified
            assert c.checksums_ok == c.snapshots + c.deltas and c.checksums_failed == 0
            # the whole 400-level window, deletes included, not just the top
            bids, asks = r.emulator.client_book(V, m.native, None)
            assert t.book.top_bids(LEVELS) == bids and t.book.top_asks(LEVELS) == asks
            assert len(t.book) == len(bids) + len(asks) <= 2 * LEVELS
        counters = r.books.counters
        assert counters.parse_errors == 0 and counters.venue_errors == 0
        assert r.feed.health.rest_snapshots == 0  # OKX resyncs on the socket
        assert r.feed.health.connects == 1


@pytest.mark.parametrize("fault", [Fault.DROP, Fault.DUPLICATE, Fault.REORDER])
async def test_broken_seqid_chain_is_a_gap_and_resubscribes(fault: Fault) -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, fault)
        t = r.tracker(r.markets[0])
        await r.wait(lambda: t.counters.gaps == 1)
        await r.wait(lambda: t.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert t.counters.snapshots == 2  # the fresh snapshot after unsubscribe + subscribe
        assert t.counters.checksums_failed == 0
        assert r.feed.health.connects == 1 and r.feed.health.rest_snapshots == 0
        assert r.books.counters.venue_errors == 0


async def test_corrupt_checksum_is_detected_and_resubscribes() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        trackers = [r.tracker(m) for m in r.markets]
        r.emulator.inject(V, Fault.CORRUPT_CHECKSUM)
        await r.wait(lambda: sum(t.counters.checksums_failed for t in trackers) == 1)
        (bad,) = [t for t in trackers if t.counters.checksums_failed]
        assert "checksum" in bad.last_reason
        await r.wait(lambda: bad.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert bad.counters.snapshots == 2 and bad.counters.gaps == 0
        ok_before = bad.counters.checksums_ok
        r.resume()
        await r.wait(lambda: bad.counters.checksums_ok > ok_before)  # verified again
        assert sum(t.counters.checksums_failed for t in trackers) == 1
        assert r.feed.health.connects == 1


async def test_silence_delays_updates_without_a_gap() -> None:
    """The pushes of a silent second are queued per instrument and follow afterwards (as a
    stalled TCP stream would deliver them): the seqId chain holds."""
    async with rig(V, ["ETH/USDT"]) as r:
        await r.wait(r.all_in_sync)
        t = r.tracker(r.markets[0])
        r.emulator.inject(V, Fault.SILENCE, 1.0)
        await asyncio.sleep(0.2)
        deltas = t.counters.deltas
        await asyncio.sleep(0.6)
        assert t.counters.deltas == deltas  # nothing arrives while silent
        await r.wait(lambda: t.counters.deltas > deltas + 5)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert t.counters.gaps == 0 and t.counters.snapshots == 1


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


async def test_sequence_reset_stays_in_sync() -> None:
    """After maintenance OKX restarts seqId low (seqId < prevSeqId): still one chain."""
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        t = r.tracker(r.markets[0])
        guard = t.guard
        assert isinstance(guard, OkxGuard)
        okx_server(r.emulator).reset_sequence("BTC-USDT", 3)
        await r.wait(lambda: guard.last is not None and guard.last < 1_000_000)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert t.counters.gaps == 0 and t.counters.snapshots == 1


async def test_unlisted_symbol_is_refused_by_the_venue() -> None:
    async with rig(V, ["XRP/USDT", "BTC/USDT"]) as r:
        await r.wait(lambda: r.books.counters.venue_errors == 2)  # books and trades
        assert "60018" in r.books.counters.last_error
        assert "instId:XRP-USDT doesn't exist" in r.books.counters.last_error
        btc = r.markets[1]
        await r.wait(lambda: r.tracker(btc).in_sync)  # the other args still subscribe


async def test_big_snapshot_is_skipped_as_okx_has_a_window() -> None:
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
        assert len(t.book) <= 2 * LEVELS


# ----------------------------------------------------------------------------- raw socket


@contextlib.asynccontextmanager
async def raw(path: str = "/ws/v5/public") -> AsyncIterator[tuple[Emulator, ClientConnection]]:
    emu = Emulator(venues=[V], seed=5)
    endpoints = await emu.start()
    try:
        async with connect(endpoints[V].ws + path, compression=None) as ws:
            yield emu, ws
    finally:
        await emu.stop()


async def recv_until(
    ws: ClientConnection, cond: Callable[[Any], bool], timeout: float = 5.0
) -> Any:
    """The next frame that satisfies ``cond`` (others are skipped; "pong" is text)."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("no such frame")
        frame = await asyncio.wait_for(ws.recv(), left)
        msg = frame if frame == "pong" else orjson.loads(frame)
        if cond(msg):
            return msg


def event(name: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("event") == name


def book(action: str, inst: str = "BTC-USDT") -> Callable[[Any], bool]:
    return lambda m: (
        isinstance(m, dict)
        and m.get("action") == action
        and m["arg"] == {"channel": "books", "instId": inst}
    )


async def test_control_messages_are_okxs() -> None:
    adapter = OkxAdapter(OkxAdapter.ws_url)
    async with raw() as (emu, ws):
        await ws.send("ping")
        assert await recv_until(ws, lambda m: m == "pong") == "pong"
        assert isinstance(adapter.parse("pong")[0], Heartbeat)

        sub = {
            "id": "1512",
            "op": "subscribe",
            "args": [
                {"channel": "books", "instId": "NOPE-USDT"},
                {"channel": "trades", "instId": "SOL-USDT"},
                {"channel": "books5", "instId": "SOL-USDT"},
            ],
        }
        await ws.send(orjson.dumps(sub).decode())
        err = await recv_until(ws, event("error"))
        assert err["code"] == "60018" and err["id"] == "1512" and err["connId"]
        assert err["msg"] == "Wrong URL or channel:books,instId:NOPE-USDT doesn't exist"
        (status,) = adapter.parse(orjson.dumps(err))
        assert isinstance(status, Status) and not status.ok
        ack = await recv_until(ws, event("subscribe"))
        assert ack == {
            "id": "1512",
            "event": "subscribe",
            "arg": {"channel": "trades", "instId": "SOL-USDT"},
            "connId": err["connId"],
        }
        assert adapter.recognizes(orjson.dumps(ack))
        err = await recv_until(ws, event("error"))
        assert err["msg"] == "Wrong URL or channel:books5,instId:SOL-USDT doesn't exist"

        await ws.send('{"op":"subscribe","argss":[]}')
        err = await recv_until(ws, event("error"))
        assert err["code"] == "60012" and err["msg"].startswith("Invalid request: {")
        await ws.send("hello")
        err = await recv_until(ws, event("error"))
        assert err["code"] == "60012" and err["msg"] == "Invalid request: hello"

        # a trade frame as the adapter expects it, taker side and count
        trade = await recv_until(ws, lambda m: isinstance(m, dict) and "data" in m)
        assert trade["arg"] == {"channel": "trades", "instId": "SOL-USDT"}
        (d,) = trade["data"]
        assert set(d) >= {"instId", "tradeId", "px", "sz", "side", "ts", "count"}
        assert d["side"] in ("buy", "sell") and d["count"] == "1"
        (tr,) = adapter.parse(orjson.dumps(trade))
        assert isinstance(tr, Trade) and tr.price == float(d["px"]) and tr.size == float(d["sz"])
        assert tr.side is (Side.BUY if d["side"] == "buy" else Side.SELL)

        await ws.send('{"op":"unsubscribe","args":[{"channel":"trades","instId":"SOL-USDT"}]}')
        gone = await recv_until(ws, event("unsubscribe"))
        assert gone["arg"] == {"channel": "trades", "instId": "SOL-USDT"} and "id" not in gone
        (status,) = adapter.parse(orjson.dumps(gone))
        assert isinstance(status, Status) and status.ok
        session = next(iter(emu.clients[V])).session
        assert isinstance(session, OkxSession) and not session.trades


async def test_books_snapshot_updates_checksums_on_the_wire() -> None:
    """400 levels a side, OKX number text, deletes as ``[px,"0","0","0"]``, one seqId chain per
    instrument shared by every connection, and checksums of the wire strings."""
    async with raw() as (emu, ws):
        await ws.send('{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}')
        await recv_until(ws, event("subscribe"))
        snap = await recv_until(ws, book("snapshot"))
        (d,) = snap["data"]
        assert len(d["bids"]) == LEVELS and len(d["asks"]) == LEVELS
        assert d["prevSeqId"] == -1 and isinstance(d["seqId"], int)
        for lv in d["bids"] + d["asks"]:
            assert len(lv) == 4 and all(isinstance(x, str) for x in lv) and lv[2] == "0"
            assert not lv[0].endswith("0") or "." not in lv[0]  # no trailing zeros
            assert int(lv[3]) >= 1
        prices = [float(p) for p, *_ in d["bids"]]
        assert prices == sorted(prices, reverse=True)
        prices = [float(p) for p, *_ in d["asks"]]
        assert prices == sorted(prices)
        assert d["checksum"] == signed_crc32(checksum_text(d["bids"], d["asks"]))

        # a second connection sees the same ids
        ep = emu.endpoints[V]
        async with connect(ep.ws + "/ws/v5/public", compression=None) as ws2:
            await ws2.send('{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}')
            snap2 = await recv_until(ws2, book("snapshot"))
            seq2 = snap2["data"][0]["seqId"]
            last, deletes = d["seqId"], 0
            seen = {last}
            while seq2 not in seen or deletes == 0:
                upd = await recv_until(ws, book("update"))
                (u,) = upd["data"]
                assert u["prevSeqId"] == last and u["seqId"] > last
                last = u["seqId"]
                seen.add(last)
                deletes += sum(1 for lv in u["bids"] + u["asks"] if lv[1:] == ["0", "0", "0"])
                bids = [float(p) for p, *_ in u["bids"]]
                asks = [float(p) for p, *_ in u["asks"]]
                assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
            upd2 = await recv_until(ws2, book("update"))
            assert upd2["data"][0]["prevSeqId"] == seq2
            assert upd2["data"][0]["seqId"] in seen or upd2["data"][0]["seqId"] > last


async def test_guard_follows_the_stream_and_keepalives() -> None:
    """The adapter's guard verifies every checksum; an unchanged book gets ``seqId ==
    prevSeqId`` updates without levels, which stay in the chain."""
    adapter = OkxAdapter(OkxAdapter.ws_url)
    market = adapter.market_for("ETH/USDT")
    tracker = MarketTracker(market, OkxGuard())
    keepalives = 0
    async with raw() as (emu, ws):
        okx_server(emu).keepalive_s = 0.5
        await ws.send('{"op":"subscribe","args":[{"channel":"books","instId":"ETH-USDT"}]}')

        async def read() -> None:
            nonlocal keepalives
            async for frame in ws:
                msg = orjson.loads(frame)
                if msg.get("action") == "update":
                    (u,) = msg["data"]
                    if u["seqId"] == u["prevSeqId"]:
                        assert u["bids"] == [] and u["asks"] == []
                        keepalives += 1
                for ev in adapter.parse(frame):
                    if isinstance(ev, BookSnapshot):
                        tracker.on_snapshot(ev, 0.0)
                    elif isinstance(ev, BookDelta):
                        tracker.on_delta(ev, 0.0)

        reader = asyncio.create_task(read())
        try:
            end = time.monotonic() + 5
            while tracker.counters.deltas < 10:
                assert time.monotonic() < end, "no updates"
                await asyncio.sleep(0.05)
            emu.paused = True
            end = time.monotonic() + 5
            while keepalives < 2:
                assert time.monotonic() < end, "no keep-alive update"
                await asyncio.sleep(0.05)
            bids, asks = emu.client_book(V, "ETH-USDT")
            assert tracker.in_sync
            assert tracker.book.top_bids(LEVELS) == bids and tracker.book.top_asks(LEVELS) == asks
            c = tracker.counters
            assert c.gaps == 0 and c.checksums_failed == 0
            assert c.checksums_ok == c.deltas + 1  # every update and the snapshot
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


async def test_idle_connection_is_closed_and_ping_keeps_it(monkeypatch: Any) -> None:
    monkeypatch.setattr(OkxSession, "idle_close_s", 2.0)
    async with raw() as (_emu, ws):
        t0 = time.monotonic()
        for _ in range(3):  # a ping every second keeps the connection for 3 s
            await asyncio.sleep(1.0)
            await ws.send("ping")
            assert await recv_until(ws, lambda m: m == "pong") == "pong"
        with pytest.raises(ConnectionClosed):
            while True:  # silent now: the server hangs up within 2 s (+ its 1 s idle tick)
                await asyncio.wait_for(ws.recv(), 5.0)
        assert time.monotonic() - t0 > 3.0 + 1.5


async def test_idle_rule_without_sockets() -> None:
    emu = Emulator(venues=[V], seed=5)
    server = okx_server(emu)
    session = server.session("/ws/v5/public")
    assert isinstance(session, OkxSession)
    assert session.opened(100.0) == []
    assert session.idle(129.0) == [] and not session.closed
    assert session.received("ping", 129.0)[0].data == "pong"
    assert session.idle(158.0) == [] and not session.closed
    (out,) = session.idle(159.5)
    assert out.data is None and session.closed  # 30 s without a message


async def test_other_paths() -> None:
    async with raw("/ws/v5/business") as (_emu, ws):
        await ws.send('{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}')
        err = await recv_until(ws, event("error"))
        assert err["msg"] == "Wrong URL or channel:books,instId:BTC-USDT doesn't exist"
    async with raw("/ws/v5/nope") as (_emu, ws):
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5.0)


def apply(levels: list[list[str]], changes: list[list[str]], is_bid: bool) -> None:
    """Apply OKX update levels to a wire-item side kept best first (a test's own book)."""
    side = {lv[0]: lv for lv in levels}
    for lv in changes:
        if lv[1] == "0":
            side.pop(lv[0], None)
        else:
            side[lv[0]] = lv
    levels[:] = sorted(side.values(), key=lambda lv: float(lv[0]), reverse=is_bid)


async def test_corrupt_checksum_on_the_wire() -> None:
    async with raw() as (emu, ws):
        await ws.send('{"op":"subscribe","args":[{"channel":"books","instId":"SOL-USDT"}]}')
        snap = await recv_until(ws, book("snapshot", "SOL-USDT"))
        bids, asks = snap["data"][0]["bids"], snap["data"][0]["asks"]
        emu.inject(V, Fault.CORRUPT_CHECKSUM)
        for corrupt in (True, False, False):  # the next frame only
            (u,) = (await recv_until(ws, book("update", "SOL-USDT")))["data"]
            apply(bids, u["bids"], True)
            apply(asks, u["asks"], False)
            good = signed_crc32(checksum_text(bids, asks))
            assert (u["checksum"] != good) is corrupt and u["checksum"] != 0
        session = next(iter(emu.clients[V])).session
        assert session.faults.corrupt_checksum == 0
