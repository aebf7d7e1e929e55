"""Kraken spot market data: WebSocket v1 (the captures) and v2 (live) books and trades.

Sans-I/O: turns frames into events and builds subscribe messages; no sockets, no awaiting,
never mutates a frame. Parses both protocol versions on any connection (v1 sends arrays
and ``{"event":..}`` objects, v2 ``{"channel":..}``/``{"method":..}`` objects); the
messages this adapter builds are v2 only (``wss://ws.kraken.com/v2``, symbols spelled
``BTC/USD``).

Neither version numbers its book messages: the CRC32 checksum of the top 10 levels per side
is the only integrity check (``KrakenGuard``), and a book is resynchronised by subscribing
to it again. The checksum is computed over the venue's *text* of each price and size, so v1
levels are passed on as the wire lists and v2 book frames are decoded with a
string-preserving JSON decoder (v2 sends JSON numbers with meaningful trailing zeros).

Docs: docs.kraken.com "Spot WebSockets (v1) Book Checksum" (guides/spot-ws-book-v1,
exchange/guides/websockets/book-checksum-v1), spot-websocket-v1 ``book``, ``trade``,
``heartbeat``, ``systemStatus``, ``subscriptionStatus``, ``ping``; "Spot WebSockets (v2)
Book Checksum" (guides/spot-ws-book-v2, book-checksum-v2), spot-websocket-v2 ``book``,
``trade``, ``heartbeat``, ``status``, ``subscribe``/``unsubscribe``, ``ping``.
"""

from __future__ import annotations

import json
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from provider.book import OrderBook
from provider.errors import ChecksumMismatch, ParseError
from provider.exchanges.base import Adapter, dumps, head, loads
from provider.models import (
    BookDelta,
    BookSnapshot,
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

#: levels per side the checksum covers (both versions)
CHECKSUM_LEVELS = 10
#: book depth this adapter subscribes to (one of 10, 25, 100, 500, 1000)
BOOK_DEPTH = 1000
#: Kraken's depth when a subscription names none
DEFAULT_DEPTH = 10

_INF = float("inf")
_TAKER_V1 = {"b": Side.BUY, "s": Side.SELL}
_TAKER_V2 = {"buy": Side.BUY, "sell": Side.SELL}
#: v1 channels that are valid but unused here
_V1_UNUSED = ("ticker", "spread", "ohlc", "ownTrades", "openOrders")
#: v2 channels that are valid but unused here
_V2_UNUSED = frozenset(
    ("ticker", "ohlc", "instrument", "level3", "executions", "balances", "spread")
)
#: v2 channels ``recognizes`` accepts (with ``"type"`` or ``"data"`` next)
_V2_CHANNELS = ("book", "trade", "ticker", "ohlc", "instrument", "level3", "status")
_V1_EVENTS = ('"event":"heartbeat"', '"event":"systemStatus"', '"event":"subscriptionStatus"')


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


#: v2 book frames: every number kept as its wire text (``0.10000000`` stays ``"0.10000000"``)
_decode_exact = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_no_constant).decode


# ----------------------------------------------------------------------------- checksum


def level_text(value: str) -> str:
    """One price or size as the checksum spells it: ``.`` removed, leading zeros stripped."""
    return value.replace(".", "").lstrip("0")


def book_checksum(asks: Sequence[Sequence[Any]], bids: Sequence[Sequence[Any]]) -> int:
    """CRC32 (unsigned) of the top 10 asks (best first) then the top 10 bids (best first).

    Items are ``[price, size, ...]`` with the venue's decimal text; a side with fewer than
    10 levels contributes what it has. The reference for ``KrakenGuard``'s cached version.
    """
    text = "".join(
        level_text(lv[0]) + level_text(lv[1])
        for side in (asks[:CHECKSUM_LEVELS], bids[:CHECKSUM_LEVELS])
        for lv in side
    )
    return zlib.crc32(text.encode())


