"""OKX v5: adapter, seqId chain + checksum guard, and the real capture."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provider.capture import Record, RecordingWriter, RecordKind
from provider.errors import ParseError
from provider.exchanges import detect
from provider.exchanges.okx import OkxAdapter, OkxGuard, checksum_text, signed_crc32
from provider.models import (
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Ignored,
    Kind,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.sync import SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_okx as S
from tests.helpers import book_levels, connection, feed_all, replay_markets


def _book_frame(action: str, data: dict, inst: str = "BTC-USDT") -> str:
    return json.dumps(
        {"arg": {"channel": "books", "instId": inst}, "action": action, "data": [data]},
        separators=(",", ":"),
    )


def _reference_checksum(bids: dict[str, str], asks: dict[str, str]) -> int:
    """The docs' algorithm, written independently: Decimal order, then interleave."""
    bb = sorted(bids.items(), key=lambda kv: Decimal(kv[0]), reverse=True)[:25]
    aa = sorted(asks.items(), key=lambda kv: Decimal(kv[0]))[:25]
    parts: list[str] = []
    for i in range(25):
        if i < len(bb):
            parts += bb[i]
        if i < len(aa):
            parts += aa[i]
    c = zlib.crc32(":".join(parts).encode())
    return c - 2**32 if c >= 2**31 else c


def _synced():
    conn = connection(Venue.OKX)
    feed_all(conn, [S.SUB_BOOKS, S.SNAPSHOT])
    m = conn.adapter.market("BTC-USDT")
    return conn, m


# ------------------------------------------------------------------------------ adapter


def test_parse_snapshot_keeps_wire_levels() -> None:
    (ev,) = OkxAdapter().parse(S.SNAPSHOT)
    assert isinstance(ev, BookSnapshot)
    assert (ev.market.symbol, ev.market.native, ev.market.kind) == ("BTC/USDT", "BTC-USDT", "spot")
    assert (ev.seq, ev.checksum, ev.exchange_ts, ev.depth) == (10, 123120033, 1597026383.085, None)
    assert ev.bids == [
        ["8476.97", "256", "0", "12"],
        ["8475.55", "101", "0", "1"],
        ["8475.3", "1", "0", "1"],
    ]
    assert ev.asks[0] == ["8476.98", "415", "0", "13"] and len(ev.asks) == 4


def test_parse_update_carries_the_sequence_ids() -> None:
    (ev,) = OkxAdapter().parse(S.UPDATE_15)
    assert isinstance(ev, BookDelta)
    assert (ev.first_seq, ev.last_seq, ev.prev_seq) == (None, 15, 10)
    assert (ev.checksum, ev.exchange_ts) == (-278600418, 1597026383.185)
    assert ev.asks == [["8476.98", "0", "0", "0"], ["8477.1", "3", "0", "1"]]
    assert ev.bids == [["8476.97", "250", "0", "11"], ["8476.5", "2", "0", "1"]]
    (keep,) = OkxAdapter().parse(S.KEEPALIVE_15)
    assert isinstance(keep, BookDelta)
    assert (keep.last_seq, keep.prev_seq, keep.bids, keep.asks) == (15, 15, [], [])


def test_trade_side_is_the_taker_as_sent() -> None:
    a = OkxAdapter()
    (buy,) = a.parse(S.TRADE_BUY)
    (sell,) = a.parse(S.TRADE_SELL)
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.side, buy.price, buy.size, buy.trade_id, buy.exchange_ts) == (
        Side.BUY,
        8476.98,
        0.12060306,
        "130639474",
        1597026383.09,
    )
    assert (sell.side, sell.price, sell.size, sell.trade_id) == (
        Side.SELL,
        8476.97,
        0.5,
        "130639475",
    )
    assert buy.market is sell.market and buy.market.symbol == "BTC/USDT"


