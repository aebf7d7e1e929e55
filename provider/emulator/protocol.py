"""What a venue's emulator module provides: the venue's side of the wire protocol.

A ``VenueServer`` holds one venue's shared state (its markets, per-market sequence ids, the
depth windows its clients see) and makes one ``ClientSession`` per WebSocket connection
(per-connection state: subscriptions, channel ids, per-connection sequence numbers). The
sessions turn the synthetic market's level changes and trades into that venue's frames:
subscribe handshake, snapshot/delta framing, sequence numbers, checksums computed as the
venue computes them, heartbeats and pings. They do no I/O: ``server.py`` owns the sockets.

Frames leave as ``Out(data, kind)``; ``kind`` lets fault injection pick "the next delta".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from provider.emulator.market import Change, StepResult, VenueMarket
from provider.models import Venue

#: frame kinds
SNAPSHOT = "snapshot"
DELTA = "delta"
TRADE = "trade"
CONTROL = "control"
HEARTBEAT = "heartbeat"
CLOSE = "close"  # the venue hangs up (e.g. Huobi after two unanswered pings); data unused


@dataclass(frozen=True, slots=True)
class Out:
    data: str | bytes
    kind: str = CONTROL


@dataclass(slots=True)
class SessionFaults:
    """One-shot requests that only the encoder can honour (it knows its framing)."""

    corrupt_checksum: int = 0  # corrupt the checksum of the next N frames that carry one
    bloat_snapshot: int = 0  # pad the next N snapshots to about ``bloat_bytes``
    bloat_bytes: int = 5 * 2**20


class ClientSession(ABC):
    """One client connection's protocol state."""

    def __init__(self, server: VenueServer, path: str) -> None:
        self.server = server
        self.path = path
        self.faults = SessionFaults()
        self.closed = False

    def opened(self, now: float) -> list[Out]:
        """Frames the venue sends as soon as a client connects."""
        return []

    @abstractmethod
    def received(self, text: str, now: float) -> list[Out]:
        """A client message (subscribe, ping, req, ...)."""

    @abstractmethod
    def step(
        self, native: str, changes: Sequence[Change], result: StepResult, now: float
    ) -> list[Out]:
        """The market moved; ``changes`` are the level changes *this client sees* (inside the
        venue's depth window), ``result`` the full step (its trades)."""

    def idle(self, now: float) -> list[Out]:
        """Called about once a second: heartbeats and server pings."""
        return []


class VenueServer(ABC):
    """One venue: its markets and shared state."""

    venue: ClassVar[Venue]
    #: levels a client's book holds; None = the whole book. Levels leaving the window are
    #: sent as deletes unless ``window_deletes`` is False (the client trims, e.g. Kraken).
    window: ClassVar[int | None] = None
    window_deletes: ClassVar[bool] = True

    def __init__(self, markets: dict[str, VenueMarket]) -> None:
        self.markets = markets
        self.windows: dict[str, Window] = {n: Window(m, self.window) for n, m in markets.items()}

    @abstractmethod
    def session(self, path: str) -> ClientSession:
        """A new connection (``path`` is the URL path the client asked for)."""

    def rest(self, path: str, query: dict[str, str]) -> tuple[int, str] | None:
        """Answer a REST request, or None when the path is not this venue's."""
        return None

    def visible_changes(self, native: str, result: StepResult) -> list[Change]:
        """Level changes as the venue's clients see them (inside the depth window)."""
        return self.windows[native].update(result.changes, self.window_deletes)

    def client_book(self, native: str, n: int | None = None) -> tuple[list, list]:
        """The book a correct client holds: ([(price, size)] bids best first, asks)."""
        m = self.markets[native]
        depth = self.window if n is None else (n if self.window is None else min(n, self.window))
        return (
            [(m.price(t), s) for t, s in m.top(True, depth)],
            [(m.price(t), s) for t, s in m.top(False, depth)],
        )


@dataclass(slots=True)
class Window:
    """The top ``depth`` levels of one market as clients see them, and their changes."""

    market: VenueMarket
    depth: int | None
    bids: dict[int, float] = field(default_factory=dict)
    asks: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        m = self.market
        self.bids = dict(m.top(True, self.depth))
        self.asks = dict(m.top(False, self.depth))

    def update(self, changes: Sequence[Change], deletes: bool) -> list[Change]:
        if self.depth is None:
            for c in changes:
                side = self.bids if c.is_bid else self.asks
                if c.size > 0:
                    side[c.tick] = c.size
                else:
                    side.pop(c.tick, None)
            return list(changes)
        out: list[Change] = []
        m = self.market
        for is_bid, old in ((True, self.bids), (False, self.asks)):
            new = dict(m.top(is_bid, self.depth))
            for t, s in new.items():
                if old.get(t) != s:
                    out.append(Change(is_bid, t, s))
            for t in old:
                if t not in new and (deletes or t not in (m.bids if is_bid else m.asks)):
                    out.append(Change(is_bid, t, 0.0))  # removed, or pushed out (deletes on)
            if is_bid:
                self.bids = new
            else:
                self.asks = new
        return out