class _TopText:
    """The checksum text of one side's best 10 levels, kept up to date message by message.

    Reading the top 10 from the book and looking up 20 strings on every message costs
    more than the rest of the message; most messages change one level, often outside the
    top 10. So each side mirrors its best ``KEEP`` levels (sort keys ``price * sign``,
    best first, and each level's text) and applies each message's levels to the mirror
    with the book's rule (size 0 deletes). The mirror holds *every* level of the side up
    to ``edge`` (its last key, or infinity when it holds the whole side): levels beyond
    ``edge`` are skipped, and the text changes only when a level inside the first 10
    changed. The book is read again (``top_raw``) only after a snapshot or when deletes
    leave fewer than 10 levels up to ``edge``. The mirror keeps at most ``keep`` levels,
    never more than the book's depth, so the book's depth trim (which keeps the best
    ``depth`` levels) never removes a level the mirror holds.
    """

    KEEP = 25

    __slots__ = ("edge", "keep", "keys", "sign", "text", "texts")

    def __init__(self, sign: float) -> None:
        self.sign = sign  # +1.0 asks (low to high), -1.0 bids (high to low)
        self.keep = self.KEEP
        self.keys: list[float] | None = None  # None: read the book again
        self.texts: list[str] = []
        self.edge = _INF
        self.text: bytes | None = None

    def reset(self, depth: int | None = None) -> None:
        """Forget the mirror (after a snapshot of a book of ``depth`` levels per side)."""
        self.keep = self.KEEP if depth is None else max(1, min(self.KEEP, depth))
        self.keys = None
        self.text = None

    def apply(self, levels: Any, strings: dict[str, str]) -> None:
        keys = self.keys
        if keys is None:
            return
        texts = self.texts
        sign = self.sign
        edge = self.edge
        changed = False
        for lv in levels:
            k = float(lv[0]) * sign
            if k > edge:
                continue
            i = bisect_left(keys, k)
            here = i < len(keys) and keys[i] == k
            if float(lv[1]) == 0.0:
                if here:
                    del keys[i]
                    del texts[i]
                    if i < CHECKSUM_LEVELS:
                        changed = True
                continue
            p = lv[0]
            text = strings.get(p)
            if text is None:
                text = _learn(strings, p)
            q = lv[1]
            if type(q) is not str:
                raise TypeError(f"Kraken level {lv!r} is not decimal text")
            text += q.replace(".", "").lstrip("0")  # sizes rarely repeat: not cached
            if here:
                texts[i] = text
            else:
                keys.insert(i, k)
                texts.insert(i, text)
            if i < CHECKSUM_LEVELS:
                changed = True
        n = len(keys)
        keep = self.keep
        if n > keep:
            del keys[keep:]
            del texts[keep:]
            self.edge = keys[-1]
        elif n < CHECKSUM_LEVELS and edge != _INF:
            self.keys = None  # levels beyond the mirror move into the top 10
        if changed:
            self.text = None

    def current(self, side: Any, strings: dict[str, str]) -> bytes:
        text = self.text
        if text is not None:
            return text
        if self.keys is None:
            top = side.top_raw(self.keep)
            sign = self.sign
            self.keys = [float(lv[0]) * sign for lv in top]
            self.texts = [_learn(strings, lv[0]) + _size_text(lv[1]) for lv in top]
            self.edge = self.keys[-1] if len(top) == self.keep else _INF
        text = self.text = "".join(self.texts[:CHECKSUM_LEVELS]).encode()
        return text


def _learn(strings: dict[str, str], price: Any) -> str:
    """The checksum text of a price string, from the cache or computed and cached."""
    text = strings.get(price)
    if text is None:
        if type(price) is not str:
            raise TypeError(f"Kraken price {price!r} is not decimal text")
        if len(strings) >= KrakenGuard.cache_limit:
            strings.clear()
        text = strings[price] = level_text(price)
    return text


def _size_text(size: Any) -> str:
    if type(size) is not str:
        raise TypeError(f"Kraken size {size!r} is not decimal text")
    return level_text(size)


