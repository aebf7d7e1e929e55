"""Emulated Coinbase Advanced Trade: ``level2``, ``market_trades`` and ``heartbeats``.

As the Advanced Trade docs (websocket-overview, websocket-channels) and the 2026 capture
(``cryptofeed-v3/COINBASE.jsonl.zst``) show it:

* one channel per client message: ``{"type":"subscribe"|"unsubscribe","product_ids":[...],
  "channel":"level2"|"market_trades"|"heartbeats"}``;
* every server message is an envelope ``{"channel","client_id","timestamp","sequence_num",
  "events"}``; ``sequence_num`` is ONE counter per connection across all channels (0, 1, 2,
  ...), ``timestamp`` RFC 3339 with nanoseconds (trailing zeros dropped, as Go prints it);
* a subscribe is answered with that channel's snapshots, one message per product, then a
  ``subscriptions`` message listing every subscription of the connection (heartbeats are
  listed as ``"heartbeats":["heartbeats"]``); an unsubscribe with ``subscriptions`` only;
* ``l2_data``: ``snapshot`` = the WHOLE book, then ``update`` events with absolute
  ``new_quantity`` (``"0"`` deletes); one message per product and market step; prices and
  sizes as decimal strings without trailing zeros (``"65062.5"``, ``"0.12"``, ``"1"``);
* ``market_trades``: a ``snapshot`` of the recent trades (newest first, up to 100) on
  subscribe, then ``update`` events batched over 250 ms, newest first; ``side`` is the
  MAKER's side (a buying taker prints ``"SELL"``), as in the captured data;
* ``heartbeats``: one message per second per connection with ``current_time`` (Go's
  ``time.String()``) and a server-wide ``heartbeat_counter``;
* an unknown product or channel, or an unreadable message, is answered with
  ``{"type":"error","message":"Failed to subscribe","reason":...}`` (no envelope, no
  ``sequence_num``) and the whole request is ignored. There is no checksum.

``faults.bloat_snapshot``: the next ``level2`` snapshot is padded to about
``faults.bloat_bytes`` with far-away levels (bids below half the worst bid, asks above twice
the worst ask) that the next ``update`` of that product deletes, so that the client's book
ends equal to the emulator's.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
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
)
from provider.models import Side, Venue

#: market_trades updates are collected over 250 ms (websocket-channels, Market Trades)
_TRADES_EVERY_S = 0.25
#: trades sent in a market_trades snapshot
_TRADE_HISTORY = 100
#: channels of the public market-data endpoint; only the first three carry data here
_SERVED = ("level2", "market_trades", "heartbeats")
_KNOWN = (*_SERVED, "ticker", "ticker_batch", "candles", "status")
#: wire bytes of one padding level, roughly (for faults.bloat_snapshot)
_PAD_LEVEL_BYTES = 105


def _num(value: float, decimals: int) -> str:
    """A decimal string as Coinbase prints it: no trailing zeros, no trailing dot."""
    s = f"{value:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _frac(digits: str) -> str:
    digits = digits.rstrip("0")
    return "." + digits if digits else ""


def rfc3339(ns: int, digits: int = 9) -> str:
    """``2026-08-09T21:05:48.618125631Z`` (Go's RFC3339Nano: trailing zeros dropped)."""
    sec, frac = divmod(ns, 10**9)
    base = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return base + _frac(f"{frac:09d}"[:digits]) + "Z"


def _ns(now: float) -> int:
    return int(now * 1e9)


class CoinbaseServer(VenueServer):
    venue = Venue.COINBASE
    window = None  # level2 snapshots and updates cover the whole book

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        #: recent trades per product, newest first, as sent in market_trades snapshots
        self.history: dict[str, deque[dict[str, Any]]] = {
            n: deque(maxlen=_TRADE_HISTORY) for n in markets
        }
        #: this step's trades per product (wire dicts shared by every connection)
        self.step_trades: dict[str, list[dict[str, Any]]] = {n: [] for n in markets}
        self.started = time.monotonic()
        self.heartbeat_base = 41_000  # the venue's counter did not start with us

    def session(self, path: str) -> ClientSession:
        return CoinbaseSession(self, path)

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)
        m = self.markets[native]
        ts = rfc3339(time.time_ns(), 6)
        wire = [
            {
                "product_id": native,
                "trade_id": str(tr.trade_id),
                "price": _num(tr.tick * m.spec.tick, m.spec.price_decimals),
                "size": _num(tr.size, m.spec.lot_decimals),
                "time": ts,
                # the MAKER's side: a buying taker lifted a resting sell
                "side": "SELL" if tr.side is Side.BUY else "BUY",
            }
            for tr in result.trades
        ]
        self.step_trades[native] = wire
        self.history[native].extendleft(wire)  # newest first
        return changes

    def heartbeat_counter(self) -> tuple[int, float]:
        """(counter, seconds since "process start") for a heartbeat."""
        up = self.heartbeat_base + time.monotonic() - self.started
        return int(up), up


