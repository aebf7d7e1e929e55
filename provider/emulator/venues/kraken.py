"""Emulated Kraken spot WebSocket v2 public channels: ``book`` and ``trade``.

As docs.kraken.com (spot-websocket-v2 ``status``, ``subscribe``/``unsubscribe``, ``book``,
``trade``, ``heartbeat``, ``ping``; guides/spot-ws-book-v2, book-checksum-v2) describe it:

* on connect ``{"channel":"status","data":[{"api_version":"v2","connection_id":N,
  "system":"online","version":"2.0.10"}],"type":"update"}``;
* ``{"method":"subscribe","params":{"channel":"book","symbol":[..],"depth":D,
  "snapshot":true},"req_id":N}`` -> one ack per symbol ``{"method":"subscribe","result":
  {"channel":"book","depth":D,"snapshot":true,"symbol":"BTC/USD"},"success":true,
  "time_in":..,"time_out":..,"req_id":N}``, then ``{"channel":"book","type":"snapshot",
  "data":[{"symbol":..,"bids":[{"price":P,"qty":Q},..],"asks":[..],"checksum":C,
  "timestamp":..}]}`` (bids best first, asks best first, D levels a side) and afterwards
  ``"type":"update"`` messages, one per market step that changed the client's book; ``qty``
  0 deletes. D is one of 10, 25, 100, 500, 1000 (default 10). Levels pushed out of the
  window get NO delete (clients truncate to D after every message); levels entering it
  are sent. Every snapshot and update carries the CRC32 of the top 10 asks then the top 10
  bids of the book after it, computed with the adapter's own ``book_checksum`` over the
  wire text of each number;
* prices and quantities of book levels are JSON numbers written with the pair's full
  precision, trailing zeros kept (``65000.1``, ``0.10000000``): the frames are written as
  text so that the digits are exactly those the checksum covers;
* ``trade`` (``"snapshot":false`` as the adapter asks, or the last 50 trades as a
  ``"type":"snapshot"`` first): ``{"channel":"trade","type":"update","data":[{"symbol":..,
  "side":"buy"|"sell" (the TAKER),"price":..,"qty":..,"ord_type":"market"|"limit",
  "trade_id":N (sequential per pair),"timestamp":..}]}``, one message per market step;
* ``{"channel":"heartbeat"}`` about once a second when nothing else was sent (only once
  the connection subscribed to something); ``{"method":"ping","req_id":n}`` ->
  ``{"method":"pong","req_id":n,"time_in":..,"time_out":..}``;
* ``unsubscribe`` -> the same ack shape with ``"method":"unsubscribe"``; errors
  ``{"error":..,"method":..,"success":false,"symbol":..,"time_in":..,"time_out":..,
  "req_id":..}``: ``Currency pair not supported BTC/XYZ`` (documented), ``Already
  subscribed``, ``Subscription Not Found`` and ``EGeneral:Invalid arguments[:field]``
  (wording of these three not verified against a live venue).

Timestamps are RFC 3339 with microseconds. v2 is served on any path: the real venue serves
it on ``/v2`` only, but ``KrakenAdapter.connect_url`` drops the path when it is given an
emulator base URL (it connects to ``/``). ``faults.corrupt_checksum`` corrupts the checksum
of the next snapshot or update; ``faults.bloat_snapshot`` is skipped (``depth`` bounds a
Kraken snapshot).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from provider.emulator.market import Change, StepResult, VenueMarket
from provider.emulator.protocol import (
    CONTROL,
    DELTA,
    HEARTBEAT,
    SNAPSHOT,
    TRADE,
    ClientSession,
    Out,
    VenueServer,
    Window,
)
from provider.exchanges.kraken import BOOK_DEPTH, CHECKSUM_LEVELS, DEFAULT_DEPTH, book_checksum
from provider.models import Side, Venue

#: book depths a subscription may ask for (spot-websocket-v2 ``book``)
BOOK_DEPTHS = (10, 25, 100, 500, 1000)
#: trades in a trade snapshot (spot-websocket-v2 ``trade``: the last 50)
TRADE_HISTORY = 50
#: first trade id (Kraken's are large integers, sequential per pair)
TRADE_ID_BASE = 80_000_000
#: the server version in the status greeting
VERSION = "2.0.10"
#: seconds without any other frame before a heartbeat
HEARTBEAT_S = 1.0

ERR_PAIR = "Currency pair not supported {symbol}"
ERR_DUP = "Already subscribed"
ERR_NOT_FOUND = "Subscription Not Found"
ERR_ARGS = "EGeneral:Invalid arguments"


def rfc3339(now: float) -> str:
    """``2023-10-06T17:35:55.440295Z``."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


