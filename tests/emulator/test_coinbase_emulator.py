"""Coinbase Advanced Trade through the emulator: the real feed, adapter and guard, end to end."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect

from provider.emulator.faults import Fault
from provider.emulator.market import EmuTrade, StepResult
from provider.emulator.server import Emulator
from provider.emulator.venues.coinbase import CoinbaseSession
from provider.exchanges.coinbase import CoinbaseAdapter
from provider.models import BookSnapshot, Side, Trade, Venue
from provider.sync import MarketTracker
from tests.emulator.support import Rig, rig

pytestmark = pytest.mark.asyncio

V = Venue.COINBASE
SYMBOLS = ["BTC/USD", "ETH/USD"]


def _sessions(emu: Emulator) -> list[CoinbaseSession]:
    return [c.session for c in emu.clients[V] if isinstance(c.session, CoinbaseSession)]


def _whole_books_equal(r: Rig) -> bool:
    """Every level of every book (level2 has no window: the client holds the whole book)."""
    for m in r.markets:
        book = r.tracker(m).book
        bids, asks = r.emulator.client_book(V, m.native, None)
        if book.top_bids(10**7) != bids or book.top_asks(10**7) != asks:
            return False
    return True


# ----------------------------------------------------------------------------- end to end


async def test_books_equal_the_emulator() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        trades = r.books.trades
        await r.wait(
            lambda: (
                sum(tc.buys for tc in trades.values()) > 0
                and sum(tc.sells for tc in trades.values()) > 0
            )
        )
        await r.wait(lambda: r.books.counters.heartbeats >= 1, timeout=3)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert _whole_books_equal(r)
        for m in r.markets:
            t = r.tracker(m)
            assert t.counters.snapshots == 1
            assert t.counters.deltas > 0
        assert r.books.counters.connection_gaps == 0
        assert r.books.counters.parse_errors == 0
        assert r.books.counters.venue_errors == 0
        assert r.feed.health.connects == 1
        assert r.feed.health.rest_snapshots == 0  # level2 sends its own snapshots


async def test_dropped_update_is_a_connection_gap_and_resubscribes() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.DROP)
        await r.wait(lambda: r.books.counters.connection_gaps == 1)
        await r.wait(lambda: all(r.tracker(m).counters.resyncs == 1 for m in r.markets))
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert _whole_books_equal(r)
        assert r.feed.health.connects == 1  # unsubscribe + subscribe, no reconnect
        for m in r.markets:
            assert r.tracker(m).counters.snapshots == 2


async def test_close_reconnects_and_books_recover() -> None:
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.CLOSE)
        await r.wait(lambda: r.feed.health.connects == 2)
        await r.wait(r.all_in_sync)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        # the new connection's sequence_num starts at 0 again: no connection gap
        assert r.books.counters.connection_gaps == 0


async def test_malformed_frame_is_counted() -> None:
    async with rig(V, ["BTC/USD"]) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.MALFORMED)
        await r.wait(lambda: r.books.counters.parse_errors == 1)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert r.feed.health.connects == 1


async def test_big_snapshot_is_accepted_and_padding_deleted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ~5 MB level2 snapshot frame (as BTC-USD really sends) passes the feed's max_size;
    its far-away padding levels are deleted by the next update, so whole books are equal."""
    loaded: list[int] = []  # levels of each book right after a snapshot
    on_snapshot = MarketTracker.on_snapshot

    def spy(self: MarketTracker, snap: BookSnapshot, now: float) -> None:
        on_snapshot(self, snap, now)
        loaded.append(len(self.book))

    monkeypatch.setattr(MarketTracker, "on_snapshot", spy)
    async with rig(V, SYMBOLS) as r:
        await r.wait(r.all_in_sync)
        r.emulator.inject(V, Fault.BIG_SNAPSHOT)
        r.emulator.inject(V, Fault.DROP)  # the gap makes the client resubscribe
        await r.wait(lambda: r.books.counters.connection_gaps == 1)
        await r.wait(lambda: all(r.tracker(m).counters.snapshots == 2 for m in r.markets))
        (session,) = _sessions(r.emulator)
        assert max(session.snapshot_sizes) > 4.5 * 2**20
        assert session.faults.bloat_snapshot == 0
        assert max(loaded) > 40_000  # the padded book was loaded (normally ~1,600 levels)
        await r.settle()
        assert r.equal_books(), r.mismatch()
        assert _whole_books_equal(r)
        assert r.feed.health.connects == 1  # not closed for "message too big"
        assert r.books.counters.parse_errors == 0


# ----------------------------------------------------------------------------- wire level


