"""Bitfinex: adapter, JS number text, checksum guard, SEQ_ALL gaps, and the real capture."""

from __future__ import annotations

import re

import orjson
import pytest

from provider.book import OrderBook
from provider.capture import RecordKind, read_capture
from provider.errors import ConfigError, ParseError
from provider.exchanges.bitfinex import (
    BitfinexAdapter,
    book_checksum,
    checksum_string,
    crc32_signed,
    js_number,
)
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
from provider.sync import SyncState
from tests.conftest import capture_path
from tests.exchanges import samples_bitfinex as S
from tests.helpers import book_levels, connection, feed_all, replay_markets

CAPTURE = "cryptofeed/BITFINEX.ws.11.0"


def _adapter(frames: int = 6) -> BitfinexAdapter:
    """An adapter that has seen the info, conf and subscribed acks of the samples."""
    a = BitfinexAdapter()
    for f in S.FRAMES[:frames]:
        a.parse(f)
    return a


def _fed(frames: list[str]):
    conn = connection(Venue.BITFINEX)
    feed_all(conn, frames)
    m = conn.adapter.market("tBTCUSD")
    return conn, conn.books.trackers[m]


def _reseq(frames: list[str]) -> list[str]:
    """Renumber the SEQ_ALL numbers 1, 2, 3, ... (after dropping or reordering frames)."""
    out = []
    n = 0
    for f in frames:
        if f.startswith("["):
            n += 1
            f = re.sub(r",\d+\]$", f",{n}]", f)
        out.append(f)
    return out


# ------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5.6e-7, "5.6e-7"),  # JS exponent form below 1e-6 (Python: 5.6e-07)
        (-5.6e-7, "-5.6e-7"),
        (1.7e-8, "1.7e-8"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),  # Python: 1e-06
        (9.121e-7, "9.121e-7"),
        (0.0000082, "0.0000082"),  # Python: 8.2e-06
        (2.505e-05, "0.00002505"),
        (0.0001, "0.0001"),
        (100.0, "100"),  # Python: 100.0
        (100, "100"),
        (-1, "-1"),
        (-0.0, "0"),
        (0, "0"),
        (7254.75, "7254.75"),
        (1.7023900800000002, "1.7023900800000002"),
        (1e16, "10000000000000000"),  # Python: 1e+16
        (1.2345e20, "123450000000000000000"),
        (1e21, "1e+21"),
        (1.5e22, "1.5e+22"),
        (10**21, "1e+21"),
        (123456789012345678, "123456789012345678"),
        (float("inf"), "Infinity"),
    ],
)
def test_js_number_writes_numbers_like_javascript(value: float, text: str) -> None:
    assert js_number(value) == text


def test_js_number_gives_back_every_number_the_server_wrote() -> None:
    """The capture's numbers were written by the venue (JavaScript): parse, rewrite, compare."""
    path = capture_path(CAPTURE)
    numbers: set[str] = set()
    for rec in read_capture(path):
        if rec.kind is RecordKind.RECV and isinstance(rec.data, str) and rec.data[0] == "[":
            numbers.update(re.findall(r"-?\d[\d.e+-]*", rec.data))
    assert len(numbers) > 3000
    assert {"0.00002505", "1.7023900800000002", "0.0000097", "-0.00426663"} <= numbers
    bad = [t for t in numbers if js_number(orjson.loads(t)) != t]
    assert bad == []


# ------------------------------------------------------------------------------ checksum


def test_checksum_string_interleaves_bids_and_asks() -> None:
    # the official client's test book (bitfinexcom/bfx-api-node-models test/lib/models/
    # order_book.js): bids 6000x1, 5900x2; asks 6100x3, 6200x4
    text = checksum_string(["6000:1", "5900:2"], ["6100:-3", "6200:-4"])
    assert text == "6000:1:6100:-3:5900:2:6200:-4"
    assert checksum_string(["1:1"], ["2:-1", "3:-2", "4:-3"]) == "1:1:2:-1:3:-2:4:-3"
    assert checksum_string([], []) == ""
    assert crc32_signed(text) == 1756193398
    assert crc32_signed("") == 0
    assert crc32_signed("7254.7:3.3") < 0 < crc32_signed(text)  # signed int32 both ways