def test_several_trades_in_one_push() -> None:
    frame = (
        '{"arg":{"channel":"trades","instId":"UNI-USD-SWAP"},"data":['
        '{"instId":"UNI-USD-SWAP","tradeId":"1","px":"5.123","sz":"100","side":"sell","ts":"1"},'
        '{"instId":"UNI-USD-SWAP","tradeId":"2","px":"5.124","sz":"3","side":"buy","ts":"2"}]}'
    )
    t1, t2 = OkxAdapter().parse(frame)
    assert isinstance(t1, Trade) and isinstance(t2, Trade)
    assert [(t.side, t.price, t.size) for t in (t1, t2)] == [
        (Side.SELL, 5.123, 100.0),
        (Side.BUY, 5.124, 3.0),
    ]
    assert t1.market.symbol == "UNI/USD:UNI" and t1.market.kind is Kind.PERP


def test_control_and_unused_messages() -> None:
    a = OkxAdapter()
    m = a.market("BTC-USDT")
    assert a.parse(S.SUB_BOOKS) == [Status(Venue.OKX, "subscribed", "books:BTC-USDT", True, m)]
    assert a.parse(S.SUB_TRADES) == [Status(Venue.OKX, "subscribed", "trades:BTC-USDT", True, m)]
    assert a.parse('{"event":"unsubscribe","arg":{"channel":"books","instId":"BTC-USDT"}}') == [
        Status(Venue.OKX, "unsubscribed", "books:BTC-USDT", True, m)
    ]
    assert a.parse(S.PONG) == [Heartbeat(Venue.OKX)]
    assert a.parse(b"pong") == [Heartbeat(Venue.OKX)]
    (notice,) = a.parse(S.NOTICE)
    assert isinstance(notice, Status) and (notice.kind, notice.ok) == ("reconnect", True)
    assert notice.detail.startswith("64008: The connection will soon be closed")
    (err,) = a.parse(S.ERROR)
    assert isinstance(err, Status) and (err.kind, err.ok) == ("error", False)
    assert err.detail.startswith("60012: Invalid request")
    assert a.parse(S.TICKER) == [Ignored(Venue.OKX, "tickers")]
    (count,) = a.parse(
        '{"event":"channel-conn-count","channel":"books","connCount":"2","connId":"a4d3ae55"}'
    )
    assert count == Status(Venue.OKX, "info", "books: 2 connections")


def test_error_reaches_the_venue_counters() -> None:
    conn = connection(Venue.OKX)
    feed_all(conn, [S.ERROR, S.PONG, S.NOTICE])
    c = conn.books.counters
    assert (c.venue_errors, c.heartbeats, c.parse_errors) == (1, 1, 0)
    assert c.last_error.startswith("error: 60012")


@pytest.mark.parametrize(
    ("native", "symbol", "kind", "base", "quote"),
    [
        ("BTC-USDT", "BTC/USDT", Kind.SPOT, "BTC", "USDT"),
        ("ETH-BTC", "ETH/BTC", Kind.SPOT, "ETH", "BTC"),
        ("BTC-USDT-SWAP", "BTC/USDT:USDT", Kind.PERP, "BTC", "USDT"),
        ("UNI-USD-SWAP", "UNI/USD:UNI", Kind.PERP, "UNI", "USD"),
        ("BTC-USD-220527", "BTC/USD:BTC-220527", Kind.FUTURE, "BTC", "USD"),
        ("ETH-USDT-250328", "ETH/USDT:USDT-250328", Kind.FUTURE, "ETH", "USDT"),
    ],
)
def test_instruments(native: str, symbol: str, kind: Kind, base: str, quote: str) -> None:
    a = OkxAdapter()
    m = a.market(native)
    assert (m.venue, m.native, m.symbol, m.kind, m.base, m.quote) == (
        Venue.OKX,
        native,
        symbol,
        kind,
        base,
        quote,
    )
    assert a.native_symbol(symbol) == native
    assert a.market_for(symbol) is m


@pytest.mark.parametrize("native", ["BTC", "BTC-USD-220527-30000-C", "BTC-USDT-XYZ", "-USDT", ""])
def test_unsupported_instruments_raise_parse_error(native: str) -> None:
    with pytest.raises(ParseError):
        OkxAdapter().market(native)


