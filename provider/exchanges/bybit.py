"""Bybit v5 public market data: ``orderbook.{depth}.{symbol}`` books and ``publicTrade`` trades.

One connection serves one product category, named by the URL path
(``wss://stream.bybit.com/v5/public/spot``, ``.../linear``, ``.../inverse``); the same symbol
string exists in several categories (``BTCUSDT`` spot and USDT perpetual), so the adapter reads
the category from its connection URL and linear/inverse markets get ``Kind.PERP``/``FUTURE`` and
a ``BASE/QUOTE:SETTLE`` symbol: their books never mix with spot books.

Book rule (``BybitGuard``): every snapshot replaces the book (one may arrive at any time; ``u`` 1
marks a snapshot after a service restart); each delta's ``u`` must be the previous ``u`` + 1.
There is no checksum. Resync: unsubscribe + subscribe the book topic, which makes the venue send
a fresh snapshot.

Docs: bybit-exchange/docs ``docs/v5/websocket/public/orderbook.mdx`` ("Orderbook"),
``trade.mdx`` ("Trade"), https://bybit-exchange.github.io/docs/v5/ws/connect ("Connect":
endpoints, heartbeat, subscribe/unsubscribe, args limits). No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from provider.errors import ConfigError, ParseError, SequenceGap, StaleSnapshot
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
from provider.symbols import norm_asset, parse_symbol, split_pair
from provider.sync import Guard

_INF = float("inf")
#: product categories served on ``/v5/public/<category>`` that this adapter speaks
CATEGORIES = ("spot", "linear", "inverse")
#: valid public topics this project does not use (``tickers.BTCUSDT``, ``kline.1.BTCUSDT``...)
_IGNORED = frozenset(
    {
        "tickers",
        "kline",
        "allLiquidation",
        "liquidation",
        "insurance",
        "priceLimit",
        "adlAlert",
        "tickers_lt",
        "kline_lt",
        "lt",
    }
)
_SIDES = {"Buy": Side.BUY, "Sell": Side.SELL}
#: at most this many topics in one subscribe request (spot public streams)
MAX_ARGS = 10
#: inverse futures expiry codes (``BTCUSDH25``): month letter + two-digit year
_MONTHS = "FGHJKMNQUVXZ"


class BybitGuard(Guard):
    """``u`` chain of one ``orderbook`` topic: each delta's ``u`` is the previous ``u`` + 1.

    A snapshot resets the chain to its ``u`` (whatever its value: ``u`` 1 is the snapshot sent
    after a service restart). Anything else - a lost, repeated or reordered delta - is a gap.
    """

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = -1

    def on_snapshot(self, snap: BookSnapshot) -> None:
        if snap.seq is None:  # the adapter always sets it; a guard never trusts blindly
            raise StaleSnapshot("Bybit snapshot without u")
        self.last = snap.seq

    def check(self, delta: BookDelta) -> bool:
        u = delta.last_seq
        if u != self.last + 1:
            raise SequenceGap(f"expected u={self.last + 1}, got u={u}")
        self.last = u
        return True


def category_of(url: str | None) -> str:
    """``wss://stream.bybit.com/v5/public/linear`` -> ``linear``; spot when unknown."""
    if url:
        last = urlsplit(url).path.rstrip("/").rpartition("/")[2]
        if last in CATEGORIES:
            return last
    return "spot"


def market_of(native: str, category: str) -> Market:
    """A venue symbol of one category -> Market (raises ParseError when unsplittable).

    spot ``BTCUSDT`` -> ``BTC/USDT``; linear ``BTCUSDT`` -> ``BTC/USDT:USDT`` (perp),
    ``BTCPERP`` -> ``BTC/USDC:USDC`` (USDC perp), ``BTCUSDT-26DEC25`` / ``BTC-26DEC25`` ->
    ``BTC/USDT:USDT-26DEC25`` / ``BTC/USDC:USDC-26DEC25`` (futures); inverse ``BTCUSD`` ->
    ``BTC/USD:BTC`` (perp), ``BTCUSDH25`` -> ``BTC/USD:BTC-H25`` (future).
    """
    v = Venue.BYBIT
    if category == "spot":
        base, quote = split_pair(native)
        return Market(v, native, f"{base}/{quote}", base, quote, Kind.SPOT)
    if category == "linear":
        pair, dash, expiry = native.partition("-")
        if pair.endswith("PERP") and len(pair) > 4 and not dash:
            base, quote = norm_asset(pair[:-4]), "USDC"
        elif dash and "USD" not in pair and pair.isalnum():
            base, quote = norm_asset(pair), "USDC"  # USDC futures: BTC-26DEC25
        else:
            base, quote = split_pair(pair)
        if dash:
            if not expiry:
                raise ParseError(f"Bybit symbol {native!r} without expiry")
            return Market(v, native, f"{base}/{quote}:{quote}-{expiry}", base, quote, Kind.FUTURE)
        return Market(v, native, f"{base}/{quote}:{quote}", base, quote, Kind.PERP)
    # inverse: settled in the base coin
    pair, expiry = native, ""
    if len(native) > 3 and native[-3] in _MONTHS and native[-2:].isdigit():
        pair, expiry = native[:-3], native[-3:]
    if not pair.endswith("USD") or len(pair) <= 3:
        raise ParseError(f"cannot read Bybit inverse symbol {native!r}")
    base = norm_asset(pair[:-3])
    if expiry:
        return Market(v, native, f"{base}/USD:{base}-{expiry}", base, "USD", Kind.FUTURE)
    return Market(v, native, f"{base}/USD:{base}", base, "USD", Kind.PERP)