def test_book_checksum_of_the_official_example_book() -> None:
    a = _adapter()
    (snap,) = a.parse(f"[{S.BOOK_CHAN},[[6000,1,1],[5900,1,2],[6100,1,-3],[6200,1,-4]],1]")
    book = OrderBook(ordered=True)
    book.replace(snap.bids, snap.asks)
    assert book_checksum(book) == crc32_signed("6000:1:6100:-3:5900:2:6200:-4")


def test_sample_checksums_match_their_literal_text() -> None:
    assert crc32_signed(S.SNAPSHOT_CS_TEXT) == S.SNAPSHOT_CS
    assert crc32_signed(S.FINAL_CS_TEXT) == S.FINAL_CS
    assert crc32_signed(S.SHIB_CS_TEXT) == S.SHIB_CS
    assert f'"cs",{S.SNAPSHOT_CS},' in S.FRAMES[7] and f'"cs",{S.FINAL_CS},' in S.FRAMES[21]


def test_checksum_covers_only_the_best_25_levels_per_side() -> None:
    a = _adapter()
    levels = ",".join(f"[{100 - i},1,{i + 1}]" for i in range(30))
    levels += "," + ",".join(f"[{200 + i},1,-{i + 1}]" for i in range(27))
    (snap,) = a.parse(f"[{S.BOOK_CHAN},[{levels}],1]")
    book = OrderBook(ordered=True)
    book.replace(snap.bids, snap.asks)
    want = ":".join(f"{100 - i}:{i + 1}:{200 + i}:-{i + 1}" for i in range(25))
    assert book_checksum(book) == crc32_signed(want)


def test_cached_fragments_and_plain_levels_give_one_checksum() -> None:
    """Levels parsed before the CHECKSUM flag was known carry no text: same CRC."""
    with_cs = _adapter()
    plain = BitfinexAdapter()
    plain.parse(S.FRAMES[2])
    frame = S.FRAMES[22].replace("17090", "17082")
    (a,) = with_cs.parse(frame)
    (b,) = plain.parse(frame)
    assert len(a.bids[0]) == 3 and len(b.bids[0]) == 2
    books = []
    for snap in (a, b):
        book = OrderBook(ordered=True)
        book.replace(snap.bids, snap.asks)
        books.append(book)
    assert book_checksum(books[0]) == book_checksum(books[1]) == S.SHIB_CS


# ------------------------------------------------------------------------------ adapter


def test_snapshot_splits_sides_by_amount_sign_and_keeps_the_window() -> None:
    a = _adapter()
    (snap,) = a.parse(S.FRAMES[6])
    assert isinstance(snap, BookSnapshot)
    assert snap.market.symbol == "BTC/USD" and snap.market.native == "tBTCUSD"
    assert snap.depth == 25
    assert snap.bids == [
        (7254.7, 3.3, "7254.7:3.3"),
        (7254.6, 0.5, "7254.6:0.5"),
        (7254.5, 1.25, "7254.5:1.25"),
    ]
    assert snap.asks == [
        (7254.8, 0.5, "7254.8:-0.5"),
        (7254.9, 2, "7254.9:-2"),
        (7255, 1.1, "7255:-1.1"),
    ]
    assert (snap.seq, snap.checksum) == (None, None)


def test_updates_set_and_delete_levels() -> None:
    a = _adapter()
    out = {i: a.parse(S.FRAMES[i]) for i in range(6, 21)}  # in order: SEQ_ALL is on
    (new_bid,) = out[9]
    assert new_bid == BookDelta(new_bid.market, ((7254.75, 0.2, "7254.75:0.2"),), ())
    (del_ask,) = out[11]  # COUNT 0, AMOUNT -1
    assert (del_ask.bids, del_ask.asks) == ((), ((7254.8, 0),))
    (ask,) = out[13]
    assert (ask.bids, ask.asks) == ((), ((7255, 0.75, "7255:-0.75"),))
    (del_bid,) = out[20]  # COUNT 0, AMOUNT 1
    assert (del_bid.bids, del_bid.asks) == (((7254.5, 0),), ())


