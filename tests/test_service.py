"""The provider thread against the emulator on 127.0.0.1: sync, faults, staleness, stop."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bench.soak import books_differing
from provider.config import build_config
from provider.emulator.faults import Fault
from provider.emulator.server import EmulatorThread
from provider.feed import FeedConfig
from provider.models import Venue
from provider.service import Endpoint, Provider
from provider.state import LIVE, STALE

pytestmark = pytest.mark.slow

ALL = tuple(Venue)
SYMBOLS = ("BTC", "ETH")


def wait(cond: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    emu = EmulatorThread(venues=list(ALL), seed=11)
    emu.start()
    yield emu
    emu.stop()


def start_provider(emu: EmulatorThread, venues=ALL, **cfg_kw) -> Provider:  # type: ignore[no-untyped-def]
    assert emu.emulator is not None
    eps = {v: Endpoint(e.ws, e.rest) for v, e in emu.emulator.endpoints.items() if v in venues}
    cfg = build_config(SYMBOLS, venues, source="SIMULATED MARKET", **cfg_kw)
    fc = FeedConfig(backoff_base_s=0.1, backoff_cap_s=1.0, silence_reconnect_s=6.0)
    return Provider(cfg, endpoints=eps, feed_config=fc).start()


def settle(p: Provider, emu: EmulatorThread, timeout: float = 20.0) -> None:
    """Pause the market and wait until every book equals the emulator's."""
    emu.pause(True)
    try:
        wait(lambda: not books_differing(p, emu, 15), timeout, "books equal to the emulator's")
    finally:
        emu.pause(False)


def test_every_venue_in_sync_and_equal_to_the_emulator(emulator: EmulatorThread) -> None:
    p = start_provider(emulator)
    try:
        settle(p, emulator)
        # (while the market was paused some venues fell silent and were flagged stale:
        # wait until the resumed traffic has brought every one back)
        wait(
            lambda: all(
                s and set(s.consolidated.venues) == set(ALL) for s in map(p.snapshot, SYMBOLS)
            ),
            15,
        )
        for sym in SYMBOLS:
            snap = p.snapshot(sym)
            assert snap is not None
            assert set(snap.consolidated.venues) == set(ALL), sym
            assert all(v.state == LIVE for v in snap.venues)
            assert not math.isnan(snap.consolidated.mid)
        stats = p.statistics()
        assert stats.task_crashes == 0 and stats.callback_errors == 0
        assert all(n > 0 for _, n in stats.updates_by_venue)
    finally:
        assert p.stop()


def test_close_gap_and_silence_are_detected_and_recovered(emulator: EmulatorThread) -> None:
    venues = (Venue.BINANCE, Venue.BYBIT, Venue.HUOBI)
    p = start_provider(emulator, venues)
    try:
        settle(p, emulator)
        # the server drops the connection: reconnect with backoff, books recover
        emulator.inject(Venue.BYBIT, Fault.CLOSE)
        wait(lambda: p.feeds[Venue.BYBIT].health.connects >= 2, what="bybit reconnect")
        # a lost diff: Binance resyncs from a REST snapshot
        t = p.tracker(Venue.BINANCE, "BTC")
        assert t is not None
        wait(lambda: t.counters.deltas > 3)
        emulator.inject(Venue.BINANCE, Fault.DROP)
        wait(lambda: t.counters.gaps + t.counters.stale_snapshots >= 1, what="binance gap")
        wait(lambda: t.counters.resyncs >= 1, what="binance resync")
        settle(p, emulator)
        # a silent venue is excluded from the consolidated view, then comes back
        emulator.inject(Venue.HUOBI, Fault.SILENCE, 7.0)
        wait(lambda: _state(p, Venue.HUOBI) == STALE, 12, "huobi stale")
        snap = p.snapshot("BTC")
        assert snap is not None and Venue.HUOBI not in snap.consolidated.venues
        wait(lambda: _state(p, Venue.HUOBI) == LIVE, 25, "huobi back")
        snap = p.snapshot("BTC")
        assert snap is not None and Venue.HUOBI in snap.consolidated.venues
        settle(p, emulator)
        assert p.statistics().task_crashes == 0
    finally:
        assert p.stop()


