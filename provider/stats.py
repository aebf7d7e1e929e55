"""Rolling statistics of the consolidated book over short time windows (1 s, 5 s, 60 s).

What it is for: the "realtime stats" panel and the provider statistics (update counts per
venue). The provider calls ``update`` once per consolidated update (about 10 per second per
symbol) and ``count`` once per venue book update; ``view(now)`` returns a frozen summary.

Rules, all here:

* A window of ``w`` seconds at time ``now`` holds the samples with ``now - w < t <= now``
  (a sample exactly ``w`` old has left it).
* Per window and metric: min, max and average of the *finite* samples; NaN (or infinite)
  inputs (an undefined mid or spread when one side of the book is empty) are skipped, not
  averaged, and a metric with no finite sample reports NaN and ``n = 0``. Liquidity is
  ``bid + ask``, so it is NaN when either is.
* ``updates`` counts every consolidated update in the window (also those with NaN metrics);
  ``venue_updates`` counts ``count(venue, t, n)`` calls, weighted by ``n``.
* Time never runs backwards here: a ``now`` older than the latest time seen is taken as that
  latest time (a stepped wall clock must not resurrect expired samples).

Cost: ``update`` and ``count`` are O(1) amortised. Min/max use monotonic deques; sums are
compensated (Neumaier) running sums, so a huge value that enters and leaves does not wipe out
the small ones, and they are re-added exactly (``math.fsum``) from the window's samples once
as many samples have left as the window holds, so rounding error cannot pile up either.
Memory is bounded by the samples inside the longest window (rate x window).

What it must not do: no I/O, no clock (``now`` is passed in), no threads, no Dash imports.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from provider.models import Venue

#: Metrics kept per window, in this order.
METRICS = ("mid", "spread_bps", "liquidity", "imbalance")
_NM = len(METRICS)
_NAN = math.nan
_isfinite = math.isfinite


@dataclass(frozen=True, slots=True)
class Summary:
    """Min, max and average of the finite samples of one metric in one window."""

    min: float
    max: float
    avg: float
    n: int


_EMPTY = Summary(_NAN, _NAN, _NAN, 0)


@dataclass(frozen=True, slots=True)
class WindowStats:
    """One window. ``venue_updates`` is aligned with ``StatsView.venues``."""

    window: float
    updates: int
    venue_updates: tuple[int, ...]
    mid: Summary
    spread_bps: Summary
    liquidity: Summary
    imbalance: Summary

    @property
    def update_rate(self) -> float:
        """Consolidated updates per second over the window."""
        return self.updates / self.window


@dataclass(frozen=True, slots=True)
class StatsView:
    """All windows at ``now`` (ascending by length) plus all-time counts."""

    now: float
    venues: tuple[Venue, ...]
    windows: tuple[WindowStats, ...]
    total_updates: int
    total_venue_updates: tuple[int, ...]

    def window(self, seconds: float) -> WindowStats:
        for w in self.windows:
            if w.window == seconds:
                return w
        raise KeyError(f"no {seconds!r} s window; windows are {[w.window for w in self.windows]}")

    def venue_updates(self, venue: Venue, seconds: float) -> int:
        return self.window(seconds).venue_updates[self.venues.index(venue)]


class _Window:
    """Samples of one window with running sums and monotonic min/max deques per metric."""

    __slots__ = ("comps", "counts", "maxs", "mins", "n", "removed", "samples", "sums", "w")

    def __init__(self, w: float, n_venues: int) -> None:
        self.w = w
        self.samples: deque[tuple[float, tuple[float, ...]]] = deque()
        self.sums = [0.0] * _NM
        self.comps = [0.0] * _NM  # Neumaier compensation of each running sum
        self.n = [0] * _NM
        self.removed = 0
        # (t, value) pairs; mins hold increasing values, maxs decreasing values.
        self.mins: list[deque[tuple[float, float]]] = [deque() for _ in range(_NM)]
        self.maxs: list[deque[tuple[float, float]]] = [deque() for _ in range(_NM)]
        # per venue: (t, n) pairs and their running total
        self.counts: list[tuple[deque[tuple[float, int]], list[int]]] = [
            (deque(), [0]) for _ in range(n_venues)
        ]

    def push(self, t: float, values: tuple[float, ...]) -> None:
        self.samples.append((t, values))
        sums, comps, n = self.sums, self.comps, self.n
        for i, v in enumerate(values):
            if v != v:  # NaN
                continue
            s = sums[i]
            t_ = s + v
            comps[i] += (s - t_) + v if abs(s) >= abs(v) else (v - t_) + s
            sums[i] = t_
            n[i] += 1
            mn = self.mins[i]
            while mn and mn[-1][1] >= v:
                mn.pop()
            mn.append((t, v))
            mx = self.maxs[i]
            while mx and mx[-1][1] <= v:
                mx.pop()
            mx.append((t, v))

    def prune(self, now: float) -> None:
        cut = now - self.w
        samples = self.samples
        if samples and samples[0][0] <= cut:
            sums, comps, n = self.sums, self.comps, self.n
            while samples and samples[0][0] <= cut:
                _, values = samples.popleft()
                self.removed += 1
                for i, v in enumerate(values):
                    if v == v:
                        s = sums[i]
                        t_ = s - v
                        comps[i] += (s - t_) - v if abs(s) >= abs(v) else (-v - t_) + s
                        sums[i] = t_
                        n[i] -= 1
            for dq in (*self.mins, *self.maxs):
                while dq and dq[0][0] <= cut:
                    dq.popleft()
            if self.removed >= len(samples):
                self._resum()

    def _resum(self) -> None:
        self.removed = 0
        for i in range(_NM):
            self.sums[i] = math.fsum(v[i] for _, v in self.samples if v[i] == v[i])
            self.comps[i] = 0.0

    def prune_counts(self, pos: int, now: float) -> None:
        cut = now - self.w
        dq, total = self.counts[pos]
        while dq and dq[0][0] <= cut:
            total[0] -= dq.popleft()[1]

    def summary(self, i: int) -> Summary:
        n = self.n[i]
        if n == 0:
            return _EMPTY
        avg = (self.sums[i] + self.comps[i]) / n
        return Summary(self.mins[i][0][1], self.maxs[i][0][1], avg, n)


class RollingStats:
    """Rolling min/max/avg of mid, spread, liquidity and imbalance, and update counts."""

    __slots__ = ("_last", "_total", "_venue_totals", "_vpos", "_windows", "venues")

    def __init__(
        self,
        windows: Sequence[float] = (1.0, 5.0, 60.0),
        venues: Sequence[Venue] = tuple(Venue),
    ) -> None:
        ws = [float(w) for w in windows]
        if not ws or any(not (math.isfinite(w) and w > 0) for w in ws) or len(set(ws)) != len(ws):
            raise ValueError(f"windows must be distinct positive finite seconds, got {windows!r}")
        if not venues or len(set(venues)) != len(venues):
            raise ValueError(f"venues must be non-empty and distinct, got {venues!r}")
        self.venues: tuple[Venue, ...] = tuple(venues)
        self._vpos = {v: i for i, v in enumerate(self.venues)}
        self._windows = [_Window(w, len(self.venues)) for w in sorted(ws)]
        self._last = -math.inf
        self._total = 0
        self._venue_totals = [0] * len(self.venues)

    @property
    def windows(self) -> tuple[float, ...]:
        return tuple(w.w for w in self._windows)

    def _clock(self, now: float) -> float:
        if now != now or now in (math.inf, -math.inf):
            raise ValueError(f"time must be finite, got {now!r}")
        if now < self._last:
            return self._last
        self._last = now
        return now

    def update(
        self,
        now: float,
        mid: float,
        spread_bps: float,
        bid_liquidity: float,
        ask_liquidity: float,
        imbalance: float,
    ) -> None:
        """Record one consolidated update (NaN metrics are skipped, the update still counts)."""
        now = self._clock(now)
        raw = (float(mid), float(spread_bps), bid_liquidity + ask_liquidity, float(imbalance))
        values = tuple(v if _isfinite(v) else _NAN for v in raw)
        self._total += 1
        for w in self._windows:
            w.push(now, values)
            w.prune(now)

    def count(self, venue: Venue, now: float, n: int = 1) -> None:
        """Record ``n`` book updates from ``venue`` at ``now``."""
        pos = self._vpos.get(venue)
        if pos is None:
            raise ValueError(f"venue {venue} is not one of {self.venues}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n!r}")
        now = self._clock(now)
        self._venue_totals[pos] += n
        for w in self._windows:
            dq, total = w.counts[pos]
            if dq and dq[-1][0] == now:
                dq[-1] = (now, dq[-1][1] + n)
            else:
                dq.append((now, n))
            total[0] += n
            w.prune_counts(pos, now)

    def view(self, now: float) -> StatsView:
        """Frozen statistics of every window ending at ``now``."""
        now = self._clock(now)
        out = []
        for w in self._windows:
            w.prune(now)
            for pos in range(len(self.venues)):
                w.prune_counts(pos, now)
            out.append(
                WindowStats(
                    window=w.w,
                    updates=len(w.samples),
                    venue_updates=tuple(total[0] for _, total in w.counts),
                    mid=w.summary(0),
                    spread_bps=w.summary(1),
                    liquidity=w.summary(2),
                    imbalance=w.summary(3),
                )
            )
        return StatsView(
            now=now,
            venues=self.venues,
            windows=tuple(out),
            total_updates=self._total,
            total_venue_updates=tuple(self._venue_totals),
        )