class _Raw:
    """A bare WebSocket client reading the emulator's frames."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, msg: dict) -> None:
        await self.ws.send(orjson.dumps(msg).decode())

    async def recv_until(self, pred: Any, timeout: float = 5.0) -> list[dict]:
        out: list[dict] = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching frame; got {[_brief(m) for m in out]}")
            msg = orjson.loads(await asyncio.wait_for(self.ws.recv(), left))
            out.append(msg)
            if pred(msg):
                return out


def _brief(m: dict) -> str:
    return f"{m.get('channel', m.get('type'))}#{m.get('sequence_num')}"


async def test_wire_protocol() -> None:
    emu = Emulator(venues=[V], seed=5)
    ep = (await emu.start())[V]
    try:
        async with connect(ep.ws, max_size=32 * 2**20) as ws:
            raw = _Raw(ws)
            # unknown product: an error without envelope or sequence_num, nothing subscribed
            await raw.send({"type": "subscribe", "product_ids": ["DOGE-USD"], "channel": "level2"})
            (err,) = await raw.recv_until(lambda m: True)
            assert err["type"] == "error" and "DOGE-USD" in err["reason"]
            assert "sequence_num" not in err
            await raw.send({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "nope"})
            (err,) = await raw.recv_until(lambda m: True)
            assert err["type"] == "error"

            await raw.send(
                {"type": "subscribe", "product_ids": ["BTC-USD", "USDT-USD"], "channel": "level2"}
            )
            got = await raw.recv_until(lambda m: m["channel"] == "subscriptions")
            snaps = [m for m in got if m["channel"] == "l2_data"]
            assert [m["events"][0]["type"] for m in snaps[:2]] == ["snapshot", "snapshot"]
            assert got[0]["sequence_num"] == 0
            assert list(got[0]) == ["channel", "client_id", "timestamp", "sequence_num", "events"]
            assert got[0]["timestamp"].endswith("Z") and got[0]["client_id"] == ""
            ev = snaps[0]["events"][0]
            assert ev["product_id"] == "BTC-USD"
            sides = {u["side"] for u in ev["updates"]}
            assert sides == {"bid", "offer"}
            # the whole book, not a window
            bids = [u for u in ev["updates"] if u["side"] == "bid"]
            assert len(bids) == len(emu.market.markets[(V, "BTC-USD")].bids)
            assert all(not u["price_level"].endswith(".") for u in ev["updates"])
            assert all(
                "." not in u["new_quantity"] or not u["new_quantity"].endswith("0")
                for u in ev["updates"]
            )
            assert got[-1]["events"][0]["subscriptions"] == {"level2": ["BTC-USD", "USDT-USD"]}

            await raw.send(
                {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "heartbeats"}
            )
            await raw.send(
                {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "market_trades"}
            )
            got += await raw.recv_until(lambda m: m["channel"] == "heartbeats", timeout=3)
            got += await raw.recv_until(
                lambda m: m["channel"] == "market_trades" and m["events"][0]["type"] == "update"
            )
            subs = [m for m in got if m["channel"] == "subscriptions"]
            assert subs[-1]["events"][0]["subscriptions"] == {
                "heartbeats": ["heartbeats"],
                "level2": ["BTC-USD", "USDT-USD"],
                "market_trades": ["BTC-USD"],
            }
            hb = next(m for m in got if m["channel"] == "heartbeats")["events"][0]
            assert " +0000 UTC m=+" in hb["current_time"]
            assert isinstance(hb["heartbeat_counter"], int)
            trades = got[-1]["events"][0]["trades"]
            assert all(t["side"] in ("BUY", "SELL") for t in trades)
            ids = [int(t["trade_id"]) for t in trades]
            assert ids == sorted(ids, reverse=True)  # newest first

            # resync of one product: unsubscribe + subscribe level2 gives a fresh snapshot
            await raw.send({"type": "unsubscribe", "product_ids": ["BTC-USD"], "channel": "level2"})
            await raw.send({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "level2"})
            got += await raw.recv_until(
                lambda m: (
                    m["channel"] == "l2_data"
                    and m["events"][0]["type"] == "snapshot"
                    and m["events"][0]["product_id"] == "BTC-USD"
                )
            )
            got += await raw.recv_until(lambda m: m["channel"] == "subscriptions")
            subs = [m for m in got if m["channel"] == "subscriptions"]
            assert subs[-2]["events"][0]["subscriptions"]["level2"] == ["USDT-USD"]
            assert subs[-1]["events"][0]["subscriptions"]["level2"] == ["USDT-USD", "BTC-USD"]
            # one sequence_num counter for the connection, across all channels
            seqs = [m["sequence_num"] for m in got]
            assert seqs == list(range(len(seqs)))
    finally:
        await emu.stop()


async def test_trade_side_is_the_makers() -> None:
    """A buying taker is sent as side "SELL" (the maker's), and the adapter turns it back."""
    emu = Emulator(venues=[V], seed=5)
    server = emu.servers[V]
    m = server.markets["ETH-USD"]
    bid, ask = m.best_bid(), m.best_ask()
    assert bid is not None and ask is not None
    result = StepResult(
        trades=[EmuTrade(ask, 0.5, Side.BUY, 901), EmuTrade(bid, 0.25, Side.SELL, 902)]
    )
    server.visible_changes("ETH-USD", result)
    session = server.session("/")
    assert isinstance(session, CoinbaseSession)
    session.received('{"type":"subscribe","product_ids":["ETH-USD"],"channel":"market_trades"}', 0)
    frames = session.step("ETH-USD", [], result, time.time())
    (frame,) = frames
    msg = orjson.loads(frame.data)
    wire = msg["events"][0]["trades"]
    assert [(t["trade_id"], t["side"]) for t in wire] == [("902", "BUY"), ("901", "SELL")]
    adapter = CoinbaseAdapter()
    events = [e for e in adapter.parse(frame.data) if isinstance(e, Trade)]
    assert [(e.trade_id, e.side) for e in events] == [("901", Side.BUY), ("902", Side.SELL)]
    assert events[0].price == m.price(ask) and events[0].size == 0.5