def test_native_symbol_refuses_malformed_symbols() -> None:
    with pytest.raises(ValueError):
        OkxAdapter().native_symbol("BTCUSDT")


def test_requests_and_connection_settings() -> None:
    a = OkxAdapter()
    btc, uni = a.market("BTC-USDT"), a.market("UNI-USD-SWAP")
    assert a.subscribe_messages([btc, uni]) == [
        '{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},'
        '{"channel":"trades","instId":"BTC-USDT"},{"channel":"books","instId":"UNI-USD-SWAP"},'
        '{"channel":"trades","instId":"UNI-USD-SWAP"}]}'
    ]
    assert a.resubscribe_messages(uni) == [
        '{"op":"unsubscribe","args":[{"channel":"books","instId":"UNI-USD-SWAP"}]}',
        '{"op":"subscribe","args":[{"channel":"books","instId":"UNI-USD-SWAP"}]}',
    ]
    assert a.connect_url([btc]) == "wss://ws.okx.com:8443/ws/v5/public"
    assert a.connect_url([btc], "ws://127.0.0.1:9") == "ws://127.0.0.1:9/ws/v5/public"
    assert (a.resync, a.ping_text, a.ping_interval_s) == ("resubscribe", "ping", 20.0)
    assert a.ping_interval_s < 30  # the server closes a connection silent for 30 s
    assert isinstance(a.guard(btc), OkxGuard) and a.guard(btc).ordered


def test_subscriptions_are_split_into_bounded_messages() -> None:
    a = OkxAdapter()
    markets = [a.market(f"C{i}-USDT") for i in range(120)]
    msgs = a.subscribe_messages(markets)
    args = [arg for msg in msgs for arg in json.loads(msg)["args"]]
    assert [len(json.loads(msg)["args"]) for msg in msgs] == [100, 100, 40]
    assert args[:2] == [
        {"channel": "books", "instId": "C0-USDT"},
        {"channel": "trades", "instId": "C0-USDT"},
    ]
    assert len(args) == 240 and max(len(msg) for msg in msgs) < 64 * 1024


def test_recognizes_okx_frames_only() -> None:
    for frame in [*S.FRAMES, S.ERROR]:
        if frame != S.PONG:
            assert OkxAdapter.recognizes(frame), frame[:60]
    assert OkxAdapter.recognizes(S.SNAPSHOT.encode())
    others = [
        "pong",  # too short to tell a venue by
        '{"stream":"btcusdt@depth@100ms","data":{}}',
        '{"event":"info","version":2,"serverId":"x","platform":{"status":1}}',
        '{"event":"error","msg":"symbol: invalid","code":10300}',  # Bitfinex
        '{"event":"subscribed","channel":"book","chanId":1,"symbol":"tBTCUSD"}',
        '{"event":"heartbeat"}',
        '{"errorMessage":"Currency pair not supported","event":"subscriptionStatus"}',
        '{"channel":"book","type":"snapshot","data":[]}',
        '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","data":{}}',
        '{"type":"snapshot","product_id":"BTC-USD","bids":[],"asks":[]}',
        '{"channel":"l2_data","client_id":"","timestamp":"x","sequence_num":0,"events":[]}',
    ]
    for frame in others:
        assert not OkxAdapter.recognizes(frame), frame


def test_detect_picks_okx_for_its_frames() -> None:
    for frame in [*S.FRAMES, S.ERROR]:
        if frame != S.PONG:
            assert detect(frame) is OkxAdapter, frame[:60]


