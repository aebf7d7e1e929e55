"""Consolidation of several venues' books of one instrument: the pure core (numpy).

``venue_book`` turns one live ``OrderBook`` into a ``VenueBook``: sorted read-only arrays,
prices converted to the consolidation quote by ``fx``. ``consolidate`` merges the books
into a ``Consolidated`` view (touch, mid, volume-weighted mid, spread, depth within a window
and within bands of the mid, buckets on a fixed price grid with the dominant venue, each
venue's top levels). ``execution_cost`` sweeps the merged book with a market order.

Rules that live here and nowhere else:

* **Which books.** The caller passes only live, in-sync books; a stale venue is dropped by
  the caller, never kept with its last prices. ``books`` order is the venue order of every
  per-venue array (``[venue, ...]``), and it breaks ties: equal best prices name the first
  venue, equal notional in a bucket names the first venue, a sweep takes equal prices in
  that order.
* **Quote conversion.** Prices are multiplied by the book's ``fx`` once, in ``venue_book``
  (a USD venue consolidated into USDT, etc.); sizes stay in base units; every notional is
  ``price * size`` in the consolidation quote.
* **Crossed is shown, not hidden.** Across venues the best bid can reach or pass the best
  ask (quotes arrive at different times, fees differ). ``crossed`` says so, ``spread_bps``
  is then zero or negative; nothing is removed.
* **The window.** Totals and imbalance count only levels within ``window_pct`` of the mid
  (inclusive): some venues send their whole book, with bids at a few dollars and asks at
  millions, which would swamp totals and imbalance with liquidity nobody can trade.
  "Within x% of mid" means ``bid >= mid - mid*x/100`` and ``ask <= mid + mid*x/100``.
* **Volume-weighted mid** (the seed's definition): take the best 5 consolidated levels of
  each side (levels of equal price from several venues are one level); ``bv``/``av`` are
  their notional, ``wb``/``wa`` their notional-weighted prices, and
  ``vw_mid = wb * av/(bv+av) + wa * bv/(bv+av)``: like a micro-price, a heavier bid side
  pulls the value towards the ask.
* **Buckets** are intervals of a fixed ``Grid`` (edges never move with the mid): the range
  is ``buckets_each_side`` buckets below and above the mid's bucket (``2*n + 1`` buckets).
  Levels outside the range are not bucketed.
* **Undefined is NaN, never an exception.** With no bids (or no asks) the best price of that
  side is NaN and its venue None; mid, vw_mid, spread need both sides; the window, bands,
  imbalance and buckets need the mid: with no mid the totals and bands are NaN and there are
  no buckets (zero columns). Imbalance is NaN when the window holds nothing.

No I/O, no clock, no threads, no Dash: functions of their inputs only. Arrays that leave
the module are read-only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from provider.book import OrderBook
from provider.grid import Grid
from provider.models import Market, Side, Venue

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_NAN = math.nan
_INF = math.inf
_ZERO = np.zeros(1)
_NAN1 = np.full(1, math.nan)
_NONE = np.empty(0, dtype=np.intp)
#: the seed's depth of the volume-weighted mid: best 5 consolidated levels per side
VW_LEVELS = 5

__all__ = [
    "Bands",
    "Buckets",
    "Consolidated",
    "ExecutionCost",
    "Fill",
    "VenueBook",
    "consolidate",
    "execution_cost",
    "venue_book",
]


_A = TypeVar("_A", bound=np.ndarray)


def _ro(a: _A) -> _A:
    a.flags.writeable = False
    return a


def _frozen_f64(name: str, value: ArrayLike) -> FloatArray:
    """``value`` as a 1-D read-only float64 array (copied unless already read-only)."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a is value and a.flags.writeable:
        a = a.copy()
    a.flags.writeable = False
    return a


