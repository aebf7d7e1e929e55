"""Emulated Bybit v5 public streams: ``orderbook.{depth}.{symbol}`` and ``publicTrade.{symbol}``.

As bybit-exchange/docs (``v5/ws/connect``, ``v5/websocket/public/orderbook``, ``.../trade``)
and captures of the live spot stream show it:

* one connection per product category, named by the URL path ``/v5/public/<category>``; the
  emulator lists spot markets only, so ``/v5/public/linear`` and ``/inverse`` connect but know
  no symbol, and any other path is closed;
* ``{"op":"subscribe","args":[..],"req_id":..}`` (at most 10 args) is answered with one ack,
  ``{"success":true,"ret_msg":"subscribe","conn_id":..,"req_id":..,"op":"subscribe"}`` on spot
  (``ret_msg`` "" on linear/inverse; ``req_id`` only when the request had one). One bad topic
  refuses the whole request: ``Invalid symbol :[orderbook.200.NOPEUSDT]`` (spot, unknown
  symbol), ``error:handler not found,topic:..`` (unknown topic or depth; linear/inverse for
  unknown symbols too), ``error:already subscribed,topic:..``, ``args size >10``;
* a book topic starts with a ``snapshot`` of the topic's depth, then ``delta`` frames at the
  topic's push interval (spot: 1 - 10 ms, 50 - 20 ms, 200 and 1000 - 200 ms) with absolute
  sizes, ``"0"`` deleting, and deletes for levels pushed out of the window. ``u`` is one
  sequence per topic (shared by every connection, +1 per message), ``seq`` the market's cross
  sequence, ``cts`` the matching-engine time. ``orderbook.1`` sends snapshots only, and
  repeats the last one (same ``u``) after 3 s without a change;
* ``publicTrade`` frames (``type`` snapshot) batch the trades of one match, ``S`` = taker
  side; spot trades have no ``L`` tick direction and a numeric-string ``i``;
* spot numbers are strings without trailing zeros (``"65140.4"``, ``"0.5"``);
* ``{"op":"ping"}`` -> ``{"success":true,"ret_msg":"pong","conn_id":..,"op":"ping"}``; the
  server sends no heartbeat of its own. There is no checksum.

Frames of a topic are built once per push by the server and handed to every subscriber, so
all connections see the same ``u`` chain (a client that misses one sees a gap).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from provider.emulator.market import Change, StepResult, VenueMarket
from provider.emulator.protocol import (
    CONTROL,
    DELTA,
    SNAPSHOT,
    TRADE,
    ClientSession,
    Out,
    VenueServer,
    Window,
)
from provider.models import Side, Venue

#: spot book depths and their push intervals (seconds)
SPOT_DEPTHS = {1: 0.01, 50: 0.02, 200: 0.2, 1000: 0.2}
#: categories served on ``/v5/public/<category>`` (the emulator lists spot markets only)
CATEGORIES = ("spot", "linear", "inverse", "option", "spread")
#: topics per subscribe request on public streams
MAX_ARGS = 10
#: ``orderbook.1`` repeats its snapshot after this long without a change
L1_REPEAT_S = 3.0
_XID = "0123456789abcdefghijklmnopqrstuv"


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _num(value: float, decimals: int) -> str:
    """Spot style: fixed decimals, trailing zeros (and a bare dot) removed."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _levels(m: VenueMarket, levels: Sequence[tuple[int, float]]) -> list[list[str]]:
    pd, sd = m.spec.price_decimals, m.spec.lot_decimals
    tick = m.spec.tick
    return [[_num(t * tick, pd), _num(s, sd)] for t, s in levels]