def test_recorded_doc_frames_replay_to_the_expected_book(tmp_path: Path) -> None:
    # a recording of our own (format B) with the client's ping: venue found from content
    w = RecordingWriter(tmp_path)
    url = OkxAdapter.ws_url
    w.write(Record(0.0, RecordKind.CONNECT, "okx.ws.1", url, url))
    w.write(Record(0.1, RecordKind.SEND, "okx.ws.1", "ping", url))
    for i, frame in enumerate(S.FRAMES):
        w.write(Record(1.0 + i / 100, RecordKind.RECV, "okx.ws.1", frame))
    w.close()
    rep = replay_markets(*w.files)
    m = rep[("okx", "BTC-USDT", "spot")]
    assert [m["top_bids"], m["top_asks"]] == [
        [list(x) for x in S.BOOK["bids"]],
        [list(x) for x in S.BOOK["asks"]],
    ]
    assert (m["snapshots"], m["deltas"], m["checksums_ok"], m["gaps"]) == (1, 4, 5, 0)
    assert (m["trades_buy"], m["trades_sell"], m["state"]) == (1, 1, "in sync")


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "ping",
        "[]",
        "{",
        "{}",
        '{"arg":{"channel":5},"data":[]}',
        '{"arg":{"channel":["books"]},"data":[]}',
        '{"arg":"books","data":[]}',
        '{"arg":{"channel":"tickers","instId":"BTC-USDT"}}',
        '{"event":"login2"}',
        '{"event":"subscribe"}',
        '{"arg":{"channel":"books"},"action":"snapshot","data":[]}',
        '{"arg":{"channel":"books","instId":"BTC-USD-220527-30000-C"},"action":"update",'
        '"data":[{"asks":[],"bids":[]}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","px":"-1",'
        '"sz":"1","side":"buy","ts":"1"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","px":"1",'
        '"sz":"nan","side":"buy","ts":"1"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","px":"1",'
        '"sz":"1","side":"BUY","ts":"1"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":null,"px":"1",'
        '"sz":"1","side":"buy","ts":"1"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"tradeId":"1","px":"1",'
        '"sz":"1","side":"buy","ts":"yesterday"}]}',
        '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":["x"]}',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError) as info:
        OkxAdapter().parse(frame)
    assert info.value.market is None


@pytest.mark.parametrize(
    "frame",
    [
        S.UPDATE_15.replace('"action":"update"', '"action":"partial"'),
        S.UPDATE_15.replace('"bids":[', '"bidz":['),
        S.UPDATE_15.replace('"asks":[["8476.98","0","0","0"],["8477.1","3","0","1"]]', '"asks":{}'),
        S.UPDATE_15.replace('"checksum":-278600418', '"checksum":"-278600418"'),
        S.UPDATE_15.replace('"seqId":15', '"seqId":"15"'),
        S.UPDATE_15.replace(',"prevSeqId":10', ""),  # one of the two sequence ids
        S.UPDATE_15.replace('"ts":"1597026383185"', '"ts":"soon"'),
        S.SNAPSHOT.replace('"prevSeqId":-1', '"prevSeqId":7'),
        S.SNAPSHOT.replace('"data":[{', '"data":[5,{'),
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[]}',
    ],
)
def test_malformed_book_messages_name_their_market(frame: str) -> None:
    a = OkxAdapter()
    with pytest.raises(ParseError) as info:
        a.parse(frame)
    assert info.value.market == a.market("BTC-USDT")


def test_checksum_text_matches_the_docs_examples() -> None:
    for bids, asks, text in S.DOC_CHECKSUM_CASES:
        assert checksum_text(bids, asks) == text


