"""Huobi / HTX spot market data: MBP increments + ``req`` snapshot, full depth pushes, trades.

Turns Huobi's gzip frames into events (no I/O) and builds the ``sub``/``req`` messages.
Docs: Huobi spot API v1, "Websocket行情数据" / "Websocket Market Data": 接入URL (endpoints),
数据压缩 (gzip), 心跳消息 (ping/pong), 订阅主题/请求数据 (sub, req), 限频 (req rate),
市场深度行情数据 (``depth.step*``), 市场深度MBP行情数据 增量推送/全量推送 (``mbp``), 成交明细
(``trade.detail``); HTX notice 900001078223 (``req`` and ``sub`` on the same connection).

* Every server frame is binary gzip; client frames are plain JSON text. Plain JSON (text or
  bytes without the gzip magic) is accepted too, for tools that inflate before us.
* ``market.<sym>.depth.step0``: a complete book on every push -> ``BookSnapshot`` each time.
* ``market.<sym>.mbp.<150|400>``: 100 ms diffs chained by ``seqNum``/``prevSeqNum``; the book
  comes from ``{"req": "market.<sym>.mbp.150"}`` answered on the same connection (``rep``),
  which arrives after the first increments: ``HuobiGuard`` buffers and bridges them.
* Prices and sizes are JSON numbers (also in exponent form, ``9.121E-7``): the levels go to
  the book as on the wire, where ``float()`` makes them keys.
* Only spot: swap books count contracts, which this adapter cannot convert to coins.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from provider.errors import ParseError, SequenceGap, StaleSnapshot
from provider.exchanges.base import Adapter, dumps, head, loads
from provider.models import (
    BookDelta,
    BookSnapshot,
    Event,
    Heartbeat,
    Ignored,
    Market,
    Reply,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.symbols import parse_symbol
from provider.sync import Guard

_INF = float("inf")
_GZIP = b"\x1f\x8b"
_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer
_inflate = zlib.decompress
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}

#: MBP depth subscribed live (150 levels: 100 ms snapshot-diffs; ``req`` with the same depth)
MBP_LEVELS = 150

# channel kinds (after ``market.<sym>.``)
_DEPTH = 1  # depth.step0..5: full book each push
_MBP = 2  # mbp.<levels>: increments
_REFRESH = 3  # mbp.refresh.<levels>: full book with seqNum each push
_TRADE = 4  # trade.detail

#: received frames begin like one of these (after inflating), see ``recognizes``
_HEADS = (b'{"ch":"market.', b'{"ping":', b'{"id":', b'{"rep":', b'{"status":', b'{"subbed":')


def _ms(ts: object) -> float | None:
    return ts / 1000.0 if type(ts) is int else None


class HuobiGuard(Guard):
    """The ``seqNum``/``prevSeqNum`` chain of ``mbp`` increments.

    Increments arrive before the ``req`` answer, so they are buffered (``buffers``). After a
    snapshot with ``seqNum`` S, increments with ``seqNum <= S`` are already in it; the first
    remaining one must have ``prevSeqNum == S`` (otherwise the snapshot cannot be bridged:
    ``StaleSnapshot``), and each later one ``prevSeqNum ==`` the previous ``seqNum``
    (otherwise ``SequenceGap``). Full-book channels (``depth.step*``) have no increments.
    """

    buffers = True

    def __init__(self) -> None:
        self.last: int | None = None
        self.bridged = False

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.last = snap.seq
        self.bridged = False

    def check(self, delta: BookDelta) -> bool:
        seq = delta.last_seq
        prev = delta.prev_seq
        last = self.last
        if last is None:
            raise SequenceGap("Huobi increment on a book without seqNum")
        assert seq is not None  # the adapter always sets both
        if seq <= last:
            return False
        if prev != last:
            if not self.bridged:
                raise StaleSnapshot(
                    f"snapshot seqNum {last} does not bridge to increment "
                    f"prevSeqNum={prev} seqNum={seq}"
                )
            raise SequenceGap(f"expected prevSeqNum={last}, got {prev} (seqNum {seq})")
        self.bridged = True
        self.last = seq
        return True


class HuobiAdapter(Adapter):
    venue = Venue.HUOBI
    ws_url = "wss://api.huobi.pro/feed"  # /feed serves mbp sub and req (and everything /ws has)
    resync = "resubscribe"  # a new ``req`` on the same connection
    max_messages_per_s = 9.0  # ``req``: >= 100 ms apart on one connection; keep a margin
    max_connection_s = None
    ping_text = None  # the server pings ({"ping": ms} every 5 s); we answer with Reply

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        # ``ch``/``rep`` topic -> (kind, market) for the channels we use
        self._topics: dict[str, tuple[int, Market]] = {}

    # ------------------------------------------------------------------------- symbols

    def native_symbol(self, symbol: str) -> str:
        base, quote = parse_symbol(symbol)
        return (base + quote).lower()

    # ------------------------------------------------------------------------- requests

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        return base.rstrip("/") + "/feed" if base else self.ws_url

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """Per market: ``sub`` MBP increments, ``sub`` trades, then ``req`` the MBP book.

        The ``req`` goes after its ``sub`` so that no increment is missed; the feed spaces
        messages by ``max_messages_per_s`` (the venue wants 100 ms between requests).
        """
        out = []
        for m in markets:
            s = m.native
            out.append(dumps({"sub": f"market.{s}.mbp.{MBP_LEVELS}", "id": f"{s}.mbp"}))
            out.append(dumps({"sub": f"market.{s}.trade.detail", "id": f"{s}.trade"}))
            out += self.resubscribe_messages(m)
        return out

    def resubscribe_messages(self, market: Market) -> list[str]:
        s = market.native
        return [dumps({"req": f"market.{s}.mbp.{MBP_LEVELS}", "id": f"{s}.req"})]

    def guard(self, market: Market) -> Guard:
        return HuobiGuard()

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        """A gzip frame whose JSON starts like a Huobi market-data message."""
        if isinstance(frame, str) or bytes(frame[:2]) != _GZIP:
            return False
        try:
            text = zlib.decompressobj(_WBITS).decompress(frame, 32)
        except zlib.error:
            return False
        return text.startswith(_HEADS)

    def _topic(self, topic: str) -> tuple[int, Market] | None:
        """``market.btcusdt.mbp.150`` -> (kind, market), cached; None for unused channels."""
        got = self._topics.get(topic)
        if got is not None:
            return got
        parts = topic.split(".")
        if len(parts) < 3 or parts[0] != "market" or not parts[1]:
            raise ParseError(f"unknown Huobi topic {topic[:80]!r}")
        name = parts[2]
        rest = parts[3:]
        if name == "depth" and len(rest) == 1 and rest[0].startswith("step"):
            kind = _DEPTH
        elif name == "mbp" and len(rest) == 1 and rest[0].isdigit():
            kind = _MBP
        elif name == "mbp" and len(rest) == 2 and rest[0] == "refresh" and rest[1].isdigit():
            kind = _REFRESH
        elif name == "trade" and rest == ["detail"]:
            kind = _TRADE
        else:
            return None  # bbo, kline, detail, ticker, ...: not cached, any text could come
        got = (kind, self.market(parts[1]))  # ParseError for an unsplittable symbol
        self._topics[topic] = got
        return got

    def parse(self, frame: str | bytes) -> list[Event]:
        if not isinstance(frame, str):
            try:
                frame = _inflate(frame, _WBITS)
            except zlib.error as exc:  # plain JSON bytes pass; broken gzip does not
                if frame[:2] == _GZIP:
                    raise ParseError(f"Huobi frame is not valid gzip: {exc}") from None
        msg = loads(frame)
        if type(msg) is not dict:
            raise ParseError(f"Huobi frame is not an object: {head(frame, 80)!r}")
        ch = msg.get("ch")
        if ch is not None:
            if type(ch) is not str:
                raise ParseError("Huobi 'ch' is not a string")
            got = self._topics.get(ch) or self._topic(ch)
            if got is None:
                return [Ignored(self.venue, ch.split(".", 2)[-1][:40])]
            kind, m = got
            if kind == _MBP:
                return [self._mbp(msg, m)]
            if kind == _DEPTH:
                return [self._depth(msg, m)]
            if kind == _TRADE:
                return self._trades(msg, m)
            return [self._refresh(msg, m)]
        if "ping" in msg:
            return self._ping(msg)
        if "rep" in msg:
            return self._rep(msg)
        status = msg.get("status")
        if status == "ok":
            for key, kind_name in (("subbed", "subscribed"), ("unsubbed", "unsubscribed")):
                topic = msg.get(key)
                if type(topic) is str:
                    return [Status(self.venue, kind_name, topic)]
            return [Status(self.venue, "ok", str(msg.get("id", ""))[:80])]
        if status == "error":
            return [self._error(msg)]
        raise ParseError(f"unknown Huobi message: {head(frame, 80)!r}")

    def _mbp(self, msg: dict, m: Market) -> BookDelta:
        """``{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,
        "prevSeqNum":100020146794,"bids":[],"asks":[[645.14,26.755973959140651643]]}}``
        (市场深度MBP行情数据 增量推送); a side may be empty or absent; size 0 deletes."""
        tick = msg.get("tick")
        if type(tick) is not dict:
            raise ParseError("Huobi mbp push without 'tick'", m)
        seq = tick.get("seqNum")
        prev = tick.get("prevSeqNum")
        bids = tick.get("bids", ())
        asks = tick.get("asks", ())
        if type(seq) is not int or type(prev) is not int:
            raise ParseError("Huobi mbp push with mistyped seqNum/prevSeqNum", m)
        if (type(bids) is not list and bids != ()) or (type(asks) is not list and asks != ()):
            raise ParseError("Huobi mbp push with mistyped bids/asks", m)
        ts = msg.get("ts")
        return BookDelta(
            m, bids, asks, seq, seq, prev, None, ts / 1000.0 if type(ts) is int else None
        )

    def _depth(self, msg: dict, m: Market) -> BookSnapshot:
        """``{"ch":"market.trioeth.depth.step0","ts":1618678069870,"tick":{"bids":[[9.121E-7,
        92730.24],...],"asks":[[9.28E-7,4342.25],...],"version":100182534557,
        "ts":1618678069867}}`` (市场深度行情数据): the whole book, every push."""
        tick = msg.get("tick")
        if type(tick) is not dict:
            raise ParseError("Huobi depth push without 'tick'", m)
        bids = tick.get("bids")
        asks = tick.get("asks")
        version = tick.get("version")
        if type(bids) is not list or type(asks) is not list:
            raise ParseError("Huobi depth push with mistyped bids/asks", m)
        if version is not None and type(version) is not int:
            raise ParseError("Huobi depth push with mistyped version", m)
        ts = tick.get("ts") or msg.get("ts")
        return BookSnapshot(
            m, bids, asks, version, None, ts / 1000.0 if type(ts) is int else None, None
        )

    def _refresh(self, msg: dict, m: Market) -> BookSnapshot:
        """``{"ch":"market.btcusdt.mbp.refresh.20","ts":1573199608679,"tick":{"seqNum":
        100020142010,"bids":[[618.37,71.594]],"asks":[[650.59,14.909733438479636]]}}``
        (市场深度MBP行情数据 全量推送): a full book of the top levels, every push."""
        tick = msg.get("tick")
        if type(tick) is not dict:
            raise ParseError("Huobi mbp.refresh push without 'tick'", m)
        return self._book(tick, m, msg.get("ts"), "mbp.refresh push")

    def _book(self, data: dict, m: Market, ts: object, what: str) -> BookSnapshot:
        seq = data.get("seqNum")
        bids = data.get("bids")
        asks = data.get("asks")
        if type(seq) is not int:
            raise ParseError(f"Huobi {what} with mistyped seqNum", m)
        if type(bids) is not list or type(asks) is not list:
            raise ParseError(f"Huobi {what} with mistyped bids/asks", m)
        return BookSnapshot(m, bids, asks, seq, None, _ms(ts), None)

    def _rep(self, msg: dict) -> list[Event]:
        """``{"id":"btcusdt.req","rep":"market.btcusdt.mbp.150","status":"ok","data":{"seqNum":
        100020142010,"bids":[[618.37,71.594],...],"asks":[[650.59,14.909733438479636],...]}}``
        (市场深度MBP行情数据 全量请求): the snapshot the increments bridge from."""
        if msg.get("status") == "error":
            return [self._error(msg)]
        rep = msg["rep"]
        if type(rep) is not str:
            raise ParseError("Huobi 'rep' is not a string")
        got = self._topic(rep)
        if got is None or got[0] != _MBP:
            return [Ignored(self.venue, "rep " + rep[:60])]
        m = got[1]
        data = msg.get("data")
        if msg.get("status") != "ok" or type(data) is not dict:
            raise ParseError("Huobi mbp rep without ok status and data", m)
        return [self._book(data, m, msg.get("ts"), "mbp rep")]

    def _trades(self, msg: dict, m: Market) -> list[Event]:
        """``{"ch":"market.trioeth.trade.detail","ts":1618678027942,"tick":{"id":100182534526,
        "ts":1618678027940,"data":[{"id":100182534526255757567432481,"ts":1618678027940,
        "tradeId":100045088885,"amount":20995.88,"price":9.2E-7,"direction":"buy"}]}}``
        (成交明细); ``direction`` is the taker side; ``tradeId`` replaces the old ``id``."""
        tick = msg.get("tick")
        data = tick.get("data") if type(tick) is dict else None
        if type(data) is not list:
            raise ParseError("Huobi trade.detail without tick.data")
        out: list[Event] = []
        for t in data:
            try:
                price = float(t["price"])
                size = float(t["amount"])
                side = _SIDES[t["direction"]]
                tid = t.get("tradeId")
                if tid is None:
                    tid = t["id"]
                ts = t.get("ts")
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ParseError(f"Huobi trade malformed: {exc!r}") from None
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"Huobi trade with bad price/size {price!r}/{size!r}")
            out.append(Trade(m, price, size, side, str(tid), _ms(ts)))
        return out

    def _ping(self, msg: dict) -> list[Event]:
        """``{"ping":1618678073643}`` (心跳消息): answer ``{"pong":1618678073643}`` at once;
        two unanswered pings and the server disconnects."""
        n = msg["ping"]
        if type(n) is not int:
            raise ParseError("Huobi ping with a non-integer value")
        return [Reply(self.venue, dumps({"pong": n})), Heartbeat(self.venue)]

    def _error(self, msg: dict) -> Status:
        """``{"id":"id5","status":"error","err-code":"bad-request","err-msg":"invalid topic
        market.invalidsymbol.trade.detail","ts":1494301904959}`` (订阅主题, 错误)."""
        code = msg.get("err-code", "")
        text = msg.get("err-msg", "")
        return Status(self.venue, "error", f"{code}: {text} (id {msg.get('id')})"[:300], ok=False)


ADAPTER = HuobiAdapter
