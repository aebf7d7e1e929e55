"""Bybit v5: adapter, ``u`` chain guard, spot/linear separation, and the real capture."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from provider.capture import RecordKind, read_capture
from provider.errors import ConfigError, ParseError, SequenceGap
from provider.exchanges.bybit import BybitAdapter, BybitGuard, category_of
from provider.models import (
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Ignored,
    Kind,
    Market,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.replay import _market_report
from provider.session import Connection, VenueBooks
from provider.sync import MarketTracker, SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_bybit as S
from tests.helpers import book_levels, connection, feed_all

SPOT_BTC = Market(Venue.BYBIT, "BTCUSDT", "BTC/USDT", "BTC", "USDT", Kind.SPOT)
PERP_BTC = Market(Venue.BYBIT, "BTCUSDT", "BTC/USDT:USDT", "BTC", "USDT", Kind.PERP)


def _synced() -> tuple[Connection, MarketTracker]:
    """A spot connection whose BTCUSDT book holds ``S.SNAPSHOT`` (u 18521288)."""
    conn = connection(Venue.BYBIT, S.SPOT_URL)
    feed_all(conn, [S.SUBSCRIBED, S.SNAPSHOT])
    return conn, conn.books.trackers[SPOT_BTC]


# ------------------------------------------------------------------------------ adapter


def test_snapshot_and_delta_keep_wire_levels_and_u() -> None:
    a = BybitAdapter(S.SPOT_URL)
    (snap,) = a.parse(S.SNAPSHOT)
    assert isinstance(snap, BookSnapshot) and snap.market == SPOT_BTC
    assert snap.seq == 18521288 and snap.checksum is None and snap.depth is None
    assert snap.bids == [["16493.50", "0.006"], ["16493.00", "0.100"], ["16492.50", "1.200"]]
    assert snap.asks[0] == ["16611.00", "0.029"]
    assert snap.exchange_ts == 1672304484.978
    (d,) = a.parse(S.DELTA_1)
    assert isinstance(d, BookDelta) and d.market is snap.market
    assert (d.first_seq, d.last_seq, d.prev_seq) == (18521289, 18521289, None)
    assert d.bids == [["16493.50", "0"], ["16494.00", "0.050"]]
    assert d.asks == [["16611.00", "0.010"]]


def test_trade_side_is_the_taker_as_sent() -> None:
    buy, sell = BybitAdapter().parse(S.TRADES)
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.market, buy.side, buy.price, buy.size) == (SPOT_BTC, Side.BUY, 16611.0, 0.019)
    assert buy.trade_id == "20f43950-d8dd-5b31-9112-a178eb6023af"
    assert buy.exchange_ts == 1672304486.865
    assert (sell.side, sell.price, sell.size) == (Side.SELL, 16494.0, 0.001)


def test_control_and_unused_messages() -> None:
    a = BybitAdapter()
    assert a.parse(S.SUBSCRIBED) == [Status(Venue.BYBIT, "subscribe", "subscribe")]
    assert a.parse(S.PONG_SPOT) == [Heartbeat(Venue.BYBIT)]
    assert a.parse(S.PONG_OP) == [Heartbeat(Venue.BYBIT)]
    assert a.parse(S.TICKER) == [Ignored(Venue.BYBIT, "tickers")]
    assert a.parse(S.KLINE) == [Ignored(Venue.BYBIT, "kline")]
    liq = '{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[]}'
    assert a.parse(liq) == [Ignored(Venue.BYBIT, "allLiquidation")]
    rpi = '{"topic":"orderbook.rpi.BTCUSDT","type":"delta","ts":1,"data":{}}'
    assert a.parse(rpi) == [Ignored(Venue.BYBIT, "orderbook.rpi")]
    (err,) = a.parse(S.REFUSED)
    assert err == Status(
        Venue.BYBIT, "subscribe refused", "Invalid symbol :[orderbook.200.NOPEUSDT]", ok=False
    )
    unsub = (
        '{"success":true,"ret_msg":"","conn_id":"x","req_id":"unsub.BTCUSDT","op":"unsubscribe"}'
    )
    assert a.parse(unsub) == [Status(Venue.BYBIT, "unsubscribe", "unsub.BTCUSDT")]


def test_refused_subscription_is_counted_as_a_venue_error() -> None:
    conn = connection(Venue.BYBIT)
    feed_all(conn, [S.SUBSCRIBED, S.REFUSED, S.PONG_SPOT])
    c = conn.books.counters
    assert (c.venue_errors, c.heartbeats, c.parse_errors) == (1, 1, 0)
    assert c.last_error.startswith("subscribe refused: Invalid symbol")


@pytest.mark.parametrize(
    ("url", "category"),
    [
        (S.SPOT_URL, "spot"),
        (S.LINEAR_URL, "linear"),
        (S.INVERSE_URL, "inverse"),
        ("ws://127.0.0.1:8765/v5/public/linear/", "linear"),
        ("wss://stream.bybit.com/v5/public/option", "spot"),
        (None, "spot"),
    ],
)
def test_category_comes_from_the_connection_url(url: str | None, category: str) -> None:
    assert category_of(url) == category
    assert BybitAdapter(url).category == category


def test_spot_and_linear_markets_of_one_symbol_are_distinct() -> None:
    (spot,) = BybitAdapter(S.SPOT_URL).parse(S.SNAPSHOT)
    (perp,) = BybitAdapter(S.LINEAR_URL).parse(S.LINEAR_SNAPSHOT)
    assert isinstance(spot, BookSnapshot) and isinstance(perp, BookSnapshot)
    assert spot.market == SPOT_BTC and perp.market == PERP_BTC
    assert spot.market != perp.market


@pytest.mark.parametrize(
    ("url", "native", "symbol", "kind"),
    [
        (S.LINEAR_URL, "ETHUSDT", "ETH/USDT:USDT", Kind.PERP),
        (S.LINEAR_URL, "BTCPERP", "BTC/USDC:USDC", Kind.PERP),
        (S.LINEAR_URL, "BTCUSDT-26DEC25", "BTC/USDT:USDT-26DEC25", Kind.FUTURE),
        (S.LINEAR_URL, "ETH-26DEC25", "ETH/USDC:USDC-26DEC25", Kind.FUTURE),
        (S.INVERSE_URL, "BTCUSD", "BTC/USD:BTC", Kind.PERP),
        (S.INVERSE_URL, "BTCUSDH25", "BTC/USD:BTC-H25", Kind.FUTURE),
        (S.SPOT_URL, "ETHBTC", "ETH/BTC", Kind.SPOT),
    ],
)
def test_make_market_and_market_for_agree(url: str, native: str, symbol: str, kind: Kind) -> None:
    m = BybitAdapter(url).market(native)
    assert (m.native, m.symbol, m.kind) == (native, symbol, kind)
    assert BybitAdapter().market_for(symbol) == m


def test_market_for_names_every_category_and_connect_url_follows() -> None:
    a = BybitAdapter()
    assert a.native_symbol("BTC/USDT") == "BTCUSDT"
    assert a.market_for("BTC/USDT") == SPOT_BTC
    assert a.market_for("BTC/USDT:USDT") == PERP_BTC
    inverse = a.market_for("BTC/USD:BTC")
    assert (inverse.native, inverse.kind) == ("BTCUSD", Kind.PERP)
    assert a.connect_url([SPOT_BTC]) == S.SPOT_URL
    assert a.connect_url([PERP_BTC]) == S.LINEAR_URL
    assert (
        a.connect_url([inverse], base="ws://127.0.0.1:9/") == "ws://127.0.0.1:9/v5/public/inverse"
    )
    with pytest.raises(ConfigError, match="own URL"):
        a.connect_url([SPOT_BTC, PERP_BTC])
    # a market named from config equals the one parsed on its category's connection
    (ev,) = BybitAdapter(a.connect_url([PERP_BTC])).parse(S.LINEAR_SNAPSHOT)
    assert isinstance(ev, BookSnapshot) and ev.market == a.market_for("BTC/USDT:USDT")


def test_subscribe_is_one_request_per_market() -> None:
    """Bybit refuses a whole request if one topic is refused: one market per request."""
    a = BybitAdapter()
    markets = [a.market_for(f"{b}/USDT") for b in ("BTC", "ETH", "SOL", "DOGE", "XRP", "ADA")]
    msgs = [json.loads(x) for x in a.subscribe_messages(markets)]
    assert [len(m["args"]) for m in msgs] == [2] * 6
    assert all(len(m["args"]) <= 10 for m in msgs)
    assert msgs[0]["op"] == "subscribe" and msgs[0]["req_id"] == "sub.BTCUSDT"
    assert msgs[5]["args"] == ["orderbook.200.ADAUSDT", "publicTrade.ADAUSDT"]
    assert a.subscribe_messages([SPOT_BTC]) == [
        '{"op":"subscribe","args":["orderbook.200.BTCUSDT","publicTrade.BTCUSDT"],'
        '"req_id":"sub.BTCUSDT"}'
    ]


def test_resubscribe_is_unsubscribe_then_subscribe_of_the_book_topic() -> None:
    assert BybitAdapter().resubscribe_messages(PERP_BTC) == [
        '{"op":"unsubscribe","args":["orderbook.200.BTCUSDT"],"req_id":"unsub.BTCUSDT"}',
        '{"op":"subscribe","args":["orderbook.200.BTCUSDT"],"req_id":"resub.BTCUSDT"}',
    ]
    assert BybitAdapter.resync == "resubscribe"
    assert BybitAdapter.ping_text == '{"op":"ping"}' and BybitAdapter.ping_interval_s == 20.0


def test_recognizes_its_own_frames_only() -> None:
    for frame in [*S.FRAMES, S.REFUSED, S.LINEAR_SNAPSHOT]:
        assert BybitAdapter.recognizes(frame), frame[:60]
        assert BybitAdapter.recognizes(frame.encode()), frame[:60]
    samples_binance = importlib.import_module("tests.exchanges.samples_binance")
    others = [
        *samples_binance.FRAMES,
        samples_binance.SNAPSHOT,
        '{"type":"snapshot","product_id":"BTC-USD","bids":[["1","1"]],"asks":[]}',
        '{"channel":"l2_data","timestamp":"2026-08-09T21:05:48Z","sequence_num":0,"events":[]}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[]}',
        '{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}',
        '{"event":"heartbeat"}',
        '[17,"hb"]',
        '{"ping":1492420473027}',
        '{"ch":"market.btcusdt.trade.detail","ts":1,"tick":{}}',
        "pong",
    ]
    for frame in others:
        assert not BybitAdapter.recognizes(frame), frame[:60]


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "[]",
        "{",
        "null",
        '{"topic":5}',
        '{"topic":"orderbook.200.BTCUSDT","type":"delta","data":[]}',
        '{"topic":"orderbook.200.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","b":[],"a":[]}}',
        '{"topic":"orderbook.200.BTCUSDT","type":"delta",'
        '"data":{"s":"BTCUSDT","b":[],"a":[],"u":"5"}}',
        '{"topic":"orderbook.200.BTCUSDT","type":"delta",'
        '"data":{"s":"BTCUSDT","b":{},"a":[],"u":5}}',
        '{"topic":"orderbook.200.BTCUSDT","type":"partial",'
        '"data":{"s":"BTCUSDT","b":[],"a":[],"u":5}}',
        '{"topic":"orderbook.200.X","type":"delta","data":{"s":"X","b":[],"a":[],"u":5}}',
        '{"topic":"publicTrade.BTCUSDT","type":"snapshot","data":{}}',
        '{"topic":"publicTrade.BTCUSDT","data":[{"s":"BTCUSDT",'
        '"S":"Buy","v":"1","p":"-1","i":"a"}]}',
        '{"topic":"publicTrade.BTCUSDT","data":[{"s":"BTCUSDT",'
        '"S":"Buy","v":"0","p":"1","i":"a"}]}',
        '{"topic":"publicTrade.BTCUSDT","data":[{"s":"BTCUSDT",'
        '"S":"buy","v":"1","p":"1","i":"a"}]}',
        '{"topic":"publicTrade.BTCUSDT","data":[{"s":"BTCUSDT",'
        '"S":"Buy","v":"1","p":"x","i":"a"}]}',
        '{"topic":"publicTrade.BTCUSDT","data":[{"s":"BTCUSDT","S":"Buy","v":"1","p":"1","i":7}]}',
        '{"topic":"publicTrade.BTCUSDT","data":[5]}',
        '{"topic":"funding.BTCUSDT","data":{}}',
        '{"op":"teleport","success":true}',
        '{"success":"yes","op":"subscribe"}',
        '{"hello":1}',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError):
        BybitAdapter().parse(frame)


def test_malformed_book_message_of_a_known_market_names_it() -> None:
    a = BybitAdapter()
    a.parse(S.SNAPSHOT)
    with pytest.raises(ParseError) as info:
        a.parse('{"topic":"orderbook.200.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","u":9}}')
    assert info.value.market == SPOT_BTC
    with pytest.raises(ParseError) as info:
        a.parse('{"topic":"orderbook.200.BTCUSDT","type":"delta","data":5}')
    assert info.value.market == SPOT_BTC


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_book() -> None:
    conn = connection(Venue.BYBIT, S.SPOT_URL)
    feed_all(conn, S.FRAMES)
    t = conn.books.trackers[SPOT_BTC]
    assert t.state is SyncState.IN_SYNC
    assert book_levels(conn, SPOT_BTC) == S.BOOK
    assert (t.counters.snapshots, t.counters.deltas, t.counters.gaps) == (1, 2, 0)
    tc = conn.books.trades[SPOT_BTC]
    assert (tc.buys, tc.sells) == (1, 1)
    assert conn.books.counters.heartbeats == 2 and conn.books.counters.parse_errors == 0


def test_guard_chain() -> None:
    g = BybitGuard()
    g.on_snapshot(BookSnapshot(SPOT_BTC, [], [], seq=10))
    assert g.check(BookDelta(SPOT_BTC, [], [], 11, 11))
    assert g.check(BookDelta(SPOT_BTC, [], [], 12, 12))
    with pytest.raises(SequenceGap, match="expected u=13, got u=12"):
        g.check(BookDelta(SPOT_BTC, [], [], 12, 12))


def _assert_lost_then_recovered(conn: Connection, t: MarketTracker, counter: str | None) -> None:
    assert t.state is SyncState.OUT_OF_SYNC
    if counter is not None:
        assert getattr(t.counters, counter) == 1
    assert t.book.bids == {} and t.book.asks == {}  # never shown while out of sync
    # deltas while out of sync are ignored; the fresh snapshot of the resubscribe recovers
    conn.feed(S.delta(18521300, '[["1","1"]]'), 2.0)
    assert len(t.book) == 0
    conn.feed(S.snapshot(18521400, '[["16500","1"]]', '[["16501","2"]]'), 3.0)
    conn.feed(S.delta(18521401, '[["16499.5","4"]]'), 3.1)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert book_levels(conn, SPOT_BTC) == {
        "bids": [(16500.0, 1.0), (16499.5, 4.0)],
        "asks": [(16501.0, 2.0)],
    }


def test_dropped_delta_is_a_gap_and_a_new_snapshot_recovers() -> None:
    conn, t = _synced()
    feed_all(conn, [S.DELTA_2], start=1.0)  # DELTA_1 (u+1) lost
    assert t.last_reason == "gap: expected u=18521289, got u=18521290"
    _assert_lost_then_recovered(conn, t, "gaps")
    assert t.recoveries[-1] == pytest.approx(3.0 - 1.0)


def test_reordered_deltas_are_a_gap() -> None:
    conn, t = _synced()
    feed_all(conn, [S.DELTA_2, S.DELTA_1], start=1.0)
    _assert_lost_then_recovered(conn, t, "gaps")


def test_repeated_delta_is_a_gap() -> None:
    conn, t = _synced()
    feed_all(conn, [S.DELTA_1, S.DELTA_1], start=1.0)
    _assert_lost_then_recovered(conn, t, "gaps")


def test_snapshot_at_any_time_replaces_the_book_and_restarts_the_chain() -> None:
    conn, t = _synced()
    feed_all(conn, [S.DELTA_1], start=1.0)
    # service restart: u == 1 snapshot overwrites the book; the chain continues from 1
    restart = S.snapshot(1, '[["16400","3"]]', '[["16401","1"]]')
    feed_all(conn, [restart, S.delta(2, asks='[["16401","0"],["16402","5"]]')], start=2.0)
    assert t.state is SyncState.IN_SYNC and t.counters.gaps == 0
    assert book_levels(conn, SPOT_BTC) == {"bids": [(16400.0, 3.0)], "asks": [(16402.0, 5.0)]}
    assert (t.counters.snapshots, t.counters.deltas, t.counters.resyncs) == (2, 2, 0)


def test_malformed_level_puts_the_book_out_of_sync() -> None:
    conn, t = _synced()
    conn.feed(S.DELTA_1.replace('"0.050"', '"fifty"'), 1.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.bad_levels == 1
    assert len(t.book) == 0


def test_unreadable_book_message_puts_its_book_out_of_sync() -> None:
    conn, t = _synced()
    conn.feed('{"topic":"orderbook.200.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","u":1}}', 1.0)
    assert t.state is SyncState.OUT_OF_SYNC
    assert conn.books.parse_errors_by_market == {SPOT_BTC: 1}
    assert t.last_reason.startswith("out of sync: malformed message")
    _assert_lost_then_recovered(conn, t, None)


def test_crossed_book_is_out_of_sync() -> None:
    conn, t = _synced()
    conn.feed(S.delta(18521289, bids='[["16700","1"]]'), 1.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.crossed == 1


def test_out_of_sync_asks_for_a_resubscribe() -> None:
    sent: list[str] = []
    books = VenueBooks(
        Venue.BYBIT,
        BybitAdapter,
        on_out_of_sync=lambda tr, why: sent.extend(conn.adapter.resubscribe_messages(tr.market)),
    )
    conn = books.connect(S.LINEAR_URL)
    feed_all(conn, [S.LINEAR_SNAPSHOT, S.delta(702)])  # u 701 lost
    assert [json.loads(x)["op"] for x in sent] == ["unsubscribe", "subscribe"]
    assert books.trackers[PERP_BTC].counters.gaps == 1


def test_spot_and_linear_books_of_one_symbol_never_mix() -> None:
    books = VenueBooks(Venue.BYBIT, BybitAdapter)
    spot = books.connect(S.SPOT_URL)
    linear = books.connect(S.LINEAR_URL)
    feed_all(spot, S.FRAMES)
    feed_all(linear, [S.LINEAR_SNAPSHOT, S.LINEAR_DELTA])
    assert set(books.trackers) == {SPOT_BTC, PERP_BTC}
    assert book_levels(spot, SPOT_BTC) == S.BOOK
    assert book_levels(linear, PERP_BTC) == S.LINEAR_BOOK
    assert all(t.state is SyncState.IN_SYNC for t in books.trackers.values())
    # a gap on the linear connection leaves the spot book alone
    linear.feed(S.delta(705), 1.0)
    assert books.trackers[PERP_BTC].state is SyncState.OUT_OF_SYNC
    assert books.trackers[SPOT_BTC].state is SyncState.IN_SYNC


# ------------------------------------------------------------------------------ capture

#: (category, native) -> best bid, best ask, (bid levels, ask levels), deltas, (buys, sells)
CAPTURE_WANT = {
    ("perp", "BTCUSDT"): ([65114.2, 5.974], [65114.3, 9.06], (200, 200), 413, (6, 50)),
    ("perp", "ETHUSDT"): ([1922.54, 52.0], [1922.55, 19.25], (200, 200), 420, (17, 6)),
    ("perp", "SOLUSDT"): ([77.26, 1041.8], [77.27, 356.1], (200, 200), 382, (13, 152)),
    ("perp", "DOGEUSDT"): ([0.07055, 192121.0], [0.07056, 4200.0], (200, 200), 379, (76, 7)),
    ("spot", "BTCUSDT"): ([65140.4, 0.622237], [65140.5, 0.606831], (200, 200), 299, (5, 6)),
    ("spot", "ETHUSDT"): ([1923.28, 9.42925], [1923.29, 3.44935], (200, 200), 249, (3, 6)),
}


def _replay(path: Path, books: VenueBooks | None = None) -> VenueBooks:
    """The capture through Bybit connections only (one per recorded URL), as live."""
    books = books or VenueBooks(Venue.BYBIT, BybitAdapter)
    urls: dict[str, str] = {}
    conns: dict[str, Connection] = {}
    for rec in read_capture(path):
        if rec.kind is RecordKind.CONNECT:
            urls[rec.conn] = str(rec.data)
        elif rec.kind is RecordKind.RECV:
            conn = conns.get(rec.conn)
            if conn is None:
                assert BybitAdapter.recognizes(rec.data)
                conn = conns[rec.conn] = books.connect(urls[rec.conn])
            conn.feed(rec.data, rec.ts)
    return books


def _check_capture_report(rep: dict[tuple[str, str], dict]) -> None:
    assert set(rep) == set(CAPTURE_WANT)
    for key, (bid, ask, levels, deltas, trades) in CAPTURE_WANT.items():
        m = rep[key]
        assert (m["best_bid"], m["best_ask"]) == (bid, ask), key
        assert (m["bid_levels"], m["ask_levels"]) == levels, key
        assert (m["snapshots"], m["deltas"], m["stale_deltas"]) == (1, deltas, 0), key
        assert (m["trades_buy"], m["trades_sell"]) == trades, key
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0), key
        assert (m["checksums_ok"], m["checksums_failed"]) == (0, 0), key  # Bybit has none
        assert m["state"] == "in sync", key
    assert rep[("spot", "BTCUSDT")]["market"] == "BTC/USDT"
    assert rep[("perp", "BTCUSDT")]["market"] == "BTC/USDT:USDT"
    assert rep[("spot", "BTCUSDT")]["top_bids"][:3] == [
        [65140.4, 0.622237],
        [65140.0, 0.014],
        [65139.7, 0.001808],
    ]
    assert rep[("perp", "BTCUSDT")]["top_asks"][:3] == [
        [65114.3, 9.06],
        [65115.2, 0.002],
        [65115.4, 0.002],
    ]
    assert sum(m["deltas"] for m in rep.values()) == 2142
    assert sum(m["trades_buy"] + m["trades_sell"] for m in rep.values()) == 347


def test_capture_v5_linear_and_spot_books() -> None:
    books = _replay(capture_path("cryptofeed-v3/BYBIT.jsonl.zst"))
    markets = set(books.trackers) | set(books.trades)
    rep = {(m.kind.value, m.native): _market_report(books, m) for m in markets}
    _check_capture_report(rep)
    c = books.counters
    assert (c.frames, c.parse_errors, c.venue_errors, c.connection_gaps) == (3227, 0, 0, 0)


def test_capture_trade_side_is_the_taker_against_the_book() -> None:
    seen = {"sell_at_or_below_bid": 0, "buy_at_or_above_ask": 0, "other": 0}

    def on_trade(tr: Trade) -> None:
        book = books.trackers[tr.market].book
        if tr.side is Side.SELL and tr.price <= (book.best_bid() or 0.0):
            seen["sell_at_or_below_bid"] += 1
        elif tr.side is Side.BUY and tr.price >= (book.best_ask() or float("inf")):
            seen["buy_at_or_above_ask"] += 1
        else:
            seen["other"] += 1

    books = VenueBooks(Venue.BYBIT, BybitAdapter, on_trade=on_trade)
    _replay(capture_path("cryptofeed-v3/BYBIT.jsonl.zst"), books)
    assert seen == {"sell_at_or_below_bid": 227, "buy_at_or_above_ask": 120, "other": 0}


def test_capture_through_replay_detects_bybit() -> None:
    """The same figures through ``provider.replay`` (venue detected from content)."""
    path = capture_path("cryptofeed-v3/BYBIT.jsonl.zst")
    for v in Venue:  # replay imports every adapter; others are written in parallel
        try:
            importlib.import_module(f"provider.exchanges.{v.value}")
        except ModuleNotFoundError:
            pytest.skip(f"adapter module for {v} not present yet")
    from tests.helpers import replay_markets

    rep = replay_markets(path)
    _check_capture_report({(k[2], k[1]): m for k, m in rep.items() if k[0] == "bybit"})
    assert all(k[0] == "bybit" for k in rep)
