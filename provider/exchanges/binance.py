"""Binance spot (and USDⓈ-M futures) market data: diff depth + REST snapshot, trades.

Docs: binance-spot-api-docs ``web-socket-streams.md`` ("Diff. Depth Stream", "Trade Streams",
"How to manage a local order book correctly"), ``rest-api.md`` ("Order book"); futures:
developers.binance.com "How to manage a local order book correctly" (USDⓈ-M).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from orjson import JSONDecodeError
from orjson import loads as _loads

from provider.errors import ParseError, SequenceGap, StaleSnapshot
from provider.exchanges.base import Adapter, dumps, head, loads
from provider.models import (
    BookDelta,
    BookSnapshot,
    Event,
    Ignored,
    Kind,
    Market,
    RestRequest,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.symbols import parse_symbol, split_pair
from provider.sync import Guard

REST_SPOT = "https://api.binance.com"
REST_FUTURES = "https://fapi.binance.com"
_INF = float("inf")


class BinanceGuard(Guard):
    """``U``/``u`` bridging and gap detection (spot); ``pu`` chain (futures).

    Spot: drop events with ``u <= lastUpdateId``; the first kept event must satisfy
    ``U <= lastUpdateId + 1 <= u``; afterwards ``U > previous u + 1`` means a lost event.
    Futures events carry ``pu``: the first kept event must satisfy ``U <= lastUpdateId <= u``
    and afterwards ``pu`` must equal the previous ``u``.
    """

    buffers = True

    def __init__(self) -> None:
        self.last = 0
        self.bridged = False

    def on_snapshot(self, snap: BookSnapshot) -> None:
        if snap.seq is None:
            raise StaleSnapshot("Binance snapshot without lastUpdateId")
        self.last = snap.seq
        self.bridged = False

    def check(self, delta: BookDelta) -> bool:
        first, last, prev = delta.first_seq, delta.last_seq, delta.prev_seq
        assert first is not None and last is not None  # the adapter always sets both
        if prev is None:  # spot
            if last <= self.last:
                return False
            if not self.bridged:
                if not first <= self.last + 1:
                    raise StaleSnapshot(
                        f"snapshot {self.last} does not bridge to event U={first} u={last}"
                    )
                self.bridged = True
            elif first > self.last + 1:
                raise SequenceGap(f"expected U={self.last + 1}, got U={first}")
        else:  # USDⓈ-M futures
            if last < self.last:
                return False
            if not self.bridged:
                if not first <= self.last <= last:
                    raise StaleSnapshot(
                        f"snapshot {self.last} does not bridge to event U={first} u={last}"
                    )
                self.bridged = True
            elif prev != self.last:
                raise SequenceGap(f"expected pu={self.last}, got pu={prev}")
        self.last = last
        return True


class BinanceAdapter(Adapter):
    venue = Venue.BINANCE
    ws_url = "wss://stream.binance.com:9443"
    resync = "rest"
    max_messages_per_s = 5.0  # incoming messages per connection, pings included
    max_connection_s = 24 * 3600.0 - 600.0  # the venue cuts at 24 h: leave 10 min early

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        self.futures = url is not None and ("fstream" in url or "/fapi" in url)

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        base, quote = split_pair(native)
        if self.futures:
            return Market(self.venue, native, f"{base}/{quote}:{quote}", base, quote, Kind.PERP)
        return Market(self.venue, native, f"{base}/{quote}", base, quote, Kind.SPOT)

    def native_symbol(self, symbol: str) -> str:
        base, quote = parse_symbol(symbol)
        return base + quote

    # ------------------------------------------------------------------------- requests

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        return (base or self.ws_url) + "/stream"

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        params = []
        for m in markets:
            s = m.native.lower()
            params += [f"{s}@depth@100ms", f"{s}@trade"]
        return [dumps({"method": "SUBSCRIBE", "params": params, "id": 1})]

    def snapshot_request(self, market: Market, base: str | None = None) -> RestRequest:
        path = "/fapi/v1/depth" if market.kind is Kind.PERP else "/api/v3/depth"
        root = base or (REST_FUTURES if market.kind is Kind.PERP else REST_SPOT)
        return RestRequest(f"{root}{path}?symbol={market.native}&limit=1000", market)

    def guard(self, market: Market) -> Guard:
        return BinanceGuard()

    def rest_market(self, url: str) -> Market | None:
        parts = urlsplit(url)
        if not parts.path.endswith(("/api/v3/depth", "/fapi/v1/depth")):
            return None
        symbols = parse_qs(parts.query).get("symbol")
        if not symbols:
            return None
        if parts.path.endswith("/fapi/v1/depth"):
            self.futures = True
        return self.market(symbols[0].upper())

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        text = head(frame, 120)
        return (
            text.startswith(('{"stream":"', '{"lastUpdateId":', '{"e":"depthUpdate"'))
            or text.startswith('{"e":"trade"')
            or text.startswith('{"e":"aggTrade"')
        )

    def parse(self, frame: str | bytes) -> list[Event]:
        try:  # (base.loads inlined: a call less on every frame)
            msg = _loads(frame)
        except (JSONDecodeError, TypeError) as exc:
            raise ParseError(f"not JSON: {exc}") from None
        if type(msg) is not dict:
            raise ParseError(f"Binance frame is not an object: {head(frame, 80)!r}")
        data = msg.get("data", msg)
        if type(data) is not dict:
            raise ParseError("Binance 'data' is not an object")
        e = data.get("e")
        if e == "depthUpdate":
            return [self._depth(data)]
        if e == "trade" or e == "aggTrade":
            return [self._trade(data, e)]
        if "result" in data and "id" in data:
            return [Status(self.venue, "subscribed", str(data.get("result")))]
        if "error" in data or "code" in data:
            err = data.get("error", data)
            return [Status(self.venue, "error", str(err)[:200], ok=False)]
        if e is not None or ("u" in data and "b" in data and "a" in data):
            # kline, 24hrTicker, bookTicker (no "e"), ...: valid, not used
            return [Ignored(self.venue, str(e or "bookTicker"))]
        raise ParseError(f"unknown Binance message: {head(frame, 80)!r}")

    def _depth(self, d: dict) -> BookDelta:
        """``{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,
        "u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[...]}`` (+``"pu"`` futures)"""
        try:
            sym = d["s"]
            first = d["U"]
            last = d["u"]
            bids = d["b"]
            asks = d["a"]
            prev = d.get("pu")
            ts = d.get("E")
        except KeyError as exc:
            raise ParseError(f"Binance depthUpdate without {exc}") from None
        if type(sym) is not str or type(first) is not int or type(last) is not int:
            raise ParseError("Binance depthUpdate with mistyped s/U/u")
        if type(bids) is not list or type(asks) is not list:
            raise ParseError("Binance depthUpdate with mistyped b/a", self._markets.get(sym))
        if prev is not None:
            if type(prev) is not int:
                raise ParseError("Binance depthUpdate with mistyped pu")
            self.futures = True
        m = self._markets.get(sym) or self.market(sym)
        return BookDelta(
            m, bids, asks, first, last, prev, None, ts / 1000.0 if type(ts) is int else None
        )

    def _trade(self, d: dict, e: str) -> Trade:
        """``{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000",
        "q":"0.02000000","T":1723161255342,"m":true,"M":true}``; ``m`` = buyer is maker, so
        ``m`` true means the taker sold. aggTrade has ``a`` instead of ``t``."""
        try:
            sym = d["s"]
            price = float(d["p"])
            size = float(d["q"])
            maker_buys = d["m"]
            tid = d["t"] if e == "trade" else d["a"]
            ts = d.get("T")
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"Binance {e} malformed: {exc}") from None
        if type(maker_buys) is not bool or type(sym) is not str:
            raise ParseError(f"Binance {e} with mistyped m/s")
        if not (0.0 < price < _INF and 0.0 < size < _INF):
            raise ParseError(f"Binance {e} with bad price/size {d.get('p')!r}/{d.get('q')!r}")
        return Trade(
            self._markets.get(sym) or self.market(sym),
            price,
            size,
            Side.SELL if maker_buys else Side.BUY,
            str(tid),
            ts / 1000.0 if type(ts) is int else None,
        )

    def parse_rest(self, body: str | bytes, market: Market) -> list[Event]:
        """``{"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],"asks":[...]}``"""
        msg = loads(body)
        if type(msg) is not dict:
            raise ParseError("Binance depth snapshot is not an object")
        try:
            seq = msg["lastUpdateId"]
            bids = msg["bids"]
            asks = msg["asks"]
        except KeyError as exc:
            raise ParseError(f"Binance depth snapshot without {exc}") from None
        if type(seq) is not int or type(bids) is not list or type(asks) is not list:
            raise ParseError("Binance depth snapshot with mistyped fields")
        ts = msg.get("E")
        return [
            BookSnapshot(
                market, bids, asks, seq, None, ts / 1000.0 if type(ts) is int else None, None
            )
        ]


ADAPTER = BinanceAdapter
