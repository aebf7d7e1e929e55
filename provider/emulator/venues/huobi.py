"""Emulated Huobi / HTX spot: gzip frames, ``mbp.150`` increments + ``req`` book, trades, pings.

As the Huobi spot API v1 doc ("Websocket Market Data") describes it:

* every server frame is binary **gzip** of JSON; client frames are plain JSON text;
* ``{"sub": "market.<sym>.mbp.150", "id": ..}`` -> ``{"id","status":"ok","subbed","ts"}``, then
  increments every 100 ms: ``{"ch","ts","tick":{"seqNum","prevSeqNum","bids","asks"}}`` - the
  difference between two 150-level books 100 ms apart (a side may be empty, both when nothing
  changed; size 0 deletes, also for levels pushed out of the 150), bids descending, asks
  ascending, prices and sizes as JSON numbers;
* ``seqNum`` is per market (every connection sees the same numbers); it advances by the number
  of book events an increment covers, so it is not consecutive: ``prevSeqNum`` links pushes;
* ``{"req": "market.<sym>.mbp.150", "id": ..}`` is answered on the same connection with
  ``{"id","rep","status":"ok","ts","data":{"seqNum","bids","asks"}}``: the book as of the last
  increment pushed, so the next increment has ``prevSeqNum`` == that ``seqNum``;
* ``market.<sym>.trade.detail``: ``tick.data[]`` with ``tradeId``, ``amount``, ``price``,
  ``ts``, ``direction`` = taker side;
* ``{"ping": <ms>}`` every 5 s; the client answers ``{"pong": <ms>}`` (accepted silently);
  after two unanswered pings the server closes the connection;
* unknown symbol -> ``{"id","status":"error","err-code":"bad-request","err-msg":"invalid symbol
  <sym>","ts"}``; a valid symbol with a channel not served here -> ``invalid topic <topic>``.

No checksums; the client book is a 150-level window, so ``bloat_snapshot`` is not honoured.
"""

from __future__ import annotations

import gzip
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from provider.emulator.market import Change, StepResult, VenueMarket
from provider.emulator.protocol import (
    CLOSE,
    CONTROL,
    DELTA,
    HEARTBEAT,
    SNAPSHOT,
    TRADE,
    ClientSession,
    Out,
    VenueServer,
)
from provider.models import Side, Venue

#: MBP depth served (the adapter subscribes ``mbp.150`` and ``req``s the same depth)
LEVELS = 150
#: increments are 100 ms snapshot-diffs; a push is due when this much time has passed (minus
#: a little jitter allowance, so that a 50 ms market tick gives one push every second tick)
_BATCH_S = 0.1
_JITTER_S = 0.02
#: increments kept per market for connections that fell behind (about a minute)
_HISTORY = 600
_FIRST_SEQ = 100_020_142_010


def gz(obj: Any) -> bytes:
    """A server frame as Huobi sends it: gzip of compact JSON."""
    return gzip.compress(orjson.dumps(obj), compresslevel=6)


def _ms(now: float) -> int:
    return int(now * 1000)


@dataclass(frozen=True, slots=True)
class _Increment:
    seq: int
    prev: int
    frame: bytes  # the gzip frame, encoded once for every connection


class _Mbp:
    """One market's MBP state shared by all connections: the book as of ``seq``."""

    __slots__ = ("asks", "bids", "events", "history", "last_push", "seq")

    def __init__(self, seq: int, bids: dict[int, float], asks: dict[int, float]) -> None:
        self.seq = seq
        self.bids = dict(bids)  # tick -> size, the 150-level book at ``seq``
        self.asks = dict(asks)
        self.events = 0  # book events since the last push (seqNum advances by these)
        self.last_push = 0.0
        self.history: deque[_Increment] = deque(maxlen=_HISTORY)


