"""Huobi / HTX: gzip frames, mbp seqNum chain bridged to the ``req`` snapshot, the capture."""

from __future__ import annotations

import zlib

import pytest

from provider.capture import RecordKind, read_capture
from provider.errors import ParseError, SequenceGap, StaleSnapshot
from provider.exchanges.huobi import HuobiAdapter, HuobiGuard
from provider.models import (
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Ignored,
    Kind,
    Reply,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.replay import _market_report
from provider.sync import SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_huobi as S
from tests.helpers import book_levels, connection, feed_all, replay_markets

gz = S.gz
F = S.FRAMES
CAPTURE = "cryptofeed/HUOBI.ws.44.0"


def _conn_with(frames: list[bytes]):
    conn = connection(Venue.HUOBI)
    replies = feed_all(conn, frames)
    return conn, conn.adapter.market("btcusdt"), replies


def _tracker(conn, native: str = "btcusdt"):
    return conn.books.trackers[conn.adapter.market(native)]


def _rep(seq: int, bids: str = "[[600.5,3.25]]", asks: str = "[[645.14,1.0]]") -> bytes:
    return gz(
        f'{{"id":"btcusdt.req","rep":"market.btcusdt.mbp.150","status":"ok",'
        f'"data":{{"seqNum":{seq},"bids":{bids},"asks":{asks}}}}}'
    )


# ------------------------------------------------------------------------------ adapter


def test_mbp_increment_keeps_wire_levels_and_both_seq_ids() -> None:
    (ev,) = HuobiAdapter().parse(F[4])
    assert isinstance(ev, BookDelta)
    assert ev.market.symbol == "BTC/USDT" and ev.market.native == "btcusdt"
    assert ev.market.kind is Kind.SPOT
    assert (ev.first_seq, ev.last_seq, ev.prev_seq) == (100020142011, 100020142011, 100020142010)
    assert ev.bids == [[618.37, 0], [600.5, 3.25]]
    assert ev.asks == [[650.59, 10.5]]
    assert ev.exchange_ts == 1573199608.679


def test_mbp_increment_with_an_empty_or_absent_side() -> None:
    a = HuobiAdapter()
    (empty,) = a.parse(F[6])
    (absent,) = a.parse(F[7])
    assert isinstance(empty, BookDelta) and isinstance(absent, BookDelta)
    assert empty.bids == [] and empty.asks == [[645.14, 26.755973959140651643]]
    assert len(absent.bids) == 0 and absent.asks == [[651.23, 0], [650.63, 90.0]]
    assert absent.prev_seq == 100020142012


def test_req_answer_is_the_snapshot() -> None:
    (snap,) = HuobiAdapter().parse(F[5])
    assert isinstance(snap, BookSnapshot)
    assert snap.seq == S.SNAP_SEQ and snap.market.native == "btcusdt"
    assert snap.bids[0] == [618.37, 71.594] and snap.asks[-1] == [651.42, 34.465]
    assert (len(snap.bids), len(snap.asks), snap.exchange_ts) == (5, 5, 1573199608.7)


def test_depth_step0_is_a_full_book_with_exponent_numbers() -> None:
    (snap,) = HuobiAdapter().parse(F[14])
    assert isinstance(snap, BookSnapshot)
    assert snap.market.symbol == "TRIO/ETH"
    assert snap.seq == 100182534557 and snap.exchange_ts == 1618678069.867
    assert snap.bids == [[9.121e-07, 92730.24], [9.12e-07, 66053.68]]
    assert snap.asks[0] == [9.28e-07, 4342.25]


def test_mbp_refresh_is_a_snapshot() -> None:
    frame = gz(
        '{"ch":"market.btcusdt.mbp.refresh.20","ts":1573199608679,"tick":{"seqNum":7,'
        '"bids":[[618.37,71.594]],"asks":[[650.59,14.9]]}}'
    )
    (snap,) = HuobiAdapter().parse(frame)
    assert isinstance(snap, BookSnapshot) and snap.seq == 7


def test_trades_are_taker_side_with_trade_id() -> None:
    a = HuobiAdapter()
    (buy,) = a.parse(F[9])
    sell, legacy = a.parse(F[10])
    assert isinstance(buy, Trade) and isinstance(sell, Trade) and isinstance(legacy, Trade)
    assert (buy.side, buy.price, buy.size, buy.trade_id) == (Side.BUY, 645.14, 0.5, "102052565829")
    assert buy.exchange_ts == 1573199609.005 and buy.market.symbol == "BTC/USDT"
    assert (sell.side, sell.price, sell.size, sell.trade_id) == (
        Side.SELL,
        600.5,
        0.25,
        "102052565830",
    )
    # no tradeId: the deprecated id stands in
    assert (legacy.side, legacy.size, legacy.trade_id) == (Side.SELL, 0.0015, "1025235734872")


def test_ping_is_answered_with_the_same_number() -> None:
    evs = HuobiAdapter().parse(F[11])
    assert evs == [Reply(Venue.HUOBI, '{"pong":1573199610000}'), Heartbeat(Venue.HUOBI)]
    conn, _, replies = _conn_with([F[11]])
    assert replies == ['{"pong":1573199610000}'] and conn.books.counters.heartbeats == 1


def test_control_and_unused_messages() -> None:
    a = HuobiAdapter()
    assert a.parse(F[0]) == [Status(Venue.HUOBI, "subscribed", "market.btcusdt.mbp.150")]
    assert a.parse(F[12]) == [Ignored(Venue.HUOBI, "bbo")]
    (err,) = a.parse(F[13])
    assert isinstance(err, Status) and not err.ok
    assert err.detail.startswith("bad-request: invalid topic market.nosuchusdt.mbp.150")
    unsub = '{"id":"x","status":"ok","unsubbed":"market.btcusdt.trade.detail","ts":1}'
    assert a.parse(gz(unsub)) == [
        Status(Venue.HUOBI, "unsubscribed", "market.btcusdt.trade.detail")
    ]
    rep_err = (
        '{"id":"btcusdt.req","rep":"market.btcusdt.mbp.150","status":"error",'
        '"err-code":"too-many-requests","err-msg":"req too fast"}'
    )
    (e2,) = a.parse(gz(rep_err))
    assert isinstance(e2, Status) and not e2.ok and e2.detail.startswith("too-many-requests")
    kline = '{"ch":"market.btcusdt.kline.1min","ts":1,"tick":{"id":1,"open":1.0}}'
    assert a.parse(gz(kline)) == [Ignored(Venue.HUOBI, "kline.1min")]


def test_plain_json_is_accepted_as_well_as_gzip() -> None:
    a = HuobiAdapter()
    assert a.parse(S.TEXT[4]) == a.parse(F[4]) == a.parse(S.TEXT[4].encode())


def _corrupt(frame: bytes) -> bytes:
    b = bytearray(frame)
    b[len(b) // 2] ^= 0xFF  # inside the deflate stream (or its CRC)
    return bytes(b)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        F[4][:20],  # truncated gzip
        _corrupt(F[4]),
        F[4][:-4] + b"\0\0\0\0",  # wrong length in the gzip trailer
        gz("not json"),
        gz("[]"),
        gz('{"hello":1}'),
        gz('{"ch":5}'),
        gz('{"ch":"candles.btcusdt"}'),
        gz('{"ch":"market.xyz.depth.step0","tick":{"bids":[],"asks":[]}}'),  # no quote
        gz('{"ch":"market.btcusdt.trade.detail","tick":{}}'),
        gz(
            '{"ch":"market.btcusdt.trade.detail","tick":{"data":[{"price":-1,"amount":1,'
            '"direction":"buy","tradeId":1}]}}'
        ),
        gz(
            '{"ch":"market.btcusdt.trade.detail","tick":{"data":[{"price":1,"amount":1,'
            '"direction":"up","tradeId":1}]}}'
        ),
        gz(
            '{"ch":"market.btcusdt.trade.detail","tick":{"data":[{"price":1,"amount":1,'
            '"direction":"buy"}]}}'
        ),
        gz('{"ping":"soon"}'),
        gz('{"rep":7,"status":"ok"}'),
        gz('{"status":"maybe"}'),
    ],
)
def test_malformed_frames_raise_parse_error(frame: bytes) -> None:
    with pytest.raises(ParseError):
        HuobiAdapter().parse(frame)


