"""Keeping one book in sync: the generic state machine and the guard interface.

``MarketTracker`` owns the book of one (venue, symbol) and runs every snapshot and delta
through that venue's ``Guard``:

    WAITING --snapshot--> IN_SYNC --gap | checksum | crossed | bad level--> OUT_OF_SYNC
    OUT_OF_SYNC --snapshot--> IN_SYNC  (one completed resync, with its recovery time)

Leaving IN_SYNC clears the book (a book we cannot trust is never shown), counts the reason,
and calls ``on_out_of_sync`` so the feed layer can run the venue's resync procedure. Venues
whose snapshot arrives out of band (Binance REST, Huobi ``req``) set ``Guard.buffers`` and
their deltas are kept while waiting, then bridged through the guard when the snapshot comes.

A ``Guard`` holds only the venue's sequence/checksum rule; the update rule itself is the
book's. Guards never do I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from provider.book import OrderBook
from provider.errors import (
    BookOutOfSync,
    ChecksumMismatch,
    CrossedBook,
    SequenceGap,
    StaleSnapshot,
)
from provider.models import BookDelta, BookSnapshot, Market


class SyncState(StrEnum):
    WAITING = "waiting"  # no snapshot yet
    IN_SYNC = "in sync"
    OUT_OF_SYNC = "out of sync"  # resync requested, book cleared

    def __str__(self) -> str:
        return self.value


_IN_SYNC = SyncState.IN_SYNC  # (a module constant: read on every delta)


class Guard:
    """A venue's integrity rule for one book. This base class checks nothing.

    ``check`` returns True to apply a delta, False to skip it as stale (already contained
    in the snapshot), and raises ``SequenceGap`` when a message is missing. ``verify`` runs
    after a message was applied: it returns None when the message carries no checksum, True
    when it matches, and raises ``ChecksumMismatch`` otherwise.
    """

    #: keep deltas that arrive before the snapshot and bridge them afterwards
    buffers: bool = False
    #: the book must keep a sorted index and wire items (checksum over the top levels)
    ordered: bool = False

    def on_snapshot(self, snap: BookSnapshot) -> None:
        """Reset the chain to the snapshot's sequence id."""

    def check(self, delta: BookDelta) -> bool:
        return True

    def verify(self, book: OrderBook, msg: BookSnapshot | BookDelta) -> bool | None:
        return None


@dataclass(slots=True)
class BookCounters:
    """What happened to one book; all counts since the tracker was created."""

    snapshots: int = 0
    deltas: int = 0  # deltas applied
    stale: int = 0  # deltas skipped because the snapshot already held them
    buffered: int = 0  # deltas kept while waiting for a snapshot
    checksums_ok: int = 0
    checksums_failed: int = 0
    gaps: int = 0
    stale_snapshots: int = 0
    crossed: int = 0
    bad_levels: int = 0
    resyncs: int = 0  # completed recoveries (out of sync -> in sync)
    frames: int = 0  # frames that carried a message for this market