class HuobiServer(VenueServer):
    venue = Venue.HUOBI
    window = LEVELS
    window_deletes = True

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.clock = time.time  # when increments are due (tests may step a fake clock)
        self.mbp: dict[str, _Mbp] = {}
        for i, native in enumerate(sorted(markets)):
            w = self.windows[native]
            self.mbp[native] = _Mbp(_FIRST_SEQ + i * 7_000_000_000, w.bids, w.asks)

    def session(self, path: str) -> ClientSession:
        return HuobiSession(self, path)

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)
        st = self.mbp[native]
        st.events += len(changes)
        self.push_due(native, self.clock())
        return changes

    def push_due(self, native: str, now: float) -> None:
        """Push the next increment of ``native`` if 100 ms have passed since the last one."""
        st = self.mbp[native]
        if now - st.last_push < _BATCH_S - _JITTER_S:
            return
        m = self.markets[native]
        w = self.windows[native]
        sides = []
        for is_bid, old, new in ((True, st.bids, w.bids), (False, st.asks, w.asks)):
            diff = {t: s for t, s in new.items() if old.get(t) != s}
            diff.update({t: 0.0 for t in old if t not in new})
            keys = sorted(diff, reverse=is_bid)  # bids descending, asks ascending
            sides.append([[m.price(t), diff[t]] for t in keys])
        prev = st.seq
        st.seq += max(1, st.events)
        st.events = 0
        st.bids = dict(w.bids)
        st.asks = dict(w.asks)
        st.last_push = now
        msg = {
            "ch": f"market.{native}.mbp.{LEVELS}",
            "ts": _ms(now),
            "tick": {"seqNum": st.seq, "prevSeqNum": prev, "bids": sides[0], "asks": sides[1]},
        }
        st.history.append(_Increment(st.seq, prev, gz(msg)))

    def book_data(self, native: str) -> dict[str, Any]:
        """The ``req`` answer's ``data``: the book as of the last increment pushed."""
        m = self.markets[native]
        st = self.mbp[native]
        return {
            "seqNum": st.seq,
            "bids": [[m.price(t), st.bids[t]] for t in sorted(st.bids, reverse=True)],
            "asks": [[m.price(t), st.asks[t]] for t in sorted(st.asks)],
        }


