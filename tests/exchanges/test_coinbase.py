"""Coinbase: both protocols (Advanced Trade, legacy Exchange), the connection-wide
``sequence_num`` rule, and the real captures."""

from __future__ import annotations

import pytest

from provider.errors import ParseError, SequenceGap
from provider.exchanges.coinbase import CoinbaseAdapter, CoinbaseGuard, iso_ts
from provider.models import (
    BookDelta,
    BookSnapshot,
    ConnectionGap,
    Heartbeat,
    Ignored,
    Kind,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.sync import MarketTracker, SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_coinbase as S
from tests.helpers import book_levels, connection, feed_all, replay_markets

V = Venue.COINBASE


def _at(seq: int, channel: str = "heartbeats", events: str = "[]") -> str:
    return (
        f'{{"channel":"{channel}","timestamp":"2026-08-09T21:06:00Z","sequence_num":{seq},'
        f'"events":{events}}}'
    )


def _snap(seq: int, product: str = "BTC-USD", bid: str = "65000", ask: str = "65001") -> str:
    return _at(
        seq,
        "l2_data",
        f'[{{"type":"snapshot","product_id":"{product}","updates":['
        f'{{"side":"bid","price_level":"{bid}","new_quantity":"1"}},'
        f'{{"side":"offer","price_level":"{ask}","new_quantity":"2"}}]}}]',
    )


# ------------------------------------------------------------------------------ Advanced Trade


def test_l2_snapshot_builds_price_size_tuples() -> None:
    a = CoinbaseAdapter()
    (ev,) = a.parse(S.AT_SNAPSHOT)
    assert isinstance(ev, BookSnapshot)
    assert ev.market.symbol == "BTC/USD" and ev.market.native == "BTC-USD"
    assert (ev.market.base, ev.market.quote, ev.market.kind) == ("BTC", "USD", Kind.SPOT)
    assert ev.bids == [("65000.00", "1.5"), ("64999.5", "2.0"), ("64990", "0.25")]
    assert ev.asks == [("65000.01", "0.8"), ("65001.00", "3.0")]
    assert (ev.seq, ev.checksum, ev.depth) == (1, None, None)
    assert ev.exchange_ts == pytest.approx(1786309548.5, abs=1e-6)


def test_l2_update_keeps_sides_apart_and_carries_sequence_num() -> None:
    a = CoinbaseAdapter()
    a.parse(S.AT_SNAPSHOT)
    (ev,) = a.parse(S.AT_UPDATE.replace('"sequence_num":3', '"sequence_num":2'))
    assert isinstance(ev, BookDelta)
    assert ev.bids == [("64999.50", "2.5")]
    assert ev.asks == [("65000.01", "0"), ("65000.5", "1.2")]
    assert (ev.first_seq, ev.last_seq, ev.prev_seq, ev.checksum) == (2, 2, None, None)
    assert ev.exchange_ts == pytest.approx(1786309549.25, abs=1e-6)


def test_market_trades_taker_is_opposite_of_maker_side_oldest_first() -> None:
    evs = [e for e in CoinbaseAdapter().parse(S.AT_TRADES) if isinstance(e, Trade)]
    assert len(evs) == 2
    got = [(e.trade_id, e.side, e.price, e.size, e.market.symbol) for e in evs]
    assert got == [
        ("101", Side.SELL, 65000.0, 0.05, "BTC/USD"),  # maker BUY at the bid: taker sold
        ("102", Side.BUY, 65000.5, 0.2, "BTC/USD"),  # maker SELL at the ask: taker bought
    ]
    assert evs[0].exchange_ts == pytest.approx(1786309549.75, abs=1e-6)


def test_history_and_unused_channels() -> None:
    a = CoinbaseAdapter()
    assert a.parse(S.AT_SUBSCRIBED) == [Status(V, "subscribed", "heartbeats,level2")]
    assert a.parse(S.AT_HEARTBEAT.replace(":2,", ":1,")) == [Heartbeat(V)]
    # recent trades re-sent on every subscribe: not new executions
    assert a.parse(S.AT_TRADES_SNAPSHOT.replace(":4,", ":2,")) == [
        Ignored(V, "market_trades snapshot")
    ]
    assert a.parse(S.AT_TICKER.replace(":6,", ":3,")) == [Ignored(V, "ticker")]
    assert a.parse(S.AT_CANDLES.replace(":7,", ":4,")) == [Ignored(V, "candles")]


def test_sequence_num_jump_is_a_connection_gap() -> None:
    a = CoinbaseAdapter()
    assert a.parse(_at(10)) == [Heartbeat(V)]  # the first number is taken as it comes
    assert a.parse(_at(11)) == [Heartbeat(V)]
    assert a.parse(_at(14)) == [ConnectionGap(V, 12, 14), Heartbeat(V)]
    assert a.parse(_at(15)) == [Heartbeat(V)]
    assert a.parse(_at(15)) == [ConnectionGap(V, 16, 15), Heartbeat(V)]  # repeated/reordered


def test_gap_found_in_a_malformed_frame_is_reported_with_the_next_frame() -> None:
    a = CoinbaseAdapter()
    a.parse(_at(0))
    with pytest.raises(ParseError):
        a.parse(_at(5, "l2_data", '[{"type":"update","product_id":"BTC-USD","updates":5}]'))
    assert a.parse(_at(6)) == [ConnectionGap(V, 1, 5), Heartbeat(V)]


def test_two_products_in_one_l2_message() -> None:
    evs = CoinbaseAdapter().parse(
        _at(
            0,
            "l2_data",
            '[{"type":"update","product_id":"BTC-USDT","updates":[{"side":"bid",'
            '"price_level":"1","new_quantity":"2"}]},{"type":"update","product_id":"ETH-USD",'
            '"updates":[{"side":"offer","price_level":"3","new_quantity":"4"}]}]',
        )
    )
    assert all(isinstance(e, BookDelta) for e in evs)
    assert [(e.market.symbol, e.bids, e.asks) for e in evs if isinstance(e, BookDelta)] == [
        ("BTC/USDT", [("1", "2")], []),
        ("ETH/USD", [], [("3", "4")]),
    ]


# ------------------------------------------------------------------------------ Exchange (legacy)


def test_legacy_level2_snapshot_and_l2update() -> None:
    a = CoinbaseAdapter()
    (snap,) = a.parse(S.EX_SNAPSHOT)
    assert isinstance(snap, BookSnapshot) and snap.market.symbol == "BTC/EUR"
    assert snap.bids == [["60000.00", "1.0"], ["59999.50", "2.0"]]  # as on the wire
    assert snap.asks == [["60001.00", "0.5"], ["60002.00", "1.5"]]
    assert snap.seq is None
    (up,) = a.parse(S.EX_L2UPDATE)
    assert isinstance(up, BookDelta)
    assert up.bids == [("60000.50", "0.70")] and up.asks == [("60001.00", "0.00000000")]
    assert (up.first_seq, up.last_seq) == (None, None)  # level2 has no sequence
    assert up.exchange_ts == pytest.approx(1618677817.075687, abs=1e-6)


def test_legacy_match_side_is_the_maker() -> None:
    a = CoinbaseAdapter()
    (m,) = a.parse(S.EX_MATCH)
    assert isinstance(m, Trade)
    assert (m.side, m.price, m.size, m.trade_id) == (Side.BUY, 60002.0, 0.25, "881614")
    (m2,) = a.parse(S.EX_MATCH.replace('"side":"sell"', '"side":"buy"'))
    assert isinstance(m2, Trade) and m2.side is Side.SELL


def test_legacy_control_and_unused_messages() -> None:
    a = CoinbaseAdapter()
    assert a.parse(S.EX_SUBSCRIBED) == [Status(V, "subscribed", "level2_batch,matches,heartbeat")]
    assert a.parse(S.EX_LAST_MATCH) == [Ignored(V, "last_match")]
    assert a.parse(S.EX_TICKER) == [Ignored(V, "ticker")]  # the same trade as the match
    assert a.parse(S.EX_HEARTBEAT) == [Heartbeat(V, a.market("BTC-EUR"))]
    (err,) = a.parse(
        '{"type":"error","message":"Failed to subscribe","reason":"level2, level3, and full '
        'channels now require authentication"}'
    )
    assert isinstance(err, Status) and not err.ok and err.kind == "error"
    assert err.detail.startswith("Failed to subscribe: level2, level3")
    # legacy frames do not touch the Advanced Trade sequence chain
    assert a.parse(_at(0)) == [Heartbeat(V)]


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "[]",
        "{",
        "{}",
        '{"type":"hello"}',
        '{"type":["l2update"]}',
        '{"channel":"l2_data","events":[]}',
        '{"channel":"l2_data","sequence_num":"1","events":[]}',
        '{"channel":"l2_data","sequence_num":true,"events":[]}',
        '{"channel":"l2_data","sequence_num":1,"events":{}}',
        '{"channel":"level9","sequence_num":1,"events":[]}',
        '{"channel":["x"],"sequence_num":1,"events":[]}',
        '{"channel":"subscriptions","sequence_num":1,"events":[]}',
        '{"channel":"l2_data","sequence_num":1,"events":[{"type":"update"}]}',
        '{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":["B"],'
        '"updates":[]}]}',
        '{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTCUSD",'
        '"updates":[]}]}',
        '{"channel":"market_trades","sequence_num":1,"events":[{"type":"update","trades":[{'
        '"product_id":"BTC-USD","trade_id":"1","price":"-1","size":"1","side":"BUY"}]}]}',
        '{"channel":"market_trades","sequence_num":1,"events":[{"type":"update","trades":[{'
        '"product_id":"BTC-USD","trade_id":"1","price":"1","size":"1","side":"LEFT"}]}]}',
        '{"channel":"market_trades","sequence_num":1,"events":[{"type":"update","trades":[{'
        '"product_id":"BTC-USD","trade_id":null,"price":"1","size":"1","side":"BUY"}]}]}',
        '{"channel":"market_trades","sequence_num":1,"events":[{"type":"later","trades":[]}]}',
        '{"type":"match","trade_id":1,"side":"sell","size":"inf","price":"1","product_id":"A-B"}',
        '{"type":"snapshot","product_id":5,"bids":[],"asks":[]}',
        '{"type":"subscriptions","channels":"level2"}',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError):
        CoinbaseAdapter().parse(frame)