@dataclass(slots=True)
class BookStream:
    """The ``book`` channel of one symbol at one depth: the book its clients hold (the
    top ``depth`` levels; the client truncates) and this step's update, if any."""

    native: str
    depth: int
    market: VenueMarket
    window: Window
    #: this step's levels ("bids", "asks" JSON array texts) and the checksum after them
    update: tuple[str, str, int] | None = None
    _checksum: int | None = field(default=None, repr=False)

    def apply(self, changes: Sequence[Change]) -> None:
        """Take this step's window changes (already applied to ``window``)."""
        self._checksum = None
        if not changes:
            self.update = None
            return
        bids = _levels(self.market, [(c.tick, c.size) for c in changes if c.is_bid])
        asks = _levels(self.market, [(c.tick, c.size) for c in changes if not c.is_bid])
        self.update = (bids, asks, self.checksum())

    def checksum(self) -> int:
        """The adapter's checksum of the book as the client holds it now."""
        if self._checksum is None:
            m = self.market
            n = CHECKSUM_LEVELS
            w = self.window
            bids = [(m.fmt_price(t), m.fmt_size(w.bids[t])) for t in _best(w.bids, True, n)]
            asks = [(m.fmt_price(t), m.fmt_size(w.asks[t])) for t in _best(w.asks, False, n)]
            self._checksum = book_checksum(asks, bids)
        return self._checksum

    def snapshot_levels(self) -> tuple[str, str]:
        """The whole window: (bids best first, asks best first) as JSON array texts."""
        w = self.window
        bids = _levels(self.market, ((t, w.bids[t]) for t in _best(w.bids, True, None)))
        asks = _levels(self.market, ((t, w.asks[t]) for t in _best(w.asks, False, None)))
        return bids, asks


def _best(side: dict[int, float], is_bid: bool, n: int | None) -> list[int]:
    keys = sorted(side, reverse=is_bid)
    return keys if n is None else keys[:n]


def _levels(m: VenueMarket, levels: Any) -> str:
    """``[{"price":65000.1,"qty":0.10000000},..]`` with the pair's full precision."""
    return (
        "["
        + ",".join(f'{{"price":{m.fmt_price(t)},"qty":{m.fmt_size(s)}}}' for t, s in levels)
        + "]"
    )