@dataclass(slots=True)
class BookTopic:
    """One ``orderbook.{depth}.{symbol}`` stream: what its subscribers were last sent."""

    depth: int
    native: str
    market: VenueMarket
    window: Window
    interval: float
    u: int
    seq: int = 0  # cross sequence of the last push
    pushes: int = 0  # frames published so far (a session forwards each once)
    frame: Out | None = None  # the latest frame
    last_push: float = 0.0
    bids: dict[int, float] = field(default_factory=dict)  # the book as of ``u``
    asks: dict[int, float] = field(default_factory=dict)
    pending: dict[tuple[bool, int], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bids = dict(self.window.bids)
        self.asks = dict(self.window.asks)

    @property
    def topic(self) -> str:
        return f"orderbook.{self.depth}.{self.native}"

    def add(self, changes: Sequence[Change]) -> None:
        for c in changes:
            self.pending[(c.is_bid, c.tick)] = c.size

    def poll(self, now: float, seq: int) -> None:
        """Publish a frame when the push interval has passed and something changed (or the
        level-1 repeat is due)."""
        if self.pending and now - self.last_push >= self.interval - 0.005:
            bids: list[tuple[int, float]] = []
            asks: list[tuple[int, float]] = []
            for (is_bid, tick), size in self.pending.items():
                side = self.bids if is_bid else self.asks
                if side.get(tick, 0.0) == size:
                    continue  # changed and changed back since the last push
                if size > 0:
                    side[tick] = size
                else:
                    del side[tick]
                (bids if is_bid else asks).append((tick, size))
            self.pending.clear()
            if not bids and not asks:
                return
            self.u += 1
            self.seq = seq
            if self.depth == 1:  # level 1 is pushed as snapshots only
                self._publish(self.snapshot(now), now)
                return
            bids.sort(reverse=True)
            asks.sort()
            self._publish(self._frame("delta", bids, asks, now), now)
        elif self.depth == 1 and now - self.last_push >= L1_REPEAT_S:
            self._publish(self.snapshot(now), now)  # unchanged: same ``u``

    def _publish(self, out: Out, now: float) -> None:
        self.frame = out
        self.pushes += 1
        self.last_push = now

    def snapshot(self, now: float) -> Out:
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        return self._frame("snapshot", bids, asks, now)

    def _frame(
        self,
        kind: str,
        bids: Sequence[tuple[int, float]],
        asks: Sequence[tuple[int, float]],
        now: float,
    ) -> Out:
        ts = int(now * 1000)
        data = {
            "topic": self.topic,
            "ts": ts,
            "type": kind,
            "data": {
                "s": self.native,
                "b": _levels(self.market, bids),
                "a": _levels(self.market, asks),
                "u": self.u,
                "seq": self.seq,
            },
            "cts": ts - 4,
        }
        return Out(_dumps(data), DELTA if kind == "delta" else SNAPSHOT)


class BybitServer(VenueServer):
    venue = Venue.BYBIT
    #: the adapter subscribes ``orderbook.200``; Bybit sends deletes for levels leaving it
    window = 200
    window_deletes = True

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.rnd = random.Random("bybit")
        self.seq: dict[str, int] = {}
        self.topics: dict[str, dict[int, BookTopic]] = {}
        self.trade_frame: dict[str, Out | None] = {}
        for native in markets:
            r = random.Random(f"bybit:{native}")
            self.seq[native] = r.randrange(100_000_000_000, 120_000_000_000)
            self.topics[native] = {}
            self.trade_frame[native] = None
            self.topic(200, native)

    def session(self, path: str) -> ClientSession:
        return BybitSession(self, path)

    def conn_id(self) -> str:
        """Like Bybit's: an xid, a dash and a short suffix (``d9avrj8i70nu0j2a80n0-9cfc4``)."""
        r = self.rnd
        tail = "".join(r.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(5))
        return "".join(r.choice(_XID) for _ in range(20)) + "-" + tail

    def topic(self, depth: int, native: str) -> BookTopic:
        """The book stream of ``depth`` levels of ``native`` (made on first use)."""
        topics = self.topics[native]
        t = topics.get(depth)
        if t is None:
            m = self.markets[native]
            window = self.windows[native] if depth == self.window else Window(m, depth)
            u = random.Random(f"bybit:{depth}:{native}").randrange(10_000_000, 90_000_000)
            t = BookTopic(depth, native, m, window, SPOT_DEPTHS[depth], u, self.seq[native])
            topics[depth] = t
        return t

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)  # the 200-level window
        now = time.time()
        seq0 = self.seq[native]
        self.seq[native] = seq0 + len(result.changes) + len(result.trades)
        for t in self.topics[native].values():
            if t.window is self.windows[native]:
                t.add(changes)
            else:
                t.add(t.window.update(result.changes, True))
            t.poll(now, self.seq[native])
        self.trade_frame[native] = self._trades(native, result, seq0, now)
        return changes

    def _trades(self, native: str, result: StepResult, seq0: int, now: float) -> Out | None:
        if not result.trades:
            return None
        m = self.markets[native]
        pd, sd = m.spec.price_decimals, m.spec.lot_decimals
        ts = int(now * 1000)
        data = [
            {
                "i": str(2_290_000_000_000_000_000 + tr.trade_id),
                "T": ts - 3,
                "p": _num(tr.tick * m.spec.tick, pd),
                "v": _num(tr.size, sd),
                "S": "Buy" if tr.side is Side.BUY else "Sell",  # the taker's side
                "seq": seq0 + 1 + k,
                "s": native,
                "BT": False,
                "RPI": False,
            }
            for k, tr in enumerate(result.trades)
        ]
        msg = {"topic": f"publicTrade.{native}", "ts": ts, "type": "snapshot", "data": data}
        return Out(_dumps(msg), TRADE)

    def flush(self, now: float) -> None:
        """Push what waited for its interval (the market may be paused)."""
        for native, topics in self.topics.items():
            for t in topics.values():
                t.poll(now, self.seq[native])