class KrakenGuard(Guard):
    """Kraken's only rule: after each message the book's top-10 checksum must match.

    v1 sends the checksum on updates only, v2 on snapshots too. The checksum text is
    kept per side (``_TopText``) and the text of each price string is cached (prices
    recur, sizes rarely do), so a message costs about one level's work, not twenty.
    """

    ordered = True
    #: cached price texts kept before the cache is dropped (the mirror holds a few dozen
    #: prices at a time; a large bound only grows memory as the market walks away)
    cache_limit = 1024

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._asks = _TopText(1.0)
        self._bids = _TopText(-1.0)

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self._asks.reset(snap.depth)
        self._bids.reset(snap.depth)

    def verify(self, book: OrderBook, msg: BookSnapshot | BookDelta) -> bool | None:
        strings = self._strings
        if msg.asks:
            self._asks.apply(msg.asks, strings)
        if msg.bids:
            self._bids.apply(msg.bids, strings)
        expected = msg.checksum
        if expected is None:
            return None
        asks = self._asks.text or self._asks.current(book.ask_side, strings)
        bids = self._bids.text or self._bids.current(book.bid_side, strings)
        got = zlib.crc32(bids, zlib.crc32(asks))
        if got != expected:
            raise ChecksumMismatch(f"Kraken checksum {got} != {expected}")
        return True


# ----------------------------------------------------------------------------- adapter