@pytest.mark.parametrize(
    "text",
    [
        S.mbp(1, 0).replace('"seqNum":1', '"seqNum":"1"'),
        S.mbp(1, 0).replace('"prevSeqNum":0', '"prevSeqNum":null'),
        S.mbp(1, 0).replace('"bids":[]', '"bids":{}'),
        '{"ch":"market.btcusdt.mbp.150","ts":1}',
        '{"ch":"market.btcusdt.depth.step0","tick":{"bids":[],"asks":null}}',
        '{"ch":"market.btcusdt.depth.step0","tick":{"bids":[],"asks":[],"version":"x"}}',
        '{"id":1,"rep":"market.btcusdt.mbp.150","status":"ok","data":{"bids":[],"asks":[]}}',
        '{"id":1,"rep":"market.btcusdt.mbp.150","status":"ok"}',
    ],
)
def test_malformed_book_message_names_its_market(text: str) -> None:
    with pytest.raises(ParseError) as info:
        HuobiAdapter().parse(gz(text))
    assert info.value.market is not None and info.value.market.native == "btcusdt"


def test_recognizes_only_huobi_gzip_frames() -> None:
    assert all(HuobiAdapter.recognizes(f) for f in F)
    assert not HuobiAdapter.recognizes(S.TEXT[4])  # Huobi never sends text
    assert not HuobiAdapter.recognizes(gz('{"stream":"btcusdt@trade","data":{}}'))
    assert not HuobiAdapter.recognizes(F[4][:3])
    assert not HuobiAdapter.recognizes(b"\x1f\x8b garbage")
    assert not HuobiAdapter.recognizes('{"e":"depthUpdate"}')