class HuobiSession(ClientSession):
    server: HuobiServer

    #: server ping period, and how many unanswered pings the server tolerates
    ping_every_s = 5.0
    max_unanswered = 2

    def __init__(self, server: HuobiServer, path: str) -> None:
        super().__init__(server, path)
        self.mbp: set[str] = set()
        self.trades: set[str] = set()
        self.cursor: dict[str, int] = {}  # native -> seqNum of the last increment sent
        self.last_ping: float | None = None
        self.unanswered = 0
        self.trade_tick_id = 102_523_573_486

    # ------------------------------------------------------------------------- helpers

    @staticmethod
    def _error(msg_id: Any, text: str, now: float) -> Out:
        body: dict[str, Any] = {}
        if msg_id is not None:
            body["id"] = msg_id
        body.update({"status": "error", "err-code": "bad-request", "err-msg": text, "ts": _ms(now)})
        return Out(gz(body), CONTROL)

    def _topic(self, topic: Any, msg_id: Any, now: float) -> tuple[str, str] | Out:
        """``market.<sym>.<channel>`` -> (native, channel), or the venue's error frame."""
        if not isinstance(topic, str):
            return self._error(msg_id, f"invalid topic {topic}", now)
        parts = topic.split(".", 2)
        if len(parts) != 3 or parts[0] != "market":
            return self._error(msg_id, f"invalid topic {topic}", now)
        native, channel = parts[1], parts[2]
        if native not in self.server.markets:
            return self._error(msg_id, f"invalid symbol {native}", now)
        if channel not in (f"mbp.{LEVELS}", "trade.detail"):
            return self._error(msg_id, f"invalid topic {topic}", now)
        return native, channel

    def _increments(self, native: str) -> list[Out]:
        """The market's increments this connection has not had yet."""
        last = self.cursor.get(native)
        hist = self.server.mbp[native].history
        if last is None or not hist or hist[-1].seq <= last:
            return []
        out = [Out(inc.frame, DELTA) for inc in hist if inc.seq > last]
        self.cursor[native] = hist[-1].seq
        return out

    # ------------------------------------------------------------------------- client

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [self._error(None, "invalid request", now)]
        if not isinstance(msg, dict):
            return [self._error(None, "invalid request", now)]
        if "pong" in msg:
            if isinstance(msg["pong"], int):
                self.unanswered = 0
            return []
        msg_id = msg.get("id")
        for key in ("sub", "unsub", "req"):
            if key in msg:
                got = self._topic(msg[key], msg_id, now)
                if isinstance(got, Out):
                    return [got]
                return getattr(self, "_" + key)(msg[key], msg_id, got[0], got[1], now)
        return [self._error(msg_id, "invalid request", now)]

    def _sub(self, topic: str, msg_id: Any, native: str, channel: str, now: float) -> list[Out]:
        if channel == "trade.detail":
            self.trades.add(native)
        elif native not in self.mbp:
            self.mbp.add(native)
            self.cursor[native] = self.server.mbp[native].seq  # increments from now on
        ack: dict[str, Any] = {"id": msg_id} if msg_id is not None else {}
        ack.update({"status": "ok", "subbed": topic, "ts": _ms(now)})
        return [Out(gz(ack), CONTROL)]

    def _unsub(self, topic: str, msg_id: Any, native: str, channel: str, now: float) -> list[Out]:
        if channel == "trade.detail":
            self.trades.discard(native)
        else:
            self.mbp.discard(native)
            self.cursor.pop(native, None)
        ack: dict[str, Any] = {"id": msg_id} if msg_id is not None else {}
        ack.update({"status": "ok", "unsubbed": topic, "ts": _ms(now)})
        return [Out(gz(ack), CONTROL)]

    def _req(self, topic: str, msg_id: Any, native: str, channel: str, now: float) -> list[Out]:
        if channel != f"mbp.{LEVELS}":
            return [self._error(msg_id, f"invalid topic {topic}", now)]
        # increments pushed but not yet sent here go first: the answer must not overtake them
        out = self._increments(native) if native in self.mbp else []
        rep: dict[str, Any] = {"id": msg_id} if msg_id is not None else {}
        rep.update(
            {
                "rep": topic,
                "status": "ok",
                "ts": _ms(now),
                "data": self.server.book_data(native),
            }
        )
        out.append(Out(gz(rep), SNAPSHOT))
        return out

    # ------------------------------------------------------------------------- market

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        if native in self.trades and result.trades:
            out.append(self._trade_frame(native, result, now))
        if native in self.mbp:
            out += self._increments(native)
        return out

    def _trade_frame(self, native: str, result: StepResult, now: float) -> Out:
        m = self.server.markets[native]
        ts = _ms(now)
        self.trade_tick_id += 1
        data = [
            {
                "id": self.trade_tick_id * 1000 + i,  # the deprecated id (kept within 64 bits)
                "ts": ts,
                "tradeId": 102_052_565_829 + tr.trade_id,
                "amount": tr.size,
                "price": m.price(tr.tick),
                "direction": "buy" if tr.side is Side.BUY else "sell",  # taker side
            }
            for i, tr in enumerate(result.trades)
        ]
        msg = {
            "ch": f"market.{native}.trade.detail",
            "ts": ts,
            "tick": {"id": self.trade_tick_id, "ts": ts, "data": data},
        }
        return Out(gz(msg), TRADE)

    def idle(self, now: float) -> list[Out]:
        out: list[Out] = []
        # the 100 ms chain keeps moving while the market is quiet (or paused)
        for native in sorted(self.mbp):
            self.server.push_due(native, now)
            out += self._increments(native)
        if self.last_ping is None:
            self.last_ping = now  # the first ping comes one period after connecting
        elif now - self.last_ping >= self.ping_every_s - 0.5:
            if self.unanswered >= self.max_unanswered:
                # two pings unanswered: the server hangs up. ``None`` is the writer's "close
                # the socket" sentinel (server._write); sessions have no other way to close.
                self.closed = True
                out.append(Out(b"", CLOSE))  # the venue hangs up
                return out
            self.last_ping = now
            self.unanswered += 1
            out.append(Out(gz({"ping": _ms(now)}), HEARTBEAT))
        return out


SERVER = HuobiServer