# =============================================================================== one venue


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class VenueBook:
    """One venue's book as sorted arrays, prices already in the consolidation quote.

    ``bid_px`` strictly descending and ``ask_px`` strictly ascending (best first), prices
    and sizes positive and finite (a level of size zero does not exist); ``fx`` is the factor
    that was applied to the venue's prices (1.0 when its quote is the consolidation quote).
    Arrays are float64 and read-only (copied on construction unless already read-only).
    Raises ``ValueError`` when any of this does not hold.
    """

    venue: Venue
    market: Market
    fx: float
    bid_px: FloatArray
    bid_sz: FloatArray
    ask_px: FloatArray
    ask_sz: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "fx", _positive("fx", self.fx))
        for side, px_name, sz_name, sign in (
            ("bid", "bid_px", "bid_sz", -1.0),
            ("ask", "ask_px", "ask_sz", 1.0),
        ):
            px = _frozen_f64(px_name, getattr(self, px_name))
            sz = _frozen_f64(sz_name, getattr(self, sz_name))
            if px.shape != sz.shape:
                raise ValueError(
                    f"{side} prices and sizes differ in length: {px.size} != {sz.size}"
                )
            if px.size:
                if not (px[-1 if sign < 0 else 0] > 0.0 and px[0 if sign < 0 else -1] < _INF):
                    raise ValueError(f"{self.venue} {side} prices must be positive and finite")
                step_ok = px[1:] < px[:-1] if sign < 0 else px[1:] > px[:-1]
                if not step_ok.all():
                    order = "descending" if sign < 0 else "ascending"
                    raise ValueError(f"{self.venue} {side} prices must be strictly {order}")
                if not (sz.min() > 0.0 and sz.max() < _INF):  # NaN fails both
                    raise ValueError(f"{self.venue} {side} sizes must be positive and finite")
            object.__setattr__(self, px_name, px)
            object.__setattr__(self, sz_name, sz)

    @classmethod
    def _trusted(
        cls,
        venue: Venue,
        market: Market,
        fx: float,
        bid_px: FloatArray,
        bid_sz: FloatArray,
        ask_px: FloatArray,
        ask_sz: FloatArray,
    ) -> VenueBook:
        """Build without the checks, for arrays that hold them by construction: read-only,
        sorted, from an ``OrderBook`` (which refuses non-positive and non-finite levels)."""
        self = object.__new__(cls)
        for name, value in zip(
            _VENUE_BOOK_FIELDS, (venue, market, fx, bid_px, bid_sz, ask_px, ask_sz)
        ):
            object.__setattr__(self, name, value)
        return self

    @property
    def best_bid(self) -> float:
        return float(self.bid_px[0]) if self.bid_px.size else _NAN

    @property
    def best_ask(self) -> float:
        return float(self.ask_px[0]) if self.ask_px.size else _NAN


_VENUE_BOOK_FIELDS = ("venue", "market", "fx", "bid_px", "bid_sz", "ask_px", "ask_sz")


def _sorted_side(
    levels: dict[float, float], descending: bool, fx: float, max_levels: int | None
) -> tuple[FloatArray, FloatArray]:
    n = len(levels)
    px = np.fromiter(levels.keys(), np.float64, n)
    sz = np.fromiter(levels.values(), np.float64, n)
    key = -px if descending else px
    if max_levels is not None and max_levels < n:
        part = np.argpartition(key, max_levels - 1)[:max_levels] if max_levels else _NONE
        order = part[np.argsort(key[part])]
    else:
        # in place (timsort's buffer costs more than it saves once the heap is churned);
        # keys are distinct, so stability does not matter
        order = np.argsort(key)
    px = px[order]
    if fx != 1.0:
        px *= fx
    return _ro(px), _ro(sz[order])


def venue_book(
    venue: Venue,
    market: Market,
    book: OrderBook,
    fx: float = 1.0,
    max_levels: int | None = None,
) -> VenueBook:
    """Snapshot ``book`` as a ``VenueBook``: best ``max_levels`` (or all) levels per side,
    prices multiplied by ``fx``. The book is only read."""
    if max_levels is not None and (
        isinstance(max_levels, bool) or not isinstance(max_levels, int) or max_levels < 0
    ):
        raise ValueError(f"max_levels must be a non-negative int or None, got {max_levels!r}")
    fx = _positive("fx", fx)
    bid_px, bid_sz = _sorted_side(book.bids, True, fx, max_levels)
    ask_px, ask_sz = _sorted_side(book.asks, False, fx, max_levels)
    # the book refused every non-positive or non-finite level, keys are distinct and the
    # arrays were just sorted: the checks of VenueBook hold by construction
    return VenueBook._trusted(venue, market, fx, bid_px, bid_sz, ask_px, ask_sz)