def _state(p: Provider, venue: Venue) -> str:
    snap = p.snapshot("BTC")
    st = snap.venue(venue) if snap else None
    return st.state if st else ""


def test_stop_is_clean(emulator: EmulatorThread) -> None:
    p = start_provider(emulator, (Venue.BINANCE, Venue.OKX))
    wait(lambda: bool(p.snapshot("BTC") and p.snapshot("BTC").consolidated.venues))  # type: ignore[union-attr]
    before = threading.active_count()
    assert p.stop()  # within the feeds' closing bound plus STOP_MARGIN_S
    assert threading.active_count() <= before
    assert all(not f.health.connected for f in p.feeds.values())
    assert p.leaked_tasks == 0  # every task ended before the loop closed


def test_a_provider_thread_that_does_not_stop_is_reported_with_its_stack(
    emulator: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    p = start_provider(emulator, (Venue.BYBIT,))
    entered, release = threading.Event(), threading.Event()

    def stuck_in_a_callback(snap) -> None:  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(30)

    p.subscribe_to_cob_updates(stuck_in_a_callback)
    try:
        wait(entered.is_set)
        with caplog.at_level(logging.ERROR, logger="provider.service"):
            assert not p.stop(timeout=0.2)
        (rec,) = [r for r in caplog.records if r.name == "provider.service"]
        assert "provider thread still running 0.2 s after stop" in rec.getMessage()
        assert "in stuck_in_a_callback" in rec.getMessage()
    finally:
        release.set()
        assert p.stop()
    assert p.leaked_tasks == 0


def test_read_in_loop_runs_in_the_provider_thread(emulator: EmulatorThread) -> None:
    p = start_provider(emulator, (Venue.BYBIT,))
    try:
        assert p._thread is not None
        assert p.read_in_loop(threading.get_ident) == p._thread.ident != threading.get_ident()
        with pytest.raises(KeyError, match="nope"):
            p.read_in_loop(lambda: {}["nope"])
    finally:
        assert p.stop()
    assert p.read_in_loop(threading.get_ident) == threading.get_ident()  # stopped: here


def test_a_crashing_callback_is_counted_and_never_stops_the_provider(
    emulator: EmulatorThread,
) -> None:
    p = start_provider(emulator, (Venue.BYBIT,))
    seen: list[int] = []

    def bad(snap) -> None:  # type: ignore[no-untyped-def]
        seen.append(snap.seq)
        raise RuntimeError("user callback bug")

    p.subscribe_to_cob_updates(bad)
    try:
        wait(lambda: len(seen) > 10)
        assert p.statistics().callback_errors >= 10
        n = p.statistics().consolidations
        wait(lambda: p.statistics().consolidations > n + 5)
    finally:
        assert p.stop()


def test_live_quote_conversion_uses_a_usdt_usd_book(emulator: EmulatorThread) -> None:
    p = start_provider(emulator, (Venue.BINANCE, Venue.KRAKEN), fx_mode="live")
    try:
        wait(lambda: bool(p.snapshot("BTC") and len(p.snapshot("BTC").consolidated.venues) == 2))  # type: ignore[union-attr]
        snap = p.snapshot("BTC")
        assert snap is not None
        fx = dict(snap.fx)
        kraken_usdt = p.books[Venue.KRAKEN].trackers[
            p.books[Venue.KRAKEN].adapter_factory(None).market_for("USDT/USD")
        ]
        rate = (kraken_usdt.book.best_bid() + kraken_usdt.book.best_ask()) / 2  # type: ignore[operator]
        assert fx["USDT"] == pytest.approx(rate, rel=1e-3) and fx["USDT"] != 1.0
        binance = next(b for b in snap.books if b.venue is Venue.BINANCE)
        assert binance.fx == fx["USDT"]
        raw_bid = p.tracker(Venue.BINANCE, "BTC").book.best_bid()  # type: ignore[union-attr]
        assert binance.bid_px[0] == pytest.approx(raw_bid * binance.fx, rel=1e-3)
        st = snap.venue(Venue.BINANCE)
        assert st is not None and st.quote == "USDT"
    finally:
        assert p.stop()