def test_checksum_covers_the_best_25_levels_and_is_signed() -> None:
    bids = [[f"{100 - i}", f"{i + 1}", "0", "1"] for i in range(30)]
    asks = [[f"{101 + i}.5", "2", "0", "1"] for i in range(3)]
    text = checksum_text(bids, asks)
    assert text.startswith("100:1:101.5:2:99:2:102.5:2:98:3:103.5:2:97:4:96:5:")
    assert text.endswith(":76:25") and text.count(":") == 2 * (25 + 3) - 1
    crc = zlib.crc32(text.encode())
    assert signed_crc32(text) == (crc - 2**32 if crc >= 2**31 else crc)
    # CRC32 2413953002 (>= 2**31) is sent as a negative int; 831078360 as is
    assert signed_crc32("3366.1:7:3366.8:9:3366:6:3368:8") == 2413953002 - 2**32
    assert signed_crc32("3366.1:7:3366.8:9:3368:8:3372:8") == 831078360
    assert signed_crc32("") == 0


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_book() -> None:
    conn = connection(Venue.OKX)
    replies = feed_all(conn, S.FRAMES)
    m = conn.adapter.market("BTC-USDT")
    t = conn.books.trackers[m]
    c = t.counters
    assert replies == []
    assert t.state is SyncState.IN_SYNC
    assert book_levels(conn, m) == S.BOOK
    assert (c.snapshots, c.deltas, c.checksums_ok, c.checksums_failed, c.gaps) == (1, 4, 5, 0, 0)
    assert t.guard.last == 5  # the doc chain -1 -> 10 -> 15 -> 15 -> 3 (reset) -> 5
    tc = conn.books.trades[m]
    assert (tc.buys, tc.sells, tc.buy_volume, tc.sell_volume) == (1, 1, 0.12060306, 0.5)
    vc = conn.books.counters
    assert (vc.heartbeats, vc.venue_errors, vc.parse_errors) == (1, 0, 0)
    # the book keeps the wire items, which the checksum reads
    assert t.book.bid_side.top_raw(1) == [["8476.97", "250", "0", "11"]]


def _assert_lost_then_recovered(conn, m, counter: str) -> None:
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and getattr(t.counters, counter) == 1
    assert t.book.bids == {} and t.book.asks == {}  # never shown while out of sync
    # resync = unsubscribe + subscribe; the venue answers with a new snapshot
    fresh = S.SNAPSHOT.replace('"seqId":10', '"seqId":40')
    feed_all(conn, [fresh], start=5.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert t.book.best_bid() == 8476.97 and t.book.best_ask() == 8476.98
    feed_all(conn, [S.UPDATE_15.replace('"prevSeqId":10', '"prevSeqId":40')], start=6.0)
    assert t.state is SyncState.IN_SYNC and t.guard.last == 15


def test_dropped_update_is_a_gap_and_a_new_snapshot_recovers() -> None:
    conn, m = _synced()
    outs: list[str] = []
    conn.books.trackers[m].on_out_of_sync = lambda tracker, reason: outs.append(reason)
    feed_all(conn, [S.UPDATE_15, S.RESET_3.replace('"prevSeqId":15', '"prevSeqId":16')], 1.0)
    assert outs == ["gap"]
    assert "expected prevSeqId=15, got 16" in conn.books.trackers[m].last_reason
    _assert_lost_then_recovered(conn, m, "gaps")


def test_skipping_a_message_is_a_gap() -> None:
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15, S.UPDATE_5], 1.0)  # RESET_3 lost
    _assert_lost_then_recovered(conn, m, "gaps")


def test_reordered_updates_are_a_gap() -> None:
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15, S.KEEPALIVE_15, S.UPDATE_5, S.RESET_3], 1.0)
    _assert_lost_then_recovered(conn, m, "gaps")


def test_a_repeated_update_is_a_gap() -> None:
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15, S.UPDATE_15], 1.0)
    _assert_lost_then_recovered(conn, m, "gaps")


def test_corrupted_checksum_is_caught() -> None:
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15.replace("-278600418", "-278600419")], 1.0)
    t = conn.books.trackers[m]
    assert t.counters.checksums_ok == 1  # the snapshot's
    _assert_lost_then_recovered(conn, m, "checksums_failed")


def test_a_wrong_size_is_caught_by_the_checksum() -> None:
    # the chain is intact, but a level changed on the way: only the checksum can tell
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15.replace('["8476.5","2","0","1"]', '["8476.5","2.5","0","1"]')], 1)
    _assert_lost_then_recovered(conn, m, "checksums_failed")


def test_snapshot_with_a_wrong_checksum_is_refused() -> None:
    conn = connection(Venue.OKX)
    feed_all(conn, [S.SNAPSHOT.replace("123120033", "123120034")])
    t = conn.books.trackers[conn.adapter.market("BTC-USDT")]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.checksums_failed == 1
    assert len(t.book) == 0


def test_update_without_sequence_ids_after_a_sequenced_snapshot_is_a_gap() -> None:
    conn, m = _synced()
    feed_all(conn, [S.UPDATE_15.replace(',"prevSeqId":10,"seqId":15', "")], 1.0)
    _assert_lost_then_recovered(conn, m, "gaps")


