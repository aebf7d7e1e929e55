"""Huobi / HTX through the emulator: the real feed, adapter and guard, end to end.

Also a raw WebSocket client (no adapter) for what the feed never does on its own: a ``req``
bridged by hand, ``seqNum`` shared by two connections, unknown symbols, unanswered pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from provider.emulator.faults import Fault
from provider.emulator.market import SyntheticMarket, specs_for
from provider.emulator.server import Emulator
from provider.emulator.venues.huobi import HuobiServer, HuobiSession
from provider.models import Venue
from tests.emulator.support import rig

pytestmark = pytest.mark.asyncio

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
V = Venue.HUOBI


def _inflate(frame: str | bytes) -> dict[str, Any]:
    assert isinstance(frame, bytes), f"Huobi frames are binary gzip, got text {frame[:60]!r}"
    assert frame[:2] == b"\x1f\x8b"
    msg: dict[str, Any] = orjson.loads(zlib.decompress(frame, 16 + zlib.MAX_WBITS))
    return msg


@contextlib.asynccontextmanager
async def _raw(seed: int = 3) -> AsyncIterator[tuple[Emulator, str]]:
    """The emulator alone (Huobi only); yields it and its ``/feed`` URL."""
    emu = Emulator(venues=[V], seed=seed)
    endpoints = await emu.start()
    try:
        yield emu, endpoints[V].ws + "/feed"
    finally:
        await emu.stop()


async def _until(ws: ClientConnection, pred: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The first message for which ``pred`` holds (answering no pings)."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError("no such message within timeout")
        msg = _inflate(await asyncio.wait_for(ws.recv(), left))
        if pred(msg):
            return msg


def _is_inc(native: str):  # type: ignore[no-untyped-def]
    return lambda m: m.get("ch") == f"market.{native}.mbp.150"


# ------------------------------------------------------------------------------ end to end


async def test_books_equal_the_emulator() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        await r.wait(
            lambda: (
                sum(tc.buys for tc in r.books.trades.values()) > 0
                and sum(tc.sells for tc in r.books.trades.values()) > 0
            )
        )
        # let it run a moment: about two seconds of 100 ms increments per book
        await r.wait(lambda: all(r.tracker(m).counters.deltas >= 20 for m in r.markets))
        await r.settle()
        assert r.equal_books(), r.mismatch()
        for m in r.markets:
            t = r.tracker(m)
            c = t.counters
            assert c.deltas > 0 and c.gaps == 0 and c.stale_snapshots == 0, c
            assert c.snapshots == 1  # one req each: the answer bridged at once
            # the whole 150-level window, deletes of levels pushed out of it included
            bids, asks = r.emulator.client_book(V, m.native)
            assert 100 < len(bids) <= 150 and 100 < len(asks) <= 150
            assert t.book.top_bids(200) == bids and t.book.top_asks(200) == asks
        assert r.books.counters.parse_errors == 0
        assert r.books.counters.venue_errors == 0
        assert r.feed.health.connects == 1


async def test_dropped_increment_is_a_gap_and_resyncs_by_req() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        t = r.tracker(r.markets[0])
        # bridged first: a gap right after the req answer is a stale snapshot, not a gap
        await r.wait(lambda: r.all_in_sync() and t.counters.deltas > 0)
        sent = r.feed.health.sent
        r.emulator.inject(V, Fault.DROP)
        await r.wait(lambda: t.counters.gaps == 1)
        await r.wait(lambda: t.counters.resyncs == 1)
        assert r.feed.health.sent == sent + 1  # one new req on the same connection
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.connects == 1
        assert t.counters.snapshots == 2


async def test_duplicated_increment_is_stale_and_harmless() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        t = r.tracker(r.markets[0])
        stale = t.counters.stale
        r.emulator.inject(V, Fault.DUPLICATE)
        await r.wait(lambda: t.counters.stale > stale)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert t.counters.gaps == 0 and t.counters.resyncs == 0


async def test_reordered_increments_are_a_gap_and_resync() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        t = r.tracker(r.markets[0])
        await r.wait(lambda: r.all_in_sync() and t.counters.deltas > 0)
        r.emulator.inject(V, Fault.REORDER)
        await r.wait(lambda: t.counters.gaps == 1)
        await r.wait(lambda: t.counters.resyncs == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.wait(r.all_in_sync)
        await r.settle()
        assert r.equal_books(), r.mismatch()


async def test_malformed_frame_is_counted() -> None:
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.connects == 1


async def test_feed_answers_pings_and_stays_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HuobiSession, "ping_every_s", 1.0)  # 5 s on the venue
    async with rig(V, ["BTC/USDT"]) as r:
        await r.wait(r.all_in_sync)
        await r.wait(lambda: r.books.counters.heartbeats >= 4, timeout=8)
        (client,) = r.emulator.clients[V]
        assert client.session.unanswered <= 1
        assert r.feed.health.connects == 1
        await r.settle()
        assert r.equal_books(), r.mismatch()


# ------------------------------------------------------------------------------ raw client


async def test_req_bridges_and_seqnum_is_shared_by_connections() -> None:
    async with _raw() as (_, url), connect(url) as a, connect(url) as b:
        for ws in (a, b):
            await ws.send('{"sub":"market.btcusdt.mbp.150","id":"s1"}')
        ack = await _until(a, lambda m: "subbed" in m)
        assert ack["id"] == "s1" and ack["status"] == "ok"
        assert ack["subbed"] == "market.btcusdt.mbp.150" and isinstance(ack["ts"], int)
        # both connections see the same increments (per-market seqNum), linked by prevSeqNum
        inc_a = [await _until(a, _is_inc("btcusdt")) for _ in range(3)]
        first = inc_a[0]["tick"]["seqNum"]
        inc_b = await _until(b, lambda m: _is_inc("btcusdt")(m) and m["tick"]["seqNum"] >= first)
        assert inc_b["tick"] == inc_a[0]["tick"]
        for x, y in itertools.pairwise(inc_a):
            assert y["tick"]["prevSeqNum"] == x["tick"]["seqNum"] > x["tick"]["prevSeqNum"]
        # the req answer lines up: the next increment has prevSeqNum == its seqNum
        await a.send('{"req":"market.btcusdt.mbp.150","id":"r1"}')
        rep = await _until(a, lambda m: "rep" in m)
        assert (
            rep["id"] == "r1" and rep["status"] == "ok" and rep["rep"] == "market.btcusdt.mbp.150"
        )
        data = rep["data"]
        assert 100 < len(data["bids"]) <= 150 and 100 < len(data["asks"]) <= 150
        bids = [p for p, _ in data["bids"]]
        asks = [p for p, _ in data["asks"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
        nxt = await _until(a, _is_inc("btcusdt"))
        assert nxt["tick"]["prevSeqNum"] == data["seqNum"]
        tick = nxt["tick"]
        for side, desc in (("bids", True), ("asks", False)):
            prices = [p for p, _ in tick[side]]
            assert prices == sorted(prices, reverse=desc)
            assert all(isinstance(p, float) and isinstance(s, float) for p, s in tick[side])


async def test_trades_carry_the_taker_side() -> None:
    async with _raw() as (_, url), connect(url) as ws:
        await ws.send('{"sub":"market.ethusdt.trade.detail","id":"t1"}')
        ack = await _until(ws, lambda m: "subbed" in m)
        assert ack["subbed"] == "market.ethusdt.trade.detail"
        sides = set()
        while sides != {"buy", "sell"}:
            msg = await _until(ws, lambda m: m.get("ch") == "market.ethusdt.trade.detail", 10)
            for t in msg["tick"]["data"]:
                assert {"id", "ts", "tradeId", "amount", "price", "direction"} <= t.keys()
                assert t["amount"] > 0 and t["price"] > 0
                sides.add(t["direction"])


async def test_unknown_symbol_and_topic_are_refused() -> None:
    async with _raw() as (_, url), connect(url) as ws:
        await ws.send('{"sub":"market.nosuchusdt.mbp.150","id":"x1"}')
        err = await _until(ws, lambda m: m.get("id") == "x1")
        assert err["status"] == "error" and err["err-code"] == "bad-request"
        assert err["err-msg"] == "invalid symbol nosuchusdt"
        await ws.send('{"req":"market.nosuchusdt.mbp.150","id":"x2"}')
        err = await _until(ws, lambda m: m.get("id") == "x2")
        assert err["status"] == "error" and "nosuchusdt" in err["err-msg"]
        await ws.send('{"sub":"market.btcusdt.kline.1min","id":"x3"}')
        err = await _until(ws, lambda m: m.get("id") == "x3")
        assert err["err-msg"] == "invalid topic market.btcusdt.kline.1min"
        await ws.send('{"sub":"market.solusdt.trade.detail","id":"ok"}')
        ack = await _until(ws, lambda m: m.get("id") == "ok")
        assert ack["status"] == "ok"


async def test_unknown_symbol_through_the_adapter_is_a_venue_error() -> None:
    async with _raw() as (_, url), connect(url) as ws:
        await ws.send('{"sub":"market.nosuchusdt.mbp.150","id":"nosuchusdt.mbp"}')
        frame = await asyncio.wait_for(ws.recv(), 5)
    from provider.exchanges.huobi import HuobiAdapter

    (ev,) = HuobiAdapter().parse(frame)
    assert not ev.ok and "invalid symbol nosuchusdt" in ev.detail  # type: ignore[attr-defined]


async def test_two_unanswered_pings_close_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HuobiSession, "ping_every_s", 1.0)  # 5 s on the venue
    async with _raw() as (_, url), connect(url) as ws:
        pings = []
        start = time.monotonic()
        with pytest.raises(ConnectionClosed):
            while time.monotonic() - start < 8:
                msg = _inflate(await asyncio.wait_for(ws.recv(), 8))
                if "ping" in msg:
                    assert isinstance(msg["ping"], int)
                    pings.append(msg["ping"])
        assert len(pings) == 2  # two pings, then the hang-up


async def test_answered_pings_keep_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HuobiSession, "ping_every_s", 1.0)
    async with _raw() as (_, url), connect(url) as ws:
        pings = 0
        while pings < 4:
            msg = _inflate(await asyncio.wait_for(ws.recv(), 5))
            if "ping" in msg:
                pings += 1
                await ws.send(orjson.dumps({"pong": msg["ping"]}).decode())
        # the pongs got no answer of their own: the next frame is the next ping
        msg = _inflate(await asyncio.wait_for(ws.recv(), 5))
        assert "ping" in msg


# ------------------------------------------------------------------------------ no sockets


async def test_increments_replayed_give_the_window_with_its_deletes() -> None:
    """A client replica applying every increment ends each push equal to the 150-level window;
    levels pushed out of it (still in the emulator's deeper book) are sent as deletes."""
    market = SyntheticMarket(11, specs_for(V))
    server = HuobiServer({k[1]: m for k, m in market.markets.items()})
    fake = [1000.0]
    server.clock = lambda: fake[0]
    natives = sorted(server.markets)
    books = {}
    for n in natives:
        data = server.book_data(n)
        books[n] = (dict(map(tuple, data["bids"])), dict(map(tuple, data["asks"])), data["seqNum"])
    pushed_out = pushes = 0
    for _ in range(1200):  # 60 s of 50 ms steps, fast (speed 4)
        fake[0] += 0.05
        results = market.step(0.05, speed=4.0)
        for n in natives:
            server.visible_changes(n, results[(V, n)])
            bids, asks, seq = books[n]
            for inc in server.mbp[n].history:
                if inc.seq <= seq:
                    continue
                tick = _inflate(inc.frame)["tick"]
                assert tick["prevSeqNum"] == seq
                seq = tick["seqNum"]
                m = server.markets[n]
                for side, levels, deep in (
                    (bids, tick["bids"], m.bids),
                    (asks, tick["asks"], m.asks),
                ):
                    for p, sz in levels:
                        if sz == 0:
                            del side[p]  # a delete is always for a level the client holds
                            pushed_out += round(p / m.spec.tick) in deep
                        else:
                            side[p] = sz
            pushed = seq != books[n][2]
            books[n] = (bids, asks, seq)
            if not pushed:
                continue  # between two 100 ms pushes the client lags the window
            pushes += 1
            want_b, want_a = server.client_book(n)
            assert sorted(bids.items(), reverse=True) == want_b
            assert sorted(asks.items()) == want_a
    assert pushes >= 3 * 590 and pushed_out > 0