class BybitSession(ClientSession):
    server: BybitServer

    def __init__(self, server: BybitServer, path: str) -> None:
        super().__init__(server, path)
        parts = path.partition("?")[0].rstrip("/").split("/")
        ok = len(parts) == 4 and parts[1:3] == ["v5", "public"] and parts[3] in CATEGORIES
        self.category = parts[3] if ok else None
        self.conn_id = server.conn_id()
        self.books: dict[str, set[int]] = {}  # native -> subscribed depths
        self.trades: set[str] = set()
        self.seen: dict[tuple[int, str], int] = {}  # topic -> pushes forwarded

    # ------------------------------------------------------------------------- requests

    def opened(self, now: float) -> list[Out]:
        if self.category is None:  # Bybit answers an unknown path with HTTP 404
            self.closed = True
        return []

    def _answer(self, op: str, ok: bool, ret_msg: str, req_id: Any) -> Out:
        msg: dict[str, Any] = {"success": ok, "ret_msg": ret_msg, "conn_id": self.conn_id}
        if req_id is not None:
            msg["req_id"] = req_id
        msg["op"] = op
        return Out(_dumps(msg), CONTROL)

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            err = {
                "success": False,
                "ret_msg": f"Failed to decode incoming data: {text[:40]}",
                "conn_id": self.conn_id,
            }
            return [Out(_dumps(err), CONTROL)]
        op, req_id = msg.get("op"), msg.get("req_id")
        if op == "ping":
            return [self._answer("ping", True, "pong", req_id)]
        if op not in ("subscribe", "unsubscribe"):
            return [self._answer(str(op), False, "error:invalid op", req_id)]
        args = msg.get("args")
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            return [self._answer(op, False, "Params Error", req_id)]
        if len(args) > MAX_ARGS:
            return [self._answer(op, False, f"args size >{MAX_ARGS}", req_id)]
        if op == "unsubscribe":
            for a in args:
                self._unsubscribe(a)
            return [self._answer(op, True, "unsubscribe" if self._spot else "", req_id)]
        return self._subscribe(args, req_id, now)

    @property
    def _spot(self) -> bool:
        return self.category == "spot"

    def _parse(self, arg: str) -> tuple[str, int, str]:
        """``orderbook.200.BTCUSDT`` -> ("orderbook", 200, "BTCUSDT"); ("", 0, "") if not
        a topic this emulator serves."""
        kind, _, rest = arg.partition(".")
        if kind == "orderbook":
            depth, _, sym = rest.partition(".")
            if depth.isdigit() and int(depth) in SPOT_DEPTHS and sym and self._spot:
                return kind, int(depth), sym
        elif kind == "publicTrade" and rest and "." not in rest:
            return kind, 0, rest
        return "", 0, ""

    def _subscribe(self, args: list[str], req_id: Any, now: float) -> list[Out]:
        markets = self.server.markets
        wanted: list[tuple[str, int, str]] = []
        unknown: list[str] = []
        for a in args:
            kind, depth, sym = self._parse(a)
            if not kind:
                ret = f"error:handler not found,topic:{a}"
                return [self._answer("subscribe", False, ret, req_id)]
            if sym not in markets or not self._spot:
                unknown.append(a)
                continue
            if (depth in self.books.get(sym, ())) if depth else (sym in self.trades):
                ret = f"error:already subscribed,topic:{a}"
                return [self._answer("subscribe", False, ret, req_id)]
            wanted.append((kind, depth, sym))
        if unknown:  # one bad topic refuses the whole request
            if self._spot:
                ret = f"Invalid symbol :[{','.join(unknown)}]"
            else:
                ret = f"error:handler not found,topic:{unknown[0]}"
            return [self._answer("subscribe", False, ret, req_id)]
        out = [self._answer("subscribe", True, "subscribe" if self._spot else "", req_id)]
        for _kind, depth, sym in wanted:
            if not depth:
                self.trades.add(sym)
                continue
            self.books.setdefault(sym, set()).add(depth)
            t = self.server.topic(depth, sym)
            self.seen[(depth, sym)] = t.pushes
            if self.faults.bloat_snapshot:  # Bybit's snapshots are bounded by the depth
                self.faults.bloat_snapshot -= 1
            out.append(t.snapshot(now))
        return out

    def _unsubscribe(self, arg: str) -> None:
        kind, depth, sym = self._parse(arg)
        if kind == "orderbook":
            self.books.get(sym, set()).discard(depth)
            self.seen.pop((depth, sym), None)
        elif kind == "publicTrade":
            self.trades.discard(sym)

    # ------------------------------------------------------------------------- pushes

    def _forward(self, native: str, out: list[Out]) -> None:
        for depth in self.books.get(native, ()):
            t = self.server.topics[native][depth]
            key = (depth, native)
            if t.pushes > self.seen[key] and t.frame is not None:
                self.seen[key] = t.pushes
                out.append(t.frame)

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        if native in self.trades:
            frame = self.server.trade_frame.get(native)
            if frame is not None:
                out.append(frame)
        self._forward(native, out)
        return out

    def idle(self, now: float) -> list[Out]:
        # deltas that waited for their push interval go out even when the market is still
        self.server.flush(now)
        out: list[Out] = []
        for native in self.books:
            self._forward(native, out)
        return out


SERVER = BybitServer
