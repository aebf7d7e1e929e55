"""Bitfinex WebSocket v2 market data: P0 books with checksums, trades, SEQ_ALL sequencing.

Docs: docs.bitfinex.com "General" (ws-general: flags, never hard-code array lengths),
"Public Channels" (ws-public: subscribe/subscribed/unsubscribe, info codes, errors),
"Books" (ws-public-books), "Trades" (ws-public-trades), "WebSocket Checksum"
(ws-websocket-checksum); flag and info-code values as in bitfinexcom/bitfinex-api-node
``lib/transports/ws2.js``.

One adapter instance is one connection: Bitfinex numbers channels (``chanId``) and, with the
SEQ_ALL flag, every channel message per connection, so both live here. A jump in that
sequence is a ``ConnectionGap`` (the feed reconnects). Checksum messages become a
``BookDelta`` without levels whose ``checksum`` states "the current book has this CRC";
``BitfinexGuard`` verifies it. Nothing here does I/O.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from provider.book import OrderBook, SortedSide
from provider.errors import ChecksumMismatch, ConfigError, ParseError
from provider.exchanges.base import Adapter, dumps, head, loads
from provider.models import (
    BookDelta,
    BookSnapshot,
    ConnectionGap,
    Event,
    Heartbeat,
    Ignored,
    Kind,
    Market,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.symbols import norm_asset, parse_symbol
from provider.sync import Guard

#: ``conf`` flags (bitfinex-api-node ws2.js FLAGS)
FLAG_TIMESTAMP = 32768
FLAG_SEQ_ALL = 65536
FLAG_CHECKSUM = 131072
#: the flags this project asks for: a checksum after every book change + sequence numbers
CONF_FLAGS = FLAG_CHECKSUM | FLAG_SEQ_ALL

#: info codes (ws-public "Info Messages")
INFO_RESTART = 20051
INFO_MAINTENANCE_START = 20060
INFO_MAINTENANCE_END = 20061

#: levels per side we subscribe to (the venue keeps the window itself; the book trims too)
BOOK_LEN = 100
#: levels per side covered by the checksum (ws-websocket-checksum)
CHECKSUM_LEVELS = 25
#: api-pub allows this many channel subscriptions per connection (ws-general)
MAX_CHANNELS = 25

#: Bitfinex currency codes that differ from the common ones (the global aliases add UST)
#: [code: ccxt bitfinex ``commonCurrencies``; only the unambiguous ones]
ASSET_ALIASES = {
    "UST": "USDT",
    "UDC": "USDC",
    "TSD": "TUSD",
    "EUT": "EURT",
    "DSH": "DASH",
    "IOT": "IOTA",
    "QTM": "QTUM",
    "ALG": "ALGO",
    "ATO": "ATOM",
    "MNA": "MANA",
}
_NATIVE_ASSET = {v: k for k, v in ASSET_ALIASES.items()}

# channel kinds in the per-connection channel table
_BOOK = 0
_TRADES = 1
_OTHER = 2

_INF = float("inf")
_NO_LEVELS: tuple[Any, ...] = ()
_INT32 = 2**31
_JS_INT_LIMIT = 10**21  # JS writes integers from here on in exponent form

# A data frame of the v2 protocol: "[chanId," then a string tag or a numeric array. Kraken v1
# also sends "[channelID, ...]" frames, but its arrays hold quoted strings or objects.
_SNIFF = re.compile(r'\[\d+,(?:"(?:hb|cs|te|tu)"|\[\[?-?\d)')


# ----------------------------------------------------------------------------- numbers


def js_number(x: float) -> str:
    """A number written the way JavaScript's ``String(x)`` writes it.

    The checksum is computed by the server (JavaScript) over its own number text. Both JS
    and Python write the shortest digits that round-trip, but JS uses exponent form only
    when the decimal exponent is below -6 or above 20 (``5.6e-7``, ``1e+21``), Python
    already below -4 and from 16 (``5.6e-07``, ``1e+16``), and Python writes ``100.0``
    where JS writes ``100``.
    """
    if type(x) is int:
        if -_JS_INT_LIMIT < x < _JS_INT_LIMIT:
            return str(x)
        x = float(x)
    r = repr(x)
    mant, e_sep, exp = r.partition("e")
    if not e_sep:
        if r.endswith(".0"):
            return "0" if x == 0 else r[:-2]  # -0.0 too
        if r[-1] in "nf":
            return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
        return r
    e = int(exp)
    if e < -6 or e > 20:
        return f"{mant}e{'+' if e > 0 else '-'}{abs(e)}"
    sign = "-" if mant[0] == "-" else ""
    digits = mant.lstrip("-").replace(".", "")
    if e < 0:
        return f"{sign}0.{'0' * (-e - 1)}{digits}"
    return sign + digits + "0" * (e + 1 - len(digits))


def _fragment(price: Any, amount: Any) -> str:
    """``PRICE:AMOUNT`` of one level as the checksum string holds it.

    Fast path: ``repr`` already is the JS text unless it has an exponent, ``inf``/``nan``
    or a trailing ``.0`` (numbers parsed from the wire are ints below 2**64 or floats).
    """
    text = f"{price!r}:{amount!r}"
    if "e" in text or "n" in text or ".0:" in text or text.endswith(".0"):
        return js_number(price) + ":" + js_number(amount)
    return text


def interleave(bids: Sequence[Any], asks: Sequence[Any]) -> list[Any]:
    """``bid0, ask0, bid1, ask1, ...``; the longer side's remaining entries follow in order
    (ws-websocket-checksum: a side with fewer entries simply stops contributing)."""
    n = min(len(bids), len(asks))
    out: list[Any] = [None] * (2 * n)
    out[0::2] = bids[:n]
    out[1::2] = asks[:n]
    out += bids[n:] if len(bids) > n else asks[n:]
    return out


def checksum_string(bid_parts: Sequence[str], ask_parts: Sequence[str]) -> str:
    """``bid0:ask0:bid1:ask1:...`` from per-level ``PRICE:AMOUNT`` fragments, best first
    ("the 25 highest bids and the 25 lowest asks", ws-websocket-checksum)."""
    return ":".join(interleave(bid_parts, ask_parts))


def crc32_signed(text: str) -> int:
    """CRC-32 of the UTF-8 text as a signed 32-bit integer (what the server sends)."""
    crc = zlib.crc32(text.encode())
    return crc - 2 * _INT32 if crc >= _INT32 else crc


_text_of_level = itemgetter(2)


def book_checksum(book: OrderBook, n: int = CHECKSUM_LEVELS) -> int:
    """The Bitfinex checksum of a P0 book: best ``n`` bids and asks, amounts signed.

    Levels carry their cached ``PRICE:AMOUNT`` text as a third item when the adapter knew
    that checksums were on; otherwise the text is written here from the wire numbers (the
    float of a JSON number written by JS gives the same text back through ``js_number``).
    """
    bid_side = book.bid_side
    ask_side = book.ask_side
    if not (isinstance(bid_side, SortedSide) and isinstance(ask_side, SortedSide)):
        raise ChecksumMismatch("Bitfinex checksums need an ordered book (wire items kept)")
    bids = bid_side.top_raw(n)
    asks = ask_side.top_raw(n)
    try:
        text = ":".join(map(_text_of_level, interleave(bids, asks)))
    except IndexError:  # some levels were parsed before the CHECKSUM flag was known
        text = checksum_string(
            [lv[2] if len(lv) > 2 else _fragment(lv[0], lv[1]) for lv in bids],
            [lv[2] if len(lv) > 2 else _fragment(lv[0], -lv[1]) for lv in asks],
        )
    return crc32_signed(text)


# ----------------------------------------------------------------------------- guard


class BitfinexGuard(Guard):
    """Checksum rule of one P0 book (no per-book sequence: SEQ_ALL is per connection).

    A delta whose ``checksum`` is set claims the CRC of the book after everything before
    it; a mismatch means the book is wrong and must be resubscribed.
    """

    ordered = True

    def verify(self, book: OrderBook, msg: BookSnapshot | BookDelta) -> bool | None:
        want = msg.checksum
        if want is None:
            return None
        got = book_checksum(book)
        if got != want:
            raise ChecksumMismatch(f"{msg.market} checksum {got}, venue says {want}")
        return True


# ----------------------------------------------------------------------------- adapter


def _num(x: Any) -> bool:
    t = type(x)
    return t is float or t is int


class BitfinexAdapter(Adapter):
    venue = Venue.BITFINEX
    ws_url = "wss://api-pub.bitfinex.com/ws/2"
    # a SEQ_ALL gap loses the whole connection; a checksum mismatch of one book can also be
    # repaired with ``resubscribe_messages`` (unsubscribe + subscribe that channel)
    resync = "reconnect"
    max_messages_per_s = 5.0  # no documented inbound limit; stay conservative
    #: ws-public "Rate Limit": 20 connections per minute on api-pub
    max_connects_per_min = 20.0
    max_connection_s = None
    ping_text = None  # the server sends "hb" on idle channels; no client ping is required

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        # chanId -> (kind, market or None, subscribed len / channel name)
        self._chans: dict[int, tuple[int, Market | None, Any]] = {}
        self._book_chan: dict[Market, int] = {}
        self.flags: int | None = None  # conf flags (what we sent, then what the venue acked)
        self._seq_on = False
        self._cs_on = False
        self.last_seq: int | None = None  # last SEQ_ALL number seen on this connection
        self._gap: ConnectionGap | None = None  # found but not yet emitted

    # ------------------------------------------------------------------------- flags

    def _set_flags(self, flags: int) -> None:
        self.flags = flags
        self._seq_on = bool(flags & FLAG_SEQ_ALL)
        self._cs_on = bool(flags & FLAG_CHECKSUM)

    def on_sent(self, text: str) -> None:
        """Learn the ``conf`` flags the client sent (captures replay them through here)."""
        try:
            msg = loads(text)
        except ParseError:
            return
        if type(msg) is dict and msg.get("event") == "conf" and type(msg.get("flags")) is int:
            self._set_flags(msg["flags"])

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        """``tBTCUSD`` -> BTC/USD, ``tBTCUST`` -> BTC/USDT, ``tTESTBTC:TESTUSD``,
        ``tBTCF0:USTF0`` -> BTC/USDT:USDT (perpetual). Funding symbols (``fUSD``) are not
        markets here."""
        if type(native) is not str or len(native) < 2 or native[0] != "t":
            raise ParseError(f"Bitfinex symbol {native!r} is not a trading pair")
        pair = native[1:]
        if ":" in pair:
            base, _, quote = pair.partition(":")
        elif len(pair) == 6:
            base, quote = pair[:3], pair[3:]
        else:
            raise ParseError(f"cannot split Bitfinex symbol {native!r}")
        for code in (base, quote):
            if not (code.isascii() and code.isalnum() and code == code.upper()):
                raise ParseError(f"cannot split Bitfinex symbol {native!r}")
        kind = Kind.SPOT
        if base.endswith("F0") and quote.endswith("F0") and len(base) > 2 and len(quote) > 2:
            kind = Kind.PERP
            base, quote = base[:-2], quote[:-2]
        b = ASSET_ALIASES.get(base) or norm_asset(base)
        q = ASSET_ALIASES.get(quote) or norm_asset(quote)
        symbol = f"{b}/{q}:{q}" if kind is Kind.PERP else f"{b}/{q}"
        return Market(self.venue, native, symbol, b, q, kind)

    def native_symbol(self, symbol: str) -> str:
        base, quote = parse_symbol(symbol)
        b = _NATIVE_ASSET.get(base, base)
        q = _NATIVE_ASSET.get(quote, quote)
        if ":" in symbol:  # perpetual, e.g. BTC/USDT:USDT -> tBTCF0:USTF0
            return f"t{b}F0:{q}F0"
        if len(b) == 3 and len(q) == 3:
            return f"t{b}{q}"
        return f"t{b}:{q}"

    # ------------------------------------------------------------------------- requests

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """``conf`` (checksum + SEQ_ALL), then one book (P0, F0, len 100) subscription per
        market, then one trades subscription per market: one message per channel."""
        if 2 * len(markets) > MAX_CHANNELS:
            raise ConfigError(
                f"Bitfinex allows {MAX_CHANNELS} channels per connection: at most "
                f"{MAX_CHANNELS // 2} markets (book + trades) per connection, "
                f"{len(markets)} given"
            )
        out = [dumps({"event": "conf", "flags": CONF_FLAGS})]
        # books first: after a reconnect they are what the page waits for
        out += [self._book_subscribe(m) for m in markets]
        out += [
            dumps({"event": "subscribe", "channel": "trades", "symbol": m.native}) for m in markets
        ]
        return out

    @staticmethod
    def _book_subscribe(m: Market) -> str:
        return dumps(
            {
                "event": "subscribe",
                "channel": "book",
                "symbol": m.native,
                "prec": "P0",
                "freq": "F0",
                "len": str(BOOK_LEN),
            }
        )

    def resubscribe_messages(self, market: Market) -> list[str]:
        """Unsubscribe the market's book channel on this connection (if known) and subscribe
        again: the venue answers with a fresh snapshot."""
        out = []
        cid = self._book_chan.get(market)
        if cid is not None:
            out.append(dumps({"event": "unsubscribe", "chanId": cid}))
        out.append(self._book_subscribe(market))
        return out

    def guard(self, market: Market) -> Guard:
        return BitfinexGuard()

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        text = head(frame, 60)
        if text.startswith("["):
            return _SNIFF.match(text) is not None
        return text.startswith(('{"event":"info","version":2', '{"event":"conf",')) or (
            text.startswith('{"event":"subscribed","channel":"') and '"chanId":' in head(frame, 200)
        )

    def parse(self, frame: str | bytes) -> list[Event]:
        """``[chanId, BODY, ...]`` channel messages (with SEQ_ALL the last element is the
        connection's sequence number; ws-general "Array Length": more fields may be
        appended) and ``{"event": ...}`` control messages."""
        msg = loads(frame)
        if type(msg) is not list:
            if type(msg) is dict:
                return self._event(msg)
            raise ParseError(f"Bitfinex frame is neither array nor object: {head(frame, 80)!r}")
        n = len(msg)
        if n < 2 or type(msg[0]) is not int:
            raise ParseError("Bitfinex channel message without chanId or body")
        body = msg[1]
        if self._seq_on:
            fixed = (2 if body == "hb" else 3) if type(body) is str else 2
            seq = msg[-1]
            if n <= fixed or type(seq) is not int:
                raise ParseError("Bitfinex channel message without its SEQ_ALL number")
            last = self.last_seq
            self.last_seq = seq
            if last is not None and seq != last + 1:
                self._gap = ConnectionGap(self.venue, last + 1, seq)
        ch = self._chans.get(msg[0])
        if ch is not None and ch[0] == _BOOK and type(body) is list and body:
            if type(body[0]) is list:
                ev: Event = self._book_snapshot(ch[1], body, ch[2])  # type: ignore[arg-type]
            else:  # the hot path: one level
                ev = self._book_update(ch[1], body)  # type: ignore[arg-type]
        else:
            ev = self._channel(ch, body, msg)
        if self._gap is None:
            return [ev]
        gap = self._gap
        self._gap = None
        return [gap, ev]

    def _channel(self, ch: tuple[int, Market | None, Any] | None, body: Any, msg: list) -> Event:
        if ch is None:
            # e.g. "hb" of a channel whose "subscribed" ack comes later (seen in captures)
            if body == "hb":
                return Heartbeat(self.venue, None)
            return Ignored(self.venue, "unknown channel")
        kind = ch[0]
        if kind == _BOOK:
            return self._book(ch[1], body, msg, ch[2])  # type: ignore[arg-type]
        if kind == _TRADES:
            return self._trades(ch[1], body, msg)  # type: ignore[arg-type]
        if body == "hb":
            return Heartbeat(self.venue, None)
        return Ignored(self.venue, str(ch[2]))

    def _book(self, m: Market, body: Any, msg: list, depth: int | None) -> Event:
        if type(body) is list:  # an empty snapshot: the book has no levels
            return self._book_snapshot(m, body, depth)
        if body == "hb":
            return Heartbeat(self.venue, m)
        if body == "cs":
            return self._checksum(m, msg)
        raise ParseError(f"unknown Bitfinex book message {body!r:.40}", m)

    def _book_update(self, m: Market, lv: list) -> BookDelta:
        """``[17082,[7254.7,3,3.3],6]``: PRICE, COUNT, AMOUNT (ws-public-books). COUNT > 0
        sets the level (AMOUNT > 0 bid, < 0 ask); COUNT 0 deletes it (AMOUNT 1 bid side,
        -1 ask side)."""
        try:
            p = lv[0]
            c = lv[1]
            a = lv[2]
        except IndexError:
            raise ParseError("Bitfinex book level too short", m) from None
        tp = type(p)
        ta = type(a)
        if not ((tp is float or tp is int) and (ta is float or ta is int) and type(c) is int):
            raise ParseError(f"Bitfinex book level mistyped: {lv!r:.80}", m)
        if c > 0:
            if a > 0:
                return BookDelta(
                    m, ((p, a, _fragment(p, a)) if self._cs_on else (p, a),), _NO_LEVELS
                )
            if a < 0:
                return BookDelta(
                    m, _NO_LEVELS, ((p, -a, _fragment(p, a)) if self._cs_on else (p, -a),)
                )
        elif c == 0:
            if a > 0:
                return BookDelta(m, ((p, 0),), _NO_LEVELS)
            if a < 0:
                return BookDelta(m, _NO_LEVELS, ((p, 0),))
        raise ParseError(f"Bitfinex book level with count {c} amount {a}", m)

    def _book_snapshot(self, m: Market, levels: list, depth: int | None) -> BookSnapshot:
        """``[17082,[[7254.7,3,3.3],[7254.8,1,-0.5]],5]``: the subscribed ``len`` levels per
        side (ws-public-books); an empty book is ``[17082,[],5]``."""
        bids = []
        asks = []
        cs = self._cs_on
        for lv in levels:
            if type(lv) is not list or len(lv) < 3:
                raise ParseError("Bitfinex snapshot level malformed", m)
            p = lv[0]
            c = lv[1]
            a = lv[2]
            if not (_num(p) and type(c) is int and _num(a)) or c <= 0:
                raise ParseError(f"Bitfinex snapshot level mistyped: {lv!r:.80}", m)
            if a > 0:
                bids.append((p, a, _fragment(p, a)) if cs else (p, a))
            elif a < 0:
                asks.append((p, -a, _fragment(p, a)) if cs else (p, -a))
            else:
                raise ParseError("Bitfinex snapshot level with amount 0", m)
        return BookSnapshot(m, bids, asks, None, None, None, depth)

    def _checksum(self, m: Market, msg: list) -> BookDelta:
        """``[17082,"cs",-1323479414,7]``: the signed CRC-32 of the book after everything
        before it (ws-websocket-checksum)."""
        cs = msg[2] if len(msg) > 2 else None
        if type(cs) is not int or not -_INT32 <= cs < _INT32:
            raise ParseError("Bitfinex checksum missing or not a signed 32-bit integer", m)
        return BookDelta(m, _NO_LEVELS, _NO_LEVELS, None, None, None, cs)

    def _trades(self, m: Market, body: Any, msg: list) -> Event:
        """``[17470,"te",[401597395,1574694478808,0.005,7245.3],12]`` is a new execution
        (AMOUNT > 0: the taker bought); ``"tu"`` repeats the same trade once written to the
        database, and the snapshot ``[17470,[[ID,MTS,AMOUNT,PRICE],...]]`` is history: both
        are not new executions (ws-public-trades)."""
        if body == "te":
            t = msg[2] if len(msg) > 2 else None
            if type(t) is not list or len(t) < 4:
                raise ParseError("Bitfinex trade without [ID, MTS, AMOUNT, PRICE]")
            tid, mts, amount, price = t[0], t[1], t[2], t[3]
            if type(tid) is not int or not _num(mts) or not _num(amount) or not _num(price):
                raise ParseError(f"Bitfinex trade mistyped: {t!r:.80}")
            size = abs(amount)
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"Bitfinex trade with bad price/amount {price!r}/{amount!r}")
            return Trade(
                m,
                float(price),
                float(size),
                Side.BUY if amount > 0 else Side.SELL,
                str(tid),
                mts / 1000.0,
            )
        if body == "tu":
            return Ignored(self.venue, "trade update")
        if body == "hb":
            return Heartbeat(self.venue, m)
        if type(body) is list:
            return Ignored(self.venue, "trade history")
        raise ParseError(f"unknown Bitfinex trades message {body!r:.40}")

    def _event(self, msg: dict) -> list[Event]:
        ev = msg.get("event")
        if ev == "subscribed":
            return [self._subscribed(msg)]
        if ev == "info":
            return [self._info(msg)]
        if ev == "conf":
            # {"event":"conf","status":"OK","flags":65536}
            flags = msg.get("flags")
            if msg.get("status") == "OK" and type(flags) is int:
                self._set_flags(flags)
                return [Status(self.venue, "conf", f"flags {flags}")]
            return [Status(self.venue, "conf", str(msg)[:200], ok=False)]
        if ev == "error":
            # {"event":"error","msg":"subscribe: dup","code":10301,"channel":"book",...}
            return [
                Status(self.venue, "error", f"{msg.get('code')} {msg.get('msg')}"[:200], ok=False)
            ]
        if ev == "unsubscribed":
            # {"event":"unsubscribed","status":"OK","chanId":17082}
            cid = msg.get("chanId")
            ch = self._chans.pop(cid, None) if type(cid) is int else None
            market = ch[1] if ch is not None else None
            if market is not None and self._book_chan.get(market) == cid:
                del self._book_chan[market]
            return [Status(self.venue, "unsubscribed", str(cid), market=market)]
        if ev == "pong":
            return [Status(self.venue, "pong", str(msg.get("cid", "")))]
        if ev == "auth":
            return [Status(self.venue, "auth", str(msg.get("status")), msg.get("status") == "OK")]
        raise ParseError(f"unknown Bitfinex event {ev!r:.40}")

    def _subscribed(self, msg: dict) -> Status:
        """``{"event":"subscribed","channel":"book","chanId":17082,"symbol":"tBTCUSD",
        "prec":"P0","freq":"F0","len":"100","pair":"BTCUSD"}``: remember the channel."""
        cid = msg.get("chanId")
        channel = msg.get("channel")
        if type(cid) is not int or type(channel) is not str:
            raise ParseError("Bitfinex subscribed ack with mistyped chanId/channel")
        sym = msg.get("symbol")
        market = None
        if channel in ("book", "trades") and type(sym) is str:
            try:
                market = self.market(sym)
            except ParseError:
                market = None  # a funding or unknown symbol: its data is not used
        if channel == "book" and market is not None and msg.get("prec", "P0") == "P0":
            length = msg.get("len")
            depth = int(length) if type(length) is str and length.isdigit() else None
            self._chans[cid] = (_BOOK, market, depth)
            self._book_chan[market] = cid
        elif channel == "trades" and market is not None:
            self._chans[cid] = (_TRADES, market, None)
        else:
            self._chans[cid] = (_OTHER, None, channel[:20])
        return Status(self.venue, "subscribed", f"{channel} {sym} chanId {cid}"[:200], True, market)

    def _info(self, msg: dict) -> Status:
        """``{"event":"info","version":2,"platform":{"status":1}}`` on connect, or an info
        code: 20051 server restart (reconnect), 20060/20061 maintenance start/end."""
        code = msg.get("code")
        text = str(msg.get("msg", ""))[:150]
        if code == INFO_RESTART:
            return Status(self.venue, "reconnect", f"{code} server restart {text}", ok=False)
        if code == INFO_MAINTENANCE_START:
            return Status(self.venue, "maintenance", f"{code} start {text}", ok=False)
        if code == INFO_MAINTENANCE_END:
            return Status(self.venue, "maintenance end", f"{code} {text}")
        if code is not None:
            return Status(self.venue, "info", f"{code} {text}")
        platform = msg.get("platform")
        status = platform.get("status") if type(platform) is dict else None
        if status == 0:
            return Status(self.venue, "maintenance", "platform status 0", ok=False)
        return Status(self.venue, "info", f"version {msg.get('version')} platform {status}")


ADAPTER = BitfinexAdapter