# =============================================================================== the view


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class Bands:
    """Depth within ``pct[j]`` percent of the mid, per venue ``[venue, band]`` and in total
    ``[band]``; cumulative (the 1% band includes the 0.5% band). NaN when there is no mid."""

    pct: FloatArray
    bid_size: FloatArray
    ask_size: FloatArray
    bid_notional: FloatArray
    ask_notional: FloatArray
    total_bid_size: FloatArray
    total_ask_size: FloatArray
    total_bid_notional: FloatArray
    total_ask_notional: FloatArray


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class Buckets:
    """Depth on a fixed price grid: bucket ``first + j`` is column ``j``.

    ``bid_*``/``ask_*`` are ``[venue, bucket]``; ``dominant`` is the venue index with the
    largest bid+ask notional in the bucket (``dominant_bid``/``dominant_ask`` per side), -1
    where the bucket is empty; ties go to the first venue. No mid means no buckets.
    """

    grid: Grid
    label: str
    first: int
    lower: FloatArray
    bid_size: FloatArray
    ask_size: FloatArray
    bid_notional: FloatArray
    ask_notional: FloatArray
    dominant: IntArray
    dominant_bid: IntArray
    dominant_ask: IntArray


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class Consolidated:
    """The consolidated view of several venues' books of one instrument.

    Per-venue arrays follow ``venues`` (the order of the books given). Prices and notionals
    are in the consolidation quote; sizes in base units. See the module docstring for the
    window, vw_mid, crossing and NaN rules.
    """

    venues: tuple[Venue, ...]
    markets: tuple[Market, ...]
    best_bid: float  # across venues; NaN (and venue None) when no venue has bids
    best_bid_venue: Venue | None  # the first venue at the best bid
    best_ask: float
    best_ask_venue: Venue | None
    mid: float  # (best_bid + best_ask) / 2
    crossed: bool  # best_bid >= best_ask across venues
    vw_mid: float
    spread_bps: float  # (best_ask - best_bid) / mid * 1e4; <= 0 when crossed
    window_pct: float
    bid_size: float  # totals within window_pct of the mid
    ask_size: float
    bid_notional: float
    ask_notional: float
    imbalance: float  # (bid_notional - ask_notional) / (bid_notional + ask_notional)
    venue_bid_size: FloatArray  # [venue]: the same totals per venue
    venue_ask_size: FloatArray
    venue_bid_notional: FloatArray
    venue_ask_notional: FloatArray
    bands: Bands
    buckets: Buckets
    venue_best_bid: FloatArray  # [venue], NaN for an empty side
    venue_best_ask: FloatArray
    top_bid_px: FloatArray  # [venue, top_n], best first, NaN past a venue's depth
    top_bid_sz: FloatArray
    top_ask_px: FloatArray
    top_ask_sz: FloatArray


