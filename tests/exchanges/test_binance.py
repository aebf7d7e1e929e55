"""Binance: adapter, U/u bridging guard, and the real captures."""

from __future__ import annotations

import pytest

from provider.errors import ParseError
from provider.exchanges.binance import BinanceAdapter
from provider.models import BookDelta, BookSnapshot, Ignored, Side, Status, Trade, Venue
from provider.sync import SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_binance as S
from tests.helpers import book_levels, connection, feed_all, replay_markets


def _synced():
    conn = connection(Venue.BINANCE)
    m = conn.adapter.market("BNBBTC")
    conn.feed_rest(S.SNAPSHOT, m, 0.0)
    return conn, m


# ------------------------------------------------------------------------------ adapter


def test_parse_depth_update_keeps_wire_levels() -> None:
    (ev,) = BinanceAdapter().parse(S.FRAMES[1])
    assert isinstance(ev, BookDelta)
    assert ev.market.symbol == "BNB/BTC" and ev.market.native == "BNBBTC"
    assert (ev.first_seq, ev.last_seq, ev.prev_seq) == (1027023, 1027026, None)
    assert ev.bids == [["3.99000000", "0.00000000"], ["3.98000000", "7.50000000"]]
    assert ev.asks == [["4.00000200", "10.00000000"]]
    assert ev.exchange_ts == 1672515782.236


def test_trade_side_is_the_taker() -> None:
    a = BinanceAdapter()
    (buy,) = a.parse(S.FRAMES[2])
    (sell,) = a.parse(S.FRAMES[3])
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.side, buy.price, buy.size, buy.trade_id) == (Side.BUY, 4.000002, 2.0, "12345")
    assert (sell.side, sell.price, sell.size) == (Side.SELL, 4.0, 0.5)  # m=true: maker bought


def test_control_and_unused_messages() -> None:
    a = BinanceAdapter()
    assert a.parse(S.FRAMES[5]) == [Status(Venue.BINANCE, "subscribed", "None")]
    assert a.parse(S.FRAMES[6]) == [Ignored(Venue.BINANCE, "bookTicker")]
    (err,) = a.parse('{"error":{"code":2,"msg":"Invalid request"},"id":3}')
    assert isinstance(err, Status) and not err.ok


def test_rest_snapshot_and_request() -> None:
    a = BinanceAdapter()
    m = a.market_for("BNB/BTC")
    (snap,) = a.parse_rest(S.SNAPSHOT, m)
    assert isinstance(snap, BookSnapshot) and snap.seq == 1027024
    req = a.snapshot_request(m, base="http://127.0.0.1:9")
    assert req.url == "http://127.0.0.1:9/api/v3/depth?symbol=BNBBTC&limit=1000"
    assert a.rest_market(req.url) == m


def test_subscribe_is_one_message() -> None:
    a = BinanceAdapter()
    msgs = a.subscribe_messages([a.market_for("BTC/USDT"), a.market_for("ETH/USDT")])
    assert msgs == [
        '{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@trade",'
        '"ethusdt@depth@100ms","ethusdt@trade"],"id":1}'
    ]


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "[]",
        "{",
        '{"stream":"x","data":5}',
        '{"e":"depthUpdate","s":"BNBBTC","U":"1","u":2,"b":[],"a":[]}',
        '{"e":"depthUpdate","s":"BNBBTC","U":1,"u":2,"b":{},"a":[]}',
        '{"e":"trade","s":"BNBBTC","t":1,"p":"-1","q":"1","m":true}',
        '{"e":"trade","s":"BNBBTC","t":1,"p":"1","q":"1","m":"yes"}',
        '{"hello":1}',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError):
        BinanceAdapter().parse(frame)


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_book() -> None:
    conn, m = _synced()
    feed_all(conn, S.FRAMES)
    t = conn.books.trackers[m]
    assert t.state is SyncState.IN_SYNC
    assert book_levels(conn, m) == S.BOOK
    assert (t.counters.stale, t.counters.deltas, t.counters.gaps) == (1, 2, 0)


def test_deltas_before_the_snapshot_are_buffered_and_bridged() -> None:
    conn = connection(Venue.BINANCE)
    m = conn.adapter.market("BNBBTC")
    feed_all(conn, S.FRAMES[:2])  # arrive before the REST answer
    assert conn.books.trackers[m].state is SyncState.WAITING
    conn.feed_rest(S.SNAPSHOT, m, 1.0)
    feed_all(conn, S.FRAMES[2:], start=2.0)
    assert book_levels(conn, m) == S.BOOK