def test_snapshot_with_prev_seq_id_not_minus_one_puts_the_book_out_of_sync() -> None:
    conn, m = _synced()
    conn.feed(S.SNAPSHOT.replace('"prevSeqId":-1', '"prevSeqId":9'), 1.0)
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0
    assert conn.books.parse_errors_by_market[m] == 1


def test_malformed_level_puts_the_book_out_of_sync() -> None:
    conn, m = _synced()
    conn.feed(S.UPDATE_15.replace('"8476.5","2"', '"8476.5","two"'), 1.0)
    t = conn.books.trackers[m]
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.bad_levels == 1


def test_deprecated_zero_checksum_is_not_checked_and_the_chain_still_guards() -> None:
    # since 2026-06 OKX sends "checksum":0 on every books message
    frames = [
        f.replace(f'"checksum":{cs}', '"checksum":0')
        for f, cs in [
            (S.SNAPSHOT, 123120033),
            (S.UPDATE_15, -278600418),
            (S.KEEPALIVE_15, -278600418),
            (S.RESET_3, 1833186972),
        ]
    ]
    conn = connection(Venue.OKX)
    feed_all(conn, frames)
    m = conn.adapter.market("BTC-USDT")
    t = conn.books.trackers[m]
    assert t.state is SyncState.IN_SYNC
    assert (t.counters.deltas, t.counters.checksums_ok, t.counters.checksums_failed) == (3, 0, 0)
    assert t.book.top_bids(3) == [(8476.97, 250.0), (8476.5, 2.0), (8476.0, 5.0)]
    feed_all(conn, [frames[2]], start=1.0)  # prevSeqId 15, but the chain is at 3
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 1


def test_frames_without_sequence_ids_are_guarded_by_the_checksum() -> None:
    # the 2022 format: no seqId/prevSeqId yet
    strip = (
        (',"prevSeqId":-1,"seqId":10', ""),
        (',"prevSeqId":10,"seqId":15', ""),
        (',"prevSeqId":15,"seqId":3', ""),
        (',"prevSeqId":3,"seqId":5', ""),
    )
    frames = [S.SNAPSHOT, S.UPDATE_15, S.RESET_3, S.UPDATE_5]
    for i, (old, new) in enumerate(strip):
        assert old in frames[i]
        frames[i] = frames[i].replace(old, new)
    conn = connection(Venue.OKX)
    feed_all(conn, frames)
    m = conn.adapter.market("BTC-USDT")
    t = conn.books.trackers[m]
    assert t.state is SyncState.IN_SYNC and book_levels(conn, m) == S.BOOK
    assert (t.counters.checksums_ok, t.counters.gaps) == (4, 0)
    feed_all(conn, [frames[1]], start=1.0)  # replayed: the checksum no longer matches
    assert t.counters.checksums_failed == 1 and len(t.book) == 0


def test_guard_rules_directly() -> None:
    g = OkxGuard()
    m = OkxAdapter().market("BTC-USDT")
    g.on_snapshot(BookSnapshot(m, [], [], 10))
    for prev, seq in [(10, 15), (15, 15), (15, 3), (3, 5)]:
        assert g.check(BookDelta(m, [], [], None, seq, prev)) is True
    assert g.last == 5
    with pytest.raises(Exception, match="expected prevSeqId=5, got 4"):
        g.check(BookDelta(m, [], [], None, 6, 4))