class KrakenServer(VenueServer):
    venue = Venue.KRAKEN
    #: the adapter subscribes ``depth`` 1000 and truncates: no deletes for levels pushed out
    window = BOOK_DEPTH
    window_deletes = False

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.rnd = random.Random("kraken")
        self.streams: dict[str, dict[int, BookStream]] = {n: {} for n in markets}
        #: this step's trades of each market (JSON object texts) and recent ones, oldest first
        self.trades_now: dict[str, list[str]] = {n: [] for n in markets}
        self.history: dict[str, deque[str]] = {n: deque(maxlen=TRADE_HISTORY) for n in markets}
        for native in markets:
            self.stream(native, BOOK_DEPTH)

    def session(self, path: str) -> ClientSession:
        return KrakenSession(self, path)

    def stream(self, native: str, depth: int) -> BookStream:
        """The ``book`` channel of ``native`` at ``depth`` (made on first use)."""
        streams = self.streams[native]
        s = streams.get(depth)
        if s is None:
            m = self.markets[native]
            window = self.windows[native] if depth == self.window else Window(m, depth)
            s = streams[depth] = BookStream(native, depth, m, window)
        return s

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)  # the depth-1000 window
        for depth, s in self.streams[native].items():
            if depth == self.window:
                s.apply(changes)
            else:
                s.apply(s.window.update(result.changes, self.window_deletes))
        self._trades(native, result)
        return changes

    def _trades(self, native: str, result: StepResult) -> None:
        if not result.trades:
            self.trades_now[native] = []
            return
        m = self.markets[native]
        items = []
        ts = rfc3339(time.time())
        for tr in result.trades:
            tid = TRADE_ID_BASE + tr.trade_id
            item = {
                "symbol": native,
                "side": "buy" if tr.side is Side.BUY else "sell",  # the taker
                "price": m.price(tr.tick),
                "qty": tr.size,
                "ord_type": "limit" if tid % 4 == 0 else "market",
                "trade_id": tid,
                "timestamp": ts,
            }
            items.append(_dumps(item))
        self.trades_now[native] = items
        self.history[native].extend(items)


@dataclass(slots=True)
class _Sub:
    native: str
    depth: int = 0  # book depth (0 for trades)


