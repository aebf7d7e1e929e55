"""Coinbase market data: Advanced Trade ``level2``/``market_trades`` (live) and the legacy
Exchange feed (``ws-feed``, read from captures).

Both protocols are parsed by one adapter and told apart per message: Advanced Trade messages
carry ``"channel"`` (and a per-connection ``sequence_num``), Exchange messages carry
``"type"``. The live feed speaks Advanced Trade.

Sync rules (neither protocol has a checksum):

* Advanced Trade: ``sequence_num`` is ONE counter per connection across all channels; a jump
  is reported as ``ConnectionGap`` (every book of the connection is then out of sync). Per
  book, ``sequence_num`` must increase (``CoinbaseGuard``); resync = unsubscribe + subscribe
  ``level2`` of that product, which sends a fresh snapshot.
* Exchange ``level2``: no sequence at all; the guard checks nothing.

Trade sides: Advanced Trade ``market_trades[].side`` and Exchange ``match.side`` are the
MAKER's side (fact sheet section 0.3, checked against the book in both captures): the taker
is the opposite. Trades sent as history on subscribe (Advanced Trade ``market_trades``
snapshots, Exchange ``last_match``) are ``Ignored``: they are re-sent on every (re)subscribe,
so counting them would count the same executions again after each reconnect.

Docs: docs.cdp.coinbase.com ``advanced-trade-apis/websocket/websocket-channels`` (level2,
market_trades, heartbeats), ``api-reference/advanced-trade-api/websocket/level2``,
``websocket-rate-limits``; Exchange: ``exchange/websocket-feed`` ("Level2 Channel",
"Matches Channel", "Heartbeat Channel").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from provider.errors import ParseError, SequenceGap
from provider.exchanges.base import Adapter, dumps, head, loads
from provider.models import (
    BookDelta,
    BookSnapshot,
    ConnectionGap,
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
from provider.symbols import norm_asset, parse_symbol
from provider.sync import Guard

_INF = float("inf")

#: maker side on the wire -> taker side (Advanced Trade upper case, Exchange lower case)
_TAKER = {"SELL": Side.BUY, "BUY": Side.SELL, "sell": Side.BUY, "buy": Side.SELL}

#: Advanced Trade channels that are valid but not used here
_AT_UNUSED = frozenset(
    ("ticker", "ticker_batch", "candles", "status", "user", "futures_balance_summary")
)
#: Exchange message types that are valid but not used here (ticker: the same executions
#: as ``match``, so counting both would count each trade twice; full channel; status)
_EX_UNUSED = frozenset(
    ("ticker", "status", "received", "open", "done", "change", "activate", "auction")
)

_MINUTES: dict[str, float] = {}


def _minute(s: str) -> float | None:
    """Epoch seconds of ``s[:16]`` (``"2026-08-09T21:05"``), cached; None if malformed."""
    if len(s) < 20 or s[16] != ":":
        return None
    key = s[:16]
    try:
        base = datetime.fromisoformat(key + "+00:00").timestamp()
    except ValueError:
        return None
    if len(_MINUTES) > 4096:
        _MINUTES.clear()
    _MINUTES[key] = base
    return base


def iso_ts(s: Any, _minutes: dict[str, float] = _MINUTES) -> float | None:
    """``"2026-08-09T21:05:48.618125631Z"`` -> epoch seconds (None if not such a string).

    The epoch of each minute is cached, so a timestamp costs two slices and one float().
    """
    try:
        base = _minutes[s[:16]]
    except KeyError:
        found = _minute(s)
        if found is None:
            return None
        base = found
    except TypeError:  # not a string
        return None
    if s[-1] != "Z":
        return None
    try:
        sec = float(s[17:-1])
    except ValueError:
        return None
    return base + sec if 0.0 <= sec < 61.0 else None


class CoinbaseGuard(Guard):
    """Advanced Trade: a book's ``sequence_num`` must increase (the gap rule proper is the
    per-connection ``ConnectionGap``). Exchange ``level2`` carries no sequence: nothing to
    check (the venue documents the channel as delivering every update)."""

    def __init__(self) -> None:
        self.last: int | None = None

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.last = snap.seq

    def check(self, delta: BookDelta) -> bool:
        seq = delta.last_seq
        if seq is not None:
            last = self.last
            if last is not None and seq <= last:
                raise SequenceGap(f"sequence_num {seq} after {last}: out of order")
            self.last = seq
        return True


class CoinbaseAdapter(Adapter):
    venue = Venue.COINBASE
    ws_url = "wss://advanced-trade-ws.coinbase.com"
    resync = "resubscribe"
    # unauthenticated client messages: 8/s per IP (websocket-rate-limits); stay under it
    max_messages_per_s = 6.0
    max_connection_s = None
    ping_text = None  # the heartbeats channel keeps subscriptions open (1 message/s)

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        self._next_seq: int | None = None  # Advanced Trade sequence_num expected next
        self._pending: list[Event] = []  # events of a frame that failed half-way

    # ------------------------------------------------------------------------- symbols

    def make_market(self, native: str) -> Market:
        """``BTC-USD`` -> BTC/USD (spot; the feed's products are ``BASE-QUOTE``)."""
        if type(native) is not str:
            raise ParseError(f"Coinbase product id {native!r} is not a string")
        base, sep, quote = native.partition("-")
        if not sep or not base.isalnum() or not quote.isalnum():
            raise ParseError(f"Coinbase product id {native!r} is not BASE-QUOTE")
        base, quote = norm_asset(base), norm_asset(quote)
        return Market(self.venue, native, f"{base}/{quote}", base, quote, Kind.SPOT)

    def _market_of(self, pid: Any) -> Market:
        if type(pid) is not str:
            raise ParseError(f"Coinbase product_id {pid!r} is not a string")
        return self.market(pid)

    def native_symbol(self, symbol: str) -> str:
        if ":" in symbol:
            raise ValueError(f"{symbol!r}: this Coinbase adapter serves spot products only")
        base, quote = parse_symbol(symbol)
        return f"{base}-{quote}"

    # ------------------------------------------------------------------------- requests

    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """One channel per message (Advanced Trade); heartbeats keep the others open."""
        ids = [m.native for m in markets]
        return [
            dumps({"type": "subscribe", "product_ids": ids, "channel": ch})
            for ch in ("level2", "market_trades", "heartbeats")
        ]

    def resubscribe_messages(self, market: Market) -> list[str]:
        """A new ``level2`` subscription starts with a full snapshot of the product."""
        return [
            dumps({"type": t, "product_ids": [market.native], "channel": "level2"})
            for t in ("unsubscribe", "subscribe")
        ]

    def guard(self, market: Market) -> Guard:
        return CoinbaseGuard()

    # ------------------------------------------------------------------------- parsing

    @classmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        text = head(frame, 200)
        if text.startswith('{"channel":"'):
            # Kraken v2 also starts with "channel"; only Advanced Trade has sequence_num
            return '"sequence_num":' in text
        return text.startswith(
            (
                '{"type":"l2update"',
                '{"type":"snapshot","product_id"',
                '{"type":"match"',
                '{"type":"last_match"',
                '{"type":"ticker","sequence"',
                '{"type":"subscriptions"',
                '{"type":"heartbeat"',
            )
        )

    def parse(self, frame: str | bytes) -> list[Event]:
        msg = loads(frame)
        if type(msg) is not dict:
            raise ParseError(f"Coinbase frame is not an object: {head(frame, 80)!r}")
        ch = msg.get("channel")
        if ch is None:  # Exchange (legacy): one message, one event
            t = msg.get("type")
            if t == "l2update":
                return [self._l2update(msg)]
            return [self._exchange(msg, t)]
        out = self._pending
        self._pending = []
        try:
            self._advanced(msg, ch, out)
        except ParseError:
            self._pending = out  # what was parsed (a gap, other products) comes next time
            raise
        return out

    # ----------------------------------------------------------------- Advanced Trade

    def _advanced(self, msg: dict, ch: Any, out: list[Event]) -> None:
        """Envelope ``{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.505350477Z",
        "sequence_num":14,"events":[...]}`` (websocket-overview "Sequence Numbers")."""
        seq = msg.get("sequence_num")
        if type(seq) is not int:
            raise ParseError("Coinbase message without an integer sequence_num")
        expected = self._next_seq
        self._next_seq = seq + 1
        if expected is not None and seq != expected:
            out.append(ConnectionGap(self.venue, expected, seq))
        events = msg.get("events")
        if type(events) is not list:
            raise ParseError(f"Coinbase {ch!r} message without an events list")
        if ch == "l2_data":
            self._l2(events, seq, iso_ts(msg.get("timestamp")), out)
        elif ch == "market_trades":
            self._market_trades(events, out)
        elif ch == "heartbeats":
            # {"channel":"heartbeats",...,"events":[{"current_time":"2026-08-09 21:05:48...",
            #  "heartbeat_counter":41691}]}
            out.append(Heartbeat(self.venue))
        elif ch == "subscriptions":
            # {"channel":"subscriptions",...,"events":[{"subscriptions":{"market_trades":
            #  ["BTC-USD","ETH-USD"]}}]}
            subs = events[0].get("subscriptions") if events and type(events[0]) is dict else None
            if type(subs) is not dict:
                raise ParseError("Coinbase subscriptions message without subscriptions")
            out.append(Status(self.venue, "subscribed", ",".join(sorted(map(str, subs)))))
        elif type(ch) is str and ch in _AT_UNUSED:
            out.append(Ignored(self.venue, ch))
        else:
            raise ParseError(f"unknown Coinbase channel {ch!r}")

    def _l2(self, events: list, seq: int, ts: float | None, out: list[Event]) -> None:
        """level2 (docs "Level2 Channel"): ``{"type":"snapshot"|"update","product_id":"BTC-USD",
        "updates":[{"side":"bid","event_time":"2026-08-09T21:05:48.210883Z",
        "price_level":"65062.5","new_quantity":"0.00583"},{"side":"offer",...}]}``;
        ``new_quantity`` is absolute, ``"0"`` deletes. A BTC-USD snapshot has ~46,000 levels:
        one pass, one tuple per level."""
        for ev in events:
            try:
                pid = ev["product_id"]
                kind = ev["type"]
                updates = ev["updates"]
            except (KeyError, TypeError):
                raise ParseError("Coinbase l2_data event without product_id/type/updates") from None
            m = self._markets.get(pid) if type(pid) is str else None
            if m is None:
                m = self._market_of(pid)
            if type(updates) is not list:
                raise ParseError("Coinbase l2_data updates is not a list", m)
            bids: list[tuple[Any, Any]] = []
            asks: list[tuple[Any, Any]] = []
            bid = bids.append
            ask = asks.append
            try:
                for u in updates:
                    side = u["side"]
                    if side == "bid":
                        bid((u["price_level"], u["new_quantity"]))
                    elif side == "offer":
                        ask((u["price_level"], u["new_quantity"]))
                    else:
                        raise ParseError(f"Coinbase l2_data side {side!r}", m)
            except (KeyError, TypeError) as exc:
                raise ParseError(f"Coinbase l2_data level malformed: {exc!r}", m) from None
            if kind == "update":
                out.append(BookDelta(m, bids, asks, seq, seq, None, None, ts))
            elif kind == "snapshot":
                out.append(BookSnapshot(m, bids, asks, seq, None, ts, None))
            else:
                raise ParseError(f"Coinbase l2_data event type {kind!r}", m)

    def _market_trades(self, events: list, out: list[Event]) -> None:
        """market_trades (docs "Market Trades Channel"): ``{"type":"update","trades":[
        {"product_id":"BTC-USD","trade_id":"1068572091","price":"65083.67","size":"0.01034361",
        "time":"2026-08-09T21:05:48.167634Z","side":"SELL"}]}``. ``side`` is the maker's
        (SELL printed at the ask): taker = opposite. Trades come newest first; they are
        emitted oldest first. ``snapshot`` events (recent history) are Ignored."""
        for ev in events:
            try:
                kind = ev["type"]
                trades = ev["trades"]
            except (KeyError, TypeError):
                raise ParseError("Coinbase market_trades event without type/trades") from None
            if type(trades) is not list:
                raise ParseError("Coinbase market_trades trades is not a list")
            if kind == "snapshot":
                out.append(Ignored(self.venue, "market_trades snapshot"))
            elif kind == "update":
                for t in reversed(trades):
                    out.append(self._trade(t, "market_trades"))
            else:
                raise ParseError(f"Coinbase market_trades event type {kind!r}")

    def _trade(self, t: Any, what: str) -> Trade:
        try:
            pid = t["product_id"]
            price = float(t["price"])
            size = float(t["size"])
            side = _TAKER[t["side"]]
            tid = t["trade_id"]
            ts = iso_ts(t.get("time"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"Coinbase {what} trade malformed: {exc!r}") from None
        if not (0.0 < price < _INF and 0.0 < size < _INF):
            raise ParseError(f"Coinbase {what} trade with bad price/size {price!r}/{size!r}")
        if type(tid) is not str and type(tid) is not int:
            raise ParseError(f"Coinbase {what} trade_id {tid!r}")
        m = self._markets.get(pid) if type(pid) is str else None
        return Trade(m or self._market_of(pid), price, size, side, str(tid), ts)

    # ----------------------------------------------------------------- Exchange (legacy)

    def _exchange(self, msg: dict, t: Any) -> Event:
        """Every Exchange message but ``l2update`` (the hot one, handled first in parse)."""
        if t == "snapshot":
            return self._snapshot(msg)
        if t == "match":
            # {"type":"match","trade_id":280232,"maker_order_id":"2a0d...","taker_order_id":
            #  "3c82...","side":"sell","size":"985","price":"0.00001305","product_id":"SKL-BTC",
            #  "sequence":177100030,"time":"2021-04-17T16:43:37.089723Z"}; side = maker's
            return self._trade(msg, "match")
        if t == "last_match":
            return Ignored(self.venue, t)  # the previous trade, re-sent on every subscribe
        if t == "heartbeat":
            # {"type":"heartbeat","sequence":90,"last_trade_id":20,"product_id":"BTC-USD",
            #  "time":"2014-11-07T08:19:28.464459Z"}
            pid = msg.get("product_id")
            return Heartbeat(self.venue, None if pid is None else self._market_of(pid))
        if t == "subscriptions":
            # {"type":"subscriptions","channels":[{"name":"level2","product_ids":["SKL-USD"]}]}
            chans = msg.get("channels")
            if type(chans) is not list:
                raise ParseError("Coinbase subscriptions without a channels list")
            names = [c.get("name") if type(c) is dict else c for c in chans]
            return Status(self.venue, "subscribed", ",".join(map(str, names)))
        if t == "error":
            # {"type":"error","message":"Failed to subscribe","reason":"No channels provided"}
            detail = f"{msg.get('message', '')}: {msg.get('reason', '')}"
            return Status(self.venue, "error", detail[:200], ok=False)
        if type(t) is str and t in _EX_UNUSED:
            return Ignored(self.venue, t)
        raise ParseError(f"unknown Coinbase message: {str(msg)[:80]!r}")

    def _l2update(self, msg: dict) -> BookDelta:
        """Exchange level2: ``{"type":"l2update","product_id":"SKL-BTC","changes":[["sell",
        "0.00001306","660.5"]],"time":"2021-04-17T16:43:37.075687Z"}``; sizes absolute."""
        pid = msg.get("product_id")
        m = self._markets.get(pid) if type(pid) is str else None
        if m is None:
            m = self._market_of(pid)
        changes = msg.get("changes")
        if type(changes) is not list:
            raise ParseError("Coinbase l2update without a changes list", m)
        bids: list[tuple[Any, Any]] = []
        asks: list[tuple[Any, Any]] = []
        try:
            for side, p, q in changes:
                if side == "buy":
                    bids.append((p, q))
                elif side == "sell":
                    asks.append((p, q))
                else:
                    raise ParseError(f"Coinbase l2update side {side!r}", m)
        except (TypeError, ValueError) as exc:
            raise ParseError(f"Coinbase l2update change malformed: {exc}", m) from None
        return BookDelta(m, bids, asks, None, None, None, None, iso_ts(msg.get("time")))

    def _snapshot(self, msg: dict) -> BookSnapshot:
        """Exchange level2: ``{"type":"snapshot","product_id":"BAND-GBP","bids":[["14.7550",
        "2.00"]],"asks":[["14.8024","12.77"]]}``: the entire book, levels kept as on the wire."""
        pid = msg.get("product_id")
        m = self._markets.get(pid) if type(pid) is str else None
        if m is None:
            m = self._market_of(pid)
        bids = msg.get("bids")
        asks = msg.get("asks")
        if type(bids) is not list or type(asks) is not list:
            raise ParseError("Coinbase snapshot without bids/asks lists", m)
        return BookSnapshot(m, bids, asks, None, None, iso_ts(msg.get("time")), None)


ADAPTER = CoinbaseAdapter
