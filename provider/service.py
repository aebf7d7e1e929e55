"""The provider: a daemon thread with its own asyncio loop that keeps every book live and
publishes consolidated, immutable snapshots.

Inside the loop: one ``VenueFeed`` per venue (all of that venue's markets on one connection),
and one consolidation task that, every ``interval_s``, builds each symbol's view from the
books that are in sync and fresh (a venue silent longer than ``max_age_s`` or out of sync is
excluded and flagged, never shown with its last prices), updates the rolling statistics,
records the heatmap history once a second, and swaps in a new ``Snapshot``. Trades go to the
volume profile and the history's trade ring as they arrive.

Every task runs under a supervisor: a task that crashes is logged with its traceback,
counted (shown in venue health) and restarted; none is silently lost. ``start()`` returns
once the loop runs; ``stop()`` cancels everything, closes sockets and returns when the thread
has ended (milliseconds as a rule; the feeds wait up to ``FeedConfig.closing_wait_s`` for
closing handshakes).

Readers on other threads use ``snapshot()``, ``history_window()``/``history_since()``,
``trades()``, ``statistics()``; they only ever get immutable values.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import numpy as np
from websockets.asyncio.client import connect as ws_connect

from provider.capture import Record
from provider.config import DEFAULT_QUOTE, ProviderConfig, SymbolConfig
from provider.consolidate import Consolidated, VenueBook, consolidate, venue_book
from provider.exchanges import adapter_class
from provider.feed import FeedConfig, VenueFeed, backoff
from provider.history import HeatmapWindow, LiquidityHistory, TradeSeries
from provider.models import Market, Trade, Venue
from provider.profile import ProfileView, VolumeProfile
from provider.session import VenueBooks
from provider.state import (
    CONNECTING,
    DISCONNECTED,
    LIVE,
    RESYNCING,
    STALE,
    ProviderStats,
    Snapshot,
    VenueStatus,
)
from provider.stats import RollingStats
from provider.sync import MarketTracker

_R = TypeVar("_R")
log = logging.getLogger(__name__)

Callback = Callable[[Snapshot], None]

EMPTY_PROFILE: ProfileView = VolumeProfile(1.0, session_start=0.0).view()

#: ``stop()`` waits this much longer than the feeds' bound on closing handshakes: the
#: thread also cancels its tasks and closes the HTTP session, on a machine that may be busy
STOP_MARGIN_S = 3.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a venue is reached instead of its live hosts (the emulator)."""

    ws: str
    rest: str


class _SymbolEngine:
    """Per-symbol state that lives in the provider loop: markets, stats, profile, history."""

    def __init__(
        self, cfg: SymbolConfig, pc: ProviderConfig, markets: dict[Venue, Market], now: float
    ) -> None:
        self.cfg = cfg
        self.markets = markets  # venue -> market, for configured venues
        self.venues = tuple(markets)
        self.stats = RollingStats(venues=self.venues or tuple(Venue))
        grid = cfg.grid
        self.session_start = now
        # fixed grids share their bucket with the profile; a bps grid gets a fixed step
        # sized from the first trade price (a profile is a histogram of fixed bins)
        self.profile: VolumeProfile | None = (
            VolumeProfile(grid.step, session_start=now) if grid.kind == "fixed" else None
        )
        self.history = LiquidityHistory(
            self.venues or tuple(Venue),
            seconds=pc.history_seconds,
            width=pc.history_width,
            index_of=lambda p: int(grid.index(np.array([p]))[0]),
        )
        self.history_lock = threading.Lock()
        self.last_second = -1
        self.seq = 0
        self.frames_seen: dict[Venue, int] = {}


def nice_step(x: float) -> float:
    """The 1-2-5 step nearest below ``x`` (e.g. 13.7 -> 10, 0.034 -> 0.02)."""
    if not (x > 0 and math.isfinite(x)):
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * e <= x:
            return m * e
    return e


