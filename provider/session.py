"""From frames to books: dispatching one venue's events to its market trackers.

``VenueBooks`` holds every book of one venue (a ``MarketTracker`` per market), trade
counters and error counters. ``Connection`` is one venue connection: its own adapter
instance (adapters keep per-connection state such as channel ids) feeding the shared
``VenueBooks``. Both the live feed and capture replay go through ``Connection.feed``, so a
replay exercises exactly the code that runs live. No I/O here; ``now`` is passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from provider.errors import ParseError
from provider.exchanges.base import Adapter
from provider.models import (
    BookDelta,
    BookSnapshot,
    ConnectionGap,
    Event,
    Heartbeat,
    Market,
    Reply,
    Side,
    Status,
    Trade,
    Venue,
)
from provider.sync import MarketTracker

log = logging.getLogger(__name__)

_NO_REPLIES: tuple[str, ...] = ()


@dataclass(slots=True)
class TradeCounters:
    frames: int = 0  # frames that carried trades of this market
    last_frame: int = -1
    buys: int = 0
    sells: int = 0
    buy_volume: float = 0.0
    sell_volume: float = 0.0
    last_price: float | None = None


@dataclass(slots=True)
class VenueCounters:
    frames: int = 0
    parse_errors: int = 0  # all frames the adapter refused, attributed or not
    venue_errors: int = 0  # error messages sent by the venue (subscription refused, ...)
    connection_gaps: int = 0
    heartbeats: int = 0
    last_error: str = ""


class VenueBooks:
    """All books and counters of one venue."""

    def __init__(
        self,
        venue: Venue,
        adapter_factory: Callable[[str | None], Adapter],
        on_trade: Callable[[Trade], None] | None = None,
        on_out_of_sync: Callable[[MarketTracker, str], None] | None = None,
    ) -> None:
        self.venue = venue
        self.adapter_factory = adapter_factory
        self.trackers: dict[Market, MarketTracker] = {}
        self.trades: dict[Market, TradeCounters] = {}
        self.counters = VenueCounters()
        self.parse_errors_by_market: dict[Market, int] = {}
        self.on_trade = on_trade
        self.on_out_of_sync = on_out_of_sync
        self._guard_source = adapter_factory(None)
        self.messages = 0  # WebSocket frames and REST bodies: numbers each one
        self.last_message: float | None = None

    def tracker(self, market: Market) -> MarketTracker:
        t = self.trackers.get(market)
        if t is None:
            t = MarketTracker(market, self._guard_source.guard(market), self.on_out_of_sync)
            self.trackers[market] = t
        return t

    def connect(self, url: str | None = None) -> Connection:
        """A new connection (with a fresh adapter) to ``url``."""
        return Connection(self, self.adapter_factory(url))

    def record_trade(self, trade: Trade, frame_no: int) -> None:
        tc = self.trades.get(trade.market)
        if tc is None:
            tc = self.trades[trade.market] = TradeCounters()
        if tc.last_frame != frame_no:
            tc.last_frame = frame_no
            tc.frames += 1
        if trade.side is Side.BUY:
            tc.buys += 1
            tc.buy_volume += trade.size
        else:
            tc.sells += 1
            tc.sell_volume += trade.size
        tc.last_price = trade.price
        if self.on_trade is not None:
            self.on_trade(trade)

    def count_parse_error(self, exc: ParseError, market: Market | None) -> None:
        c = self.counters
        c.parse_errors += 1
        c.last_error = str(exc)[:300]
        if market is not None:
            self.parse_errors_by_market[market] = self.parse_errors_by_market.get(market, 0) + 1


class Connection:
    """One connection's adapter feeding a venue's books."""

    def __init__(self, books: VenueBooks, adapter: Adapter) -> None:
        self.books = books
        self.adapter = adapter
        self.markets: set[Market] = set()
        # market -> tracker by object identity: the adapter hands out one Market object per
        # symbol, and an int key avoids hashing a dataclass on every frame
        self._trackers: dict[int, tuple[Market, MarketTracker]] = {}
        #: the venue asked the client to reconnect (e.g. Bitfinex info 20051)
        self.reconnect_requested = ""

    def feed(self, frame: str | bytes, now: float) -> Sequence[str]:
        """Parse and apply one received frame; returns texts to send back at once."""
        books = self.books
        books.counters.frames += 1
        books.messages += 1
        books.last_message = now
        try:
            events = self.adapter.parse(frame)
        except ParseError as exc:
            market = exc.market if isinstance(exc.market, Market) else None
            books.count_parse_error(exc, market)
            if market is not None:
                # a malformed book message for a known market: its update is lost
                books.tracker(market).mark_out_of_sync(f"malformed message: {exc}", now)
            return _NO_REPLIES
        return self.dispatch(events, now)

    def feed_rest(self, body: str | bytes, market: Market, now: float) -> None:
        """Apply the body of a REST snapshot of ``market``."""
        books = self.books
        books.messages += 1
        try:
            events = self.adapter.parse_rest(body, market)
        except ParseError as exc:
            books.count_parse_error(exc, market)
            books.tracker(market).mark_out_of_sync(f"bad REST snapshot: {exc}", now)
            return
        self.dispatch(events, now)

    def dispatch(self, events: list[Event], now: float) -> Sequence[str]:
        books = self.books
        frame_no = books.messages
        replies: list[str] | None = None  # (most frames ask for none: no list built)
        for ev in events:
            if type(ev) is BookDelta:
                hit = self._trackers.get(id(ev.market))
                if hit is not None and hit[0] is ev.market:
                    t = hit[1]
                else:
                    t = self._tracker(ev.market)
                if t._last_frame != frame_no:  # (count_frame, inlined on the hot path)
                    t._last_frame = frame_no
                    t.counters.frames += 1
                t.on_delta(ev, now)
            elif type(ev) is BookSnapshot:
                t = self._tracker(ev.market)
                t.count_frame(frame_no)
                t.on_snapshot(ev, now)
            elif type(ev) is Trade:
                books.record_trade(ev, frame_no)
            elif type(ev) is Heartbeat:
                books.counters.heartbeats += 1
            elif type(ev) is Reply:
                if replies is None:
                    replies = []
                replies.append(ev.text)
            elif type(ev) is Status:
                if ev.kind == "reconnect":
                    self.reconnect_requested = ev.detail or "the venue asked to reconnect"
                elif not ev.ok:
                    books.counters.venue_errors += 1
                    books.counters.last_error = f"{ev.kind}: {ev.detail}"[:300]
                    log.warning("%s says %s: %s", books.venue, ev.kind, ev.detail)
            elif type(ev) is ConnectionGap:
                books.counters.connection_gaps += 1
                for m in self.markets:
                    books.tracker(m).mark_out_of_sync(
                        f"connection sequence {ev.expected} expected, {ev.received} received",
                        now,
                    )
        return _NO_REPLIES if replies is None else replies

    def _tracker(self, market: Market) -> MarketTracker:
        t = self.books.tracker(market)
        self.markets.add(market)
        self._trackers[id(market)] = (market, t)
        return t

    def lost(self, reason: str, now: float) -> None:
        """The connection is gone: every book it carried is out of sync."""
        for m in self.markets:
            self.books.tracker(m).mark_out_of_sync(reason, now)
