"""Emulated OKX v5 public stream: ``books`` (400 levels, 100 ms increments) and ``trades``.

As okx.com/docs-v5/en ("WebSocket / Connect", "WebSocket / Subscribe", "WS / Order book
channel", "WS / Trades channel") and the 2022 capture (cryptofeed ``OKX.ws.1.0``) show it:

* public channels live on ``/ws/v5/public``; ``/ws/v5/private`` and ``/ws/v5/business``
  connect but serve neither channel (``60018 Wrong URL or channel:..``), any other path is
  closed at once;
* ``{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},..]}`` is answered with
  one ``{"event":"subscribe","arg":{..},"connId":".."}`` per arg (``"id"`` first when the
  request had one); an unknown instId or channel gets ``{"event":"error","code":"60018",
  "msg":"Wrong URL or channel:books,instId:XXX doesn't exist","connId":..}`` and the other
  args of the request still subscribe; a request that is not JSON, has an unknown ``op`` or
  malformed ``args`` gets ``60012 Invalid request: <text>``. ``unsubscribe`` is acked the same
  way and stops the channel;
* ``books``: an ``action`` ``snapshot`` of the 400 best levels a side (``prevSeqId`` -1), then
  ``update`` frames about every 100 ms with the levels that changed since the previous push,
  ``[px, sz, "0", numOrders]`` strings without trailing zeros, ``sz`` absolute, ``"0"``
  deleting (also for levels pushed out of the 400), bids descending and asks ascending;
  ``seqId`` is per instrument (every connection sees the same ids), jumps by the number of
  book events a push covers, and ``prevSeqId`` links pushes. A book without change for
  ``keepalive_s`` gets an empty update with ``seqId == prevSeqId``; ``reset_sequence`` makes
  the next push restart low (``seqId < prevSeqId``, as after maintenance). ``checksum`` is the
  signed CRC32 of the best 25 levels a side, computed with the adapter's own
  ``checksum_text``/``signed_crc32`` over the wire strings (the protocol as sent before the
  2026 deprecation that made it 0);
* ``trades``: one frame per fill, ``side`` = taker side, ``count`` "1";
* keep-alive: the client sends the text ``ping`` and gets the text ``pong``; a connection from
  which nothing was received for 30 s is closed by the server (so is one that never
  subscribes). The server sends no heartbeat of its own.

The client book is a 400-level window with deletes, so ``bloat_snapshot`` is consumed without
padding; ``corrupt_checksum`` corrupts the checksum of the next snapshot or update sent.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
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
)
from provider.exchanges.okx import CHECKSUM_LEVELS, checksum_text, signed_crc32
from provider.models import Side, Venue

#: levels a side of the ``books`` channel
LEVELS = 400
#: the path of the public channels; the other v5 paths connect but serve no public channel
PUBLIC_PATH = "/ws/v5/public"
OTHER_PATHS = ("/ws/v5/private", "/ws/v5/business")
CHANNELS = ("books", "trades")
#: increments are pushed every 100 ms when the book changed (a 50 ms market tick gives one
#: push every second tick: a little jitter is allowed)
_BATCH_S = 0.1
_JITTER_S = 0.02
#: pushes kept per market for connections that fell behind (about a minute)
_HISTORY = 600
#: the server closes a connection that sent nothing for this long
IDLE_CLOSE_S = 30.0
#: an unchanged book gets a ``seqId == prevSeqId`` update after this long (our choice: the
#: docs name the case, not its interval)
KEEPALIVE_S = 25.0
_FIRST_SEQ = 18_460_000_000


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _ms(now: float) -> str:
    return str(int(now * 1000))


def _num(value: float, decimals: int) -> str:
    """OKX style: fixed decimals, trailing zeros (and a bare dot) removed (``"30261"``)."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True, slots=True)
class _Push:
    no: int  # push number (keep-alives repeat the seqId, so the cursor counts pushes)
    checksum: int
    msg: dict[str, Any]
    frame: str  # encoded once for every connection