def test_dropped_frame_is_a_gap_and_a_new_snapshot_recovers() -> None:
    conn, m = _synced()
    feed_all(conn, [S.FRAMES[1], S.FRAMES[4].replace('"U":1027027', '"U":1027028')])
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 1
    assert t.book.bids == {} and t.book.asks == {}  # never shown while out of sync
    resnap = S.SNAPSHOT.replace("1027024", "1027027")
    conn.feed_rest(resnap, m, 5.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert t.recoveries[-1] == pytest.approx(5.0 - 0.001)


def test_stale_snapshot_is_refused() -> None:
    conn = connection(Venue.BINANCE)
    m = conn.adapter.market("BNBBTC")
    feed_all(conn, [S.FRAMES[4]])  # U=1027027 buffered; snapshot ends at 1027024
    conn.feed_rest(S.SNAPSHOT, m, 1.0)
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.stale_snapshots == 1


def test_reordered_frames_are_a_gap() -> None:
    conn, m = _synced()
    feed_all(conn, [S.FRAMES[4], S.FRAMES[1]])
    assert conn.books.trackers[m].counters.stale_snapshots == 1


def test_malformed_level_puts_the_book_out_of_sync() -> None:
    conn, m = _synced()
    bad = S.FRAMES[1].replace('"7.50000000"', '"seven"')
    conn.feed(bad, 1.0)
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.bad_levels == 1


def test_futures_pu_chain() -> None:
    conn = connection(Venue.BINANCE, "wss://fstream.binance.com/stream")
    m = conn.adapter.market("BTCUSDT")
    conn.feed_rest('{"lastUpdateId":100,"E":1,"T":1,"bids":[["10","1"]],"asks":[["11","1"]]}', m, 0)
    ev = '{"e":"depthUpdate","E":2,"T":2,"s":"BTCUSDT","U":%d,"u":%d,"pu":%d,"b":[],"a":[]}'
    feed_all(conn, [ev % (95, 100, 94), ev % (101, 105, 100), ev % (106, 108, 104)])
    t = conn.books.trackers[m]
    assert m.symbol == "BTC/USDT:USDT"
    assert (t.counters.deltas, t.counters.gaps) == (2, 1)


# ------------------------------------------------------------------------------ captures


def test_hftbacktest_btcusdt_bridges_with_no_gap() -> None:
    rep = replay_markets(capture_path("hftbacktest/spot/btcusdt_20240808.gz"))
    m = rep[("binance", "BTCUSDT", "spot")]
    assert (m["snapshots"], m["deltas"], m["stale_deltas"]) == (1, 3449, 2)
    assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0)
    assert m["best_bid"] == [61685.99, 1.0087] and m["best_ask"] == [61686.0, 2.29327]
    assert (m["bid_levels"], m["ask_levels"]) == (1209, 2196)
    assert (m["trades_buy"], m["trades_sell"]) == (4103, 5654)
    assert m["top_asks"][:3] == [[61686.0, 2.29327], [61686.01, 9e-05], [61686.02, 0.45446]]


def test_cryptofeed_binance_rest_and_ws_files_are_one_session() -> None:
    rep = replay_markets(
        capture_path("cryptofeed/BINANCE.http.0.0"), capture_path("cryptofeed/BINANCE.ws.1.0")
    )
    want = {
        "NKNUSDT": ([0.3527, 9602.0], [0.3531, 152.0], 149),
        "BLZETH": ([6.547e-05, 100.0], [6.56e-05, 1528.0], 9),
        "LRCBTC": ([6.37e-06, 2500.0], [6.38e-06, 2285.0], 13),
        "RUNEEUR": ([6.251, 69.3], [6.269, 69.3], 1),
    }
    for sym, (bid, ask, deltas) in want.items():
        m = rep[("binance", sym, "spot")]
        assert (m["best_bid"], m["best_ask"], m["deltas"]) == (bid, ask, deltas), sym
        assert (m["gaps"], m["stale_snapshots"], m["crossed"]) == (0, 0, 0), sym


def test_cryptofeed_binance_futures_pu_chain_holds() -> None:
    rep = replay_markets(
        capture_path("cryptofeed/BINANCE_FUTURES.http.0.0"),
        capture_path("cryptofeed/BINANCE_FUTURES.ws.1.0"),
    )
    m = rep[("binance", "SUSHIUSDT", "perp")]
    assert m["best_bid"] == [7.612, 303.0] and m["best_ask"] == [7.616, 267.0]
    assert all(v["gaps"] == 0 and v["state"] == "in sync" for v in rep.values())
    assert len(rep) == 4