class KrakenSession(ClientSession):
    server: KrakenServer

    def __init__(self, server: KrakenServer, path: str) -> None:
        super().__init__(server, path)
        self.books: dict[str, _Sub] = {}  # symbol -> its book subscription
        self.trades: set[str] = set()
        self.last_sent = 0.0
        self.connection_id = server.rnd.getrandbits(64)

    # ------------------------------------------------------------------------- framing

    def _out(self, data: str, kind: str, now: float) -> Out:
        self.last_sent = now
        return Out(data, kind)

    def _answer(self, body: dict[str, Any], req_id: Any, now: float) -> Out:
        body["time_in"] = rfc3339(now)
        body["time_out"] = rfc3339(now + 0.000_05)
        if req_id is not None:
            body["req_id"] = req_id
        return self._out(_dumps(body), CONTROL, now)

    def _error(self, error: str, method: Any, symbol: Any, req_id: Any, now: float) -> Out:
        body: dict[str, Any] = {"error": error}
        if method is not None:
            body["method"] = method
        body["success"] = False
        if symbol is not None:
            body["symbol"] = symbol
        return self._answer(body, req_id, now)

    def _checksum(self, cs: int) -> int:
        if self.faults.corrupt_checksum:
            self.faults.corrupt_checksum -= 1
            return (cs + 1) & 0xFFFFFFFF
        return cs

    def _book(self, kind: str, native: str, bids: str, asks: str, cs: int, now: float) -> str:
        return (
            f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"{native}",'
            f'"bids":{bids},"asks":{asks},"checksum":{self._checksum(cs)},'
            f'"timestamp":"{rfc3339(now)}"}}]}}'
        )

    # ------------------------------------------------------------------------- requests

    def opened(self, now: float) -> list[Out]:
        status = {
            "channel": "status",
            "data": [
                {
                    "api_version": "v2",
                    "connection_id": self.connection_id,
                    "system": "online",
                    "version": VERSION,
                }
            ],
            "type": "update",
        }
        return [self._out(_dumps(status), CONTROL, now)]

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("method"), str):
            return [self._error(ERR_ARGS, None, None, None, now)]
        method = msg["method"]
        req_id = msg.get("req_id")
        if method == "ping":
            return [self._answer({"method": "pong"}, req_id, now)]
        if method not in ("subscribe", "unsubscribe"):
            return [self._error(ERR_ARGS + ":method", method, None, req_id, now)]
        params = msg.get("params")
        if not isinstance(params, dict):
            return [self._error(ERR_ARGS + ":params", method, None, req_id, now)]
        channel = params.get("channel")
        symbols = params.get("symbol")
        if channel not in ("book", "trade"):
            return [self._error(ERR_ARGS + ":channel", method, None, req_id, now)]
        if not isinstance(symbols, list) or not symbols:
            return [self._error(ERR_ARGS + ":symbol", method, None, req_id, now)]
        depth = params.get("depth", DEFAULT_DEPTH) if channel == "book" else 0
        if channel == "book" and depth not in BOOK_DEPTHS:
            return [self._error(ERR_ARGS + ":depth", method, None, req_id, now)]
        snapshot = params.get("snapshot", True)
        if not isinstance(snapshot, bool):
            return [self._error(ERR_ARGS + ":snapshot", method, None, req_id, now)]
        out: list[Out] = []
        for sym in symbols:
            if not isinstance(sym, str) or sym not in self.server.markets:
                out.append(self._error(ERR_PAIR.format(symbol=sym), method, sym, req_id, now))
            elif method == "subscribe":
                out += self._subscribe(channel, sym, depth, snapshot, req_id, now)
            else:
                out.append(self._unsubscribe(channel, sym, depth, req_id, now))
        return out

    def _subscribe(
        self, channel: str, sym: str, depth: int, snapshot: bool, req_id: Any, now: float
    ) -> list[Out]:
        if sym in (self.books if channel == "book" else self.trades):
            return [self._error(ERR_DUP, "subscribe", sym, req_id, now)]
        result: dict[str, Any] = {"channel": channel}
        if channel == "book":
            result["depth"] = depth
        result["snapshot"] = snapshot
        result["symbol"] = sym
        out = [
            self._answer({"method": "subscribe", "result": result, "success": True}, req_id, now)
        ]
        if channel == "trade":
            self.trades.add(sym)
            hist = self.server.history[sym]
            if snapshot:
                data = ",".join(hist)
                body = f'{{"channel":"trade","type":"snapshot","data":[{data}]}}'
                out.append(self._out(body, TRADE, now))
            return out
        self.books[sym] = _Sub(sym, depth)
        stream = self.server.stream(sym, depth)
        if snapshot:
            if self.faults.bloat_snapshot:  # depth bounds a Kraken snapshot: nothing to pad
                self.faults.bloat_snapshot -= 1
            bids, asks = stream.snapshot_levels()
            body = self._book("snapshot", sym, bids, asks, stream.checksum(), now)
            out.append(self._out(body, SNAPSHOT, now))
        return out

    def _unsubscribe(self, channel: str, sym: str, depth: int, req_id: Any, now: float) -> Out:
        if channel == "book":
            sub = self.books.get(sym)
            if sub is None or sub.depth != depth:
                return self._error(ERR_NOT_FOUND, "unsubscribe", sym, req_id, now)
            del self.books[sym]
            result: dict[str, Any] = {"channel": "book", "depth": depth, "symbol": sym}
        else:
            if sym not in self.trades:
                return self._error(ERR_NOT_FOUND, "unsubscribe", sym, req_id, now)
            self.trades.discard(sym)
            result = {"channel": "trade", "symbol": sym}
        return self._answer(
            {"method": "unsubscribe", "result": result, "success": True}, req_id, now
        )

    # ------------------------------------------------------------------------- pushes

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        server = self.server
        if native in self.trades and server.trades_now[native]:
            data = ",".join(server.trades_now[native])
            out.append(
                self._out(f'{{"channel":"trade","type":"update","data":[{data}]}}', TRADE, now)
            )
        sub = self.books.get(native)
        if sub is not None:
            update = server.streams[native][sub.depth].update
            if update is not None:
                bids, asks, cs = update
                out.append(self._out(self._book("update", native, bids, asks, cs, now), DELTA, now))
        return out

    def idle(self, now: float) -> list[Out]:
        if (self.books or self.trades) and now - self.last_sent >= HEARTBEAT_S * 0.9:
            return [self._out('{"channel":"heartbeat"}', HEARTBEAT, now)]
        return []


SERVER = KrakenServer
