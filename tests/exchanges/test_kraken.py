"""Kraken: adapter (v1 and v2), the top-10 checksum guard, and the real captures."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.book import OrderBook
from provider.capture import RecordKind, read_capture
from provider.errors import ChecksumMismatch, ParseError
from provider.exchanges.kraken import (
    KrakenAdapter,
    KrakenGuard,
    book_checksum,
    level_text,
)
from provider.models import (
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Ignored,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.sync import SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_kraken as S
from tests.helpers import book_levels, connection, feed_all, replay_markets

V1_BOOK = 3  # index of the v1 snapshot in S.FRAMES
V2_BOOK = S.FRAMES.index(S.V2_SNAPSHOT)


def _v1_synced():
    conn = connection(Venue.KRAKEN)
    feed_all(conn, [S.V1_SNAPSHOT])
    return conn, conn.adapter.market("ETH/XBT")


def _v2_synced():
    conn = connection(Venue.KRAKEN)
    feed_all(conn, S.FRAMES[V2_BOOK - 1 : V2_BOOK + 1])  # depth-10 ack, snapshot
    return conn, conn.adapter.market("BTC/USD")


# ------------------------------------------------------------------------------ checksum


def test_checksum_text_of_one_value() -> None:
    assert level_text("0.05005") == "5005"
    assert level_text("0.00000500") == "500"
    assert level_text("45285.2") == "452852"
    assert level_text("0.00100000") == "100000"
    assert level_text("56218.30000") == "5621830000"  # trailing zeros are kept


def test_checksum_of_the_v1_doc_example() -> None:
    assert book_checksum(S.DOC_V1_ASKS, S.DOC_V1_BIDS) == S.DOC_V1_CHECKSUM == 974947235


def test_checksum_of_the_v2_doc_example() -> None:
    assert book_checksum(S.DOC_V2_ASKS, S.DOC_V2_BIDS) == S.DOC_V2_CHECKSUM == 3310070434


def test_checksum_uses_the_wire_text_not_the_number() -> None:
    # "0.10000000" and "0.1" are one size but not one text: v2 needs the wire digits
    bids = [("45283.5", "0.1"), *S.DOC_V2_BIDS[1:]]
    assert book_checksum(S.DOC_V2_ASKS, bids) != S.DOC_V2_CHECKSUM


@settings(max_examples=200, deadline=None)
@given(
    depth=st.sampled_from([10, 12, 25, 26, 40]),
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(1, 60),
)
def test_guard_matches_the_book_after_any_sequence(depth: int, seed: int, steps: int) -> None:
    """The guard's per-side cache always equals the checksum of the book's own top 10.

    Prices come from a small grid so that updates hit, delete, push out of the window and
    bring back levels in every order; sizes are often zero.
    """
    rnd = random.Random(seed)
    grid = [100 + i * 0.5 for i in range(-60, 61)]

    def levels(lo: int, hi: int, n: int, zero: float) -> list[list[str]]:
        out = []
        for _ in range(n):
            # one price, differently padded now and then: the book keeps the last text
            p = f"{grid[rnd.randrange(lo, hi)]:.{rnd.choice([2, 2, 2, 5])}f}"
            q = "0.00000000" if rnd.random() < zero else f"{rnd.randint(1, 9999) / 1000:.8f}"
            out.append([p, q, "1.0"])
        return out

    book = OrderBook(ordered=True)
    guard = KrakenGuard()
    snap_bids = [lv for lv in levels(0, 60, rnd.randint(0, 40), 0.0)]
    snap_asks = [lv for lv in levels(61, 121, rnd.randint(0, 40), 0.0)]
    m = KrakenAdapter().market("ETH/XBT")
    snap = BookSnapshot(m, snap_bids, snap_asks, depth=depth)
    book.replace(snap.bids, snap.asks, depth)
    guard.on_snapshot(snap)
    assert guard.verify(book, snap) is None  # v1 snapshots carry no checksum
    for _ in range(steps):
        bids = levels(max(0, 60 - rnd.choice([5, 15, 60])), 60, rnd.randint(0, 4), 0.4)
        asks = levels(61, min(121, 61 + rnd.choice([5, 15, 60])), rnd.randint(0, 4), 0.4)
        book.apply(bids, asks)
        want = book_checksum(book.ask_side.top_raw(10), book.bid_side.top_raw(10))
        assert guard.verify(book, BookDelta(m, bids, asks, checksum=want)) is True
        with pytest.raises(ChecksumMismatch):
            guard.verify(book, BookDelta(m, (), (), checksum=want ^ 1))


# ------------------------------------------------------------------------------ adapter v1


def test_v1_snapshot_keeps_wire_levels_and_the_depth() -> None:
    (ev,) = KrakenAdapter().parse(S.V1_SNAPSHOT)
    assert isinstance(ev, BookSnapshot)
    assert ev.market.symbol == "ETH/BTC" and ev.market.native == "ETH/XBT"
    assert (ev.depth, ev.checksum, ev.seq) == (10, None, None)
    assert ev.asks[0] == ["0.05005", "0.00000500", "1582905480.000000"]
    assert ev.bids[0] == ["0.05000", "0.00000400", "1582905481.000000"]
    assert (len(ev.asks), len(ev.bids)) == (10, 10)


def test_v1_update_four_and_five_elements() -> None:
    a = KrakenAdapter()
    (up,) = a.parse(S.V1_UPDATES[0])
    assert isinstance(up, BookDelta)
    assert up.bids == [["0.05000", "0.00000500", "1582905487.439814"]] and up.asks == ()
    assert up.checksum == 974947235
    (both,) = a.parse(S.V1_UPDATES[2])
    assert isinstance(both, BookDelta) and both.checksum == 373281603
    assert both.asks == [
        ["0.05003", "0.00000000", "1582905489.200000"],
        ["0.05050", "0.00000500", "1582905489.200001", "r"],  # republished level
    ]
    assert both.bids == [["0.04985", "2.00000000", "1582905489.200002"]]


def test_v1_trade_side_is_the_taker() -> None:
    buy, sell = KrakenAdapter().parse(S.V1_TRADES)
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.side, buy.price, buy.size) == (Side.BUY, 0.05005, 0.1)
    assert (buy.trade_id, buy.exchange_ts) == ("1582905491.100000", 1582905491.1)
    assert (sell.side, sell.price, sell.size) == (Side.SELL, 0.04995, 0.2)
    assert buy.market.symbol == "ETH/BTC"


def test_v1_control_messages() -> None:
    a = KrakenAdapter()
    m = a.market("ETH/XBT")
    assert a.parse(S.FRAMES[0]) == [Status(Venue.KRAKEN, "systemStatus", "online 1.9.0")]
    assert a.parse(S.FRAMES[1]) == [
        Status(Venue.KRAKEN, "subscriptionStatus", "subscribed book-10 ETH/XBT", True, m)
    ]
    assert a.parse('{"event":"heartbeat"}') == [Heartbeat(Venue.KRAKEN)]
    assert a.parse('{"event":"pong","reqid":42}') == [Status(Venue.KRAKEN, "pong", "42")]
    (err,) = a.parse(S.FRAMES[S.FRAMES.index(S.V1_TRADES) + 4])
    assert isinstance(err, Status) and not err.ok
    assert err.detail == "Currency pair not supported (book XYZ/USD)"
    (rate,) = a.parse('{"Error":"Exceeded msg rate"}')
    assert rate == Status(Venue.KRAKEN, "error", "Exceeded msg rate", ok=False)
    (maint,) = a.parse('{"event":"systemStatus","status":"maintenance","version":"1.9.0"}')
    assert isinstance(maint, Status) and not maint.ok
    spread = S.FRAMES[S.FRAMES.index(S.V1_TRADES) + 3]
    assert a.parse(spread) == [Ignored(Venue.KRAKEN, "spread")]


# ------------------------------------------------------------------------------ adapter v2


def test_v2_book_keeps_the_wire_digits() -> None:
    a = KrakenAdapter()
    (snap,) = a.parse(S.V2_SNAPSHOT)
    assert isinstance(snap, BookSnapshot)
    assert snap.market.symbol == "BTC/USD" and snap.checksum == 3310070434
    assert snap.bids[:4] == [
        ("45283.5", "0.10000000"),
        ("45283.4", "1.54582015"),
        ("45282.1", "0.10000000"),
        ("45281.0", "0.10000000"),  # a JSON number, kept as sent
    ]
    assert snap.asks[0] == ("45285.2", "0.00100000")
    assert snap.depth == 1000  # no subscription seen: the depth this adapter asks for
    (up,) = a.parse(S.V2_UPDATES[0])
    assert isinstance(up, BookDelta)
    assert up.bids == [("45284.0", "0.50000000")] and up.asks == [("45285.2", "0")]
    assert up.checksum == 4015869771
    assert up.exchange_ts == pytest.approx(1696613755.440295)


def test_v2_depth_comes_from_the_ack_or_the_sent_subscription() -> None:
    a = KrakenAdapter()
    (ack,) = a.parse(S.FRAMES[V2_BOOK - 1])
    assert ack == Status(
        Venue.KRAKEN, "subscribe", "subscribed book BTC/USD", True, a.market("BTC/USD")
    )
    assert a.parse(S.V2_SNAPSHOT)[0].depth == 10
    b = KrakenAdapter()
    b.on_sent('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25}}')
    assert b.parse(S.V2_SNAPSHOT)[0].depth == 25


def test_v2_book_with_keys_in_another_order_still_keeps_the_text() -> None:
    frame = (
        '{"type":"snapshot","channel":"book","data":[{"symbol":"BTC/USD","bids":'
        '[{"price":45283.5,"qty":0.10000000}],"asks":[],"checksum":1}]}'
    )
    (snap,) = KrakenAdapter().parse(frame)
    assert isinstance(snap, BookSnapshot) and snap.bids == [("45283.5", "0.10000000")]


def test_v2_trades_and_control_messages() -> None:
    a = KrakenAdapter()
    buy, sell = a.parse(S.V2_TRADES)
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.side, buy.price, buy.size, buy.trade_id) == (Side.BUY, 45285.9, 0.25, "4665846")
    assert (sell.side, sell.price, sell.size, sell.trade_id) == (Side.SELL, 45284.0, 0.5, "4665847")
    assert buy.exchange_ts == pytest.approx(1696613756.0)
    assert a.parse('{"channel":"heartbeat"}') == [Heartbeat(Venue.KRAKEN)]
    assert a.parse(S.FRAMES[V2_BOOK - 2]) == [Status(Venue.KRAKEN, "status", "online 2.0.0")]
    assert a.parse(S.FRAMES[-1]) == [Ignored(Venue.KRAKEN, "ticker")]
    (pong,) = a.parse(S.FRAMES[-2])
    assert pong == Status(Venue.KRAKEN, "pong", "101")
    (err,) = a.parse(
        '{"error":"Currency pair not supported","method":"subscribe","success":false,'
        '"symbol":"XYZ/USD","time_in":"2023-10-06T17:35:55.0Z","time_out":"2023-10-06T17:35:55.1Z"}'
    )
    assert isinstance(err, Status) and not err.ok
    assert err.detail == "Currency pair not supported (subscribe XYZ/USD)"


# ------------------------------------------------------------------------------ requests


def test_subscribe_messages_are_v2_book_1000_and_trades() -> None:
    a = KrakenAdapter()
    assert a.ws_url == "wss://ws.kraken.com/v2" and a.resync == "resubscribe"
    markets = [a.market_for("BTC/USD"), a.market_for("eth/eur")]
    assert [m.native for m in markets] == ["BTC/USD", "ETH/EUR"]
    book, trade = (json.loads(x) for x in a.subscribe_messages(markets))
    assert book == {
        "method": "subscribe",
        "params": {
            "channel": "book",
            "symbol": ["BTC/USD", "ETH/EUR"],
            "depth": 1000,
            "snapshot": True,
        },
        "req_id": 1,
    }
    assert trade["params"] == {
        "channel": "trade",
        "symbol": ["BTC/USD", "ETH/EUR"],
        "snapshot": False,
    }


def test_resubscribe_uses_the_v2_spelling_of_a_v1_market() -> None:
    a = KrakenAdapter()
    m = a.market("XBT/USD")  # from a v1 capture
    assert (m.symbol, m.base, m.quote) == ("BTC/USD", "BTC", "USD")
    unsub, sub = (json.loads(x) for x in a.resubscribe_messages(m))
    assert unsub["method"] == "unsubscribe" and unsub["params"]["symbol"] == ["BTC/USD"]
    assert sub["params"] == {
        "channel": "book",
        "symbol": ["BTC/USD"],
        "depth": 1000,
        "snapshot": True,
    }


def test_recognizes_its_own_frames_only() -> None:
    for f in S.FRAMES:
        if '"pong"' not in f:  # pongs only answer our pings: not sniffed (Bitfinex has one)
            assert KrakenAdapter.recognizes(f), f
    for other in (
        '{"event":"pong","ts":1511545528111,"cid":1234}',
        '[17082,"hb",5]',
        "[17082,[[7254.7,3,3.3]],1]",
        '{"event":"info","version":2}',
        '{"event":"subscribed","channel":"book","chanId":17082}',
        '{"channel":"l2_data","client_id":"","timestamp":"x","sequence_num":0,"events":[]}',
        '{"channel":"heartbeats","client_id":"","timestamp":"x","sequence_num":1,"events":[]}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[]}',
        '{"stream":"btcusdt@trade","data":{}}',
        '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{}}',
    ):
        assert not KrakenAdapter.recognizes(other), other


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "{",
        "[]",
        "5",
        '[336,{"b":[]},"book-10"]',
        '[336,{"b":[]},5,"ETH/XBT"]',
        '[336,{"b":[]},"book-10","ETHXBT"]',
        '[336,{"b":[]},"candles","ETH/XBT"]',
        '[337,[["0.05","-1","1.0","b","m",""]],"trade","ETH/XBT"]',
        '[337,[["0.05","1","1.0","x","m",""]],"trade","ETH/XBT"]',
        '[337,[["0.05","1"]],"trade","ETH/XBT"]',
        '[337,{"a":1},"trade","ETH/XBT"]',
        '{"event":"unknown"}',
        '{"channel":"candles","type":"update","data":[]}',
        '{"channel":"book","type":"delta","data":[]}',
        '{"channel":"book","type":"update","data":[{"bids":[]}]}',
        '{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":NaN,"qty":1}]}]}',
        '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":"1","qty":1}]}',
        '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"up","price":1,"qty":1}]}',
        '{"method":"amend_order","success":true}',
        '{"hello":1}',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError):
        KrakenAdapter().parse(frame)


@pytest.mark.parametrize(
    "frame",
    [
        '[336,{"b":[["0.05","1","1.0"]],"c":"abc"},"book-10","ETH/XBT"]',
        '[336,{"b":[["0.05","1","1.0"]],"c":123},"book-10","ETH/XBT"]',
        '[336,{"b":{"0.05":"1"},"c":"1"},"book-10","ETH/XBT"]',
        '[336,{"a":[]},{"b":5,"c":"1"},"book-10","ETH/XBT"]',
        '[336,{"as":{},"bs":[]},"book-10","ETH/XBT"]',
        '[336,{"as":[],"bs":[]},"book-x","ETH/XBT"]',
        '{"channel":"book","type":"update","data":[{"symbol":"ETH/XBT","bids":[{"px":1}]}]}',
        '{"channel":"book","type":"update","data":[{"symbol":"ETH/XBT","checksum":1.5}]}',
    ],
)
def test_malformed_book_message_names_its_market(frame: str) -> None:
    with pytest.raises(ParseError) as info:
        KrakenAdapter().parse(frame)
    assert info.value.market is not None and info.value.market.native == "ETH/XBT"


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_books() -> None:
    conn = connection(Venue.KRAKEN)
    feed_all(conn, S.FRAMES)
    v1 = conn.adapter.market("ETH/XBT")
    v2 = conn.adapter.market("BTC/USD")
    t1, t2 = conn.books.trackers[v1], conn.books.trackers[v2]
    assert t1.state is SyncState.IN_SYNC and t2.state is SyncState.IN_SYNC
    assert book_levels(conn, v1) == S.BOOK_V1
    assert book_levels(conn, v2) == S.BOOK_V2
    assert (t1.counters.deltas, t1.counters.checksums_ok, t1.counters.checksums_failed) == (4, 4, 0)
    # v2: the snapshot's checksum is checked too
    assert (t2.counters.deltas, t2.counters.checksums_ok, t2.counters.checksums_failed) == (2, 3, 0)
    tc1, tc2 = conn.books.trades[v1], conn.books.trades[v2]
    assert (tc1.buys, tc1.sells, tc1.buy_volume, tc1.sell_volume) == (1, 1, 0.1, 0.2)
    assert (tc2.buys, tc2.sells, tc2.buy_volume, tc2.sell_volume) == (1, 1, 0.25, 0.5)
    c = conn.books.counters
    assert (c.parse_errors, c.venue_errors, c.heartbeats) == (0, 1, 2)


def _assert_lost_then_recovered(conn, m, snapshot: str) -> None:
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.checksums_failed == 1
    assert t.book.bids == {} and t.book.asks == {}  # never shown while out of sync
    assert t.last_reason.startswith("checksum")
    conn.feed(snapshot, 5.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert len(t.book) == 20


def test_dropped_v1_update_is_a_checksum_failure_and_a_snapshot_recovers() -> None:
    conn, m = _v1_synced()
    feed_all(conn, [S.V1_UPDATES[1], S.V1_UPDATES[2]], start=1.0)  # [0] lost
    _assert_lost_then_recovered(conn, m, S.V1_SNAPSHOT)
    feed_all(conn, S.V1_UPDATES, start=6.0)  # the stream goes on from the new snapshot
    assert book_levels(conn, m) == S.BOOK_V1


def test_reordered_v1_updates_are_a_checksum_failure() -> None:
    conn, m = _v1_synced()
    feed_all(conn, [S.V1_UPDATES[1], S.V1_UPDATES[0]], start=1.0)
    _assert_lost_then_recovered(conn, m, S.V1_SNAPSHOT)


def test_corrupt_v1_checksum_puts_the_book_out_of_sync() -> None:
    conn, m = _v1_synced()
    conn.feed(S.V1_UPDATES[0].replace("974947235", "974947236"), 1.0)
    _assert_lost_then_recovered(conn, m, S.V1_SNAPSHOT)


def test_v1_level_pushed_out_of_the_window_is_dropped() -> None:
    conn, m = _v1_synced()
    feed_all(conn, S.V1_UPDATES[:2], start=1.0)
    book = conn.books.trackers[m].book
    assert len(book.asks) == 10 and 0.0505 not in book.asks and 0.05003 in book.asks


def test_corrupt_v2_snapshot_checksum_is_refused() -> None:
    conn = connection(Venue.KRAKEN)
    conn.feed(S.V2_SNAPSHOT.replace("3310070434", "3310070435"), 0.0)
    m = conn.adapter.market("BTC/USD")
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.checksums_failed == 1
    assert len(t.book) == 0


def test_dropped_v2_update_is_a_checksum_failure_and_a_snapshot_recovers() -> None:
    conn, m = _v2_synced()
    conn.feed(S.V2_UPDATES[1], 1.0)  # [0] lost
    _assert_lost_then_recovered(conn, m, S.V2_SNAPSHOT)


def test_v2_number_reformatted_is_a_checksum_failure() -> None:
    # a client that decodes 0.10000000 as the float 0.1 would rebuild "1" instead of
    # "10000000": the same book by value, another checksum
    conn, m = _v2_synced()
    conn.feed(S.V2_UPDATES[0].replace("0.50000000", "0.5"), 1.0)
    _assert_lost_then_recovered(conn, m, S.V2_SNAPSHOT)


def test_malformed_v1_update_puts_its_book_out_of_sync() -> None:
    conn, m = _v1_synced()
    conn.feed(S.V1_UPDATES[0].replace('"974947235"', '"nine"'), 1.0)
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0
    assert conn.books.parse_errors_by_market[m] == 1


# ------------------------------------------------------------------------------ captures

#: (native, best bid, best ask, bid levels, ask levels, deltas) after the last frame
CAPTURE_50 = [
    ("XMR/USD", [353.64, 30.3], [354.48, 6.86050247], 657, 426, 846),
    ("XBT/CHF", [56060.3, 0.05804973], [56194.2, 0.017], 500, 315, 289),
    ("SC/EUR", [0.04307, 5794.10440061], [0.04317, 20000.0], 847, 588, 818),
    ("ADA/XBT", [2.288e-05, 11947.13445094], [2.29e-05, 7200.50427342], 707, 840, 347),
    ("ETH/CHF", [2183.69, 3.0], [2190.17, 0.31], 278, 148, 317),
]


def test_cryptofeed_kraken_book_1000_every_checksum_matches() -> None:
    rep = replay_markets(capture_path("cryptofeed/KRAKEN.ws.50.0"))
    books = [m for k, m in rep.items() if k[0] == "kraken"]
    assert len(books) == 10
    assert sum(m["checksums_ok"] for m in books) == 4269
    assert sum(m["checksums_failed"] for m in books) == 0
    assert sum(m["deltas"] for m in books) == 4269
    assert sum(m["snapshots"] for m in books) == 10
    for m in books:
        assert m["state"] == "in sync", m["symbol"]
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0)
        assert m["checksums_ok"] == m["deltas"], m["symbol"]
    for native, bid, ask, nbids, nasks, deltas in CAPTURE_50:
        m = rep[("kraken", native, "spot")]
        assert (m["best_bid"], m["best_ask"]) == (bid, ask), native
        assert (m["bid_levels"], m["ask_levels"], m["deltas"]) == (nbids, nasks, deltas), native
    xmr = rep[("kraken", "XMR/USD", "spot")]
    assert xmr["market"] == "XMR/USD"
    assert xmr["top_asks"][:3] == [[354.48, 6.86050247], [354.57, 11.64], [354.67, 7.575]]
    assert rep[("kraken", "XBT/CHF", "spot")]["market"] == "BTC/CHF"


def test_cryptofeed_kraken_trades_taker_sides() -> None:
    rep = replay_markets(capture_path("cryptofeed/KRAKEN.ws.48.0"))
    xmr = rep[("kraken", "XMR/USD", "spot")]
    sc = rep[("kraken", "SC/EUR", "spot")]
    assert (xmr["trades_buy"], xmr["trades_sell"]) == (1, 3)
    assert (xmr["volume_buy"], xmr["volume_sell"]) == (1.25690315, 2.89594024)
    assert (sc["trades_buy"], sc["trades_sell"]) == (4, 2)
    assert (sc["volume_buy"], sc["volume_sell"]) == (31964.89328529, 20979.71727919)
    assert len(rep) == 2


def test_cryptofeed_kraken_ticker_is_ignored() -> None:
    conn = connection(Venue.KRAKEN)
    for rec in read_capture(capture_path("cryptofeed/KRAKEN.ws.49.0")):
        if rec.kind is RecordKind.RECV:
            conn.feed(rec.data, rec.ts)
    c = conn.books.counters
    assert (c.frames, c.parse_errors, c.venue_errors, c.heartbeats) == (60, 0, 0, 31)
    assert conn.books.trackers == {} and conn.books.trades == {}


def test_price_text_cache_stays_small_as_the_market_walks() -> None:
    """The checksum's price texts are cached per book; prices never seen again (a market
    that walks away) must not make it grow for the whole session."""
    from provider.exchanges.kraken import _learn

    strings: dict[str, str] = {}
    for i in range(10 * KrakenGuard.cache_limit):
        assert _learn(strings, f"{30000 + i * 0.1:.1f}") == f"{300000 + i}"
        assert len(strings) <= KrakenGuard.cache_limit
    assert KrakenGuard.cache_limit <= 4096
