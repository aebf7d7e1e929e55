"""OKX v5 public market data: ``books`` (400 levels: snapshot + 100 ms increments), trades.

Turns frames of ``wss://ws.okx.com:8443/ws/v5/public`` into events (no I/O) and builds the
``subscribe``/``unsubscribe`` messages. Docs (okx.com/docs-v5/en): "WebSocket / Connect"
(the 30 s idle rule, ``ping``/``pong``), "WebSocket / Notification" (``notice`` 64008),
"Order Book Trading / Market Data / WS / Order book channel" (``books``, Sequence ID,
Checksum), "WS / Trades channel"; OKX notice "Order Book Channels Checksum Field
Deprecation" (2026-05-21: ``checksum`` always 0 in production from 2026-06-23).

* ``books``: ``action`` ``snapshot`` then ``update``; levels are ``[px, sz, "0", numOrders]``
  strings, ``sz`` the new absolute size, ``"0"`` deletes. The wire items go to the book as they
  are (a sorted book: ``OkxGuard.ordered``), which keeps them for the checksum.
* Sync rule (``OkxGuard``): ``prevSeqId`` of every update equals the ``seqId`` before it
  (a snapshot has ``prevSeqId == -1``); ``seqId == prevSeqId`` is a keep-alive without
  changes, and ``seqId < prevSeqId`` a sequence reset after maintenance: both are in the chain.
  The CRC32 ``checksum`` of the best 25 levels is verified on every message that carries one.
  Since 2026-06-23 OKX sends ``"checksum": 0`` on every message (field deprecated, kept in
  the schema): 0 means "no checksum" here, and the ``seqId`` chain is the guard. Captures
  from before 2023 have a checksum but no ``seqId``/``prevSeqId``: the checksum guards them.
* Resync: ``unsubscribe`` + ``subscribe`` the market's ``books`` (a fresh snapshot follows).
* Instruments: spot ``BTC-USDT`` -> ``BTC/USDT``; perpetual swap ``BTC-USDT-SWAP`` ->
  ``BTC/USDT:USDT`` (linear) and ``UNI-USD-SWAP`` -> ``UNI/USD:UNI`` (inverse, settled in
  the base coin); dated future ``BTC-USD-220527`` -> ``BTC/USD:BTC-220527`` (kind FUTURE,
  expiry YYMMDD after the settle currency, as ccxt writes it). Options and spreads are not
  supported. **Derivative sizes (book and trades) are numbers of contracts**, not coins: one
  contract is ``ctVal`` ``ctValCcy`` from ``GET /api/v5/public/instruments`` (2022 values:
  100 USD for BTC-USD-220527, 10 USD for UNI-USD-SWAP, 0.01 BTC for BTC-USDT-SWAP); this
  adapter passes them on unconverted.
* Trades: ``side`` is the taker side (as is); one message per taker order and price
  (``count`` fills aggregated, ``tradeId`` the last of them).
* Keep-alive: the server closes a connection silent for 30 s; the client sends the text
  ``ping`` (``ping_text``) and the server answers the text ``pong`` -> ``Heartbeat``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from orjson import JSONDecodeError
from orjson import loads as _loads

from provider.book import OrderBook, SortedSide
from provider.errors import ChecksumMismatch, ParseError, SequenceGap
from provider.exchanges.base import Adapter, dumps, head
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
from provider.symbols import norm_asset
from provider.sync import Guard

_INF = float("inf")
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}

#: channels with the ``books`` format and rules (the tick-by-tick ones need a VIP login)
BOOK_CHANNELS = frozenset({"books", "books-l2-tbt", "books50-l2-tbt"})
#: levels per side covered by the checksum
CHECKSUM_LEVELS = 25
#: channel arguments per subscribe message (the venue limits a request to 64 KB of text)
ARGS_PER_MESSAGE = 100
#: quote currencies of coin-margined (inverse) derivatives: they settle in the base coin
_INVERSE_QUOTES = frozenset({"USD"})

#: received JSON frames begin like one of these, see ``recognizes``
_HEADS = (
    '{"arg":{"channel":"',
    '{"event":"subscribe","arg":{"channel":"',
    '{"event":"unsubscribe","arg":{"channel":"',
    '{"event":"error","code":"',
    '{"event":"notice","code":"',
    '{"event":"channel-conn-count',
)


# ----------------------------------------------------------------------------- checksum


def checksum_text(bids: Sequence[Sequence[Any]], asks: Sequence[Sequence[Any]]) -> str:
    """The text OKX checksums: best bids and asks (best first) as ``px:sz``, interleaved.

    ``bid1.px:bid1.sz:ask1.px:ask1.sz:bid2...`` over at most 25 levels a side; when one side
    runs out the rest of the other follows alone. Prices and sizes are the wire strings.
    Called on every book message: one comprehension over level pairs and one join.
    """
    n = CHECKSUM_LEVELS
    if len(bids) > n:
        bids = bids[:n]
    if len(asks) > n:
        asks = asks[:n]
    parts = [f"{b[0]}:{b[1]}:{a[0]}:{a[1]}" for b, a in zip(bids, asks)]
    k = len(parts)
    if len(bids) > k:
        parts += [f"{b[0]}:{b[1]}" for b in bids[k:]]
    elif len(asks) > k:
        parts += [f"{a[0]}:{a[1]}" for a in asks[k:]]
    return ":".join(parts)


def signed_crc32(text: str) -> int:
    """CRC32 of the UTF-8 text as a signed 32-bit integer (how OKX sends ``checksum``)."""
    c = zlib.crc32(text.encode())
    return c - 0x1_0000_0000 if c & 0x8000_0000 else c


class OkxGuard(Guard):
    """``seqId``/``prevSeqId`` chain and the CRC32 checksum of the best 25 levels.

    * Snapshot: the chain restarts at its ``seqId`` (the adapter refuses snapshots whose
      ``prevSeqId`` is not -1).
    * Update: ``prevSeqId`` must equal the last ``seqId`` (else ``SequenceGap``): this holds
      for keep-alives (``seqId == prevSeqId``, no levels) and sequence resets
      (``seqId < prevSeqId``) too. Messages without sequence ids (captures before 2023)
      are accepted unchecked; the checksum guards them.
    * Every message with a non-zero ``checksum`` is verified after it was applied (0 is what
      OKX sends since the field was deprecated in 2026).
    """

    ordered = True

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: int | None = None

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.last = snap.seq

    def check(self, delta: BookDelta) -> bool:
        prev = delta.prev_seq
        if prev is not None:
            last = self.last
            if last is not None and prev != last:
                raise SequenceGap(f"expected prevSeqId={last}, got {prev}")
            self.last = delta.last_seq
        elif self.last is not None:
            raise SequenceGap(f"update without prevSeqId after seqId={self.last}")
        return True

    def verify(self, book: OrderBook, msg: BookSnapshot | BookDelta) -> bool | None:
        expected = msg.checksum
        if not expected:  # absent, or 0: deprecated and always 0 since 2026
            return None
        bid_side = book.bid_side
        ask_side = book.ask_side
        assert isinstance(bid_side, SortedSide) and isinstance(ask_side, SortedSide)
        n = CHECKSUM_LEVELS
        got = signed_crc32(checksum_text(bid_side.top_raw(n), ask_side.top_raw(n)))
        if got != expected:
            raise ChecksumMismatch(f"checksum {expected} expected, {got} computed")
        return True


# ----------------------------------------------------------------------------- adapter


class OkxAdapter(Adapter):
    venue = Venue.OKX
    ws_url = "wss://ws.okx.com:8443/ws/v5/public"
    resync = "resubscribe"
    #: connection requests are limited to 3/s per IP and (un)subscribe requests to 480/h per
    #: connection; messages are paced at 3/s
    max_messages_per_s = 3.0
    max_connection_s = None
    #: the server drops a connection after 30 s without traffic: ``ping`` every 20 s
    ping_text = "ping"
    ping_interval_s = 20.0

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        """``BTC-USDT`` (spot), ``BTC-USDT-SWAP`` (perp), ``BTC-USD-220527`` (future)."""
        parts = native.split("-")
        if len(parts) < 2 or not parts[0].isalnum() or not parts[1].isalnum():
            raise ParseError(f"not an OKX instrument id: {native[:40]!r}")
        base, quote = norm_asset(parts[0]), norm_asset(parts[1])
        if len(parts) == 2:
            return Market(self.venue, native, f"{base}/{quote}", base, quote, Kind.SPOT)
        settle = base if quote in _INVERSE_QUOTES else quote
        if len(parts) == 3 and parts[2] == "SWAP":
            symbol = f"{base}/{quote}:{settle}"
            return Market(self.venue, native, symbol, base, quote, Kind.PERP)
        if len(parts) == 3 and len(parts[2]) == 6 and parts[2].isdigit():
            symbol = f"{base}/{quote}:{settle}-{parts[2]}"
            return Market(self.venue, native, symbol, base, quote, Kind.FUTURE)
        raise ParseError(f"unsupported OKX instrument (options, spreads): {native[:40]!r}")

    def native_symbol(self, symbol: str) -> str:
        """``BTC/USDT`` -> ``BTC-USDT``; ``BTC/USDT:USDT`` -> ``BTC-USDT-SWAP``;
        ``BTC/USD:BTC-220527`` -> ``BTC-USD-220527``."""
        pair, _, settle = symbol.upper().partition(":")
        base, sep, quote = pair.partition("/")
        if not sep or not base or not quote or "/" in quote:
            raise ValueError(f"symbol {symbol!r} is not of the form BASE/QUOTE (e.g. BTC/USDT)")
        if not settle:
            return f"{base}-{quote}"
        _, dash, expiry = settle.partition("-")
        return f"{base}-{quote}-{expiry}" if dash else f"{base}-{quote}-SWAP"

    # ------------------------------------------------------------------------- requests

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        return base + "/ws/v5/public" if base else self.ws_url

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        args = []
        for m in markets:
            args += [
                {"channel": "books", "instId": m.native},
                {"channel": "trades", "instId": m.native},
            ]
        n = ARGS_PER_MESSAGE
        return [dumps({"op": "subscribe", "args": args[i : i + n]}) for i in range(0, len(args), n)]

    def resubscribe_messages(self, market: Market) -> list[str]:
        arg = [{"channel": "books", "instId": market.native}]
        return [dumps({"op": "unsubscribe", "args": arg}), dumps({"op": "subscribe", "args": arg})]

    def guard(self, market: Market) -> Guard:
        return OkxGuard()

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        text = head(frame, 160)
        if text.startswith(_HEADS):
            return True
        # acks of requests that carried an "id": {"id":"1512","event":"subscribe","arg":{...
        return text.startswith('{"id":"') and '","event":"' in text and '"arg":{"' in text

    def parse(self, frame: str | bytes) -> list[Event]:
        try:
            msg = _loads(frame)
        except (JSONDecodeError, TypeError) as exc:
            if frame == "pong" or frame == b"pong":
                # the server's answer to our text "ping" (plain text, not JSON)
                return [Heartbeat(self.venue)]
            raise ParseError(f"not JSON: {exc}") from None
        if type(msg) is not dict:
            raise ParseError(f"OKX frame is not an object: {head(frame, 80)!r}")
        if "event" in msg:
            return [self._event(msg)]
        arg = msg.get("arg")
        if type(arg) is not dict:
            raise ParseError(f"unknown OKX message: {head(frame, 80)!r}")
        channel = arg.get("channel")
        if type(channel) is not str:
            raise ParseError(f"unknown OKX message: {head(frame, 80)!r}")
        if channel in BOOK_CHANNELS:
            return self._book(msg, arg)
        if channel == "trades":
            return self._trades(msg, arg)
        if "data" in msg:
            # tickers, books5, bbo-tbt, candles, ...: valid, not used
            return [Ignored(self.venue, channel)]
        raise ParseError(f"unknown OKX message: {head(frame, 80)!r}")

    def _book(self, msg: dict, arg: dict) -> list[Event]:
        """``{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{
        "asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],
        "ts":"1597026383085","checksum":-855196043,"prevSeqId":123456,"seqId":123457}]}``
        (docs "WS / Order book channel"; ``action`` ``snapshot`` has ``prevSeqId`` -1)."""
        inst = arg.get("instId")
        if type(inst) is not str:
            raise ParseError("OKX book message without instId")
        m = self._markets.get(inst) or self.market(inst)
        action = msg.get("action")
        data = msg.get("data")
        if type(data) is not list or not data:
            raise ParseError("OKX book message without data", m)
        out: list[Event] = []
        for d in data:
            if type(d) is not dict:
                raise ParseError("OKX book data is not an object", m)
            bids = d.get("bids")
            asks = d.get("asks")
            cs = d.get("checksum")
            seq = d.get("seqId")
            prev = d.get("prevSeqId")
            ts = d.get("ts")
            if type(bids) is not list or type(asks) is not list:
                raise ParseError("OKX book data without bids/asks lists", m)
            if cs is not None and type(cs) is not int:
                raise ParseError(f"OKX book checksum {cs!r} is not an integer", m)
            if (seq is not None and type(seq) is not int) or (
                prev is not None and type(prev) is not int
            ):
                raise ParseError("OKX book seqId/prevSeqId are not integers", m)
            if ts is not None:
                try:
                    ts = int(ts) / 1000.0  # "1597026383085" (ms)
                except (TypeError, ValueError, OverflowError):
                    raise ParseError(f"OKX book ts {ts!r} is not ms"[:100], m) from None
            if action == "update":
                if (seq is None) is not (prev is None):
                    raise ParseError("OKX book update with only one of seqId/prevSeqId", m)
                out.append(BookDelta(m, bids, asks, None, seq, prev, cs, ts))
            elif action == "snapshot":
                if prev is not None and prev != -1:
                    raise ParseError(f"OKX book snapshot with prevSeqId={prev}, not -1", m)
                out.append(BookSnapshot(m, bids, asks, seq, cs, ts, None))
            else:
                raise ParseError(f"OKX book action {action!r}", m)
        return out

    def _trades(self, msg: dict, arg: dict) -> list[Event]:
        """``{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",
        "tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy",
        "ts":"1630048897897","count":"3","source":"0","seqId":1234}]}`` (docs "WS / Trades
        channel"); ``side`` is the taker's."""
        inst = arg.get("instId")
        data = msg.get("data")
        if type(inst) is not str or type(data) is not list:
            raise ParseError("OKX trades message without instId/data")
        m = self._markets.get(inst) or self.market(inst)
        out: list[Event] = []
        for d in data:
            try:
                price = float(d["px"])
                size = float(d["sz"])
                side = _SIDES[d["side"]]
                tid = d["tradeId"]
                ts = d.get("ts")
                if ts is not None:
                    ts = int(ts) / 1000.0
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise ParseError(f"OKX trade malformed: {exc!r}"[:200]) from None
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"OKX trade with bad px/sz {d.get('px')!r}/{d.get('sz')!r}")
            if type(tid) is not str and type(tid) is not int:
                raise ParseError("OKX trade with mistyped tradeId")
            out.append(Trade(m, price, size, side, str(tid), ts))
        return out

    def _event(self, msg: dict) -> Event:
        """``{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},
        "connId":"a4d3ae55"}``; ``{"event":"error","code":"60012","msg":"Invalid request: ..."}``;
        ``{"event":"notice","code":"64008","msg":"The connection will soon be closed for a
        service upgrade. Please reconnect."}`` (docs "WebSocket / Subscribe",
        "WebSocket / Notification": 64008 is sent ahead of a service upgrade)."""
        ev = msg["event"]
        if ev == "subscribe" or ev == "unsubscribe":
            arg = msg.get("arg")
            if type(arg) is not dict:
                raise ParseError(f"OKX {ev} ack without arg")
            inst = arg.get("instId")
            detail = f"{arg.get('channel')}:{inst}"[:200]
            return Status(self.venue, ev + "d", detail, True, self._known(inst))
        code = msg.get("code")
        text = f"{code}: {msg.get('msg')}"[:300]
        if ev == "error" or ev == "channel-conn-count-error":
            return Status(self.venue, "error", text, ok=False)
        if ev == "notice":
            # 64008: the server closes this connection for an upgrade soon, reconnect now
            return Status(self.venue, "reconnect" if code == "64008" else "notice", text)
        if ev == "channel-conn-count":
            detail = f"{msg.get('channel')}: {msg.get('connCount')} connections"[:200]
            return Status(self.venue, "info", detail)
        if ev == "login":
            return Status(self.venue, "login", text)
        raise ParseError(f"unknown OKX event {str(ev)[:40]!r}")

    def _known(self, inst: object) -> Market | None:
        if type(inst) is not str:
            return None
        try:
            return self.market(inst)
        except ParseError:
            return None


ADAPTER = OkxAdapter