def _positive(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = _NAN
    if not (0.0 < v < _INF):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _check_params(
    window_pct: float, bands_pct: Sequence[float], top_n: int, buckets_each_side: int
) -> tuple[float, FloatArray]:
    window = _positive("window_pct", window_pct)
    bands = np.asarray(bands_pct, dtype=np.float64)
    if bands.ndim != 1 or not ((bands > 0.0) & (bands < _INF)).all():
        raise ValueError(f"bands_pct must be positive finite numbers, got {bands_pct!r}")
    if not (bands[1:] > bands[:-1]).all():
        raise ValueError(f"bands_pct must be strictly increasing, got {bands_pct!r}")
    for name, v in (("top_n", top_n), ("buckets_each_side", buckets_each_side)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise ValueError(f"{name} must be a non-negative int, got {v!r}")
    return window, bands


class _Levels(NamedTuple):
    """Levels of every book end to end, in runs: bids of venue 0..nv-1, then their asks.

    Each run is one venue's side, best first: the bids of venue i are run i, its asks run
    nv + i. The ``_ext`` arrays carry one sentinel level past the end (price NaN, size and
    notional 0): the target of padding indexes, and a valid end index for reduceat.
    """

    nv: int
    starts: IntArray  # offset of each run, and the total at the end
    lens: IntArray
    px: FloatArray
    sz: FloatArray
    notional: FloatArray
    px_ext: FloatArray
    sz_ext: FloatArray
    notional_ext: FloatArray


def _levels(books: Sequence[VenueBook]) -> _Levels:
    nv = len(books)
    pxs = [b.bid_px for b in books] + [b.ask_px for b in books]
    szs = [b.bid_sz for b in books] + [b.ask_sz for b in books]
    lens = np.fromiter((p.size for p in pxs), np.int64, 2 * nv)
    starts = np.zeros(2 * nv + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    n = int(starts[-1])
    px_ext = np.concatenate([*pxs, _NAN1])
    sz_ext = np.concatenate([*szs, _ZERO])
    notional_ext = np.empty(n + 1)
    np.multiply(px_ext[:n], sz_ext[:n], out=notional_ext[:n])
    notional_ext[n] = 0.0
    return _Levels(
        nv,
        starts,
        lens,
        px_ext[:n],
        sz_ext[:n],
        notional_ext[:n],
        px_ext,
        sz_ext,
        notional_ext,
    )


def _heads(lv: _Levels, n: int) -> tuple[FloatArray, FloatArray]:
    """Prices and sizes ``[run, k]`` of the best ``n`` levels of each run; NaN past its end."""
    k = np.arange(n)
    ok = k < lv.lens[:, None]
    idx = np.where(ok, lv.starts[:-1, None] + k, lv.px.size)  # the sentinel where missing
    sz = lv.sz_ext[idx]
    sz[~ok] = _NAN
    return lv.px_ext[idx], sz


def _side(books: Sequence[VenueBook], bid: bool) -> tuple[FloatArray, FloatArray, IntArray]:
    """One side of every book end to end: prices, sizes, venue index of each level."""
    pxs = [b.bid_px if bid else b.ask_px for b in books]
    szs = [b.bid_sz if bid else b.ask_sz for b in books]
    vid = np.repeat(np.arange(len(books), dtype=np.int64), [p.size for p in pxs])
    if not books:
        return np.empty(0), np.empty(0), vid
    return np.concatenate(pxs), np.concatenate(szs), vid


def _best(values: FloatArray, bid: bool) -> tuple[float, int]:
    """Best of the per-venue best prices (NaN for an empty side) and its first venue."""
    ok = ~np.isnan(values)
    if not ok.any():
        return _NAN, -1
    i = int(
        np.argmax(np.where(ok, values, -_INF)) if bid else np.argmin(np.where(ok, values, _INF))
    )
    return float(values[i]), i


def _top_weighted(px: FloatArray, sz: FloatArray, bid: bool) -> tuple[float, float]:
    """Notional and notional-weighted price of the best ``VW_LEVELS`` consolidated levels,
    from the best ``VW_LEVELS`` levels of each venue (``[venue, k]``, NaN padded): every
    consolidated top level is among them."""
    ok = ~np.isnan(px)
    if not ok.any():
        return 0.0, _NAN
    p, s = px[ok], sz[ok]
    u = np.unique(p)  # ascending; equal prices from several venues are one level
    k = min(VW_LEVELS, u.size)
    sel = p >= u[-k] if bid else p <= u[k - 1]
    p = p[sel]
    v = p * s[sel]
    vol = float(v.sum())
    return vol, float((p * v).sum()) / vol


def _within(lv: _Levels, mid: float, pcts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cumulative size and notional ``[run, j]`` of levels within ``pcts[j]`` % of ``mid``.

    A bid is within x% when ``px >= mid - mid*x/100``, an ask when ``px <= mid + mid*x/100``;
    ``pcts`` ascend, so band j contains band j-1. Each run is sorted, so the levels within a
    threshold are a prefix of the run: a binary search per run gives the boundaries and one
    ``np.add.reduceat`` sums every piece.
    """
    nr, m = 2 * lv.nv, pcts.size
    if nr == 0 or m == 0:
        return np.zeros((nr, m)), np.zeros((nr, m))
    bid_t = mid - mid * pcts / 100.0
    ask_t = mid + mid * pcts / 100.0
    starts = lv.starts.tolist()
    bounds = np.empty((nr, m + 1), dtype=np.int64)
    bounds[:, 0] = lv.starts[:-1]
    for i in range(nr):
        p = lv.px[starts[i] : starts[i + 1]]
        if i < lv.nv:  # bids descending: count of px >= t
            bounds[i, 1:] = starts[i + 1] - np.searchsorted(p[::-1], bid_t, side="left")
        else:  # asks ascending: count of px <= t
            bounds[i, 1:] = starts[i] + np.searchsorted(p, ask_t, side="right")
    idx = bounds.ravel()
    empty = np.append(idx[:-1] == idx[1:], False)  # reduceat gives a[i] for an empty piece
    out = []
    for ext in (lv.sz_ext, lv.notional_ext):
        piece = np.add.reduceat(ext, idx)
        piece[empty] = 0.0
        out.append(np.cumsum(piece.reshape(nr, m + 1)[:, :m], axis=1))
    return out[0], out[1]


def _bincount(key: IntArray, weights: FloatArray, cells: int) -> FloatArray:
    """Sum of ``weights`` per ``key`` in ``range(cells)`` (float64)."""
    return cast(FloatArray, np.bincount(key, weights=weights, minlength=cells))


def _dominant(notional: FloatArray) -> IntArray:
    """Venue index with the largest notional per ``[..., venue, bucket]`` column; -1 where
    the column is empty; ties go to the first venue."""
    if notional.shape[-2] == 0:
        return np.full(notional.shape[:-2] + notional.shape[-1:], -1, dtype=np.int64)
    dom = np.argmax(notional, axis=-2).astype(np.int64)
    dom[~(notional > 0.0).any(axis=-2)] = -1
    return dom


def consolidate(
    books: Sequence[VenueBook],
    grid: Grid,
    window_pct: float = 5.0,
    bands_pct: Sequence[float] = (0.1, 0.5, 1.0, 2.0, 5.0),
    top_n: int = 5,
    buckets_each_side: int = 200,
) -> Consolidated:
    """Merge ``books`` (one instrument, one quote) into a ``Consolidated`` view.

    ``bands_pct`` must be strictly increasing; parameters that are not positive (or, for the
    counts, non-negative ints) raise ``ValueError``. Books never do: empty or one-sided
    books give NaN where a value is undefined (see the module docstring).
    """
    window, bands = _check_params(window_pct, bands_pct, top_n, buckets_each_side)
    nv = len(books)
    venues = tuple(b.venue for b in books)

    lv = _levels(books)
    heads_px, heads_sz = _heads(lv, max(top_n, VW_LEVELS, 1))
    _ro(heads_px)
    _ro(heads_sz)  # the views taken below inherit read-only
    vbb, vba = heads_px[:nv, 0], heads_px[nv:, 0]  # each venue's best (NaN: none)
    best_bid, ibid = _best(vbb, bid=True)
    best_ask, iask = _best(vba, bid=False)
    mid = (best_bid + best_ask) / 2.0  # NaN unless both sides exist
    has_mid = not math.isnan(mid)
    crossed = has_mid and best_bid >= best_ask
    spread_bps = (best_ask - best_bid) / mid * 1e4 if has_mid else _NAN

    top5 = slice(0, VW_LEVELS)
    bv, wb = _top_weighted(heads_px[:nv, top5], heads_sz[:nv, top5], bid=True)
    av, wa = _top_weighted(heads_px[nv:, top5], heads_sz[nv:, top5], bid=False)
    vw_mid = wb * (av / (bv + av)) + wa * (bv / (bv + av)) if has_mid else _NAN

    # window and bands in one pass: thresholds for every distinct percentage
    pcts = np.unique(np.append(bands, window))
    jw = int(np.searchsorted(pcts, window))
    jb = np.searchsorted(pcts, bands)
    if has_mid:
        size, notional = _within(lv, mid, pcts)
    else:
        size = notional = np.full((2 * nv, pcts.size), _NAN)
    b_size, a_size, b_not, a_not = size[:nv], size[nv:], notional[:nv], notional[nv:]
    vb_size, va_size = b_size[:, jw].copy(), a_size[:, jw].copy()
    vb_not, va_not = b_not[:, jw].copy(), a_not[:, jw].copy()
    if has_mid:
        bid_size, ask_size = float(vb_size.sum()), float(va_size.sum())
        bid_not, ask_not = float(vb_not.sum()), float(va_not.sum())
        tot = bid_not + ask_not
        imbalance = (bid_not - ask_not) / tot if tot > 0.0 else _NAN
    else:
        bid_size = ask_size = bid_not = ask_not = imbalance = _NAN
    per_band = [a[:, jb] for a in (b_size, a_size, b_not, a_not)]
    if has_mid:
        totals = [a.sum(axis=0) for a in per_band]
    else:  # no venue at all still means "undefined", not zero
        totals = [np.full(bands.size, _NAN) for _ in per_band]
    band_view = Bands(_ro(bands.copy()), *map(_ro, per_band), *map(_ro, totals))

    return Consolidated(
        venues=venues,
        markets=tuple(b.market for b in books),
        best_bid=best_bid,
        best_bid_venue=venues[ibid] if ibid >= 0 else None,
        best_ask=best_ask,
        best_ask_venue=venues[iask] if iask >= 0 else None,
        mid=mid,
        crossed=crossed,
        vw_mid=vw_mid,
        spread_bps=spread_bps,
        window_pct=window,
        bid_size=bid_size,
        ask_size=ask_size,
        bid_notional=bid_not,
        ask_notional=ask_not,
        imbalance=imbalance,
        venue_bid_size=_ro(vb_size),
        venue_ask_size=_ro(va_size),
        venue_bid_notional=_ro(vb_not),
        venue_ask_notional=_ro(va_not),
        bands=band_view,
        buckets=_buckets(grid, mid if has_mid else None, buckets_each_side, lv),
        venue_best_bid=vbb,
        venue_best_ask=vba,
        top_bid_px=heads_px[:nv, :top_n],
        top_bid_sz=heads_sz[:nv, :top_n],
        top_ask_px=heads_px[nv:, :top_n],
        top_ask_sz=heads_sz[nv:, :top_n],
    )


def _buckets(grid: Grid, mid: float | None, each_side: int, lv: _Levels) -> Buckets:
    nv = lv.nv
    if mid is None:
        first, n = 0, 0
    else:
        first, n = int(grid.index(mid)) - each_side, 2 * each_side + 1
    if n and lv.px.size:
        key = grid.index(lv.px)  # becomes run * n + column, in place
        key -= first
        sz, notional = lv.sz, lv.notional
        inside = None
        if key.min() < 0 or key.max() >= n:  # levels beyond the range are not bucketed
            inside = (key >= 0) & (key < n)
        starts = lv.starts.tolist()
        for r in range(1, 2 * nv):
            if starts[r] < starts[r + 1]:
                key[starts[r] : starts[r + 1]] += r * n
        if inside is not None:
            key, sz, notional = key[inside], sz[inside], notional[inside]
        size = _bincount(key, sz, 2 * nv * n).reshape(2, nv, n)  # [bid/ask, venue, bucket]
        value = np.empty((3, nv, n))  # bid, ask, bid + ask notional
        value[:2] = _bincount(key, notional, 2 * nv * n).reshape(2, nv, n)
        np.add(value[0], value[1], out=value[2])
    else:
        size, value = np.zeros((2, nv, n)), np.zeros((3, nv, n))
    size, value, dom = _ro(size), _ro(value), _ro(_dominant(value))  # views inherit read-only
    return Buckets(
        grid=grid,
        label=grid.label,
        first=first,
        lower=_ro(grid.lower(np.arange(first, first + n))),
        bid_size=size[0],
        ask_size=size[1],
        bid_notional=value[0],
        ask_notional=value[1],
        dominant=dom[2],
        dominant_bid=dom[0],
        dominant_ask=dom[1],
    )


# =============================================================================== sweeping


@dataclass(frozen=True, slots=True)
class Fill:
    """The result of sweeping one set of levels with a market order.

    ``requested`` is in base units, or in quote notional when the order was ``in_quote``.
    ``complete`` is False when the books ran out first: ``shortfall`` (in the requested
    unit) is then what could not be filled. ``touch`` is the best price on the side swept,
    ``worst_price`` the last level reached and ``levels`` how many venue levels were reached
    (two venues at one price count twice); slippage is in bps, positive when the order paid
    more (BUY) or received less (SELL) than the reference; NaN when nothing filled or the
    reference is undefined (``mid`` needs both sides).
    """

    requested: float
    filled: float
    notional: float
    avg_price: float
    touch: float
    mid: float
    worst_price: float
    slippage_touch_bps: float
    slippage_mid_bps: float
    levels: int
    complete: bool
    shortfall: float


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class ExecutionCost:
    """A market order swept through the consolidated book, and through each venue alone.

    ``venue_filled``/``venue_notional`` say how much of the consolidated fill each venue
    gave; ``alone[i]`` is the same order sent to ``venues[i]`` only (its own touch and mid).
    """

    side: Side
    quantity: float
    in_quote: bool
    venues: tuple[Venue, ...]
    consolidated: Fill
    venue_filled: FloatArray
    venue_notional: FloatArray
    alone: tuple[Fill, ...]


def _sweep(
    px: FloatArray, sz: FloatArray, quantity: float, in_quote: bool, side: Side, mid: float
) -> tuple[Fill, FloatArray]:
    """Sweep levels sorted best first; also returns the base quantity taken per level."""
    n = px.size
    touch = float(px[0]) if n else _NAN
    amount = px * sz if in_quote else sz
    cum = np.cumsum(amount)
    total = float(cum[-1]) if n else 0.0
    last = int(np.searchsorted(cum, quantity, side="left"))  # level where the order ends
    complete = last < n
    used = last + 1 if complete else n
    take = sz[:used].copy()
    if complete:
        before = float(cum[last - 1]) if last else 0.0
        rest = quantity - before  # what the last level gives, in the requested unit
        take[last] = rest / px[last] if in_quote else rest
    filled = float(take.sum())
    notional = float((take * px[:used]).sum())
    if complete:  # exact figure in the requested unit, free of summation rounding
        if in_quote:
            notional = quantity
        else:
            filled = quantity
    avg = notional / filled if filled > 0.0 else _NAN
    sign = 1.0 if side is Side.BUY else -1.0
    fill = Fill(
        requested=quantity,
        filled=filled,
        notional=notional,
        avg_price=avg,
        touch=touch,
        mid=mid,
        worst_price=float(px[used - 1]) if used else _NAN,
        slippage_touch_bps=sign * (avg - touch) / touch * 1e4 if used else _NAN,
        slippage_mid_bps=sign * (avg - mid) / mid * 1e4 if used else _NAN,
        levels=used,
        complete=complete,
        shortfall=0.0 if complete else quantity - total,
    )
    return fill, take


def execution_cost(
    books: Sequence[VenueBook], side: Side, quantity: float, in_quote: bool = False
) -> ExecutionCost:
    """Cost of a market order of ``quantity`` base units (quote notional if ``in_quote``).

    A BUY takes every venue's asks, lowest first; a SELL every venue's bids, highest
    first; equal prices are taken in ``books`` order. Fees are not modelled. Raises
    ``ValueError`` unless ``quantity`` is positive and finite.
    """
    quantity = _positive("quantity", quantity)
    side = Side(side)
    buy = side is Side.BUY
    nv = len(books)
    _, ib = _best(np.array([b.best_bid for b in books], dtype=np.float64), bid=True)
    _, ia = _best(np.array([b.best_ask for b in books], dtype=np.float64), bid=False)
    mid = (books[ib].best_bid + books[ia].best_ask) / 2.0 if ib >= 0 and ia >= 0 else _NAN

    px, sz, vid = _side(books, bid=not buy)
    order = np.argsort(px if buy else -px, kind="stable")
    px, sz, vid = px[order], sz[order], vid[order]
    fill, take = _sweep(px, sz, quantity, in_quote, side, mid)
    used = take.size
    venue_filled = _bincount(vid[:used], take, nv)
    venue_notional = _bincount(vid[:used], take * px[:used], nv)

    alone = tuple(
        _sweep(
            b.ask_px if buy else b.bid_px,
            b.ask_sz if buy else b.bid_sz,
            quantity,
            in_quote,
            side,
            (b.best_bid + b.best_ask) / 2.0,
        )[0]
        for b in books
    )
    return ExecutionCost(
        side=side,
        quantity=quantity,
        in_quote=in_quote,
        venues=tuple(b.venue for b in books),
        consolidated=fill,
        venue_filled=_ro(venue_filled),
        venue_notional=_ro(venue_notional),
        alone=alone,
    )