# checksummed books of any shape: random levels against the independent reference
_prices = st.integers(1, 2000).map(lambda i: f"{i / 10:g}")
_sizes = st.integers(0, 50).map(lambda i: f"{i / 4:g}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mid=st.integers(500, 1500),
    snap=st.lists(st.tuples(_prices, _sizes), max_size=70),
    updates=st.lists(st.lists(st.tuples(_prices, _sizes), max_size=12), max_size=12),
)
def test_random_books_verify_against_a_reference_checksum(mid, snap, updates) -> None:
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    midp = Decimal(mid) / 10

    def split(levels: list[tuple[str, str]], snapshot: bool) -> tuple[list, list]:
        b, a = [], []
        for px, sz in levels:
            if Decimal(px) == midp or (snapshot and Decimal(sz) == 0):
                continue
            side, book = (b, bids) if Decimal(px) < midp else (a, asks)
            # one key per price value, as the venue (and the book) have it
            key = next((k for k in book if Decimal(k) == Decimal(px)), px)
            side.append([key, sz, "0", "1"])
            if Decimal(sz) == 0:
                book.pop(key, None)
            else:
                book[key] = sz
        return b, a

    b, a = split(snap, True)
    frames = [
        _book_frame(
            "snapshot",
            {"asks": a, "bids": b, "ts": "1", "checksum": _reference_checksum(bids, asks)},
        )
    ]
    for levels in updates:
        b, a = split(levels, False)
        frames.append(
            _book_frame(
                "update",
                {"asks": a, "bids": b, "ts": "2", "checksum": _reference_checksum(bids, asks)},
            )
        )
    conn = connection(Venue.OKX)
    feed_all(conn, frames)
    m = conn.adapter.market("BTC-USDT")
    t = conn.books.trackers[m]
    nonzero = sum(1 for f in frames if '"checksum":0}' not in f)
    assert t.state is SyncState.IN_SYNC, t.last_reason
    assert t.counters.checksums_ok == nonzero and t.counters.checksums_failed == 0
    assert t.book.top_bids(1000) == sorted(
        ((float(p), float(q)) for p, q in bids.items()), reverse=True
    )
    assert t.book.top_asks(1000) == sorted((float(p), float(q)) for p, q in asks.items())


# ------------------------------------------------------------------------------ capture


def test_cryptofeed_okx_books_verify_every_checksum() -> None:
    rep = replay_markets(capture_path("cryptofeed/OKX.ws.1.0"))
    assert len(rep) == 3
    want = {
        # native: (symbol, kind, best bid, best ask, bid levels, ask levels, deltas, buys, sells)
        "BTC-USD-220527": (
            "BTC/USD:BTC-220527",
            "future",
            [30229.4, 2.0],
            [30238.8, 3.0],
            74,
            62,
            98,
            4,
            0,
        ),
        "UNI-USD-SWAP": ("UNI/USD:UNI", "perp", [5.137, 20.0], [5.145, 50.0], 125, 118, 92, 0, 1),
        "BTC-USDT": (
            "BTC/USDT",
            "spot",
            [30236.1, 0.18050747],
            [30236.2, 0.001],
            400,
            400,
            97,
            44,
            25,
        ),
    }
    ok = failed = 0
    for native, (sym, kind, bid, ask, nb, na, deltas, buys, sells) in want.items():
        m = rep[("okx", native, kind)]
        assert (m["market"], m["state"]) == (sym, "in sync"), native
        assert (m["best_bid"], m["best_ask"]) == (bid, ask), native
        assert (m["bid_levels"], m["ask_levels"]) == (nb, na), native
        assert (m["snapshots"], m["deltas"], m["stale_deltas"]) == (1, deltas, 0), native
        assert (m["checksums_ok"], m["checksums_failed"]) == (deltas + 1, 0), native
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0), native
        assert (m["trades_buy"], m["trades_sell"]) == (buys, sells), native
        ok += m["checksums_ok"]
        failed += m["checksums_failed"]
    assert (ok, failed) == (290, 0)
    btc = rep[("okx", "BTC-USDT", "spot")]
    assert btc["top_bids"][:3] == [[30236.1, 0.18050747], [30234.0, 0.052], [30233.2, 0.07180355]]
    assert btc["top_asks"][:3] == [[30236.2, 0.001], [30243.9, 0.0002], [30246.5, 0.00087743]]
    assert btc["volume_sell"] == pytest.approx(0.49098219)
    fut = rep[("okx", "BTC-USD-220527", "future")]
    assert fut["volume_buy"] == 35.0  # contracts (100 USD each), not coins