class CoinbaseSession(ClientSession):
    server: CoinbaseServer

    def __init__(self, server: CoinbaseServer, path: str) -> None:
        super().__init__(server, path)
        self.seq = 0  # sequence_num of the next message, all channels
        self.subs: dict[str, list[str]] = {}  # channel -> products, in subscription order
        self.trades_pending: dict[str, list[dict[str, Any]]] = {}  # newest first
        self.trades_emitted: dict[str, float] = {}
        #: padding levels of a bloated snapshot, deleted by the product's next update
        self.padding: dict[str, list[tuple[bool, int]]] = {}
        self.snapshot_sizes: list[int] = []  # bytes of each level2 snapshot sent (diagnostics)
        self.last_heartbeat = -1

    # ------------------------------------------------------------------------- framing

    def _envelope(self, channel: str, events: list[Any], now: float, kind: str) -> Out:
        msg = {
            "channel": channel,
            "client_id": "",
            "timestamp": rfc3339(_ns(now)),
            "sequence_num": self.seq,
            "events": events,
        }
        self.seq += 1
        return Out(orjson.dumps(msg).decode(), kind)

    @staticmethod
    def _error(reason: str, message: str = "Failed to subscribe") -> Out:
        return Out(orjson.dumps({"type": "error", "message": message, "reason": reason}).decode())

    def _subscriptions(self, now: float) -> Out:
        subs = {ch: list(p) for ch, p in sorted(self.subs.items()) if p}
        return self._envelope("subscriptions", [{"subscriptions": subs}], now, CONTROL)

    # ------------------------------------------------------------------------- requests

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [self._error("malformed JSON", "failure to parse message")]
        if not isinstance(msg, dict):
            return [self._error("message is not a JSON object", "failure to parse message")]
        kind = msg.get("type")
        if kind not in ("subscribe", "unsubscribe"):
            return [self._error(f"unknown message type {kind!r}", "failure to parse message")]
        channel = msg.get("channel")
        failed = "Failed to subscribe" if kind == "subscribe" else "Failed to unsubscribe"
        if not isinstance(channel, str) or not channel:
            return [self._error("No channel provided", failed)]
        if channel not in _KNOWN:
            return [self._error(f"{channel} is not a valid channel", failed)]
        ids = msg.get("product_ids") or []
        if not isinstance(ids, list) or not all(isinstance(p, str) for p in ids):
            return [self._error("product_ids must be a list of strings", failed)]
        if channel == "heartbeats":
            ids = ["heartbeats"]
        else:
            if not ids:
                return [self._error("No product ids provided", failed)]
            for pid in ids:
                if pid not in self.server.markets:
                    return [self._error(f"{pid} is not a valid product", failed)]
        if kind == "unsubscribe":
            return self._unsubscribe(channel, ids, now)
        return self._subscribe(channel, ids, now)

    def _subscribe(self, channel: str, ids: list[str], now: float) -> list[Out]:
        out: list[Out] = []
        have = self.subs.setdefault(channel, [])
        for pid in ids:
            if pid not in have:
                have.append(pid)
            if channel == "level2":
                out.append(self._snapshot(pid, now))
            elif channel == "market_trades":
                self.trades_pending.pop(pid, None)
                trades = list(self.server.history[pid])
                event = {"type": "snapshot", "trades": trades}
                out.append(self._envelope("market_trades", [event], now, TRADE))
        out.append(self._subscriptions(now))
        return out

    def _unsubscribe(self, channel: str, ids: list[str], now: float) -> list[Out]:
        have = self.subs.get(channel, [])
        for pid in ids:
            if pid in have:
                have.remove(pid)
            if channel == "level2":
                self.padding.pop(pid, None)
            elif channel == "market_trades":
                self.trades_pending.pop(pid, None)
        return [self._subscriptions(now)]

    # ------------------------------------------------------------------------- level2

    def _level(self, m: VenueMarket, is_bid: bool, tick: int, size: float, ts: str) -> dict:
        return {
            "side": "bid" if is_bid else "offer",
            "event_time": ts,
            "price_level": _num(tick * m.spec.tick, m.spec.price_decimals),
            "new_quantity": _num(size, m.spec.lot_decimals) if size > 0 else "0",
        }

    def _snapshot(self, pid: str, now: float) -> Out:
        m = self.server.markets[pid]
        ts = rfc3339(_ns(now), 6)
        bids = m.top(True)
        asks = m.top(False)
        pad_bids: list[tuple[int, float]] = []
        pad_asks: list[tuple[int, float]] = []
        if self.faults.bloat_snapshot > 0:
            self.faults.bloat_snapshot -= 1
            pad_bids, pad_asks = self._padding(m, len(bids) + len(asks))
            self.padding[pid] = [(True, t) for t, _ in pad_bids] + [(False, t) for t, _ in pad_asks]
        else:
            self.padding.pop(pid, None)  # a fresh snapshot replaces the padded book
        updates = [self._level(m, True, t, s, ts) for t, s in bids + pad_bids]
        updates += [self._level(m, False, t, s, ts) for t, s in asks + pad_asks]
        event = {"type": "snapshot", "product_id": pid, "updates": updates}
        out = self._envelope("l2_data", [event], now, SNAPSHOT)
        self.snapshot_sizes.append(len(out.data))
        return out

    def _padding(
        self, m: VenueMarket, levels: int
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """Far-away levels that bring the snapshot to about ``faults.bloat_bytes``."""
        n = max(0, self.faults.bloat_bytes // _PAD_LEVEL_BYTES - levels)
        n_bid = n // 2
        n_ask = n - n_bid
        lot = 10.0**-m.spec.lot_decimals
        worst_bid = min(m.bids) if m.bids else int(m.fair_tick)
        worst_ask = max(m.asks) if m.asks else int(m.fair_tick) + 1
        top = worst_bid // 2  # bids at most half the worst bid: never touched by the market
        n_bid = min(n_bid, max(0, top - 1))
        bids: list[tuple[int, float]] = []
        if n_bid:
            step = max(1, top // (n_bid + 1))
            bids = [(top - i * step, lot * (1 + i % 97)) for i in range(n_bid)]
            bids = [(t, s) for t, s in bids if t > 0]
        low = worst_ask * 2
        step = max(1, low // max(1, n_ask))
        asks = [(low + i * step, lot * (1 + i % 89)) for i in range(n_ask)]
        return bids, asks

    # ------------------------------------------------------------------------- market

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        if native in self.subs.get("level2", ()):
            update = self._update(native, changes, now)
            if update is not None:
                out.append(update)
        if native in self.subs.get("market_trades", ()):
            new = self.server.step_trades.get(native)
            if new:
                self.trades_pending[native] = new[::-1] + self.trades_pending.get(native, [])
            if now - self.trades_emitted.get(native, 0.0) >= _TRADES_EVERY_S:
                out.extend(self._flush_trades(native, now))
        return out

    def _update(self, native: str, changes: Sequence[Change], now: float) -> Out | None:
        levels: dict[tuple[bool, int], float] = {}
        for key in self.padding.pop(native, ()):
            levels[key] = 0.0
        for c in changes:  # coalesced: the last size of a level in this step
            levels[(c.is_bid, c.tick)] = c.size
        if not levels:
            return None
        m = self.server.markets[native]
        ts = rfc3339(_ns(now), 6)
        updates = [self._level(m, b, t, s, ts) for (b, t), s in levels.items()]
        event = {"type": "update", "product_id": native, "updates": updates}
        return self._envelope("l2_data", [event], now, DELTA)

    def _flush_trades(self, native: str, now: float) -> list[Out]:
        trades = self.trades_pending.pop(native, None)
        if not trades:
            return []
        self.trades_emitted[native] = now
        event = {"type": "update", "trades": trades}
        return [self._envelope("market_trades", [event], now, TRADE)]

    def idle(self, now: float) -> list[Out]:
        out: list[Out] = []
        for native in list(self.trades_pending):
            out.extend(self._flush_trades(native, now))
        if self.subs.get("heartbeats"):
            counter, up = self.server.heartbeat_counter()
            counter = max(counter, self.last_heartbeat + 1)
            self.last_heartbeat = counter
            ns = _ns(now)
            wall = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%d %H:%M:%S")
            current = f"{wall}{_frac(f'{ns % 10**9:09d}')} +0000 UTC m=+{up:.9f}"
            event = {"current_time": current, "heartbeat_counter": counter}
            out.append(self._envelope("heartbeats", [event], now, HEARTBEAT))
        return out


SERVER = CoinbaseServer
