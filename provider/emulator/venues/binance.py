"""Emulated Binance spot: combined streams, diff depth every 100 ms, trades, REST snapshot.

As binance-spot-api-docs describe it: ``/stream`` with ``SUBSCRIBE`` (or ``?streams=``),
frames wrapped ``{"stream":..,"data":..}``; ``<sym>@depth@100ms`` diffs carry the update-id
range ``U``..``u`` of the changes they batch; ``GET /api/v3/depth`` returns the book at
``lastUpdateId``; ``<sym>@trade`` with ``m`` = buyer is maker. Keep-alive is the WebSocket
ping of the server library.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import orjson

from provider.emulator.market import Change, StepResult, VenueMarket
from provider.emulator.protocol import CONTROL, DELTA, TRADE, ClientSession, Out, VenueServer
from provider.models import Side, Venue

_DIFF_EVERY_S = 0.1


def _px(m: VenueMarket, tick: int) -> str:
    return f"{tick * m.spec.tick:.8f}"


def _sz(size: float) -> str:
    return f"{size:.8f}"


class BinanceServer(VenueServer):
    venue = Venue.BINANCE

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        super().__init__(markets)
        self.update_id = {n: 1_000_000 for n in markets}

    def session(self, path: str) -> ClientSession:
        return BinanceSession(self, path)

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        changes = super().visible_changes(native, result)
        if changes:
            self.update_id[native] += 1  # one book event per step that changed the book
        return changes

    def rest(self, path: str, query: dict[str, str]) -> tuple[int, str] | None:
        if path != "/api/v3/depth":
            return None
        sym = query.get("symbol", "")
        m = self.markets.get(sym)
        if m is None:
            return 400, '{"code":-1121,"msg":"Invalid symbol."}'
        limit = min(int(query.get("limit", "100")), 5000)
        body = {
            "lastUpdateId": self.update_id[sym],
            "bids": [[_px(m, t), _sz(s)] for t, s in m.top(True, limit)],
            "asks": [[_px(m, t), _sz(s)] for t, s in m.top(False, limit)],
        }
        return 200, orjson.dumps(body).decode()


class BinanceSession(ClientSession):
    server: BinanceServer

    def __init__(self, server: BinanceServer, path: str) -> None:
        super().__init__(server, path)
        self.depth: set[str] = set()
        self.trades: set[str] = set()
        # per symbol: coalesced pending changes and the first update id they cover
        self.pending: dict[str, dict[tuple[bool, int], float]] = {}
        self.first_id: dict[str, int] = {}
        self.last_emit: dict[str, float] = {}
        streams = parse_qs(urlsplit(path).query).get("streams", [])
        if streams:
            self._add(streams[0].split("/"))

    def _add(self, streams: Sequence[str]) -> None:
        for s in streams:
            sym, _, kind = s.partition("@")
            native = sym.upper()
            if native not in self.server.markets:
                continue
            if kind.startswith("depth"):
                self.depth.add(native)
            elif kind in ("trade", "aggTrade"):
                self.trades.add(native)

    def received(self, text: str, now: float) -> list[Out]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [Out('{"error":{"code":3,"msg":"Invalid JSON"},"id":null}', CONTROL)]
        if not isinstance(msg, dict) or msg.get("method") not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return [
                Out(
                    orjson.dumps(
                        {"error": {"code": 2, "msg": "Invalid request"}, "id": None}
                    ).decode()
                )
            ]
        params = msg.get("params") or []
        if msg["method"] == "SUBSCRIBE":
            self._add([p for p in params if isinstance(p, str)])
        else:
            for p in params:
                sym = str(p).partition("@")[0].upper()
                self.depth.discard(sym)
                self.trades.discard(sym)
        return [Out(orjson.dumps({"result": None, "id": msg.get("id")}).decode(), CONTROL)]

    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        out: list[Out] = []
        m = self.server.markets[native]
        sym = native.lower()
        if native in self.trades:
            for tr in result.trades:
                data = {
                    "e": "trade",
                    "E": int(now * 1000),
                    "s": native,
                    "t": tr.trade_id,
                    "p": _px(m, tr.tick),
                    "q": _sz(tr.size),
                    "T": int(now * 1000),
                    "m": tr.side is Side.SELL,
                    "M": True,
                }
                out.append(
                    Out(orjson.dumps({"stream": f"{sym}@trade", "data": data}).decode(), TRADE)
                )
        if native in self.depth:
            if changes:
                pend = self.pending.setdefault(native, {})
                if not pend:
                    self.first_id[native] = self.server.update_id[native]
                for c in changes:
                    pend[(c.is_bid, c.tick)] = c.size
            last = self.last_emit.get(native, 0.0)
            if now - last >= _DIFF_EVERY_S and self.pending.get(native):
                out.append(self._diff(native, m, now))
                self.last_emit[native] = now
        return out

    def _diff(self, native: str, m: VenueMarket, now: float) -> Out:
        pend = self.pending.pop(native)
        bids = [[_px(m, t), _sz(s)] for (is_bid, t), s in pend.items() if is_bid]
        asks = [[_px(m, t), _sz(s)] for (is_bid, t), s in pend.items() if not is_bid]
        data = {
            "e": "depthUpdate",
            "E": int(now * 1000),
            "s": native,
            "U": self.first_id[native],
            "u": self.server.update_id[native],
            "b": bids,
            "a": asks,
        }
        stream = f"{native.lower()}@depth@100ms"
        return Out(orjson.dumps({"stream": stream, "data": data}).decode(), DELTA)

    def idle(self, now: float) -> list[Out]:
        # flush diffs of quiet markets so a client is never more than ~1 s behind
        out = []
        for native, pend in list(self.pending.items()):
            if pend:
                out.append(self._diff(native, self.server.markets[native], now))
                self.last_emit[native] = now
        return out


SERVER = BinanceServer