def test_symbols_and_requests() -> None:
    a = HuobiAdapter()
    m = a.market_for("BTC/USDT")
    assert m.native == "btcusdt" and m.symbol == "BTC/USDT"
    assert a.market("fil3susdt").symbol == "FIL3S/USDT"
    assert a.market("yfihusd").symbol == "YFI/HUSD"
    assert a.market("trioeth").symbol == "TRIO/ETH"
    assert a.subscribe_messages([m]) == [
        '{"sub":"market.btcusdt.mbp.150","id":"btcusdt.mbp"}',
        '{"sub":"market.btcusdt.trade.detail","id":"btcusdt.trade"}',
        '{"req":"market.btcusdt.mbp.150","id":"btcusdt.req"}',
    ]
    assert a.resubscribe_messages(m) == ['{"req":"market.btcusdt.mbp.150","id":"btcusdt.req"}']
    assert a.connect_url([m]) == "wss://api.huobi.pro/feed"
    assert a.connect_url([m], "ws://127.0.0.1:8765/") == "ws://127.0.0.1:8765/feed"
    assert (HuobiAdapter.resync, HuobiAdapter.ping_text) == ("resubscribe", None)
    assert 1.0 / HuobiAdapter.max_messages_per_s >= 0.1  # req: >= 100 ms apart


# ------------------------------------------------------------------------------ guard


def _delta(seq: int, prev: int) -> BookDelta:
    m = HuobiAdapter().market("btcusdt")
    return BookDelta(m, [], [], seq, seq, prev)


def test_guard_chain_rules() -> None:
    g = HuobiGuard()
    g.on_snapshot(BookSnapshot(HuobiAdapter().market("btcusdt"), [], [], 10))
    assert g.check(_delta(9, 8)) is False and g.check(_delta(10, 9)) is False
    with pytest.raises(StaleSnapshot):
        g.check(_delta(12, 11))  # the first kept increment must start at the snapshot
    assert g.check(_delta(11, 10)) is True
    assert g.check(_delta(11, 10)) is False  # a repeat is stale, not a gap
    with pytest.raises(SequenceGap) as info:
        g.check(_delta(13, 12))
    assert not isinstance(info.value, StaleSnapshot)


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_book() -> None:
    conn, m, replies = _conn_with(F)
    t = conn.books.trackers[m]
    assert t.state is SyncState.IN_SYNC
    assert book_levels(conn, m) == S.BOOK
    c = t.counters
    assert (c.buffered, c.stale, c.deltas, c.snapshots, c.gaps) == (3, 2, 4, 1, 0)
    assert replies == ['{"pong":1573199610000}']
    assert book_levels(conn, conn.adapter.market("trioeth")) == S.DEPTH_BOOK
    assert _tracker(conn, "trioeth").counters.snapshots == 2
    tc = conn.books.trades[m]
    assert (tc.buys, tc.sells, tc.buy_volume) == (1, 2, 0.5)
    assert tc.sell_volume == pytest.approx(0.2515)
    assert conn.books.counters.venue_errors == 1 and conn.books.counters.parse_errors == 0


