"""Liquidity history for the heatmap: one row per second per venue on a fixed price grid.

What it is for: the liquidity heatmap (time x price, coloured by resting size) and the
trade overlay drawn on it. The provider records one row per second from the consolidated
buckets; Dash callbacks ask for a window (the whole hour on first draw, then only the rows
``since`` the last one they have).

The grid is not known here: prices are integer bucket indices on the caller's fixed grid
(``provider.grid``), so bucket edges never move; only the range a row keeps moves with the
market. ``index_of`` (price -> bucket index, e.g. the grid's index function) is optional
and only used to centre a row on its mid.

Rules, all here:

* ``record(t, ...)`` writes the row of second ``floor(t)``. Recording a second twice keeps
  the last call. A second older than the ring holds (``<= latest - seconds``) is refused
  (returns False). Seconds nobody recorded are *not recorded*: NaN in every output, never
  zero liquidity. No clearing is needed for gaps: each ring slot remembers which second it
  holds, and a slot holding another second reads as not recorded.
* A row keeps ``width`` buckets centred on its own centre bucket: ``centre`` if given, else
  ``index_of(mid)`` when ``index_of`` was given and ``mid`` is finite, else the middle of the
  given array (``lo_index + n // 2``). The row's first bucket is ``centre - width // 2``.
  The given ``sizes[venue, bucket]`` (first bucket ``lo_index``) is cropped to that range;
  buckets of the range the array does not cover are *unknown* (NaN), not zero.
* A venue is excluded from a row (stale / out of sync: NaN in that row) when ``included`` says
  so, or when its whole row in ``sizes`` is NaN. Any other size must be finite and >= 0
  (ValueError otherwise).
* ``window(t_from, t_to, lo_index, n_buckets, venues)`` covers every second from
  ``floor(t_from)`` to ``floor(t_to)`` (both included; at most the last ``seconds`` of them)
  and the buckets ``lo_index .. lo_index + n_buckets - 1``. A cell is the sum over the
  selected venues that were included in that row; it is NaN when the row was not recorded,
  when no selected venue was included, or when the bucket lies outside the row's covered
  range. ``since(t, ...)`` is the window from the second after ``floor(t)`` to the latest
  recorded second.
* Trades for the overlay live in a fixed ring of ``max_trades`` (the oldest is dropped):
  time, price in the consolidation quote (``price * fx``), size, taker side (+1 buy, -1 sell)
  and venue (index into ``venues``).

Memory is allocated once: ``seconds * len(venues) * width`` float32 sizes plus a few small
per-row and per-trade arrays (see ``nbytes``). Uncovered/excluded cells are stored as zeros
and turned into NaN from per-row metadata on the way out, so a window is one weighted sum
over venues (``einsum``) and one gather, with no Python loop over rows.

What it must not do: no I/O, no clock (times are passed in), no threads, no Dash imports.
It is used from one thread; windows are frozen copies with read-only arrays.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from provider.models import Side, Trade, Venue

#: ``sliding_window_view`` reads the array's ``__array_interface__``, a dict numpy builds with
#: a newly interned "typestr" key on each read; the key dies with the dict, and each such
#: intern-and-drop uses up a slot of CPython's intern table until the table doubles (about 20
#: minutes into a soak: a one-time +1 MB of resident memory). A live reference keeps the key
#: interned, so reading the interface inserts nothing.
KEPT_INTERNED = sys.intern("typestr")

_EMPTY_SEC = np.iinfo(np.int64).min
_NAN32 = np.float32(np.nan)

#: A selection of venues: None (all), a boolean mask aligned with ``venues``, or venues.
VenueSelection = Sequence[bool] | NDArray[np.bool_] | Sequence[Venue] | None


def _ro(*arrays: NDArray[np.generic]) -> None:
    for a in arrays:
        a.flags.writeable = False


@dataclass(frozen=True, slots=True)
class HeatmapWindow:
    """Rows ``times`` (row starts, ascending, one per ``step`` seconds) x buckets
    ``lo_index + j``.

    ``z[i, j]`` is the summed size (float32) of bucket ``lo_index + j`` at ``times[i]``;
    ``recorded[i]`` says whether that second was recorded; ``best_bid``, ``best_ask`` and
    ``mid`` are NaN where it was not.
    """

    times: NDArray[np.float64]
    lo_index: int
    z: NDArray[np.float32]
    best_bid: NDArray[np.float64]
    best_ask: NDArray[np.float64]
    mid: NDArray[np.float64]
    recorded: NDArray[np.bool_]
    venues: tuple[Venue, ...]
    step: float = 1.0  # seconds per row (see ``coarsen``)

    @property
    def n_buckets(self) -> int:
        return int(self.z.shape[1])

    @property
    def buckets(self) -> NDArray[np.int64]:
        """Bucket index of each column."""
        return np.arange(self.lo_index, self.lo_index + self.n_buckets, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One stored row as kept: ``sizes[venue, k]`` is bucket ``lo_index + k``.

    Excluded venues and buckets the recorded array did not cover are NaN.
    """

    time: int
    lo_index: int
    sizes: NDArray[np.float32]
    included: NDArray[np.bool_]
    best_bid: float
    best_ask: float
    mid: float