class _Book:
    """One instrument's ``books`` state shared by all connections: the book as of ``seq``."""

    __slots__ = (
        "asks",
        "bids",
        "checksum",
        "events",
        "history",
        "last_change",
        "last_push",
        "no",
        "reset_to",
        "seq",
        "ts",
    )

    def __init__(self, seq: int, bids: dict[int, float], asks: dict[int, float]) -> None:
        self.seq = seq
        self.no = 0
        self.bids = dict(bids)  # tick -> size, the 400-level book at ``seq``
        self.asks = dict(asks)
        self.events = 0  # book events since the last push (seqId advances by these)
        self.last_push = 0.0
        self.last_change = 0.0
        self.ts = "0"
        self.checksum = 0
        self.reset_to: int | None = None
        self.history: deque[_Push] = deque(maxlen=_HISTORY)


class OkxServer(VenueServer):
    venue = Venue.OKX
    window = LEVELS
    window_deletes = True

    #: seconds without a change before an empty ``seqId == prevSeqId`` update
    keepalive_s = KEEPALIVE_S

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.clock = time.time  # when increments are due (tests may step a fake clock)
        self.books: dict[str, _Book] = {}
        self._conns = 0
        now = self.clock()
        for i, native in enumerate(sorted(markets)):
            w = self.windows[native]
            st = _Book(_FIRST_SEQ + i * 3_000_000_000, w.bids, w.asks)
            st.last_push = st.last_change = now
            st.ts = _ms(now)
            st.checksum = self._checksum(native, st)
            self.books[native] = st

    def session(self, path: str) -> ClientSession:
        return OkxSession(self, path)

    def conn_id(self) -> str:
        self._conns += 1
        return f"{(0x5D3A7E00 + self._conns * 0x9E3779B1) & 0xFFFFFFFF:08x}"

    # ------------------------------------------------------------------------- wire text

    def level(self, native: str, tick: int, size: float) -> list[str]:
        """``[px, sz, "0", numOrders]`` as OKX sends it (a delete is ``[px, "0", "0", "0"]``)."""
        m = self.markets[native]
        s = m.spec
        px = _num(tick * s.tick, s.price_decimals)
        if size <= 0:
            return [px, "0", "0", "0"]
        unit = m.symbol.trade_size * s.size_scale
        orders = max(1, min(99, int(size / unit) + (tick % 3)))  # a plausible order count
        return [px, _num(size, s.lot_decimals), "0", str(orders)]

    def _sides(
        self, native: str, st: _Book, n: int | None = None
    ) -> tuple[list[list[str]], list[list[str]]]:
        bids = sorted(st.bids, reverse=True)[:n]
        asks = sorted(st.asks)[:n]
        return (
            [self.level(native, t, st.bids[t]) for t in bids],
            [self.level(native, t, st.asks[t]) for t in asks],
        )

    def _checksum(self, native: str, st: _Book) -> int:
        bids, asks = self._sides(native, st, CHECKSUM_LEVELS)
        return signed_crc32(checksum_text(bids, asks))

    # ------------------------------------------------------------------------- pushes

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)
        st = self.books[native]
        st.events += len(changes)
        self.push_due(native, self.clock())
        return changes

    def reset_sequence(self, native: str, seq: int = 3) -> None:
        """The next push of ``native`` restarts the sequence at ``seq`` (``seqId`` <
        ``prevSeqId``), as OKX does after maintenance."""
        self.books[native].reset_to = seq

    def push_due(self, native: str, now: float) -> None:
        """Push the next update of ``native`` if 100 ms have passed and the book changed
        (or it has been unchanged for ``keepalive_s``)."""
        st = self.books[native]
        if now - st.last_push < _BATCH_S - _JITTER_S:
            return
        w = self.windows[native]
        sides: list[list[list[str]]] = []
        changed = False
        for is_bid, old, new in ((True, st.bids, w.bids), (False, st.asks, w.asks)):
            diff = {t: s for t, s in new.items() if old.get(t) != s}
            diff.update({t: 0.0 for t in old if t not in new})
            changed = changed or bool(diff)
            keys = sorted(diff, reverse=is_bid)  # bids descending, asks ascending
            sides.append([self.level(native, t, diff[t]) for t in keys])
        if not changed and st.reset_to is None:
            if now - st.last_change < self.keepalive_s:
                return
            st.last_change = now  # keep-alive: the same seqId, no levels
        else:
            st.bids = dict(w.bids)
            st.asks = dict(w.asks)
            st.last_change = now
            st.checksum = self._checksum(native, st)
        prev = st.seq
        if st.reset_to is not None:
            st.seq = st.reset_to
            st.reset_to = None
        elif changed:
            st.seq += max(1, st.events)
        st.events = 0
        st.no += 1
        st.last_push = now
        st.ts = _ms(now)
        data = {
            "asks": sides[1],
            "bids": sides[0],
            "ts": st.ts,
            "checksum": st.checksum,
            "prevSeqId": prev,
            "seqId": st.seq,
        }
        msg = {"arg": {"channel": "books", "instId": native}, "action": "update", "data": [data]}
        st.history.append(_Push(st.no, st.checksum, msg, _dumps(msg)))

    def snapshot(self, native: str) -> dict[str, Any]:
        """The ``snapshot`` message: the book as of the last push (its ``seqId``)."""
        st = self.books[native]
        bids, asks = self._sides(native, st)
        data = {
            "asks": asks,
            "bids": bids,
            "ts": st.ts,
            "checksum": st.checksum,
            "prevSeqId": -1,
            "seqId": st.seq,
        }
        return {"arg": {"channel": "books", "instId": native}, "action": "snapshot", "data": [data]}