def test_increments_wait_for_the_req_answer_then_bridge() -> None:
    conn, m, _ = _conn_with(F[:5])
    t = conn.books.trackers[m]
    assert t.state is SyncState.WAITING and t.counters.buffered == 3 and len(t.book) == 0
    feed_all(conn, [F[5]], start=1.0)
    assert t.state is SyncState.IN_SYNC
    assert (t.counters.stale, t.counters.deltas) == (2, 1)
    assert t.book.best_bid() == 600.5 and t.book.asks[650.59] == 10.5
    assert 618.37 not in t.book.bids  # deleted by the bridging increment


def test_stale_snapshot_is_refused_and_a_fresh_req_recovers() -> None:
    # increments 2012.. buffered; the answer says 2010: nothing bridges 2010 -> 2012
    conn, m, _ = _conn_with([F[6], F[7]])
    t = conn.books.trackers[m]
    feed_all(conn, [F[5]], start=1.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.stale_snapshots == 1
    assert len(t.book) == 0
    # the feed sends resubscribe_messages(m) (a new req); increments keep coming meanwhile
    feed_all(conn, [F[8], _rep(100020142013)], start=2.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert (t.counters.stale, t.counters.deltas) == (0, 1)  # 2014 bridges 2013
    assert t.recoveries[-1] == pytest.approx(2.001 - 1.0)
    assert book_levels(conn, m) == {"bids": [(600.5, 3.25)], "asks": [(645.14, 1.0)]}


def test_snapshot_inside_an_increment_is_stale() -> None:
    # one increment 2009 -> 2012 (e.g. levels merged): the snapshot at 2010 is inside it
    conn, _, _ = _conn_with([gz(S.mbp(100020142012, 100020142009)), F[5]])
    assert _tracker(conn).counters.stale_snapshots == 1


def test_dropped_increment_is_a_gap_and_a_new_req_recovers() -> None:
    conn, m, _ = _conn_with([*F[:6], F[7]])  # 2012 lost
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 1
    assert t.book.bids == {} and t.book.asks == {}  # never shown while out of sync
    feed_all(conn, [F[8], _rep(100020142014), gz(S.mbp(100020142015, 100020142014))], 5.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert (t.counters.stale, t.counters.deltas) == (3, 2)  # 2014 is in the new snapshot


def test_reordered_increments_are_a_gap() -> None:
    conn, m, _ = _conn_with([*F[:6], F[7], F[6]])
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 1


def test_malformed_increment_puts_the_book_out_of_sync() -> None:
    bad = gz(S.TEXT[6].replace('"prevSeqNum":100020142011', '"prevSeqNum":"x"'))
    conn, m, _ = _conn_with([*F[:6], bad])
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and conn.books.parse_errors_by_market[m] == 1


def test_bad_level_puts_the_book_out_of_sync() -> None:
    bad = gz(S.TEXT[6].replace("[645.140000000000000000,", '["x",'))
    conn, m, _ = _conn_with([*F[:6], bad])
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.bad_levels == 1


def test_corrupt_gzip_is_counted_and_harmless() -> None:
    conn, _, _ = _conn_with([*F[:6], _corrupt(F[9]), F[6]])
    assert conn.books.counters.parse_errors == 1
    assert _tracker(conn).state is SyncState.IN_SYNC


# ------------------------------------------------------------------------------ capture

#: HUOBI.ws.44.0 after its last frame: best bid, best ask, bid/ask levels, depth pushes,
#: taker buys/sells (values checked against the raw file with an independent Decimal script)
CAPTURE_BOOKS = {
    "borusdt": ([710.01, 2.260165], [716.15, 0.118518], 141, 150, 27, 0, 1),
    "dogeeth": ([0.00011502, 457.97], [0.00011537, 3786.31], 150, 150, 30, 1, 2),
    "fil3susdt": ([0.00013256, 801691.7856], [0.00013286, 9125434.228493564], 150, 150, 31, 34, 22),
    "nesteth": ([2.272e-05, 930.82], [2.288e-05, 441.82], 27, 92, 29, 0, 1),
    "omgbtc": ([0.000158, 2064.3774], [0.000159, 4049.005510062893], 69, 150, 31, 0, 1),
    "propyeth": ([0.00033547, 57.71], [0.00034108, 183.25], 37, 150, 25, 2, 0),
    "trioeth": ([9.121e-07, 202452.64], [9.2e-07, 13463.35], 26, 150, 26, 1, 0),
    "xvgeth": ([2.742e-05, 771.27], [2.772e-05, 1618.41], 60, 150, 31, 2, 0),
    "yfihusd": ([49988.88, 0.028864], [50171.26, 0.001056], 34, 20, 31, 3, 0),
    "zeneth": ([0.051602, 4.9655], [0.051873, 2.9925], 61, 90, 31, 0, 3),
}


def _check_capture_report(rep: dict) -> None:
    assert len(rep) == 10
    assert sum(m["snapshots"] for m in rep.values()) == 292
    for native, (bid, ask, nb, na, snaps, buys, sells) in CAPTURE_BOOKS.items():
        m = rep[native]
        got = (m["best_bid"], m["best_ask"], m["bid_levels"], m["ask_levels"], m["snapshots"])
        assert got == (bid, ask, nb, na, snaps), native
        assert (m["trades_buy"], m["trades_sell"]) == (buys, sells), native
        assert (m["state"], m["deltas"], m["gaps"], m["crossed"]) == ("in sync", 0, 0, 0), native
        assert (m["resyncs"], m["parse_errors"]) == (0, 0), native
    fil = rep["fil3susdt"]
    assert fil["top_asks"][:3] == [
        [0.00013286, 9125434.228493564],
        [0.00013303, 436947.11845272494],
        [0.00013305, 3721523.6443],
    ]
    assert fil["top_bids"][:3] == [
        [0.00013256, 801691.7856],
        [0.00013255, 12693696.4043],
        [0.00013243, 2139245.1493],
    ]
    assert rep["yfihusd"]["market"] == "YFI/HUSD" and rep["fil3susdt"]["market"] == "FIL3S/USDT"


def test_capture_through_the_session_answers_every_ping() -> None:
    path = capture_path(CAPTURE)
    conn = connection(Venue.HUOBI, "wss://api.huobi.pro/ws")
    replies: list[str] = []
    sent: list[str] = []
    for rec in read_capture(path):
        if rec.kind is RecordKind.RECV:
            assert isinstance(rec.data, bytes) and HuobiAdapter.recognizes(rec.data)
            replies += conn.feed(rec.data, rec.ts)
        elif rec.kind is RecordKind.SEND and "pong" in rec.data:
            sent.append(str(rec.data))
    # each of the 6 pings got the pong the recorder sent, in order
    assert replies == sent and len(sent) == 6
    assert replies[0] == '{"pong":1618678073643}'
    vb = conn.books
    assert (vb.counters.frames, vb.counters.heartbeats, vb.counters.parse_errors) == (362, 6, 0)
    assert vb.counters.venue_errors == 0
    markets = set(vb.trackers) | set(vb.trades)
    _check_capture_report({m.native: _market_report(vb, m) for m in markets})
    for t in vb.trackers.values():
        assert not t.book.is_crossed()


def test_capture_replay_report() -> None:
    rep = replay_markets(capture_path(CAPTURE))
    _check_capture_report({sym: m for (venue, sym, kind), m in rep.items() if venue == "huobi"})


def test_capture_frames_are_gzip() -> None:
    path = capture_path(CAPTURE)
    frames = [r.data for r in read_capture(path) if r.kind is RecordKind.RECV]
    assert len(frames) == 362
    # the adapter's reading equals zlib's (a guard against a lenient parse of the bytes)
    first = zlib.decompress(frames[0], 16 + zlib.MAX_WBITS)
    assert first.startswith(b'{"id":1,"status":"ok","subbed":"market.trioeth.depth.step0"')
