"""Emulated Bitfinex WebSocket v2 public channels: ``book`` (P0) and ``trades``.

As docs.bitfinex.com (ws-general, ws-public, ws-public-books, ws-public-trades,
ws-websocket-checksum) and bitfinex-api-node ``ws2.js`` describe it:

* on connect ``{"event":"info","version":2,"serverId":..,"platform":{"status":1}}``;
* ``{"event":"conf","flags":N}`` -> ``{"event":"conf","status":"OK","flags":N}``; the flags
  honoured are CHECKSUM (131072: a ``[chanId,"cs",CRC]`` after the snapshot and after every
  book update) and SEQ_ALL (65536: every channel message, heartbeats included, ends with a
  per-CONNECTION sequence number 1, 2, 3, ... across all channels); other flags are acked
  and change nothing here;
* ``{"event":"subscribe","channel":"book","symbol":"tBTCUSD","prec":"P0","freq":"F0",
  "len":"100"}`` -> ``{"event":"subscribed","channel":"book","chanId":N,...,"pair":"BTCUSD"}``
  then the snapshot ``[chanId,[[PRICE,COUNT,AMOUNT],..]]`` (bids best first, then asks best
  first; AMOUNT > 0 bid, < 0 ask; COUNT = orders at the level) and one update per level
  ``[chanId,[PRICE,COUNT,AMOUNT]]`` (COUNT 0 deletes: AMOUNT 1 bid, -1 ask). ``len`` 1, 25,
  100 or 250 levels a side: levels pushed out of the window get NO delete (clients trim to
  ``len``), levels entering it are sent. Within one market step the deletes go first, so
  that a client trimming after every message never drops a level that is still in the
  window; each checksum covers the book as the client holds it after that message. Only P0
  / F0 are served (the emulator's Bitfinex ticks are P0: 5 significant digits);
* ``trades``: a snapshot of recent trades (newest first) ``[chanId,[[ID,MTS,AMOUNT,PRICE],
  ..]]``, then ``[chanId,"te",[ID,MTS,AMOUNT,PRICE]]`` at once and the same trade as
  ``"tu"`` a moment later (next market step); AMOUNT > 0 = the taker bought;
* numbers are JSON numbers written as JavaScript writes them (``65000``, ``5e-7``);
* ``[chanId,"hb"]`` every 15 s on a channel that sent nothing else; ``{"event":"ping",
  "cid":n}`` -> ``{"event":"pong","ts":MS,"cid":n}``;
* ``{"event":"unsubscribe","chanId":N}`` -> ``{"event":"unsubscribed","status":"OK",
  "chanId":N}``; errors ``{"event":"error","msg":..,"code":..}``: 10300 subscription failed
  (``symbol: invalid``, ``prec: invalid``, ...), 10301 ``subscribe: dup``, 10302 unknown
  channel, 10305 channel limit (25), 10400/10401 unsubscribe failed / not subscribed.

Checksums use the adapter's own rule (``provider.exchanges.bitfinex``: ``js_number``,
``checksum_string``, ``crc32_signed``): one rule in one place. ``faults.corrupt_checksum``
corrupts the next ``cs`` value; ``faults.bloat_snapshot`` is skipped (``len`` bounds the
snapshot).
"""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
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
from provider.exchanges.bitfinex import (
    CHECKSUM_LEVELS,
    FLAG_CHECKSUM,
    FLAG_SEQ_ALL,
    MAX_CHANNELS,
    checksum_string,
    crc32_signed,
    js_number,
)
from provider.models import Side, Venue

#: book lengths a subscription may ask for (ws-public-books)
BOOK_LENS = (1, 25, 100, 250)
#: the length used when a subscription names none
DEFAULT_LEN = 25
#: trades sent in a trades snapshot
TRADE_HISTORY = 30
#: first trade id (Bitfinex trade ids are large integers)
TRADE_ID_BASE = 1_650_000_000

# error codes (ws-public "Error Codes")
ERR_UNKNOWN_EVENT = 10000
ERR_SUB_FAILED = 10300
ERR_SUB_DUP = 10301
ERR_SUB_CHANNEL = 10302
ERR_SUB_LIMIT = 10305
ERR_UNSUB_FAILED = 10400
ERR_UNSUB_NOT = 10401


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _count(m: VenueMarket, size: float) -> int:
    """Orders at a level: a plausible number that grows with its size (always >= 1)."""
    unit = m.symbol.trade_size * m.spec.size_scale
    return max(1, min(60, int(size / unit) + 1))