class Provider:
    """Consolidated order books from several venues, in a thread of their own."""

    def __init__(
        self,
        config: ProviderConfig,
        endpoints: dict[Venue, Endpoint] | None = None,
        connect: Callable[..., Any] = ws_connect,
        clock: Callable[[], float] = time.time,
        recorder: Callable[[Record], None] | None = None,
        feed_config: FeedConfig | None = None,
    ) -> None:
        self.config = config
        self.endpoints = endpoints or {}
        self.connect = connect
        self.clock = clock
        self.recorder = recorder
        self.feed_config = feed_config or FeedConfig()
        self._snapshots: dict[str, Snapshot] = {}
        self._cob_callbacks: list[Callback] = []
        self._bucket_callbacks: list[Callable[[str, Consolidated], None]] = []
        self.callback_errors = 0
        self.leaked_tasks = 0
        self.task_crashes: dict[str, int] = {}
        self._consolidation_ms: deque[float] = deque(maxlen=2000)
        self.consolidations = 0
        self._started_at = clock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.books: dict[Venue, VenueBooks] = {}
        self.feeds: dict[Venue, VenueFeed] = {}
        self._engines: dict[str, _SymbolEngine] = {}
        self._market_symbol: dict[Market, tuple[str, str]] = {}  # market -> (base, quote)
        self._fx_trackers: dict[str, tuple[Venue, Market]] = {}
        self._vb_cache: dict[Market, tuple[int, float, VenueBook]] = {}
        self._build()

    # ------------------------------------------------------------------------- set-up

    def _build(self) -> None:
        pc = self.config
        now = self.clock()
        venue_markets: dict[Venue, list[Market]] = {v: [] for v in pc.venues}
        probes = {v: adapter_class(v)(None) for v in pc.venues}
        for sc in pc.symbols:
            markets: dict[Venue, Market] = {}
            for v, sym in sc.markets:
                if v not in probes:
                    continue
                m = probes[v].market_for(sym)
                markets[v] = m
                venue_markets[v].append(m)
                self._market_symbol[m] = (sc.base, m.quote)
            self._engines[sc.base] = _SymbolEngine(sc, pc, markets, now)
        for quote, v, sym in pc.fx_markets:
            m = probes[v].market_for(sym)
            if m not in venue_markets[v]:
                venue_markets[v].append(m)
            self._fx_trackers[quote] = (v, m)
        for v in pc.venues:
            vb = VenueBooks(v, adapter_class(v), on_trade=self._on_trade)
            self.books[v] = vb
            self._venue_markets = venue_markets

    # ------------------------------------------------------------------------- public API

    def start(self, timeout: float = 10.0) -> Provider:
        """Start the thread and its loop; returns once they run."""
        if self._thread is not None:
            raise RuntimeError("provider already started")
        self._thread = threading.Thread(target=self._run, name="cob-provider", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("provider thread did not start")
        if self._startup_error is not None:
            raise RuntimeError(f"provider failed to start: {self._startup_error}")
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop feeds and consolidation, close sockets; True when the thread has ended.

        Waits up to ``timeout`` (default: the feeds' wait for connections still closing,
        plus ``STOP_MARGIN_S``); a thread still running then is logged with its stack."""
        if self._loop is None or self._thread is None or self._stop is None:
            return True
        if timeout is None:
            timeout = self.feed_config.closing_wait_s + STOP_MARGIN_S
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            return True
        frame = sys._current_frames().get(self._thread.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(gone)"
        log.error("provider thread still running %.1f s after stop; it is at:\n%s", timeout, stack)
        return False

    def snapshot(self, symbol: str) -> Snapshot | None:
        """The latest consolidated snapshot of ``symbol`` (a base asset), or None yet."""
        return self._snapshots.get(symbol.upper())

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.config.bases

    def subscribe_to_cob_updates(self, callback: Callback) -> None:
        """``callback(snapshot)`` after each consolidated update, in the provider thread."""
        self._cob_callbacks.append(callback)

    def subscribe_to_bucket_updates(self, callback: Callable[[str, Consolidated], None]) -> None:
        """``callback(symbol, consolidated)`` with the bucketed view after each update."""
        self._bucket_callbacks.append(callback)

    def history_window(
        self, symbol: str, t_from: float, t_to: float, lo_index: int, n: int, venues: Any = None
    ) -> HeatmapWindow:
        eng = self._engines[symbol.upper()]
        with eng.history_lock:
            return eng.history.window(t_from, t_to, lo_index, n, venues)

    def history_since(
        self, symbol: str, t: float, lo_index: int, n: int, venues: Any = None
    ) -> HeatmapWindow:
        eng = self._engines[symbol.upper()]
        with eng.history_lock:
            return eng.history.since(t, lo_index, n, venues)

    def history_latest(self, symbol: str) -> int | None:
        return self._engines[symbol.upper()].history.latest

    def history_venues(self, symbol: str) -> tuple[Venue, ...]:
        return self._engines[symbol.upper()].history.venues

    def trades(self, symbol: str, t0: float, t1: float) -> TradeSeries:
        eng = self._engines[symbol.upper()]
        with eng.history_lock:
            return eng.history.trades_between(t0, t1)

    def reset_profile(self, symbol: str, session_start: float | None = None) -> None:
        """Start a new volume-profile session (now, or at ``session_start``)."""
        eng = self._engines[symbol.upper()]
        start = self.clock() if session_start is None else session_start

        def reset() -> None:
            eng.session_start = start
            if eng.profile is not None:
                eng.profile.reset(start)

        self._call(reset)

    def statistics(self) -> ProviderStats:
        ms = sorted(self._consolidation_ms)
        return ProviderStats(
            updates_by_venue=tuple((v, vb.counters.frames) for v, vb in self.books.items()),
            consolidations=self.consolidations,
            consolidation_ms_avg=sum(ms) / len(ms) if ms else math.nan,
            consolidation_ms_p99=ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else math.nan,
            callback_errors=self.callback_errors,
            task_crashes=sum(self.task_crashes.values()),
            uptime_s=self.clock() - self._started_at,
        )

    def tracker(self, venue: Venue, symbol: str) -> MarketTracker | None:
        """The live tracker of a venue's market for ``symbol`` (for tests and tools)."""
        eng = self._engines.get(symbol.upper())
        if eng is None or venue not in eng.markets:
            return None
        return self.books[venue].trackers.get(eng.markets[venue])

    def market(self, venue: Venue, symbol: str) -> Market | None:
        eng = self._engines.get(symbol.upper())
        return None if eng is None else eng.markets.get(venue)

    def read_in_loop(self, fn: Callable[[], _R], timeout: float = 10.0) -> _R:
        """``fn()`` run in the provider's thread, which owns the books; its result (or its
        exception) here. For tests and tools that read a live book: read from another
        thread, a book may be half-way through an update."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return fn()

        async def call() -> _R:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout)

    def _call(self, fn: Callable[[], Any]) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(fn)
        else:
            fn()

    # ------------------------------------------------------------------------- the loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            self.leaked_tasks = len(pending)  # 0 after a clean stop; a test holds us to it
            for t in pending:
                log.warning("task still pending at stop: %r", t)
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        timeout = aiohttp.ClientTimeout(total=15)
        http = aiohttp.ClientSession(timeout=timeout)

        async def http_get(url: str) -> tuple[int, bytes]:
            async with http.get(url) as r:
                return r.status, await r.read()

        tasks: list[asyncio.Task[None]] = []
        try:
            for v in self.config.venues:
                ep = self.endpoints.get(v)
                fc = self.feed_config
                cfg = dataclasses.replace(
                    fc,
                    ws_base=ep.ws if ep else fc.ws_base,
                    rest_base=ep.rest if ep else fc.rest_base,
                )
                feed = VenueFeed(
                    self.books[v],
                    self._venue_markets[v],
                    cfg,
                    self.connect,
                    http_get,
                    self.clock,
                    self.recorder,
                )
                self.feeds[v] = feed
                tasks.append(asyncio.create_task(self._supervise(f"feed:{v}", feed.run)))
            tasks.append(
                asyncio.create_task(self._supervise("consolidate", self._consolidate_loop))
            )
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            await http.close()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await http.close()

    async def _supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``run()`` forever; a crash is logged with its traceback, counted, restarted."""
        attempt = 0
        while True:
            try:
                await run()
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                self.task_crashes[name] = self.task_crashes.get(name, 0) + 1
                log.exception(
                    "task %s crashed (%d so far); restarting", name, self.task_crashes[name]
                )
                await asyncio.sleep(backoff(attempt, 0.2, 5.0))
                attempt += 1

    async def _consolidate_loop(self) -> None:
        interval = self.config.interval_s
        loop = asyncio.get_running_loop()
        nxt = loop.time()
        while True:
            nxt += interval
            self.consolidate_once()
            await asyncio.sleep(max(0.0, nxt - loop.time()))
            if loop.time() - nxt > 5 * interval:  # fell far behind: do not try to catch up
                nxt = loop.time()

    # ------------------------------------------------------------------------- trades

    def _on_trade(self, trade: Trade) -> None:
        key = self._market_symbol.get(trade.market)
        if key is None:
            return
        eng = self._engines[key[0]]
        now = self.clock()
        fx = self._fx(key[1], now)
        if math.isnan(fx):
            return  # no live rate for its quote: the trade cannot be placed on the axis
        if eng.profile is None:
            step = nice_step(trade.price * fx * eng.cfg.grid.step / 1e4)
            eng.profile = VolumeProfile(step, session_start=eng.session_start)
        eng.profile.add(trade, now, fx)
        with eng.history_lock:
            eng.history.add_trade(trade, now, fx)

    # ------------------------------------------------------------------------- consolidation

    def _fx(self, quote: str, now: float) -> float:
        """Factor that puts prices quoted in ``quote`` on the axis (USD)."""
        if self.config.fx_mode != "live" or quote == self.config.quote:
            return 1.0
        src = self._fx_trackers.get(quote)
        if src is None:
            return 1.0
        v, m = src
        t = self.books[v].trackers.get(m)
        if t is None or not t.in_sync or not self._fresh(v, now):
            return math.nan  # no live rate: the venue is excluded rather than mis-priced
        bb, ba = t.book.best_bid(), t.book.best_ask()
        if bb is None or ba is None:
            return math.nan
        return (bb + ba) / 2

    def _fresh(self, venue: Venue, now: float) -> bool:
        last = self.books[venue].last_message
        return last is not None and now - last <= self.config.max_age_s

    def consolidate_once(self) -> None:
        """Build and publish every symbol's snapshot now (the loop calls this)."""
        now = self.clock()
        t0 = time.perf_counter()
        for base, eng in self._engines.items():
            snap = self._build_snapshot(eng, now)
            self._snapshots[base] = snap
            self._publish(snap)
        self._consolidation_ms.append(
            (time.perf_counter() - t0) * 1000 / max(1, len(self._engines))
        )
        self.consolidations += 1

    def _build_snapshot(self, eng: _SymbolEngine, now: float) -> Snapshot:
        pc = self.config
        books: list[VenueBook] = []
        statuses: list[VenueStatus] = []
        fx_used: dict[str, float] = {}
        for v in eng.venues:
            m = eng.markets[v]
            fx = self._fx(m.quote, now)
            if not math.isnan(fx):
                fx_used[m.quote] = fx
            status, include = self._venue_status(v, m, fx, now)
            statuses.append(status)
            if include:
                books.append(self._venue_book(v, m, fx))
            frames = self.books[v].counters.frames
            prev = eng.frames_seen.get(v, frames)
            if frames > prev:
                eng.stats.count(v, now, frames - prev)
            eng.frames_seen[v] = frames
        cons = consolidate(
            books, eng.cfg.grid, pc.window_pct, buckets_each_side=pc.buckets_each_side
        )
        eng.stats.update(
            now, cons.mid, cons.spread_bps, cons.bid_notional, cons.ask_notional, cons.imbalance
        )
        sec = int(now)
        if sec != eng.last_second:
            eng.last_second = sec
            self._record_history(eng, cons, now)
        eng.seq += 1
        return Snapshot(
            symbol=eng.cfg.base,
            quote=pc.quote,
            fx_mode=pc.fx_mode,
            ts=now,
            seq=eng.seq,
            source=pc.source,
            consolidated=cons,
            books=tuple(books),
            venues=tuple(statuses),
            stats=eng.stats.view(now),
            profile=eng.profile.view() if eng.profile else EMPTY_PROFILE,
            fx=tuple(sorted(fx_used.items())),
        )

    def _venue_book(self, v: Venue, m: Market, fx: float) -> VenueBook:
        """The venue's book as arrays, rebuilt only when the book (or its fx) changed."""
        book = self.books[v].trackers[m].book
        cached = self._vb_cache.get(m)
        if cached is not None and cached[0] == book.version and cached[1] == fx:
            return cached[2]
        vb = venue_book(v, m, book, fx)
        self._vb_cache[m] = (book.version, fx, vb)
        return vb

    def _record_history(self, eng: _SymbolEngine, cons: Consolidated, now: float) -> None:
        b = cons.buckets
        nv = len(eng.venues)
        n = b.lower.size
        sizes = np.full((nv, n), np.nan)
        included = np.zeros(nv, dtype=bool)
        for i, v in enumerate(cons.venues):
            row = eng.venues.index(v)
            sizes[row] = b.bid_size[i] + b.ask_size[i]
            included[row] = True
        if n == 0 or math.isnan(cons.mid):
            return
        with eng.history_lock:
            eng.history.record(
                now, b.first, sizes, cons.best_bid, cons.best_ask, cons.mid, included=included
            )

    def _venue_status(self, v: Venue, m: Market, fx: float, now: float) -> tuple[VenueStatus, bool]:
        vb = self.books[v]
        feed = self.feeds.get(v)
        h = feed.health if feed else None
        t = vb.trackers.get(m)
        last = vb.last_message
        age = now - last if last is not None else math.nan
        connected = bool(h and h.connected)
        in_sync = bool(t and t.in_sync)
        reason = ""
        if not connected and last is None:
            state, reason = CONNECTING, "connecting"
        elif not connected:
            state, reason = DISCONNECTED, (h.last_error if h and h.last_error else "disconnected")
        elif not (age <= self.config.max_age_s):
            state, reason = STALE, f"silent for {age:.1f} s"
        elif not in_sync:
            state = RESYNCING
            reason = t.last_reason if t and t.last_reason else "waiting for snapshot"
        else:
            state = LIVE
        if state == LIVE and math.isnan(fx):
            reason = f"no live {m.quote}/USD rate"
        include = state == LIVE and not reason
        c = t.counters if t else None
        rec = sorted(t.recoveries) if t else []
        return (
            VenueStatus(
                venue=v,
                market=m.native,
                symbol=m.symbol,
                quote=m.quote,
                fx=1.0 if math.isnan(fx) else fx,
                state=state,
                included=include,
                reason=reason,
                connected=connected,
                in_sync=in_sync,
                age_s=age,
                msgs_per_s=h.rate(now) if h else 0.0,
                reconnects=max(0, h.connects - 1) if h else 0,
                resyncs=c.resyncs if c else 0,
                gaps=c.gaps + vb.counters.connection_gaps if c else vb.counters.connection_gaps,
                checksums_ok=c.checksums_ok if c else 0,
                checksums_failed=c.checksums_failed if c else 0,
                crossed=c.crossed if c else 0,
                parse_errors=vb.counters.parse_errors + (c.bad_levels if c else 0),
                venue_errors=vb.counters.venue_errors,
                task_crashes=self.task_crashes.get(f"feed:{v}", 0),
                last_error=(h.last_error if h and h.last_error else vb.counters.last_error),
                recovery_p50_s=rec[len(rec) // 2] if rec else math.nan,
                recovery_p99_s=rec[min(len(rec) - 1, int(len(rec) * 0.99))] if rec else math.nan,
            ),
            include,
        )

    def _publish(self, snap: Snapshot) -> None:
        for cb in self._cob_callbacks:
            try:
                cb(snap)
            except Exception:
                self.callback_errors += 1
                log.exception("COB update callback failed (%d so far)", self.callback_errors)
        for bcb in self._bucket_callbacks:
            try:
                bcb(snap.symbol, snap.consolidated)
            except Exception:
                self.callback_errors += 1
                log.exception("bucket update callback failed (%d so far)", self.callback_errors)


def default_quote(venue: Venue) -> str:
    return DEFAULT_QUOTE[venue]