def category_of_market(market: Market) -> str:
    """The ``/v5/public/<category>`` a market is served on."""
    if market.kind is Kind.SPOT:
        return "spot"
    settle = market.symbol.rpartition(":")[2].partition("-")[0]
    return "inverse" if settle == market.base else "linear"


class BybitAdapter(Adapter):
    venue = Venue.BYBIT
    ws_url = "wss://stream.bybit.com"
    resync = "resubscribe"
    #: not documented for public streams; a conservative pace for (re)subscribe requests
    max_messages_per_s = 10.0
    max_connection_s = None  # public connections stay up while pinged
    #: without ping-pong and data the server cuts after 10 min; the docs advise every 20 s
    ping_text = '{"op":"ping"}'
    ping_interval_s = 20.0
    #: book depth subscribed (linear/inverse: 1, 50, 200, 500; spot 200 accepted in 2026 data)
    book_depth = 200

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        self.category = category_of(url)

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        return market_of(native, self.category)

    def native_symbol(self, symbol: str) -> str:
        base, quote = parse_symbol(symbol)
        return base + quote

    def market_for(self, symbol: str) -> Market:
        """``BTC/USDT`` -> spot; ``BTC/USDT:USDT`` -> linear perp (``BTC/USDC:USDC`` ->
        ``BTCPERP``), ``BTC/USDT:USDT-26DEC25`` linear future; ``BTC/USD:BTC`` -> inverse perp,
        ``BTC/USD:BTC-H25`` inverse future.

        Any adapter instance names markets of every category (the feed connects one URL per
        category, see ``connect_url``); the per-connection cache is not used because one
        native symbol belongs to several categories.
        """
        base, quote = parse_symbol(symbol)
        _, colon, settle = symbol.upper().partition(":")
        if not colon:
            return market_of(base + quote, "spot")
        settle, dash, expiry = settle.partition("-")
        if settle == base:
            return market_of(f"{base}{quote}{expiry}", "inverse")
        if not dash:  # USDC perpetuals are spelled BTCPERP (instruments-info, 2026)
            return market_of(base + ("PERP" if quote == "USDC" else quote), "linear")
        pair = base if quote == "USDC" else base + quote  # USDC futures: BTC-26DEC25
        return market_of(f"{pair}-{expiry}", "linear")

    # ------------------------------------------------------------------------- requests

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        """``<host>/v5/public/<category>``; all markets of a connection share one category."""
        cats = {category_of_market(m) for m in markets} or {self.category}
        if len(cats) != 1:
            raise ConfigError(
                f"Bybit serves each category on its own URL: split {sorted(cats)} into one"
                " connection per category"
            )
        return f"{(base or self.ws_url).rstrip('/')}/v5/public/{cats.pop()}"

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """Book and trade topics, one request per market: Bybit refuses a whole request when
        one of its topics is refused, so a delisted symbol must not take others with it."""
        return [
            dumps(
                {
                    "op": "subscribe",
                    "args": [f"orderbook.{self.book_depth}.{m.native}", f"publicTrade.{m.native}"],
                    "req_id": f"sub.{m.native}",
                }
            )
            for m in markets
        ]

    def resubscribe_messages(self, market: Market) -> list[str]:
        """Unsubscribe + subscribe the book topic: the venue answers with a fresh snapshot."""
        topic = [f"orderbook.{self.book_depth}.{market.native}"]
        return [
            dumps({"op": "unsubscribe", "args": topic, "req_id": f"unsub.{market.native}"}),
            dumps({"op": "subscribe", "args": topic, "req_id": f"resub.{market.native}"}),
        ]

    def guard(self, market: Market) -> Guard:
        return BybitGuard()

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        """Topic pushes (``{"topic":"orderbook.200.BTCUSDT",...}``, spot kline puts ``type``
        first) and op answers, which all carry Bybit's ``conn_id``."""
        text = head(frame, 160)
        if text.startswith('{"topic":"'):
            return True
        if text.startswith('{"type":"') and '"topic":"' in text:
            return True
        return text.startswith("{") and '"conn_id":"' in text and '"op":"' in text

    def parse(self, frame: str | bytes) -> list[Event]:
        msg = loads(frame)
        if type(msg) is not dict:
            raise ParseError(f"Bybit frame is not an object: {head(frame, 80)!r}")
        topic = msg.get("topic")
        if topic is None:
            return [self._op(msg, frame)]
        if type(topic) is not str:
            raise ParseError("Bybit topic is not a string")
        if topic.startswith("orderbook."):
            if topic.startswith("orderbook.rpi."):  # 3-element RPI levels, not used
                return [Ignored(self.venue, "orderbook.rpi")]
            return [self._book(msg, topic)]
        if topic.startswith("publicTrade."):
            return self._trades(msg)
        kind = topic.partition(".")[0]
        if kind in _IGNORED:
            return [Ignored(self.venue, kind)]
        raise ParseError(f"unknown Bybit topic {topic[:60]!r}")

    def _book(self, msg: dict, topic: str) -> BookSnapshot | BookDelta:
        """orderbook.mdx "Response Example": ``{"topic":"orderbook.200.BTCUSDT","type":"delta",
        "ts":1786310816618,"data":{"s":"BTCUSDT","b":[["65140.4","0.875077"]],
        "a":[["65239.1","0"]],"u":62505425,"seq":112488545865},"cts":1786310816585}``
        (``type`` ``snapshot`` replaces the book). Levels go to the book as on the wire."""
        data: Any = msg.get("data")
        try:
            sym = data["s"]
            bids = data["b"]
            asks = data["a"]
            u = data["u"]
        except (KeyError, TypeError, IndexError) as exc:
            raise ParseError(
                f"Bybit {topic[:60]} without {exc}", self._markets.get(topic.rpartition(".")[2])
            ) from None
        if type(sym) is not str:
            raise ParseError("Bybit orderbook with mistyped s")
        if type(u) is not int or type(bids) is not list or type(asks) is not list:
            raise ParseError(f"Bybit {topic[:60]} with mistyped u/b/a", self._markets.get(sym))
        m = self._markets.get(sym) or self.market(sym)
        ts = msg.get("ts")
        ts = ts / 1000.0 if type(ts) is int else None
        kind = msg.get("type")
        if kind == "delta":
            return BookDelta(m, bids, asks, u, u, None, None, ts)
        if kind == "snapshot":
            return BookSnapshot(m, bids, asks, u, None, ts, None)
        raise ParseError(f"Bybit {topic[:60]} with type {str(kind)[:20]!r}", m)

    def _trades(self, msg: dict) -> list[Event]:
        """trade.mdx "Response Example": ``{"topic":"publicTrade.BTCUSDT","type":"snapshot",
        "ts":1786310819681,"data":[{"T":1786310819680,"s":"BTCUSDT","S":"Sell","v":"0.004",
        "p":"65114.20","L":"MinusTick","i":"a9188a0a-...","BT":false,"RPI":false,
        "seq":753843954913}]}``; ``S`` is the taker side."""
        data = msg.get("data")
        if type(data) is not list:
            raise ParseError("Bybit publicTrade without a data list")
        out: list[Event] = []
        markets = self._markets
        for d in data:
            try:
                sym: Any = d["s"]
                side = _SIDES[d["S"]]
                price = float(d["p"])
                size = float(d["v"])
                tid = d["i"]
                ts = d.get("T")
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ParseError(f"Bybit publicTrade malformed: {exc!r}"[:200]) from None
            if type(sym) is not str or type(tid) is not str:
                raise ParseError("Bybit publicTrade with mistyped s/i")
            if not (0.0 < price < _INF and 0.0 < size < _INF):
                raise ParseError(f"Bybit publicTrade with bad price/size {price!r}/{size!r}")
            out.append(
                Trade(
                    markets.get(sym) or self.market(sym),
                    price,
                    size,
                    side,
                    tid,
                    ts / 1000.0 if type(ts) is int else None,
                )
            )
        return out

    def _op(self, msg: dict, frame: str | bytes) -> Event:
        """Answers to what the client sent ("Connect" page):
        ``{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-...","req_id":"10001",
        "op":"subscribe"}`` (``success`` false: refused); pong to ``{"op":"ping"}``:
        ``{"success":true,"ret_msg":"pong","conn_id":"0970e817-...","op":"ping"}`` (spot) or
        ``{"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocs..."}``."""
        op = msg.get("op")
        ok = msg.get("success", True)
        if type(op) is not str or type(ok) is not bool:
            raise ParseError(f"unknown Bybit message: {head(frame, 80)!r}")
        if op == "pong" or (op == "ping" and ok):
            return Heartbeat(self.venue)
        ret = msg.get("ret_msg", "")
        detail = (ret if type(ret) is str and ret else str(msg.get("req_id") or ""))[:200]
        if op in ("subscribe", "unsubscribe", "auth", "ping"):
            return Status(self.venue, op if ok else f"{op} refused", detail, ok)
        raise ParseError(f"unknown Bybit op {op[:30]!r}")


ADAPTER = BybitAdapter