def test_checksum_message_is_an_empty_delta_with_the_crc() -> None:
    a = _adapter()
    (cs,) = a.parse(S.FRAMES[7])
    assert isinstance(cs, BookDelta)
    assert (cs.bids, cs.asks, cs.checksum) == ((), (), S.SNAPSHOT_CS)


def test_trades_te_is_the_execution_and_amount_sign_is_the_taker() -> None:
    a = _adapter()
    (buy,) = a.parse(S.FRAMES[15])
    (sell,) = a.parse(S.FRAMES[16])
    assert isinstance(buy, Trade) and isinstance(sell, Trade)
    assert (buy.side, buy.price, buy.size, buy.trade_id) == (Side.BUY, 7254.9, 0.005, "401597395")
    assert buy.exchange_ts == 1574694478.808 and buy.market.symbol == "BTC/USD"
    assert (sell.side, sell.price, sell.size, sell.trade_id) == (
        Side.SELL,
        7254.75,
        0.25,
        "401597396",
    )
    # the same trade again once written to the database, and the history snapshot: not new
    assert a.parse(S.FRAMES[17]) == [Ignored(Venue.BITFINEX, "trade update")]
    assert _adapter().parse(S.FRAMES[8]) == [Ignored(Venue.BITFINEX, "trade history")]


def test_control_messages() -> None:
    a = BitfinexAdapter()
    (info,) = a.parse(S.FRAMES[0])
    assert info == Status(Venue.BITFINEX, "info", "version 2 platform 1")
    assert a.parse(S.FRAMES[1]) == [Status(Venue.BITFINEX, "conf", "flags 196608")]
    assert a.flags == 196608
    (sub,) = a.parse(S.FRAMES[2])
    assert sub.kind == "subscribed" and sub.market is not None and sub.market.native == "tBTCUSD"
    for f in S.FRAMES[3:6]:
        a.parse(f)
    (hb,) = a.parse(S.FRAMES[19].replace(",14]", ",1]"))
    assert hb == Heartbeat(Venue.BITFINEX, a.market("tBTCUSD"))
    assert a.parse(S.FRAMES[18].replace(",13]", ",2]")) == [Ignored(Venue.BITFINEX, "ticker")]
    assert a.parse(S.FRAMES[24]) == [Status(Venue.BITFINEX, "pong", "1234")]
    (err,) = a.parse('{"event":"error","msg":"subscribe: dup","code":10301,"channel":"book"}')
    assert err == Status(Venue.BITFINEX, "error", "10301 subscribe: dup", ok=False)
    (uns,) = a.parse('{"event":"unsubscribed","status":"OK","chanId":17082}')
    assert uns.kind == "unsubscribed" and uns.market == a.market("tBTCUSD")
    # a channel we no longer know: its heartbeat still counts, its data is not used
    assert a.parse('[17082,"hb",3]') == [Heartbeat(Venue.BITFINEX, None)]
    assert a.parse("[17082,[7254.7,1,1],4]") == [Ignored(Venue.BITFINEX, "unknown channel")]