@pytest.mark.parametrize(
    "frame",
    [
        _at(1, "l2_data", '[{"type":"update","product_id":"BTC-USD","updates":{}}]'),
        _at(
            1,
            "l2_data",
            '[{"type":"update","product_id":"BTC-USD","updates":[{"side":"ask",'
            '"price_level":"1","new_quantity":"1"}]}]',
        ),
        _at(
            1,
            "l2_data",
            '[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid",'
            '"new_quantity":"1"}]}]',
        ),
        _at(1, "l2_data", '[{"type":"update","product_id":"BTC-USD","updates":[7]}]'),
        _at(1, "l2_data", '[{"type":"delta","product_id":"BTC-USD","updates":[]}]'),
        '{"type":"l2update","product_id":"BTC-USD","changes":[["buy","1"]]}',
        '{"type":"l2update","product_id":"BTC-USD","changes":[["bid","1","1"]]}',
        '{"type":"l2update","product_id":"BTC-USD","changes":{}}',
        '{"type":"snapshot","product_id":"BTC-USD","bids":[],"asks":null}',
    ],
)
def test_malformed_book_message_names_its_market(frame: str) -> None:
    with pytest.raises(ParseError) as exc:
        CoinbaseAdapter().parse(frame)
    assert exc.value.market == CoinbaseAdapter().market("BTC-USD")