def _corrupt(msg: dict[str, Any], checksum: int) -> str:
    """``msg`` with a wrong (and non-zero: 0 means "no checksum") checksum."""
    bad = checksum ^ 0x5A5A5A5A or 0x5A5A5A5A
    data = [{**d, "checksum": bad} for d in msg["data"]]
    return _dumps({**msg, "data": data})


class OkxSession(ClientSession):
    server: OkxServer

    #: the server hangs up on a connection that sent nothing for this long
    idle_close_s = IDLE_CLOSE_S

    def __init__(self, server: OkxServer, path: str) -> None:
        super().__init__(server, path)
        self.route = path.partition("?")[0].rstrip("/")
        self.conn_id = server.conn_id()
        self.books: set[str] = set()
        self.trades: set[str] = set()
        self.cursor: dict[str, int] = {}  # native -> number of the last push sent
        self.last_received: float | None = None

    # ------------------------------------------------------------------------- helpers

    def _error(self, code: str, text: str, req_id: Any = None) -> Out:
        msg: dict[str, Any] = {"id": req_id} if req_id is not None else {}
        msg.update({"event": "error", "code": code, "msg": text, "connId": self.conn_id})
        return Out(_dumps(msg), CONTROL)

    def _ack(self, op: str, arg: dict[str, Any], req_id: Any) -> Out:
        msg: dict[str, Any] = {"id": req_id} if req_id is not None else {}
        msg.update({"event": op, "arg": arg, "connId": self.conn_id})
        return Out(_dumps(msg), CONTROL)

    def _checksummed(self, msg: dict[str, Any], checksum: int, frame: str | None) -> str:
        if self.faults.corrupt_checksum > 0:
            self.faults.corrupt_checksum -= 1
            return _corrupt(msg, checksum)
        return frame if frame is not None else _dumps(msg)

    def _updates(self, native: str) -> list[Out]:
        """The instrument's pushes this connection has not had yet."""
        last = self.cursor.get(native)
        hist = self.server.books[native].history
        if last is None or not hist or hist[-1].no <= last:
            return []
        out = [
            Out(self._checksummed(p.msg, p.checksum, p.frame), DELTA) for p in hist if p.no > last
        ]
        self.cursor[native] = hist[-1].no
        return out

    # ------------------------------------------------------------------------- client

    def opened(self, now: float) -> list[Out]:
        self.last_received = now
        if self.route != PUBLIC_PATH and self.route not in OTHER_PATHS:
            # an unknown path: OKX refuses it (the emulator hangs up right away)
            self.closed = True
            return [Out(None, CONTROL)]  # type: ignore[arg-type]
        return []

    def received(self, text: str, now: float) -> list[Out]:
        self.last_received = now
        if text == "ping":
            return [Out("pong", HEARTBEAT)]
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            return [self._error("60012", f"Invalid request: {text}"[:300])]
        op, args, req_id = msg.get("op"), msg.get("args"), msg.get("id")
        if (
            op not in ("subscribe", "unsubscribe")
            or not isinstance(args, list)
            or not args
            or not all(isinstance(a, dict) and isinstance(a.get("channel"), str) for a in args)
        ):
            return [self._error("60012", f"Invalid request: {text}"[:300], req_id)]
        out: list[Out] = []
        for arg in args:
            channel, native = arg["channel"], arg.get("instId")
            if (
                self.route != PUBLIC_PATH
                or channel not in CHANNELS
                or not isinstance(native, str)
                or native not in self.server.markets
            ):
                detail = f"Wrong URL or channel:{channel},instId:{native} doesn't exist"
                out.append(self._error("60018", detail, req_id))
                continue
            ack_arg = {"channel": channel, "instId": native}
            out.append(self._ack(op, ack_arg, req_id))
            if op == "unsubscribe":
                (self.books if channel == "books" else self.trades).discard(native)
                if channel == "books":
                    self.cursor.pop(native, None)
            elif channel == "trades":
                self.trades.add(native)
            else:
                out.append(self._snapshot(native))
        return out

    def _snapshot(self, native: str) -> Out:
        st = self.server.books[native]
        self.books.add(native)
        self.cursor[native] = st.no  # updates from now on
        if self.faults.bloat_snapshot > 0:
            self.faults.bloat_snapshot -= 1  # a 400-level window: nothing to pad
        return Out(self._checksummed(self.server.snapshot(native), st.checksum, None), SNAPSHOT)

    # ------------------------------------------------------------------------- market

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        if native in self.trades and result.trades:
            out += self._trade_frames(native, result, now)
        if native in self.books:
            out += self._updates(native)
        return out

    def _trade_frames(self, native: str, result: StepResult, now: float) -> list[Out]:
        m = self.server.markets[native]
        s = m.spec
        ts = _ms(now)
        arg = {"channel": "trades", "instId": native}
        return [
            Out(
                _dumps(
                    {
                        "arg": arg,
                        "data": [
                            {
                                "instId": native,
                                "tradeId": str(338_476_300 + tr.trade_id),
                                "px": _num(tr.tick * s.tick, s.price_decimals),
                                "sz": _num(tr.size, s.lot_decimals),
                                "side": "buy" if tr.side is Side.BUY else "sell",  # taker
                                "ts": ts,
                                "count": "1",
                                "source": "0",
                            }
                        ],
                    }
                ),
                TRADE,
            )
            for tr in result.trades
        ]

    def idle(self, now: float) -> list[Out]:
        if self.last_received is not None and now - self.last_received >= self.idle_close_s:
            # nothing received for 30 s: the server hangs up. ``None`` is the writer's "close
            # the socket" sentinel (server._write); sessions have no other way to close.
            self.closed = True
            return [Out(None, CONTROL)]  # type: ignore[arg-type]
        out: list[Out] = []
        # the 100 ms pushes go on while the market is quiet (or paused)
        for native in sorted(self.books):
            self.server.push_due(native, now)
            out += self._updates(native)
        return out


SERVER = OkxServer