@pytest.mark.parametrize(
    ("frame", "kind", "ok"),
    [
        ('{"event":"info","code":20051,"msg":"Stopping. Please try to reconnect"}', "reconnect", 0),
        ('{"event":"info","code":20060,"msg":"Entering in Maintenance mode"}', "maintenance", 0),
        ('{"event":"info","code":20061,"msg":"Maintenance ended"}', "maintenance end", 1),
        ('{"event":"info","version":2,"platform":{"status":0}}', "maintenance", 0),
        ('{"event":"conf","status":"FAILED","flags":65536}', "conf", 0),
        ('{"event":"auth","status":"FAILED","chanId":0,"code":10100}', "auth", 0),
    ],
)
def test_info_codes_and_failures(frame: str, kind: str, ok: int) -> None:
    (st,) = BitfinexAdapter().parse(frame)
    assert isinstance(st, Status) and (st.kind, st.ok) == (kind, bool(ok))


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        "{",
        "5",
        "[]",
        "[17082]",
        '["17082","hb",1]',
        '{"hello":1}',
        '{"event":"nope"}',
        '{"event":"subscribed","channel":"book","chanId":"x","symbol":"tBTCUSD"}',
        # after the acks of the samples (SEQ_ALL on):
        '[17082,"hb"]',  # no sequence number
        "[17082,[7254.7,1,0.5]]",  # no sequence number
        '[17082,"hb","7"]',
        "[17082,[7254.7,1],1]",
        '[17082,["7254.7",1,0.5],1]',
        "[17082,[7254.7,1.5,0.5],1]",
        "[17082,[7254.7,1,0],1]",
        "[17082,[7254.7,-1,0.5],1]",
        "[17082,[[7254.7,1,0.5],5],1]",
        "[17082,[[7254.7,0,0.5]],1]",
        "[17082,[[7254.7,1,0]],1]",
        '[17082,"cs","123",1]',
        '[17082,"cs",2147483648,1]',
        '[17082,"xx",1]',
        '[17470,"te",[1,2,0.5],1]',
        '[17470,"te",[1,2,0,7254.7],1]',
        '[17470,"te",[1,2,0.5,-7254.7],1]',
        '[17470,"te",["1",2,0.5,7254.7],1]',
        '[17470,"xx",1]',
    ],
)
def test_malformed_frames_raise_parse_error(frame: str) -> None:
    with pytest.raises(ParseError):
        _adapter().parse(frame)


def test_malformed_book_message_names_its_market() -> None:
    a = _adapter()
    with pytest.raises(ParseError) as info:
        a.parse("[17082,[7254.7,1,0],1]")
    assert info.value.market == a.market("tBTCUSD")


def test_without_flags_trailing_numbers_are_not_sequences() -> None:
    a = BitfinexAdapter()
    a.parse(S.FRAMES[2])
    assert a.flags is None
    (d1,) = a.parse("[17082,[7254.7,1,0.5],7]")
    (d2,) = a.parse("[17082,[7254.7,1,0.5]]")  # no number at all: fine without SEQ_ALL
    (d3,) = a.parse("[17082,[7254.7,1,0.5],3]")  # would be a jump with SEQ_ALL
    assert d1 == d2 == d3 and d1.bids == ((7254.7, 0.5),)


def test_on_sent_learns_the_conf_flags() -> None:
    a = BitfinexAdapter()
    a.on_sent('{"event":"subscribe","channel":"book","symbol":"tBTCUSD"}')
    a.on_sent("not json")
    assert a.flags is None
    a.on_sent('{"event":"conf","flags":65536}')
    assert a.flags == 65536
    a.parse(S.FRAMES[2])
    (snap,) = a.parse(S.FRAMES[6])
    assert snap.bids[0] == (7254.7, 3.3)  # no checksum text without the CHECKSUM flag
    with pytest.raises(ParseError):
        a.parse("[17082,[7254.7,1,0.5]]")  # SEQ_ALL: the number must be there


# ------------------------------------------------------------------------------ symbols


def test_symbols() -> None:
    a = BitfinexAdapter()
    m = a.market("tBTCUST")
    assert (m.symbol, m.base, m.quote, m.kind) == ("BTC/USDT", "BTC", "USDT", Kind.SPOT)
    assert a.market("tTESTBTC:TESTUSD").symbol == "TESTBTC/TESTUSD"
    assert a.market("tIOTETH").symbol == "IOTA/ETH"
    assert a.market("tETH2X:ETH").symbol == "ETH2X/ETH"
    perp = a.market("tBTCF0:USTF0")
    assert (perp.symbol, perp.kind) == ("BTC/USDT:USDT", Kind.PERP)
    assert a.native_symbol("BTC/USDT") == "tBTCUST"
    assert a.native_symbol("BTC/USD") == "tBTCUSD"
    assert a.native_symbol("USDC/USD") == "tUDCUSD"
    assert a.native_symbol("AAVE/USDT") == "tAAVE:UST"
    assert a.native_symbol("BTC/USDT:USDT") == "tBTCF0:USTF0"
    assert a.market_for("BTC/USDT") == m
    for bad in ("fUSD", "tBTCUSDT", "t", "tBTC:", "t:USD", "tbtcusd"):
        with pytest.raises(ParseError):
            a.make_market(bad)


# ------------------------------------------------------------------------------ requests