@dataclass(frozen=True, slots=True)
class TradeSeries:
    """Trades ordered by time (ties in arrival order); ``venue`` indexes ``venues``."""

    time: NDArray[np.float64]
    price: NDArray[np.float64]
    size: NDArray[np.float64]
    side: NDArray[np.int8]
    venue: NDArray[np.int8]
    venues: tuple[Venue, ...]

    def __len__(self) -> int:
        return len(self.time)


class LiquidityHistory:
    """A preallocated ring of per-second, per-venue liquidity rows and a ring of trades."""

    def __init__(
        self,
        venues: Sequence[Venue],
        seconds: int = 3600,
        width: int = 400,
        *,
        max_trades: int = 20_000,
        index_of: Callable[[float], int] | None = None,
    ) -> None:
        if not venues or len(set(venues)) != len(venues):
            raise ValueError(f"venues must be non-empty and distinct, got {venues!r}")
        if len(venues) > 127:
            raise ValueError("at most 127 venues")
        for name, value in (("seconds", seconds), ("width", width), ("max_trades", max_trades)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.venues: tuple[Venue, ...] = tuple(venues)
        self.seconds = int(seconds)
        self.width = int(width)
        self.max_trades = int(max_trades)
        self._index_of = index_of
        self._vpos = {v: i for i, v in enumerate(self.venues)}
        nv, s = len(self.venues), self.seconds
        # Every array is written once here (np.full, never np.zeros/np.empty, whose pages
        # the OS commits only when first written), so the memory is resident from the
        # start: RSS does not creep up as the hour and the trade ring fill.
        self._sizes = np.full((s, nv, self.width), 0.0, dtype=np.float32)
        self._sec = np.full(s, _EMPTY_SEC, dtype=np.int64)
        self._lo = np.full(s, 0, dtype=np.int64)
        self._cov_lo = np.full(s, 0, dtype=np.int64)
        self._cov_hi = np.full(s, 0, dtype=np.int64)
        self._incl = np.full((s, nv), False, dtype=np.bool_)
        self._bid = np.full(s, 0.0, dtype=np.float64)
        self._ask = np.full(s, 0.0, dtype=np.float64)
        self._mid = np.full(s, 0.0, dtype=np.float64)
        self._latest: int | None = None
        m = self.max_trades
        self._t_time = np.full(m, 0.0, dtype=np.float64)
        self._t_price = np.full(m, 0.0, dtype=np.float64)
        self._t_size = np.full(m, 0.0, dtype=np.float64)
        self._t_side = np.full(m, 0, dtype=np.int8)
        self._t_venue = np.full(m, 0, dtype=np.int8)
        self._t_count = 0

    # ------------------------------------------------------------------------- bookkeeping

    @property
    def latest(self) -> int | None:
        """The newest recorded second, or None."""
        return self._latest

    @property
    def nbytes(self) -> int:
        """Bytes held by the preallocated arrays (fixed at construction)."""
        arrays = (
            self._sizes,
            self._sec,
            self._lo,
            self._cov_lo,
            self._cov_hi,
            self._incl,
            self._bid,
            self._ask,
            self._mid,
            self._t_time,
            self._t_price,
            self._t_size,
            self._t_side,
            self._t_venue,
        )
        return sum(a.nbytes for a in arrays)

    def clear(self) -> None:
        """Forget every row and trade (memory stays allocated)."""
        self._sec.fill(_EMPTY_SEC)
        self._latest = None
        self._t_count = 0

    def _mask(self, venues: VenueSelection) -> NDArray[np.bool_]:
        nv = len(self.venues)
        if venues is None:
            return np.ones(nv, dtype=np.bool_)
        items = list(venues)
        if not items:
            return np.zeros(nv, dtype=np.bool_)
        if all(isinstance(v, Venue) for v in items):
            mask = np.zeros(nv, dtype=np.bool_)
            for v in items:
                pos = self._vpos.get(v)
                if pos is None:
                    raise ValueError(f"venue {v} is not one of {self.venues}")
                mask[pos] = True
            return mask
        mask = np.asarray(items, dtype=np.bool_)
        if mask.shape != (nv,):
            raise ValueError(f"venue mask must have {nv} booleans, got shape {mask.shape}")
        return mask

    # ------------------------------------------------------------------------- rows

    def record(
        self,
        t: float,
        lo_index: int,
        sizes: ArrayLike,
        best_bid: float,
        best_ask: float,
        mid: float,
        *,
        included: Sequence[bool] | NDArray[np.bool_] | None = None,
        centre: int | None = None,
    ) -> bool:
        """Store the row of second ``floor(t)``; False if that second is too old to keep.

        ``sizes[v, k]`` is the size of venue ``venues[v]`` in bucket ``lo_index + k``.
        """
        if not math.isfinite(t):
            raise ValueError(f"time must be finite, got {t!r}")
        sec = math.floor(t)
        if self._latest is not None and sec <= self._latest - self.seconds:
            return False
        arr = np.asarray(sizes, dtype=np.float64)
        nv = len(self.venues)
        if arr.ndim != 2 or arr.shape[0] != nv:
            raise ValueError(f"sizes must have shape ({nv}, n_buckets), got {arr.shape}")
        incl = np.ones(nv, dtype=np.bool_) if included is None else np.array(included, bool)
        if incl.shape != (nv,):
            raise ValueError(f"included must have {nv} booleans, got shape {incl.shape}")
        n = arr.shape[1]
        if n:
            incl &= ~np.isnan(arr).all(axis=1)
            kept = arr[incl]
            if not np.isfinite(kept).all() or (kept < 0).any():
                raise ValueError("sizes of included venues must be finite and >= 0")
        lo_index = int(lo_index)
        if centre is None:
            if self._index_of is not None and math.isfinite(mid):
                centre = int(self._index_of(mid))
            else:
                centre = lo_index + n // 2
        row_lo = int(centre) - self.width // 2
        a = max(lo_index, row_lo)
        b = max(a, min(lo_index + n, row_lo + self.width))
        slot = sec % self.seconds
        row = self._sizes[slot]
        row.fill(0.0)
        if b > a:
            row[incl, a - row_lo : b - row_lo] = arr[incl, a - lo_index : b - lo_index]
        self._sec[slot] = sec
        self._lo[slot] = row_lo
        self._cov_lo[slot] = a
        self._cov_hi[slot] = b
        self._incl[slot] = incl
        self._bid[slot] = best_bid
        self._ask[slot] = best_ask
        self._mid[slot] = mid
        if self._latest is None or sec > self._latest:
            self._latest = sec
        return True

    def row(self, t: float) -> HistoryRow | None:
        """The stored row of second ``floor(t)``, or None if it is not recorded."""
        sec = math.floor(t)
        slot = sec % self.seconds
        if self._sec[slot] != sec:
            return None
        lo = int(self._lo[slot])
        sizes = self._sizes[slot].copy()
        incl = self._incl[slot].copy()
        sizes[~incl] = np.nan
        sizes[:, : int(self._cov_lo[slot]) - lo] = np.nan
        sizes[:, int(self._cov_hi[slot]) - lo :] = np.nan
        _ro(sizes, incl)
        return HistoryRow(
            time=sec,
            lo_index=lo,
            sizes=sizes,
            included=incl,
            best_bid=float(self._bid[slot]),
            best_ask=float(self._ask[slot]),
            mid=float(self._mid[slot]),
        )

    def window(
        self,
        t_from: float,
        t_to: float,
        lo_index: int,
        n_buckets: int,
        venues: VenueSelection = None,
    ) -> HeatmapWindow:
        """Summed sizes of the selected venues, one row per second (see the module rules)."""
        if not (math.isfinite(t_from) and math.isfinite(t_to)):
            raise ValueError(f"window times must be finite, got {t_from!r}, {t_to!r}")
        if n_buckets < 0:
            raise ValueError(f"n_buckets must be >= 0, got {n_buckets!r}")
        mask = self._mask(venues)
        s1 = math.floor(t_to)
        s0 = max(math.floor(t_from), s1 - self.seconds + 1)
        return self._window(s0, s1, int(lo_index), int(n_buckets), mask)

    def since(
        self, t: float, lo_index: int, n_buckets: int, venues: VenueSelection = None
    ) -> HeatmapWindow:
        """Rows of the seconds after ``floor(t)`` up to the latest recorded second."""
        mask = self._mask(venues)
        s0 = math.floor(t) + 1
        s1 = s0 - 1 if self._latest is None else self._latest
        s0 = max(s0, s1 - self.seconds + 1)
        return self._window(s0, s1, int(lo_index), int(n_buckets), mask)

    def _window(self, s0: int, s1: int, lo: int, n: int, mask: NDArray[np.bool_]) -> HeatmapWindow:
        r = max(0, s1 - s0 + 1)
        secs = np.arange(s0, s0 + r, dtype=np.int64)
        slots = secs % self.seconds
        recorded = self._sec[slots] == secs
        row_ok = recorded & (self._incl[slots] & mask).any(axis=1)
        row_lo = self._lo[slots]
        z = self._gather(slots, row_ok, row_lo, lo, n, mask)
        nan = np.float64(np.nan)
        times = secs.astype(np.float64)
        bid = np.where(recorded, self._bid[slots], nan)
        ask = np.where(recorded, self._ask[slots], nan)
        mid = np.where(recorded, self._mid[slots], nan)
        _ro(times, z, bid, ask, mid, recorded)
        sel = tuple(v for v, m in zip(self.venues, mask) if m)
        return HeatmapWindow(times, lo, z, bid, ask, mid, recorded, sel)

    def _gather(
        self,
        slots: NDArray[np.int64],
        row_ok: NDArray[np.bool_],
        row_lo: NDArray[np.int64],
        lo: int,
        n: int,
        mask: NDArray[np.bool_],
    ) -> NDArray[np.float32]:
        r = len(slots)
        if r == 0 or n == 0 or not row_ok.any():
            return np.full((r, n), _NAN32, dtype=np.float32)
        shift = lo - row_lo  # stored column of output column 0, per row
        good = shift[row_ok]
        # Stored columns any good row needs: k in [k0, k1).
        k0 = max(0, int(good.min()))
        k1 = min(self.width, int(good.max()) + n)
        if k1 <= k0:
            return np.full((r, n), _NAN32, dtype=np.float32)
        wk = k1 - k0
        # Output columns of each row that hold data: j in [ja, jb), i.e. bucket lo + j inside
        # the row's covered range and inside the stored columns summed below; none on rows
        # not recorded or without a selected venue.
        ja = np.maximum(self._cov_lo[slots], row_lo + k0) - lo
        jb = np.where(row_ok, np.minimum(self._cov_hi[slots], row_lo + k1) - lo, ja)
        # Sum the selected venues into the middle of a buffer with n spare columns on each
        # side (never read unmasked); rows of consecutive seconds are at most two ring slices.
        buf = np.empty((r, wk + 2 * n), dtype=np.float32)
        weights = mask.astype(np.float32)
        first, pos = int(slots[0]), 0
        parts = [slice(first, min(first + r, self.seconds))]
        if first + r > self.seconds:
            parts.append(slice(0, first + r - self.seconds))
        for p in parts:
            m = p.stop - p.start
            np.einsum(
                "rvw,v->rw", self._sizes[p, :, k0:k1], weights, out=buf[pos : pos + m, n : n + wk]
            )
            pos += m
        # Row i's output column j is buffer column start_i + j; a row with any data has
        # 0 < start_i < wk + n, the clip only keeps rows without data in bounds.
        start = np.clip(shift - k0 + n, 0, wk + n)
        z = sliding_window_view(buf, n, axis=1)[np.arange(r), start]
        j = np.arange(n)
        np.copyto(z, _NAN32, where=(j < ja[:, None]) | (j >= jb[:, None]))
        return z

    # ------------------------------------------------------------------------- trades

    def add_trade(self, trade: Trade, t: float | None = None, fx: float = 1.0) -> None:
        """Keep one trade for the overlay, at time ``t`` (default ``trade.exchange_ts``)."""
        if t is None:
            t = trade.exchange_ts
            if t is None:
                raise ValueError("trade has no exchange_ts; pass its time as t")
        if not math.isfinite(t):
            raise ValueError(f"trade time must be finite, got {t!r}")
        if not (math.isfinite(fx) and fx > 0.0):
            raise ValueError(f"fx must be a positive finite number, got {fx!r}")
        price = trade.price * fx
        if not (math.isfinite(price) and price > 0.0):
            raise ValueError(f"trade price must be positive and finite, got {trade.price!r}")
        if not (math.isfinite(trade.size) and trade.size >= 0.0):
            raise ValueError(f"trade size must be >= 0 and finite, got {trade.size!r}")
        pos = self._vpos.get(trade.market.venue)
        if pos is None:
            raise ValueError(f"venue {trade.market.venue} is not one of {self.venues}")
        if trade.side != Side.BUY and trade.side != Side.SELL:
            raise ValueError(f"trade side must be buy or sell, got {trade.side!r}")
        i = self._t_count % self.max_trades
        self._t_time[i] = t
        self._t_price[i] = price
        self._t_size[i] = trade.size
        self._t_side[i] = 1 if trade.side == Side.BUY else -1
        self._t_venue[i] = pos
        self._t_count += 1

    @property
    def trade_count(self) -> int:
        """Trades held (at most ``max_trades``)."""
        return min(self._t_count, self.max_trades)

    def trades_between(self, t0: float, t1: float) -> TradeSeries:
        """Held trades with ``t0 <= time <= t1``, by time (ties in arrival order)."""
        m, c = self.max_trades, self._t_count
        order = np.arange(c) if c <= m else (c + np.arange(m)) % m  # oldest first
        tt = self._t_time[order]
        keep = order[(tt >= t0) & (tt <= t1)]
        keep = keep[np.argsort(self._t_time[keep], kind="stable")]
        out = (
            self._t_time[keep],
            self._t_price[keep],
            self._t_size[keep],
            self._t_side[keep],
            self._t_venue[keep],
        )
        _ro(*out)
        return TradeSeries(*out, venues=self.venues)


def coarsen(window: HeatmapWindow, step: int) -> HeatmapWindow:
    """The same window with one row per ``step`` seconds: each cell the mean of the
    recorded seconds in its row (NaN if none was), the touch and mid likewise. Used to draw
    a long history without sending one row per second."""
    n = window.times.size
    if step <= 1 or n == 0:
        return window
    t0 = float(window.times[0])
    starts = np.flatnonzero(np.diff(((window.times - t0) // step).astype(np.int64), prepend=-1))

    def mean_rows(a: NDArray[np.floating]) -> NDArray[np.float64]:
        a = np.asarray(a, dtype=np.float64)
        ok = np.isfinite(a)
        total = np.add.reduceat(np.where(ok, a, 0.0), starts, axis=0)
        count = np.add.reduceat(ok.astype(np.float64), starts, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: NDArray[np.float64] = np.where(count > 0, total / count, np.nan)
        return out

    times = t0 + ((window.times[starts] - t0) // step) * step
    out = HeatmapWindow(
        times=times.astype(np.float64),
        lo_index=window.lo_index,
        z=mean_rows(window.z).astype(np.float32),
        best_bid=mean_rows(window.best_bid),
        best_ask=mean_rows(window.best_ask),
        mid=mean_rows(window.mid),
        recorded=np.logical_or.reduceat(window.recorded, starts),
        venues=window.venues,
        step=float(step),
    )
    _ro(out.times, out.z, out.best_bid, out.best_ask, out.mid, out.recorded)
    return out
