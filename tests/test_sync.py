"""The generic sync state machine, with a small literal guard."""

from __future__ import annotations

from provider.book import OrderBook
from provider.errors import ChecksumMismatch, SequenceGap
from provider.models import BookDelta, BookSnapshot, Market, Venue
from provider.sync import Guard, MarketTracker, SyncState

M = Market(Venue.BYBIT, "BTCUSDT", "BTC/USDT", "BTC", "USDT")


class ChainGuard(Guard):
    """Each delta's seq must follow the last; a checksum is the best bid price as int."""

    def __init__(self, buffers: bool = False) -> None:
        self.buffers = buffers
        self.last = 0

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.last = snap.seq or 0

    def check(self, delta: BookDelta) -> bool:
        assert delta.last_seq is not None
        if delta.last_seq <= self.last:
            return False
        if delta.last_seq != self.last + 1:
            raise SequenceGap(f"{self.last + 1} expected")
        self.last = delta.last_seq
        return True

    def verify(self, book: OrderBook, msg: BookSnapshot | BookDelta) -> bool | None:
        if msg.checksum is None:
            return None
        if int(book.best_bid() or 0) != msg.checksum:
            raise ChecksumMismatch("best bid")
        return True


def snap(seq: int, bid: str = "100", ask: str = "101") -> BookSnapshot:
    return BookSnapshot(M, [[bid, "1"]], [[ask, "1"]], seq)


def delta(seq: int, bids=(), asks=(), checksum: int | None = None) -> BookDelta:
    return BookDelta(M, list(bids), list(asks), seq, seq, None, checksum)


def test_waiting_then_in_sync_then_deltas() -> None:
    t = MarketTracker(M, ChainGuard())
    assert t.state is SyncState.WAITING
    t.on_delta(delta(1, [["99", "1"]]), 0.0)  # no snapshot yet, not buffered: dropped
    t.on_snapshot(snap(5), 1.0)
    t.on_delta(delta(5), 1.1)  # stale
    t.on_delta(delta(6, [["100.5", "2"]], checksum=100), 1.2)
    assert t.state is SyncState.IN_SYNC and t.last_update == 1.2
    assert t.book.top_bids(2) == [(100.5, 2.0), (100.0, 1.0)]
    c = t.counters
    assert (c.snapshots, c.deltas, c.stale, c.checksums_ok, c.resyncs) == (1, 1, 1, 1, 0)


def test_gap_clears_book_calls_back_and_recovers() -> None:
    calls: list[tuple[str, str]] = []
    t = MarketTracker(
        M, ChainGuard(), on_out_of_sync=lambda tr, why: calls.append((str(tr.market), why))
    )
    t.on_snapshot(snap(1), 10.0)
    t.on_delta(delta(3), 11.0)
    assert t.state is SyncState.OUT_OF_SYNC and len(t.book) == 0
    assert t.counters.gaps == 1 and calls == [("bybit:BTCUSDT", "gap")]
    assert t.last_reason.startswith("gap")
    t.on_delta(delta(4, [["1", "1"]]), 11.5)  # ignored while out of sync
    assert len(t.book) == 0
    t.on_snapshot(snap(4), 12.5)
    assert t.state is SyncState.IN_SYNC and t.counters.resyncs == 1
    assert list(t.recoveries) == [1.5]


def test_checksum_mismatch_and_crossed_snapshot() -> None:
    t = MarketTracker(M, ChainGuard())
    t.on_snapshot(snap(1), 0.0)
    t.on_delta(delta(2, checksum=7), 0.1)
    assert t.counters.checksums_failed == 1 and t.state is SyncState.OUT_OF_SYNC
    t.on_snapshot(snap(3, bid="102", ask="101"), 0.2)
    assert t.counters.crossed == 1 and t.state is SyncState.OUT_OF_SYNC
    assert t.counters.resyncs == 0  # still not recovered


def test_crossing_delta_is_caught() -> None:
    t = MarketTracker(M, ChainGuard())
    t.on_snapshot(snap(1), 0.0)
    t.on_delta(delta(2, asks=[["99", "1"]]), 0.1)
    assert t.counters.crossed == 1 and len(t.book) == 0


def test_buffering_guard_replays_after_snapshot() -> None:
    t = MarketTracker(M, ChainGuard(buffers=True))
    for s in (4, 5, 6, 7):
        t.on_delta(delta(s, [[f"9{s}", "1"]]), 0.0)
    t.on_snapshot(snap(5), 1.0)
    assert t.state is SyncState.IN_SYNC
    assert t.book.bid_side.prices() == [100.0, 97.0, 96.0]
    assert (t.counters.buffered, t.counters.stale, t.counters.deltas) == (4, 2, 2)


def test_bad_level_is_out_of_sync_not_an_exception() -> None:
    t = MarketTracker(M, ChainGuard())
    t.on_snapshot(snap(1), 0.0)
    t.on_delta(delta(2, [["abc", "1"]]), 0.1)
    t.on_delta(delta(3, [{"price": 1}]), 0.1)
    assert t.counters.bad_levels == 1 and t.state is SyncState.OUT_OF_SYNC


def test_external_loss() -> None:
    t = MarketTracker(M, ChainGuard())
    t.on_snapshot(snap(1), 0.0)
    t.mark_out_of_sync("disconnected", 3.0)
    assert t.state is SyncState.OUT_OF_SYNC and t.last_reason == "out of sync: disconnected"
    assert t.out_since == 3.0