def test_iso_ts() -> None:
    assert iso_ts("2026-08-09T21:05:48.618125631Z") == pytest.approx(1786309548.618125631)
    assert iso_ts("2021-04-17T16:43:37Z") == 1618677817.0
    bad_values: list[object] = [None, 5, [], "", "2021-04-17T16:43:37", "2021-04-17T16:43:xxZ"]
    for bad in [*bad_values, "nope" * 6]:
        assert iso_ts(bad) is None
    assert iso_ts("2021-04-17T16:43:nanZ") is None


# ------------------------------------------------------------------------------ requests, symbols


def test_subscribe_one_channel_per_message_and_resubscribe() -> None:
    a = CoinbaseAdapter()
    ms = [a.market_for("BTC/USD"), a.market_for("ETH/USDT")]
    assert a.subscribe_messages(ms) == [
        '{"type":"subscribe","product_ids":["BTC-USD","ETH-USDT"],"channel":"level2"}',
        '{"type":"subscribe","product_ids":["BTC-USD","ETH-USDT"],"channel":"market_trades"}',
        '{"type":"subscribe","product_ids":["BTC-USD","ETH-USDT"],"channel":"heartbeats"}',
    ]
    assert a.resubscribe_messages(ms[0]) == [
        '{"type":"unsubscribe","product_ids":["BTC-USD"],"channel":"level2"}',
        '{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}',
    ]
    assert a.resync == "resubscribe" and a.ws_url == "wss://advanced-trade-ws.coinbase.com"
    assert a.connect_url(ms) == a.ws_url and a.ping_text is None


