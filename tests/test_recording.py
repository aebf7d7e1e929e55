"""A recording made from the emulator replays to the same final books."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.capture import RecordingWriter
from provider.config import build_config
from provider.emulator.server import EmulatorThread
from provider.feed import FeedConfig
from provider.models import Venue
from provider.replay import replay
from provider.service import Endpoint, Provider
from tests.test_service import wait

pytestmark = pytest.mark.slow


def test_recording_replays_to_the_same_books(tmp_path: Path) -> None:
    venues = tuple(Venue)
    emu = EmulatorThread(venues=list(venues), seed=5)
    emu.start()
    writer = RecordingWriter(tmp_path, file_bytes=256 * 2**10)  # small files: rotation too
    assert emu.emulator is not None
    eps = {v: Endpoint(e.ws, e.rest) for v, e in emu.emulator.endpoints.items()}
    cfg = build_config(("BTC", "ETH"), venues, source="SIMULATED MARKET")
    p = Provider(
        cfg, endpoints=eps, recorder=writer.write, feed_config=FeedConfig(backoff_base_s=0.1)
    )
    p.start()
    try:
        wait(lambda: all(t.in_sync for vb in p.books.values() for t in vb.trackers.values())
             and sum(len(vb.trackers) for vb in p.books.values()) == 14, 30, "every book in sync")  # fmt: skip
        wait(lambda: all(vb.counters.frames > 50 for vb in p.books.values()), 30, "traffic")
        emu.pause(True)
        wait(lambda: _quiet(p), 10, "no more frames")
        # the books as the live provider holds them (stopping clears them: connections end)
        live = {
            (v.value, m.native): (t.book.top_bids(10_000), t.book.top_asks(10_000))
            for v, vb in p.books.items()
            for m, t in vb.trackers.items()
        }
    finally:
        p.stop()
        emu.stop()
        writer.close()
    rep = replay([str(f) for f in sorted(writer.files)])
    assert len(writer.files) >= 2  # it rotated
    replayed = {}
    for vb in rep.venues.values():
        for m, t in vb.trackers.items():
            replayed[(m.venue.value, m.native)] = (t.book.top_bids(10_000), t.book.top_asks(10_000))
            assert t.in_sync, (m, t.last_reason)
            assert t.counters.gaps == 0 and t.counters.checksums_failed == 0
    assert replayed.keys() == live.keys()
    for key, books in live.items():
        assert replayed[key] == books, key


_last: dict[int, int] = {}


def _quiet(p: Provider) -> bool:
    """True once no venue received a frame since the previous call (the tape has ended)."""
    total = sum(vb.counters.frames for vb in p.books.values())
    prev = _last.get(id(p))
    _last[id(p)] = total
    import time

    time.sleep(0.5)
    return prev == total