@dataclass(slots=True)
class BookStream:
    """One ``book`` channel (symbol, len) as the venue runs it: the book its clients hold
    (trimmed to ``depth`` after every message, as clients do) and this step's messages."""

    native: str
    depth: int
    market: VenueMarket
    window: Window
    #: tick -> (level text "[PRICE,COUNT,AMOUNT]", checksum fragment "PRICE:AMOUNT")
    bids: dict[int, tuple[str, str]] = field(default_factory=dict)
    asks: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: this step's update messages: (level text, checksum of the book after it)
    updates: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for t, s in self.window.bids.items():
            self.bids[t] = self._level(True, t, s)
        for t, s in self.window.asks.items():
            self.asks[t] = self._level(False, t, s)

    def _level(self, is_bid: bool, tick: int, size: float) -> tuple[str, str]:
        m = self.market
        px = js_number(m.price(tick))
        if size <= 0:
            return f"[{px},0,{1 if is_bid else -1}]", ""
        amt = js_number(size if is_bid else -size)
        return f"[{px},{_count(m, size)},{amt}]", f"{px}:{amt}"

    def apply(self, changes: Sequence[Change]) -> None:
        """This step's window changes, deletes first, one message each."""
        ordered = [c for c in changes if c.size <= 0] + [c for c in changes if c.size > 0]
        updates: list[tuple[str, int]] = []
        for c in ordered:
            side = self.bids if c.is_bid else self.asks
            text, frag = self._level(c.is_bid, c.tick, c.size)
            if c.size > 0:
                side[c.tick] = (text, frag)
                if len(side) > self.depth:  # the client trims to len
                    del side[min(side) if c.is_bid else max(side)]
            elif side.pop(c.tick, None) is None:
                continue  # not in the client's book: nothing to send
            updates.append((text, self.checksum()))
        self.updates = updates

    def checksum(self) -> int:
        """CRC of the best 25 bids and asks as the client holds them (ws-websocket-checksum)."""
        n = CHECKSUM_LEVELS
        bids = [self.bids[t][1] for t in sorted(self.bids, reverse=True)[:n]]
        asks = [self.asks[t][1] for t in sorted(self.asks)[:n]]
        return crc32_signed(checksum_string(bids, asks))

    def snapshot(self) -> str:
        """``[[PRICE,COUNT,AMOUNT],...]``: bids best first, then asks best first."""
        bids = [self.bids[t][0] for t in sorted(self.bids, reverse=True)]
        asks = [self.asks[t][0] for t in sorted(self.asks)]
        return "[" + ",".join(bids + asks) + "]"


class BitfinexServer(VenueServer):
    venue = Venue.BITFINEX
    #: the adapter subscribes ``len`` 100 and trims: no deletes for levels pushed out
    window = 100
    window_deletes = False
    #: a channel without other traffic for this long gets a heartbeat (tests may shorten it)
    heartbeat_s = 15.0

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.rnd = random.Random("bitfinex")
        self.server_id = str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))
        self.streams: dict[str, dict[int, BookStream]] = {n: {} for n in markets}
        #: this step's trades of each market, "[ID,MTS,AMOUNT,PRICE]"
        self.trades_now: dict[str, list[str]] = {n: [] for n in markets}
        #: recent trades, newest first (for trades snapshots)
        self.history: dict[str, deque[str]] = {n: deque(maxlen=TRADE_HISTORY) for n in markets}
        self.now_ms = 0
        for native in markets:
            self.stream(native, self.window)

    def session(self, path: str) -> ClientSession:
        return BitfinexSession(self, path)

    def stream(self, native: str, depth: int) -> BookStream:
        """The ``book`` channel of ``native`` with ``len`` ``depth`` (made on first use)."""
        streams = self.streams[native]
        s = streams.get(depth)
        if s is None:
            m = self.markets[native]
            window = self.windows[native] if depth == self.window else Window(m, depth)
            s = BookStream(native, depth, m, window)
            streams[depth] = s
        return s

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)  # the len-100 window
        for depth, s in self.streams[native].items():
            if depth == self.window:
                s.apply(changes)
            else:
                s.apply(s.window.update(result.changes, self.window_deletes))
        self._trades(native, result)
        return changes

    def _trades(self, native: str, result: StepResult) -> None:
        m = self.markets[native]
        items = []
        mts = self.clock(time.time()) if result.trades else 0
        for tr in result.trades:
            amount = tr.size if tr.side is Side.BUY else -tr.size  # the taker's side
            tid = TRADE_ID_BASE + tr.trade_id
            items.append(f"[{tid},{mts},{js_number(amount)},{js_number(m.price(tr.tick))}]")
        self.trades_now[native] = items
        hist = self.history[native]
        for it in items:
            hist.appendleft(it)

    def clock(self, now: float) -> int:
        """Milliseconds for MTS fields: wall time, never going back."""
        self.now_ms = max(self.now_ms, int(now * 1000))
        return self.now_ms