def test_symbols() -> None:
    a = CoinbaseAdapter()
    assert a.native_symbol("btc/usdc") == "BTC-USDC"
    m = a.market("BTC-USDT")
    assert (m.symbol, m.base, m.quote, m.kind) == ("BTC/USDT", "BTC", "USDT", Kind.SPOT)
    assert a.market_for("ETH/USD").native == "ETH-USD"
    with pytest.raises(ValueError):
        a.native_symbol("BTC/USD:USD")  # no derivatives here
    for bad in ("BTCUSD", "BTC-", "-USD", "BTC-PERP-INTX"):
        with pytest.raises(ParseError):
            a.market(bad)


def test_recognizes_own_frames_only() -> None:
    for f in S.FRAMES:
        assert CoinbaseAdapter.recognizes(f), f[:60]
    assert CoinbaseAdapter.recognizes(S.AT_SNAPSHOT.encode())
    for other in (
        '{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[]}]}',  # Kraken v2
        '{"channel":"heartbeat"}',
        '{"channel":"ticker","type":"update","data":[]}',
        '{"stream":"btcusdt@depth","data":{}}',
        '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","data":{}}',
        '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[]}',
        '{"event":"subscribe","arg":{"channel":"books"}}',
        '{"type":"error","message":"x"}',
    ):
        assert not CoinbaseAdapter.recognizes(other), other


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_books() -> None:
    conn = connection(V)
    feed_all(conn, S.FRAMES)
    vb = conn.books
    for native, want in S.BOOK.items():
        m = conn.adapter.market(native)
        t = vb.trackers[m]
        assert t.state is SyncState.IN_SYNC, native
        assert book_levels(conn, m) == want, native
    usd = vb.trackers[conn.adapter.market("BTC-USD")].counters
    assert (usd.snapshots, usd.deltas, usd.gaps) == (1, 2, 0)
    tc = vb.trades[conn.adapter.market("BTC-USD")]
    assert (tc.buys, tc.sells, tc.last_price) == (1, 1, 65000.5)  # last = newest trade
    eur = vb.trades[conn.adapter.market("BTC-EUR")]
    assert (eur.buys, eur.sells) == (1, 0)  # last_match and ticker are not counted
    assert (vb.counters.heartbeats, vb.counters.connection_gaps) == (2, 0)
    assert (vb.counters.parse_errors, vb.counters.venue_errors) == (0, 0)