def _iso_ts(value: Any) -> float | None:
    """RFC 3339 ``2023-10-06T17:35:55.440295Z`` -> epoch seconds (None when absent/odd)."""
    if type(value) is not str:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class KrakenAdapter(Adapter):
    """One Kraken connection: parses v1 and v2 frames, subscribes with v2 messages."""

    venue = Venue.KRAKEN
    ws_url = "wss://ws.kraken.com/v2"
    resync = "resubscribe"
    # Kraken's WebSocket rate limit is dynamic and undocumented as a number (UNVERIFIED);
    # stay well below what other venues allow.
    max_messages_per_s = 2.0
    max_connection_s = None  # no documented connection lifetime (UNVERIFIED)
    ping_text = None  # the server sends heartbeats once subscribed; no client ping needed

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        self._v1_depths: dict[str, int] = {}  # "book-1000" -> 1000
        self._v2_depths: dict[str, int] = {}  # symbol -> subscribed depth (sent or acked)

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        """``XBT/USD`` (v1) or ``BTC/USD`` (v2) -> BTC/USD."""
        base, sep, quote = native.partition("/")
        if not sep or not base or not quote or "/" in quote:
            raise ParseError(f"Kraken pair {native!r} is not BASE/QUOTE")
        base, quote = norm_asset(base), norm_asset(quote)
        return Market(self.venue, native, f"{base}/{quote}", base, quote, Kind.SPOT)

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        """v2 lives on ``/v2`` (the root speaks v1), on the live host or another base."""
        return base.rstrip("/") + "/v2" if base else self.ws_url

    def native_symbol(self, symbol: str) -> str:
        """The v2 spelling, which is the normalized one (``BTC/USD``)."""
        base, quote = parse_symbol(symbol)
        return f"{base}/{quote}"

    # ------------------------------------------------------------------------- requests

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """One v2 ``book`` and one ``trade`` subscription for all markets.

        Depth 1000 (the deepest Kraken offers, as in the captures): the consolidated view
        and its depth bands need levels far from the touch, and 100 levels of a busy pair
        cover only a few ticks. Trades without the snapshot of recent trades, so that only
        new executions are counted.
        """
        symbols = [self._v2_symbol(m) for m in markets]
        if not symbols:
            return []
        return [
            dumps(
                {
                    "method": "subscribe",
                    "params": {
                        "channel": "book",
                        "symbol": symbols,
                        "depth": BOOK_DEPTH,
                        "snapshot": True,
                    },
                    "req_id": 1,
                }
            ),
            dumps(
                {
                    "method": "subscribe",
                    "params": {"channel": "trade", "symbol": symbols, "snapshot": False},
                    "req_id": 2,
                }
            ),
        ]

    def resubscribe_messages(self, market: Market) -> list[str]:
        """Unsubscribe and subscribe the book again: the venue answers with a snapshot."""
        sym = self._v2_symbol(market)
        return [
            dumps(
                {
                    "method": "unsubscribe",
                    "params": {"channel": "book", "symbol": [sym], "depth": BOOK_DEPTH},
                    "req_id": 3,
                }
            ),
            dumps(
                {
                    "method": "subscribe",
                    "params": {
                        "channel": "book",
                        "symbol": [sym],
                        "depth": BOOK_DEPTH,
                        "snapshot": True,
                    },
                    "req_id": 4,
                }
            ),
        ]

    def _v2_symbol(self, market: Market) -> str:
        return self.native_symbol(market.symbol)

    def guard(self, market: Market) -> Guard:
        return KrakenGuard()

    def on_sent(self, text: str) -> None:
        """Remember the depth of v2 book subscriptions (v2 snapshots do not repeat it)."""
        if '"book"' not in text:
            return
        try:
            msg = json.loads(text)
            params = msg["params"]
            if msg.get("method") != "subscribe" or params.get("channel") != "book":
                return
            depth = params.get("depth", DEFAULT_DEPTH)
            symbols = params["symbol"]
        except (ValueError, TypeError, KeyError, AttributeError):
            return
        if type(depth) is int and type(symbols) is list:
            for s in symbols:
                if type(s) is str:
                    self._v2_depths[s] = depth

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        """v1: ``[<id>,{..}|[..],..,"book-N"|"trade"|..,"<pair>"]`` and the heartbeat,
        systemStatus and subscriptionStatus events; v2: ``{"channel":"<kraken channel>",``
        followed by ``"type"``/``"data"`` (Coinbase Advanced Trade has ``client_id`` there),
        ``{"channel":"heartbeat"}`` and subscribe/unsubscribe/pong answers. Pongs of v1 are
        not sniffed (Bitfinex sends ``{"event":"pong",..}`` too)."""
        text = head(frame, 120)
        if text.startswith("["):
            # v1 channel message: [channelID, {...}|[...], ..., "channelName", "pair"]
            tail = frame[-80:]
            if isinstance(tail, bytes | bytearray | memoryview):
                tail = bytes(tail).decode("utf-8", "replace")
            tail = tail.rstrip()
            if not tail.endswith('"]'):
                return False
            i = text.find(",")
            if i < 2 or not text[1:i].isdigit() or text[i + 1 : i + 2] not in ("{", "["):
                return False
            return any(
                f',"{name}' in tail for name in ("book-", "trade", "ticker", "spread", "ohlc")
            )
        if text.startswith("{"):
            if any(e in text for e in _V1_EVENTS):
                return True
            if text.startswith('{"channel":"heartbeat"}'):
                return True
            for ch in _V2_CHANNELS:
                if text.startswith((f'{{"channel":"{ch}","type":', f'{{"channel":"{ch}","data":')):
                    return True
            return text.startswith(
                ('{"method":"subscribe",', '{"method":"unsubscribe",', '{"method":"pong",')
            )
        return False

    def parse(self, frame: str | bytes) -> list[Event]:
        if frame[:17] == '{"channel":"book"':
            return self._v2_book(self._exact(frame), frame)
        msg = loads(frame)
        if type(msg) is list:
            if len(msg) == 4:
                data = msg[1]
                if type(data) is dict and "c" in data:
                    # the hot path: a v1 book update (see _v1_update)
                    name = msg[2]
                    pair = msg[3]
                    if type(name) is str and type(pair) is str and name[:5] == "book-":
                        m = self._markets.get(pair) or self.market(pair)
                        asks = data.get("a")
                        bids = data.get("b")
                        c = data["c"]
                        if (
                            (asks is None or type(asks) is list)
                            and (bids is None or type(bids) is list)
                            and type(c) is str
                            and c.isdecimal()
                        ):
                            return [BookDelta(m, bids or (), asks or (), None, None, None, int(c))]
            return self._v1_channel(msg, frame)
        if type(msg) is not dict:
            raise ParseError(f"Kraken frame is neither array nor object: {head(frame, 80)!r}")
        channel = msg.get("channel")
        if channel is not None:
            if channel == "book":  # keys in another order: decode again, keeping the text
                return self._v2_book(self._exact(frame), frame)
            return self._v2_channel(channel, msg, frame)
        if "event" in msg:
            return [self._v1_event(msg, frame)]
        if "method" in msg:
            return [self._v2_method(msg, frame)]
        if "Error" in msg or "error" in msg:
            # {"Error":"Exceeded msg rate"} (v1 rate limit)
            err = msg.get("Error", msg.get("error"))
            return [Status(self.venue, "error", str(err)[:200], ok=False)]
        raise ParseError(f"unknown Kraken message: {head(frame, 80)!r}")

    # ------------------------------------------------------------------------- v1

    def _v1_channel(self, msg: list, frame: str | bytes) -> list[Event]:
        n = len(msg)
        if n == 4:
            data = msg[1]
            name = msg[2]
            pair = msg[3]
        elif n == 5:
            data = msg[1]
            name = msg[3]
            pair = msg[4]
        else:
            raise ParseError(f"Kraken v1 message with {n} elements: {head(frame, 80)!r}")
        if type(name) is not str or type(pair) is not str:
            raise ParseError(f"Kraken v1 message without channel/pair: {head(frame, 80)!r}")
        if name[:5] == "book-":
            m = self._markets.get(pair) or self.market(pair)
            if n == 5:
                return [self._v1_book_update2(msg[1], msg[2], m)]
            if type(data) is not dict:
                raise ParseError("Kraken v1 book message without levels", m)
            if "as" in data or "bs" in data:
                return [self._v1_snapshot(data, name, m)]
            return [self._v1_update(data, m)]
        if name == "trade":
            return self._v1_trades(data, self._markets.get(pair) or self.market(pair))
        if name.startswith(_V1_UNUSED):
            return [Ignored(self.venue, name)]
        raise ParseError(f"unknown Kraken v1 channel {name!r}")

    def _v1_snapshot(self, data: dict, name: str, m: Market) -> BookSnapshot:
        """``[992,{"as":[["354.49000000","1.17302353","1618678131.823047"],...],
        "bs":[["354.15000000","5.00000000","1618678133.365913"],...]},"book-1000","XMR/USD"]``
        (spot-websocket-v1 ``book``, snapshot payload). No checksum in v1 snapshots."""
        asks = data.get("as", [])
        bids = data.get("bs", [])
        if type(asks) is not list or type(bids) is not list:
            raise ParseError("Kraken v1 book snapshot with mistyped as/bs", m)
        depth = self._v1_depths.get(name)
        if depth is None:
            try:
                depth = int(name[5:])
            except ValueError:
                raise ParseError(f"Kraken v1 book channel {name!r} without depth", m) from None
            if depth <= 0:
                raise ParseError(f"Kraken v1 book channel {name!r} without depth", m)
            self._v1_depths[name] = depth
        return BookSnapshot(m, bids, asks, None, None, None, depth)

    def _v1_update(self, data: dict, m: Market) -> BookDelta:
        """``[992,{"b":[["354.15000000","5.00000000","1618678133.365913"]],
        "c":"2583817756"},"book-1000","XMR/USD"]`` (spot-websocket-v1 ``book``, update
        payload; a level may carry a 4th element ``"r"``, a republished level)."""
        asks = data.get("a")
        bids = data.get("b")
        if (asks is not None and type(asks) is not list) or (
            bids is not None and type(bids) is not list
        ):
            raise ParseError("Kraken v1 book update with mistyped a/b", m)
        c = data.get("c")
        checksum = _v1_checksum(c, m) if c is not None else None
        return BookDelta(m, bids or (), asks or (), None, None, None, checksum)

    def _v1_book_update2(self, first: Any, second: Any, m: Market) -> BookDelta:
        """Five elements, asks and bids in separate objects, checksum in the last one:
        ``[1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},
        {"b":[["0.042990","0.00000000","1618678145.920708"]],"c":"4105471083"},
        "book-1000","SC/EUR"]`` (spot-websocket-v1 ``book``, "asks and bids")."""
        if type(first) is not dict or type(second) is not dict:
            raise ParseError("Kraken v1 book update with mistyped payloads", m)
        asks = first.get("a", second.get("a"))
        bids = second.get("b", first.get("b"))
        if (asks is not None and type(asks) is not list) or (
            bids is not None and type(bids) is not list
        ):
            raise ParseError("Kraken v1 book update with mistyped a/b", m)
        c = second.get("c", first.get("c"))
        checksum = _v1_checksum(c, m) if c is not None else None
        return BookDelta(m, bids or (), asks or (), None, None, None, checksum)

    def _v1_trades(self, data: Any, m: Market) -> list[Event]:
        """``[993,[["354.11000000","0.89594024","1618678142.557535","s","l",""]],"trade",
        "XMR/USD"]``: price, volume, time, side (``b``/``s``: the taker), order type, misc
        (spot-websocket-v1 ``trade``). v1 trades carry no id: the time stands in for it."""
        if type(data) is not list:
            raise ParseError("Kraken v1 trade message without a list of trades")
        out: list[Event] = []
        for t in data:
            try:
                price = float(t[0])
                size = float(t[1])
                ts_text = t[2]
                ts = float(ts_text)
                side = _TAKER_V1[t[3]]
            except (IndexError, KeyError, TypeError, ValueError) as exc:
                raise ParseError(f"Kraken v1 trade malformed: {exc!r}") from None
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"Kraken v1 trade with bad price/size {t[0]!r}/{t[1]!r}")
            out.append(Trade(m, price, size, side, str(ts_text), ts))
        return out

    def _v1_event(self, msg: dict, frame: str | bytes) -> Event:
        """``{"event":"heartbeat"}``; ``{"connectionID":..,"event":"systemStatus",
        "status":"online","version":"1.8.3"}``; ``{"channelID":992,"channelName":"book-1000",
        "event":"subscriptionStatus","pair":"XMR/USD","status":"subscribed",..}`` (status
        ``error`` with ``errorMessage``); ``{"event":"pong","reqid":42}`` (spot-websocket-v1
        ``heartbeat``, ``systemStatus``, ``subscriptionStatus``, ``ping``)."""
        ev = msg["event"]
        if ev == "heartbeat":
            return Heartbeat(self.venue)
        if ev == "subscriptionStatus":
            status = msg.get("status")
            pair = msg.get("pair")
            market = None
            if type(pair) is str:
                try:
                    market = self.market(pair)
                except ParseError:
                    market = None
            ok = status != "error"
            sub = msg.get("subscription")
            what = msg.get("channelName") or (sub.get("name") if type(sub) is dict else None)
            detail = f"{status} {what} {pair}"
            if not ok:
                detail = f"{msg.get('errorMessage')} ({what} {pair})"
            return Status(self.venue, "subscriptionStatus", detail[:200], ok, market)
        if ev == "systemStatus":
            status = msg.get("status")
            return Status(
                self.venue,
                "systemStatus",
                f"{status} {msg.get('version', '')}".strip(),
                status != "maintenance",
            )
        if ev == "pong":
            return Status(self.venue, "pong", str(msg.get("reqid", "")))
        if ev == "error":
            return Status(self.venue, "error", str(msg.get("errorMessage"))[:200], ok=False)
        raise ParseError(f"unknown Kraken v1 event: {head(frame, 80)!r}")

    # ------------------------------------------------------------------------- v2

    @staticmethod
    def _exact(frame: str | bytes) -> Any:
        try:
            return _decode_exact(frame if isinstance(frame, str) else bytes(frame).decode())
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ParseError(f"not JSON: {exc}") from None

    def _v2_book(self, msg: Any, frame: str | bytes) -> list[Event]:
        """``{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
        "bids":[{"price":45283.5,"qty":0.10000000}],"asks":[{"price":45285.2,
        "qty":0.00100000}],"checksum":3310070434}]}``; updates have ``"type":"update"``,
        ``qty`` 0 deletes, and ``timestamp`` (spot-websocket-v2 ``book``; numbers decoded
        as their text for the checksum, guides/spot-ws-book-v2)."""
        if type(msg) is not dict or msg.get("channel") != "book":
            raise ParseError(f"Kraken v2 book frame is not an object: {head(frame, 80)!r}")
        kind = msg.get("type")
        data = msg.get("data")
        if kind not in ("snapshot", "update") or type(data) is not list:
            raise ParseError(f"Kraken v2 book frame with type {kind!r}")
        out: list[Event] = []
        for d in data:
            if type(d) is not dict or type(d.get("symbol")) is not str:
                raise ParseError("Kraken v2 book entry without symbol")
            sym = d["symbol"]
            m = self._markets.get(sym) or self.market(sym)
            try:
                bids = [(lv["price"], lv["qty"]) for lv in d.get("bids", ())]
                asks = [(lv["price"], lv["qty"]) for lv in d.get("asks", ())]
                c = d.get("checksum")
                checksum = None if c is None else int(c)
            except (KeyError, TypeError, ValueError) as exc:
                raise ParseError(f"Kraken v2 book entry malformed: {exc!r}", m) from None
            ts = _iso_ts(d.get("timestamp"))
            if kind == "snapshot":
                depth = self._v2_depths.get(sym, BOOK_DEPTH)
                out.append(BookSnapshot(m, bids, asks, None, checksum, ts, depth))
            else:
                out.append(BookDelta(m, bids, asks, None, None, None, checksum, ts))
        return out

    def _v2_channel(self, channel: Any, msg: dict, frame: str | bytes) -> list[Event]:
        if channel == "trade":
            return self._v2_trades(msg)
        if channel == "heartbeat":
            # {"channel":"heartbeat"} (spot-websocket-v2 heartbeat)
            return [Heartbeat(self.venue)]
        if channel == "status":
            # {"channel":"status","data":[{"api_version":"v2","connection_id":..,
            #  "system":"online","version":"2.0.0"}],"type":"update"} (spot-websocket-v2 status)
            data = msg.get("data")
            d = data[0] if type(data) is list and data and type(data[0]) is dict else {}
            system = d.get("system")
            return [
                Status(
                    self.venue,
                    "status",
                    f"{system} {d.get('version', '')}".strip(),
                    system != "maintenance",
                )
            ]
        if type(channel) is str and channel in _V2_UNUSED:
            return [Ignored(self.venue, str(channel))]
        raise ParseError(f"unknown Kraken v2 channel: {head(frame, 80)!r}")

    def _v2_trades(self, msg: dict) -> list[Event]:
        """``{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"sell",
        "price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,
        "timestamp":"2023-09-25T07:49:37.708706Z"}]}``; ``side`` is the taker
        (spot-websocket-v2 ``trade``)."""
        data = msg.get("data")
        if type(data) is not list:
            raise ParseError("Kraken v2 trade message without data")
        out: list[Event] = []
        for d in data:
            try:
                sym = d["symbol"]
                price = d["price"]
                size = d["qty"]
                side = _TAKER_V2[d["side"]]
                tid = d.get("trade_id")
                ts = d.get("timestamp")
            except (KeyError, TypeError) as exc:
                raise ParseError(f"Kraken v2 trade malformed: {exc!r}") from None
            if type(sym) is not str:
                raise ParseError("Kraken v2 trade with mistyped symbol")
            if type(price) not in (int, float) or type(size) not in (int, float):
                raise ParseError("Kraken v2 trade with mistyped price/qty")
            price = float(price)
            size = float(size)
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"Kraken v2 trade with bad price/qty {price!r}/{size!r}")
            m = self._markets.get(sym) or self.market(sym)
            out.append(Trade(m, price, size, side, str(tid), _iso_ts(ts)))
        return out

    def _v2_method(self, msg: dict, frame: str | bytes) -> Event:
        """``{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,
        "symbol":"BTC/USD"},"success":true,"time_in":..,"time_out":..}``; failures have
        ``"success":false`` and ``"error"``; ``{"method":"pong","req_id":101,..}``
        (spot-websocket-v2 ``subscribe``, ``unsubscribe``, ``ping``)."""
        method = msg["method"]
        if method == "pong":
            return Status(self.venue, "pong", str(msg.get("req_id", "")))
        if method not in ("subscribe", "unsubscribe"):
            raise ParseError(f"unknown Kraken v2 method: {head(frame, 80)!r}")
        ok = msg.get("success") is True
        result = msg.get("result")
        result = result if type(result) is dict else {}
        sym = result.get("symbol", msg.get("symbol"))
        market = None
        if type(sym) is str:
            try:
                market = self.market(sym)
            except ParseError:
                market = None
        if ok and method == "subscribe" and result.get("channel") == "book":
            depth = result.get("depth")
            if type(sym) is str and type(depth) is int and depth > 0:
                self._v2_depths[sym] = depth
        if ok:
            detail = f"{method}d {result.get('channel')} {sym}"
        else:
            detail = f"{msg.get('error')} ({method} {sym})"
        return Status(self.venue, method, detail[:200], ok, market)


def _v1_checksum(c: Any, m: Market) -> int:
    if type(c) is not str:
        raise ParseError(f"Kraken v1 checksum {c!r} is not a string", m)
    try:
        return int(c)
    except ValueError:
        raise ParseError(f"Kraken v1 checksum {c!r} is not a number", m) from None


ADAPTER = KrakenAdapter