def test_subscribe_messages() -> None:
    a = BitfinexAdapter()
    msgs = a.subscribe_messages([a.market_for("BTC/USDT"), a.market_for("ETH/USD")])
    assert msgs == [
        '{"event":"conf","flags":196608}',
        # books first: after a reconnect they are what the page waits for
        '{"event":"subscribe","channel":"book","symbol":"tBTCUST","prec":"P0","freq":"F0",'
        '"len":"100"}',
        '{"event":"subscribe","channel":"book","symbol":"tETHUSD","prec":"P0","freq":"F0",'
        '"len":"100"}',
        '{"event":"subscribe","channel":"trades","symbol":"tBTCUST"}',
        '{"event":"subscribe","channel":"trades","symbol":"tETHUSD"}',
    ]
    assert a.connect_url([]) == "wss://api-pub.bitfinex.com/ws/2"
    assert a.resync == "reconnect"
    with pytest.raises(ConfigError):
        a.subscribe_messages([a.market(f"tA{i:02d}USD") for i in range(13)])


def test_resubscribe_unsubscribes_the_known_book_channel() -> None:
    a = BitfinexAdapter()
    m = a.market("tBTCUSD")
    sub = (
        '{"event":"subscribe","channel":"book","symbol":"tBTCUSD","prec":"P0","freq":"F0",'
        '"len":"100"}'
    )
    assert a.resubscribe_messages(m) == [sub]
    a.parse(S.FRAMES[2])
    assert a.resubscribe_messages(m) == ['{"event":"unsubscribe","chanId":17082}', sub]


def test_recognizes_its_frames_only() -> None:
    for f in S.FRAMES:
        if not f.startswith('{"event":"pong"'):
            assert BitfinexAdapter.recognizes(f), f
    assert BitfinexAdapter.recognizes(S.FRAMES[6].encode())
    others = [
        '[992,{"b":[["354.15000000","5.00000000","1618678133.365913"]],"c":"2583817756"},'
        '"book-1000","XMR/USD"]',
        '[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""]],"trade","XBT/USD"]',
        '[0,["5698.40000","5700.00000","1542057299.545897"],"spread","XBT/USD"]',
        '{"event":"heartbeat"}',
        '{"event":"pong","reqid":42}',
        '{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}',
        '{"event":"error","msg":"Illegal request","code":"60012","connId":"a4d3ae55"}',
        '{"stream":"btcusdt@depth","data":{}}',
        '{"type":"snapshot","product_id":"BTC-USD"}',
    ]
    for f in others:
        assert not BitfinexAdapter.recognizes(f), f


# ------------------------------------------------------------------------------ sync rules


def test_doc_frames_build_the_expected_books_with_every_checksum_ok() -> None:
    conn, t = _fed(S.FRAMES)
    shib = conn.books.trackers[conn.adapter.market("tSHIB:USD")]
    assert t.state is SyncState.IN_SYNC and shib.state is SyncState.IN_SYNC
    assert book_levels(conn, t.market) == S.BOOK
    assert book_levels(conn, shib.market) == S.SHIB_BOOK
    c = t.counters
    assert (c.snapshots, c.checksums_ok, c.checksums_failed, c.gaps) == (1, 5, 0, 0)
    assert c.deltas == 4  # four level changes; the five checksum messages change nothing
    assert shib.counters.checksums_ok == 1
    tc = conn.books.trades[t.market]
    assert (tc.buys, tc.sells, tc.buy_volume, tc.sell_volume) == (1, 1, 0.005, 0.25)
    v = conn.books.counters
    assert (v.heartbeats, v.connection_gaps, v.parse_errors, v.venue_errors) == (2, 0, 0, 0)


def test_snapshot_depth_trims_the_book() -> None:
    frames = [S.FRAMES[2].replace('"len":"25"', '"len":"1"'), S.FRAMES[6].replace(",1]", "]")]
    conn, t = _fed(frames)
    assert book_levels(conn, t.market) == {"bids": [(7254.7, 3.3)], "asks": [(7254.8, 0.5)]}