@dataclass(slots=True)
class Channel:
    chan_id: int
    kind: str  # "book" | "trades"
    native: str
    depth: int = 0
    last_sent: float = 0.0
    tu: list[str] = field(default_factory=list)  # trades sent as "te", due as "tu"


class BitfinexSession(ClientSession):
    server: BitfinexServer

    def __init__(self, server: BitfinexServer, path: str) -> None:
        super().__init__(server, path)
        self.flags = 0
        self.seq = 0
        self.next_chan = server.rnd.randrange(10_000, 400_000)
        self.chans: dict[int, Channel] = {}
        self.keys: dict[tuple[str, str, int], int] = {}  # (channel, symbol, len) -> chanId

    # ------------------------------------------------------------------------- framing

    def _msg(self, ch: Channel, body: str, now: float, kind: str) -> Out:
        """``[chanId,BODY]`` plus the connection's sequence number when SEQ_ALL is on."""
        ch.last_sent = now
        if self.flags & FLAG_SEQ_ALL:
            self.seq += 1
            return Out(f"[{ch.chan_id},{body},{self.seq}]", kind)
        return Out(f"[{ch.chan_id},{body}]", kind)

    def _cs(self, ch: Channel, cs: int, now: float) -> Out:
        if self.faults.corrupt_checksum:
            self.faults.corrupt_checksum -= 1
            cs = cs ^ 1
        return self._msg(ch, f'"cs",{cs}', now, CONTROL)

    @staticmethod
    def _error(msg: str, code: int, request: dict[str, Any]) -> Out:
        ans: dict[str, Any] = {"event": "error", "msg": msg, "code": code}
        for k, v in request.items():
            if k != "event":
                ans[k] = v
        return Out(_dumps(ans), CONTROL)

    # ------------------------------------------------------------------------- requests

    def opened(self, now: float) -> list[Out]:
        info = {
            "event": "info",
            "version": 2,
            "serverId": self.server.server_id,
            "platform": {"status": 1},
        }
        return [Out(_dumps(info), CONTROL)]

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict):
            return [self._error("unknown event", ERR_UNKNOWN_EVENT, {})]
        ev = msg.get("event")
        if ev == "ping":
            pong: dict[str, Any] = {"event": "pong", "ts": self.server.clock(now)}
            if "cid" in msg:
                pong["cid"] = msg["cid"]
            return [Out(_dumps(pong), CONTROL)]
        if ev == "conf":
            flags = msg.get("flags")
            if type(flags) is not int or flags < 0:
                return [Out(_dumps({"event": "conf", "status": "FAILED", "flags": flags}))]
            self.flags = flags
            return [Out(_dumps({"event": "conf", "status": "OK", "flags": flags}), CONTROL)]
        if ev == "subscribe":
            return self._subscribe(msg, now)
        if ev == "unsubscribe":
            return self._unsubscribe(msg)
        return [self._error("unknown event", ERR_UNKNOWN_EVENT, {"event": ev})]

    def _subscribe(self, msg: dict[str, Any], now: float) -> list[Out]:
        channel = msg.get("channel")
        symbol = msg.get("symbol")
        if symbol is None and isinstance(msg.get("pair"), str):  # the legacy field
            symbol = "t" + msg["pair"]
        if channel not in ("book", "trades"):
            return [self._error("channel: unknown", ERR_SUB_CHANNEL, msg)]
        if not isinstance(symbol, str) or symbol not in self.server.markets:
            return [self._error("symbol: invalid", ERR_SUB_FAILED, msg)]
        pair = symbol[1:]
        if channel == "book":
            prec = msg.get("prec", "P0")
            freq = msg.get("freq", "F0")
            raw_len = msg.get("len", str(DEFAULT_LEN))
            length = int(raw_len) if str(raw_len).isdigit() else -1
            if prec != "P0":  # the emulator's ticks are P0; other precisions are not served
                return [self._error("prec: invalid", ERR_SUB_FAILED, msg)]
            if freq != "F0":
                return [self._error("freq: invalid", ERR_SUB_FAILED, msg)]
            if length not in BOOK_LENS:
                return [self._error("len: invalid", ERR_SUB_FAILED, msg)]
            key = ("book", symbol, length)
        else:
            length = 0
            key = ("trades", symbol, 0)
        if key in self.keys:
            return [self._error("subscribe: dup", ERR_SUB_DUP, msg)]
        if len(self.chans) >= MAX_CHANNELS:
            return [self._error("subscribe: limit", ERR_SUB_LIMIT, msg)]
        self.next_chan += self.server.rnd.randrange(1, 40)
        ch = Channel(self.next_chan, channel, symbol, length, now)
        self.chans[ch.chan_id] = ch
        self.keys[key] = ch.chan_id
        ack: dict[str, Any] = {"event": "subscribed", "channel": channel, "chanId": ch.chan_id}
        ack["symbol"] = symbol
        if channel == "book":
            ack.update(prec="P0", freq="F0", len=str(length))
        if "subId" in msg:
            ack["subId"] = msg["subId"]
        ack["pair"] = pair
        out = [Out(_dumps(ack), CONTROL)]
        if channel == "book":
            if self.faults.bloat_snapshot:  # len bounds a Bitfinex snapshot: nothing to pad
                self.faults.bloat_snapshot -= 1
            stream = self.server.stream(symbol, length)
            out.append(self._msg(ch, stream.snapshot(), now, SNAPSHOT))
            if self.flags & FLAG_CHECKSUM:
                out.append(self._cs(ch, stream.checksum(), now))
        else:
            hist = ",".join(self.server.history[symbol])
            out.append(self._msg(ch, f"[{hist}]", now, SNAPSHOT))
        return out

    def _unsubscribe(self, msg: dict[str, Any]) -> list[Out]:
        cid = msg.get("chanId")
        if type(cid) is not int:
            return [self._error("chanId: invalid", ERR_UNSUB_FAILED, msg)]
        ch = self.chans.pop(cid, None)
        if ch is None:
            return [self._error("unsubscribe: invalid", ERR_UNSUB_NOT, msg)]
        self.keys = {k: v for k, v in self.keys.items() if v != cid}
        return [Out(_dumps({"event": "unsubscribed", "status": "OK", "chanId": cid}), CONTROL)]

    # ------------------------------------------------------------------------- pushes

    def _flush_tu(self, ch: Channel, now: float, out: list[Out]) -> None:
        for item in ch.tu:
            out.append(self._msg(ch, f'"tu",{item}', now, TRADE))
        ch.tu = []

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        server = self.server
        checksums = bool(self.flags & FLAG_CHECKSUM)
        for ch in list(self.chans.values()):
            if ch.native != native:
                continue
            if ch.kind == "book":
                for text, cs in server.streams[native][ch.depth].updates:
                    out.append(self._msg(ch, text, now, DELTA))
                    if checksums:
                        out.append(self._cs(ch, cs, now))
            else:
                self._flush_tu(ch, now, out)
                for item in server.trades_now[native]:
                    out.append(self._msg(ch, f'"te",{item}', now, TRADE))
                    ch.tu.append(item)
        return out

    def idle(self, now: float) -> list[Out]:
        out: list[Out] = []
        for ch in list(self.chans.values()):
            if ch.tu:
                self._flush_tu(ch, now, out)
            elif now - ch.last_sent >= self.server.heartbeat_s:
                out.append(self._msg(ch, '"hb"', now, HEARTBEAT))
        return out


SERVER = BitfinexServer