def test_dropped_frame_puts_every_book_out_of_sync_until_new_snapshots() -> None:
    conn = connection(V)
    frames = [S.AT_SUBSCRIBED, S.AT_SNAPSHOT, _snap(2, "ETH-USD", "1900", "1901")]
    feed_all(conn, frames)
    btc, eth = conn.adapter.market("BTC-USD"), conn.adapter.market("ETH-USD")
    feed_all(conn, [S.AT_UPDATE], start=1.0)  # sequence_num 3 arrives: fine
    feed_all(conn, [S.AT_UPDATE_2], start=2.0)  # 8 instead of 4: frames were lost
    vb = conn.books
    assert vb.counters.connection_gaps == 1
    for m in (btc, eth):
        t = vb.trackers[m]
        assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0, m
        assert t.last_reason.startswith("out of sync: connection sequence 4 expected, 8")
    # resubscribing level2 sends fresh snapshots on the same connection
    conn.feed(_snap(9), 5.0)
    assert vb.trackers[btc].state is SyncState.IN_SYNC
    assert vb.trackers[btc].counters.resyncs == 1
    assert vb.trackers[btc].recoveries[-1] == pytest.approx(3.0)
    assert vb.trackers[eth].state is SyncState.OUT_OF_SYNC  # still waiting for its own
    conn.feed(_snap(10, "ETH-USD", "1900", "1901"), 6.0)
    assert vb.trackers[eth].counters.resyncs == 1
    assert book_levels(conn, eth) == {"bids": [(1900.0, 1.0)], "asks": [(1901.0, 2.0)]}


def test_reordered_frames_are_a_connection_gap() -> None:
    conn = connection(V)
    feed_all(conn, [S.AT_SUBSCRIBED, S.AT_SNAPSHOT, S.AT_HEARTBEAT])
    feed_all(conn, [S.AT_TRADES_SNAPSHOT, S.AT_UPDATE], start=1.0)  # 4 before 3
    t = conn.books.trackers[conn.adapter.market("BTC-USD")]
    assert conn.books.counters.connection_gaps == 2  # 3 expected got 4, then 5 expected got 3
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0 and t.counters.deltas == 0