def test_sequence_jump_is_a_connection_gap_and_a_new_snapshot_recovers() -> None:
    frames = S.FRAMES[:10] + S.FRAMES[11:]  # frame 10 (seq 5, a checksum) is lost
    conn = connection(Venue.BITFINEX)
    feed_all(conn, frames[:10])
    events = conn.adapter.parse(frames[10])
    assert events[0] == ConnectionGap(Venue.BITFINEX, 5, 6)
    conn.dispatch(events, 1.0)
    t = conn.books.trackers[conn.adapter.market("tBTCUSD")]
    assert conn.books.counters.connection_gaps == 1
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.gaps == 0
    assert len(t.book) == 0  # never shown while out of sync
    assert "connection sequence 5 expected, 6 received" in t.last_reason
    # a fresh snapshot (here: on the same connection) brings the book back
    conn.feed(S.FRAMES[6].replace(",1]", ",7]"), 5.0)
    conn.feed(S.FRAMES[7].replace(",2]", ",8]"), 5.1)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert t.counters.checksums_ok == 2
    assert t.recoveries[-1] == pytest.approx(4.0)


def test_reordered_frames_are_a_connection_gap() -> None:
    frames = list(S.FRAMES)
    frames[9], frames[11] = frames[11], frames[9]
    conn, t = _fed(frames)
    assert conn.books.counters.connection_gaps >= 1
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0


def test_gap_found_on_a_malformed_frame_is_reported_with_the_next_one() -> None:
    a = _adapter()
    a.parse(S.FRAMES[6])
    assert a.last_seq == 1
    with pytest.raises(ParseError):
        a.parse("[17082,[7254.7,1,0],5]")  # expected 2: a jump, and a bad level
    events = a.parse('[17082,"hb",6]')
    assert events == [
        ConnectionGap(Venue.BITFINEX, 2, 5),
        Heartbeat(Venue.BITFINEX, events[1].market),
    ]


def test_corrupt_checksum_puts_the_book_out_of_sync_until_a_new_snapshot() -> None:
    frames = list(S.FRAMES)
    frames[12] = '[17082,"cs",-1490277828,7]'
    conn, t = _fed(frames[:13])
    assert t.state is SyncState.OUT_OF_SYNC
    assert (t.counters.checksums_failed, t.counters.checksums_ok) == (1, 2)
    assert len(t.book) == 0 and t.last_reason.startswith("checksum")
    feed_all(conn, frames[13:21], start=1.0)  # updates and checksums are not applied
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0
    # resubscribe: the venue answers with a new snapshot (and its checksum)
    assert conn.adapter.resubscribe_messages(t.market)[0] == (
        '{"event":"unsubscribe","chanId":17082}'
    )
    feed_all(conn, [S.FRAMES[6].replace(",1]", ",16]"), S.FRAMES[7].replace(",2]", ",17]")], 2)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert (t.counters.checksums_failed, t.counters.checksums_ok) == (1, 3)


def test_dropped_update_is_caught_by_the_checksum_without_seq_all() -> None:
    frames = [f.replace('"flags":196608', '"flags":131072') for f in S.FRAMES]
    frames = [re.sub(r",\d+\]$", "]", f) if f.startswith("[") else f for f in frames]
    del frames[11]  # the delete of ask 7254.8 is lost; no sequence number tells
    conn, t = _fed(frames[:12])
    assert conn.books.counters.connection_gaps == 0
    assert t.state is SyncState.OUT_OF_SYNC and t.counters.checksums_failed == 1


def test_malformed_level_puts_only_its_book_out_of_sync() -> None:
    frames = list(S.FRAMES)
    frames[13] = "[17082,[7255,2,0],8]"
    conn, t = _fed(frames)
    shib = conn.books.trackers[conn.adapter.market("tSHIB:USD")]
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0
    assert conn.books.counters.parse_errors == 1
    assert conn.books.counters.connection_gaps == 0  # the frame's seq was still counted
    assert shib.state is SyncState.IN_SYNC


# ------------------------------------------------------------------------------ capture