class MarketTracker:
    """The book of one market, its guard, its state and its counters."""

    __slots__ = (
        "_buffer",
        "_last_frame",
        "_verifies",
        "book",
        "counters",
        "guard",
        "last_reason",
        "last_update",
        "market",
        "on_out_of_sync",
        "out_since",
        "recoveries",
        "state",
    )

    def __init__(
        self,
        market: Market,
        guard: Guard,
        on_out_of_sync: Callable[[MarketTracker, str], None] | None = None,
        buffer_limit: int = 20_000,
    ) -> None:
        self.market = market
        self.guard = guard
        self.book = OrderBook(ordered=guard.ordered)
        self.state = SyncState.WAITING
        self.counters = BookCounters()
        self.last_reason = ""
        self.out_since: float | None = None
        self.recoveries: deque[float] = deque(maxlen=1000)  # seconds each resync took
        self.last_update: float | None = None
        self.on_out_of_sync = on_out_of_sync
        self._buffer: deque[BookDelta] = deque(maxlen=buffer_limit)
        self._last_frame = -1
        # guards without a checksum rule are not asked on every delta
        self._verifies = type(guard).verify is not Guard.verify

    @property
    def in_sync(self) -> bool:
        return self.state is SyncState.IN_SYNC

    def count_frame(self, frame_no: int) -> None:
        if frame_no != self._last_frame:
            self._last_frame = frame_no
            self.counters.frames += 1

    # ------------------------------------------------------------------------- messages

    def on_snapshot(self, snap: BookSnapshot, now: float) -> None:
        c = self.counters
        c.snapshots += 1
        was_out = self.state is SyncState.OUT_OF_SYNC
        try:
            self.book.replace(snap.bids, snap.asks, snap.depth)
            self.guard.on_snapshot(snap)
            self._verify(snap)
            if self.book.is_crossed():
                raise CrossedBook(f"{self.market} snapshot is crossed")
            self.state = SyncState.IN_SYNC
        except (BookOutOfSync, ValueError, TypeError, LookupError) as exc:
            self._lose(exc, now)
            return
        self.last_update = now
        if self.guard.buffers and self._buffer:
            pending = list(self._buffer)
            self._buffer.clear()
            for delta in pending:
                self.on_delta(delta, now)
                if self.state is not _IN_SYNC:  # lost again: the rest waits for a resync
                    return
        if was_out and self.out_since is not None:
            c.resyncs += 1
            self.recoveries.append(max(0.0, now - self.out_since))
            self.out_since = None

    def on_delta(self, delta: BookDelta, now: float) -> None:
        if self.state is not _IN_SYNC:
            if self.guard.buffers:
                self._buffer.append(delta)
                self.counters.buffered += 1
            return
        guard = self.guard
        try:
            if not guard.check(delta):
                self.counters.stale += 1
                return
            book = self.book
            bids = delta.bids
            asks = delta.asks
            if bids or asks:
                book.apply(bids, asks)
                self.counters.deltas += 1
            elif delta.last_seq is not None:  # a sequenced "no change" message (Huobi mbp)
                self.counters.deltas += 1
            # (a Bitfinex checksum message carries no levels and no sequence: not a delta)
            if self._verifies and guard.verify(book, delta):
                self.counters.checksums_ok += 1
            crossed = book.crossing()
            if crossed is not None:
                raise CrossedBook(f"{self.market} crossed: bid {crossed[0]} >= ask {crossed[1]}")
        except (BookOutOfSync, ValueError, TypeError, LookupError) as exc:
            self._lose(exc, now)
            return
        self.last_update = now

    def _verify(self, msg: BookSnapshot | BookDelta) -> None:
        ok = self.guard.verify(self.book, msg)
        if ok:
            self.counters.checksums_ok += 1

    # ------------------------------------------------------------------------- losing sync

    def mark_out_of_sync(self, reason: str, now: float) -> None:
        """Called from outside (connection gap, lost message, disconnect, staleness)."""
        self._lose(BookOutOfSync(reason), now)

    def _lose(self, exc: Exception, now: float) -> None:
        c = self.counters
        if isinstance(exc, ChecksumMismatch):
            c.checksums_failed += 1
        elif isinstance(exc, StaleSnapshot):
            c.stale_snapshots += 1
        elif isinstance(exc, SequenceGap):
            c.gaps += 1
        elif isinstance(exc, CrossedBook):
            c.crossed += 1
        elif not isinstance(exc, BookOutOfSync):
            c.bad_levels += 1
        reason = getattr(exc, "reason", "bad level")
        self.last_reason = f"{reason}: {exc}"
        if self.state is not SyncState.OUT_OF_SYNC:
            self.out_since = now
        self.state = SyncState.OUT_OF_SYNC
        self.book.clear()
        self._buffer.clear()
        if self.on_out_of_sync is not None:
            self.on_out_of_sync(self, reason)