def test_guard_refuses_a_book_sequence_that_goes_back() -> None:
    a = CoinbaseAdapter()
    m = a.market("BTC-USD")
    t = MarketTracker(m, CoinbaseGuard())
    t.on_snapshot(BookSnapshot(m, [("1", "1")], [("2", "1")], seq=10), 0.0)
    t.on_delta(BookDelta(m, [("1", "3")], [], 12, 12), 1.0)
    assert t.state is SyncState.IN_SYNC and t.book.bids == {1.0: 3.0}
    t.on_delta(BookDelta(m, [("1", "4")], [], 11, 11), 2.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 1 and len(t.book) == 0
    t.on_snapshot(BookSnapshot(m, [("1", "1")], [("2", "1")], seq=13), 3.0)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    g = CoinbaseGuard()
    g.on_snapshot(BookSnapshot(m, [], [], seq=5))
    with pytest.raises(SequenceGap):
        g.check(BookDelta(m, [], [], 5, 5))


def test_legacy_level2_has_no_sequence_so_the_guard_checks_nothing() -> None:
    g = CoinbaseGuard()
    m = CoinbaseAdapter().market("BTC-EUR")
    g.on_snapshot(BookSnapshot(m, [], []))
    assert all(g.check(BookDelta(m, [], [])) for _ in range(3))


def test_malformed_book_message_loses_only_its_market_and_a_snapshot_recovers() -> None:
    conn = connection(V)
    feed_all(conn, S.FRAMES[:4] + S.EX_FRAMES[:3])
    usd, eur = conn.adapter.market("BTC-USD"), conn.adapter.market("BTC-EUR")
    conn.feed('{"type":"l2update","product_id":"BTC-EUR","changes":[["buy","1"]]}', 1.0)
    vb = conn.books
    assert vb.trackers[eur].state is SyncState.OUT_OF_SYNC and len(vb.trackers[eur].book) == 0
    assert vb.trackers[usd].state is SyncState.IN_SYNC
    assert vb.counters.parse_errors == 1 and vb.parse_errors_by_market[eur] == 1
    conn.feed(S.EX_SNAPSHOT, 2.0)
    assert vb.trackers[eur].state is SyncState.IN_SYNC and vb.trackers[eur].counters.resyncs == 1


def test_bad_level_value_and_crossed_book_put_the_book_out_of_sync() -> None:
    conn = connection(V)
    feed_all(conn, S.EX_FRAMES[:2])
    eur = conn.adapter.market("BTC-EUR")
    t = conn.books.trackers[eur]
    conn.feed(S.EX_L2UPDATE.replace('"0.70"', '"seven"'), 1.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.bad_levels == 1
    conn.feed(S.EX_SNAPSHOT, 2.0)
    conn.feed('{"type":"l2update","product_id":"BTC-EUR","changes":[["buy","60001.5","1"]]}', 3)
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.crossed == 1 and len(t.book) == 0


# ------------------------------------------------------------------------------ captures


def test_cryptofeed_exchange_level2_capture() -> None:
    rep = replay_markets(capture_path("cryptofeed/COINBASE.ws.28.0"))
    assert len(rep) == 10
    want = {  # best bid, best ask, bid/ask levels, deltas, taker buys/sells
        "SKL-USD": ([0.7902, 468.0], [0.7911, 450.0], (816, 1341), 2592, (18, 34)),
        "DASH-BTC": ([0.00619316, 1.687], [0.00619947, 28.997], (436, 541), 1925, (12, 3)),
        "BAND-BTC": ([0.00033388, 0.92], [0.00033421, 36.83], (323, 825), 1005, (0, 8)),
        "NU-GBP": ([0.4388, 242.89], [0.4393, 8208.213533], (118, 450), 76, (1, 0)),
        "CRV-EUR": ([3.2956, 96.95], [3.301, 97.66], (389, 297), 670, (0, 0)),
        "SKL-BTC": ([1.303e-05, 1249.9], [1.305e-05, 1817.4], (225, 407), 1539, (6, 2)),
    }
    for sym, (bid, ask, levels, deltas, trades) in want.items():
        m = rep[("coinbase", sym, "spot")]
        assert (m["best_bid"], m["best_ask"]) == (bid, ask), sym
        assert (m["bid_levels"], m["ask_levels"]) == levels, sym
        assert (m["snapshots"], m["deltas"]) == (1, deltas), sym
        assert (m["trades_buy"], m["trades_sell"]) == trades, sym
    assert sum(m["deltas"] for m in rep.values()) == 9719
    assert sum(m["trades_buy"] for m in rep.values()) == 45  # 97 matches; last_match ignored
    assert sum(m["trades_sell"] for m in rep.values()) == 52
    for m in rep.values():
        assert m["state"] == "in sync", m["symbol"]
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0)
    assert rep[("coinbase", "NMR-EUR", "spot")]["top_asks"][:2] == [
        [67.021, 11.95],
        [67.0228, 6.274],
    ]


def test_cryptofeed_v3_advanced_trade_capture() -> None:
    path = capture_path("cryptofeed-v3/COINBASE.jsonl.zst")
    rep = replay_markets(path)
    assert len(rep) == 2
    btc = rep[("coinbase", "BTC-USD", "spot")]
    eth = rep[("coinbase", "ETH-USD", "spot")]
    assert btc["best_bid"] == [65083.66, 0.23929087] and btc["best_ask"] == [65083.67, 0.29040961]
    assert (btc["bid_levels"], btc["ask_levels"]) == (18769, 27238)
    assert (btc["snapshots"], btc["deltas"]) == (1, 399)
    assert (btc["trades_buy"], btc["trades_sell"]) == (36, 11)  # maker SELL 36x, BUY 11x
    assert eth["best_bid"] == [1919.28, 0.14476526] and eth["best_ask"] == [1919.38, 0.01194407]
    assert (eth["bid_levels"], eth["ask_levels"]) == (6925, 16403)
    assert (eth["snapshots"], eth["deltas"]) == (1, 374)
    assert (eth["trades_buy"], eth["trades_sell"]) == (15, 17)
    for m in (btc, eth):
        assert m["state"] == "in sync"
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0)


def test_cryptofeed_v3_session_counters() -> None:
    from provider.replay import replay

    rep = replay([str(capture_path("cryptofeed-v3/COINBASE.jsonl.zst"))]).report()
    (v,) = rep["venues"]
    assert v["venue"] == "coinbase" and v["frames"] == 1030
    assert (v["connection_gaps"], v["parse_errors"], v["venue_errors"]) == (0, 0, 0)
    assert v["heartbeats"] == 25 and rep["unrecognized_frames"] == 0