def test_capture_rebuilds_every_book_with_no_gap() -> None:
    rep = replay_markets(capture_path(CAPTURE))
    want = {
        # native: (best bid, best ask, bid levels, ask levels, deltas)
        "tDOGUSD": ([277730.0, 0.09383141], [282030.0, 0.027], 100, 100, 384),
        "tIOTETH": ([0.001026, 9.80717706], [0.0010272, 8.0], 99, 100, 783),
        "tMNABTC": ([2.505e-05, 504.35063355], [2.53e-05, 66.58783643], 51, 88, 321),
        "tTESTBTC:TESTUSD": ([60417.0, 0.68807848], [60423.0, 0.68805459], 100, 100, 79),
        "tODEUSD": ([0.02056, 4510.99], [0.02088, 2335.56], 100, 100, 17),
        "tSNGUSD": ([0.037108, 6830.77512], [0.038798, 1461.09590662], 100, 100, 9),
        "tBFTUSD": ([0.068965, 6098.17017201], [0.0774, 6662.31867263], 96, 100, 0),
    }
    assert {k[1] for k in rep} == set(want)
    for native, (bid, ask, nb, na, deltas) in want.items():
        m = rep[("bitfinex", native, "spot")]
        got = (m["best_bid"], m["best_ask"], m["bid_levels"], m["ask_levels"], m["deltas"])
        assert got == (bid, ask, nb, na, deltas), native
        assert m["state"] == "in sync" and m["snapshots"] == 1, native
        assert (m["gaps"], m["crossed"], m["resyncs"], m["parse_errors"]) == (0, 0, 0, 0), native
        assert (m["checksums_ok"], m["checksums_failed"]) == (0, 0), native  # no cs sent
        assert (m["trades_buy"], m["trades_sell"]) == (0, 0), native  # history only, no te
    assert sum(m["deltas"] for m in rep.values()) == 1593
    m = rep[("bitfinex", "tIOTETH", "spot")]
    assert m["market"] == "IOTA/ETH"
    assert m["top_asks"][:3] == [
        [0.0010272, 8.0],
        [0.0010274, 9.80689935],
        [0.0010277, 14.71034903],
    ]


def test_capture_session_counters() -> None:
    from provider.replay import replay

    rep = replay([str(capture_path(CAPTURE))]).report()
    (v,) = rep["venues"]
    assert v["frames"] == 1693 and v["heartbeats"] == 42
    assert (v["parse_errors"], v["venue_errors"], v["connection_gaps"]) == (0, 0, 0)
    assert rep["unrecognized_frames"] == 0


def _capture_connection():
    path = capture_path(CAPTURE)
    conn = connection(Venue.BITFINEX, "wss://api.bitfinex.com/ws/2")
    records = list(read_capture(path))
    for rec in records:
        if rec.kind is RecordKind.SEND:
            conn.adapter.on_sent(str(rec.data))
    recv = [r for r in records if r.kind is RecordKind.RECV]
    return conn, recv


def test_capture_with_one_lost_frame_puts_every_book_out_of_sync() -> None:
    conn, recv = _capture_connection()
    lost = next(i for i, r in enumerate(recv) if str(r.data).endswith(",900]"))
    for i, r in enumerate(recv):
        if i != lost:
            conn.feed(r.data, r.ts)
    assert conn.books.counters.connection_gaps == 1
    assert len(conn.books.trackers) == 7
    states = {t.market.native: (t.state, len(t.book)) for t in conn.books.trackers.values()}
    assert set(states.values()) == {(SyncState.OUT_OF_SYNC, 0)}, states


def test_capture_books_checksum_the_same_with_cached_text() -> None:
    """Replay with the CHECKSUM flag known: cached level text equals text from floats."""
    conn, recv = _capture_connection()
    for r in recv:  # as if the venue had acked CHECKSUM | SEQ_ALL: level text is cached
        conn.feed(str(r.data).replace('"flags":65536', '"flags":196608'), r.ts)
    assert conn.adapter.flags == 196608
    assert conn.adapter.last_seq == 1670 and conn.books.counters.connection_gaps == 0
    for t in conn.books.trackers.values():
        assert t.state is SyncState.IN_SYNC
        plain = OrderBook(ordered=True)
        plain.replace(
            [(p, q) for p, q in t.book.top_bids(100)], [(p, q) for p, q in t.book.top_asks(100)]
        )
        raw = t.book.bid_side.top_raw(1)[0]
        assert len(raw) == 3
        assert book_checksum(t.book) == book_checksum(plain), t.market
