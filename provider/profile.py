"""Session volume profile: trades of every venue folded into fixed price buckets.

What it is for: the "volume at price" panel (buy/sell volume per bucket and per venue, trade
counts, point of control, value area, session VWAP).

Rules, all here:

* A trade belongs to the session when its time ``t >= session_start``; older trades are
  ignored (``add`` returns False). ``reset(session_start)`` starts a new, empty session.
* The price is converted to the consolidation quote first: ``price * fx`` (``fx`` > 0, e.g.
  the USD->USDT rate for a BTC/USD venue in a BTC/USDT consolidation).
* Bucket of a price ``p`` on a grid of width ``w``: ``floor(p / w)``, except that a quotient
  within ``1e-9`` (relative) of an integer is that integer. ``0.3 / 0.1`` is
  ``2.9999999999999996`` in floats, yet 0.3 is the lower edge of bucket 3, not inside bucket 2.
  The bucket's price is its lower edge, ``index * w`` rounded to the decimals of ``w``.
* ``trade.side`` is the *taker* side: a taker buy adds to buy volume, a taker sell to sell
  volume. Volumes are in base units (``trade.size``); notional is ``price * fx * size`` in the
  consolidation quote. Each trade counts once (the seed counted distinct prices instead).
* A trade with size 0 is ignored (returns False); a price or size that is negative, zero
  (price) or not finite, a non-positive ``fx`` or a venue outside ``venues`` is a ValueError.
* Point of control (POC): the bucket with the largest total (buy + sell) volume. Ties go to
  the bucket nearest (in buckets) to the bucket of the last trade (the one with the latest
  time); a tie in that distance goes to the lower bucket.
* Value area (default 70 %): start at the POC and repeatedly add the next *traded* bucket
  above or below the area (buckets nobody traded hold no volume and are stepped over), the one
  with the larger volume; when one side has no bucket left, take the other. On equal volumes
  take the bucket nearer to the POC (in buckets); if both are equally near, the lower one.
  Stop as soon as the area holds ``>= value_area * total volume`` (compared with a relative
  tolerance of 1e-12, so that ``0.7 * 10`` = 7.000000000000001 does not demand an extra bucket).
* VWAP = total notional / total volume (None while nothing traded).

Memory is bounded by the number of distinct buckets visited: one ``array('d')`` of
``4 * len(venues)`` doubles per bucket (buy, sell, count, notional per venue); trades
themselves are not kept.

What it must not do: no I/O, no clock (times are passed in), no threads, no Dash imports.
Views are frozen and their arrays are read-only; they never share memory with the profile.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from provider.models import Side, Trade, Venue

#: Relative tolerance under which a price/width quotient is taken as an exact bucket edge.
EDGE_TOLERANCE = 1e-9
#: Relative tolerance of the value-area stop test.
_VA_TOLERANCE = 1e-12

# Field offsets inside one venue's block of a bucket row.
_BUY, _SELL, _COUNT, _NOTIONAL = 0, 1, 2, 3
_FIELDS = 4


def _check_width(bucket_size: float) -> None:
    if not (math.isfinite(bucket_size) and bucket_size > 0):
        raise ValueError(f"bucket_size must be a positive finite number, got {bucket_size!r}")


def bucket_index(price: float, bucket_size: float) -> int:
    """Index of the fixed-grid bucket holding ``price``: ``floor(price / bucket_size)``.

    A quotient within ``EDGE_TOLERANCE`` (relative) of an integer is that integer, so a price
    printed on a bucket edge (``0.3`` with width ``0.1``) is in the bucket that starts there.
    """
    q = price / bucket_size
    r = round(q)
    if abs(q - r) <= EDGE_TOLERANCE * max(1.0, abs(q)):
        return int(r)
    return math.floor(q)


def _decimals(bucket_size: float) -> int:
    exp = Decimal(repr(bucket_size)).as_tuple().exponent
    return max(0, -int(exp))


def bucket_price(index: int, bucket_size: float) -> float:
    """Lower edge of bucket ``index``, rounded to the decimals of ``bucket_size``."""
    return round(index * bucket_size, _decimals(bucket_size))


def _ro(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, slots=True)
class ProfileView:
    """The profile at one moment. Per-bucket arrays are aligned and ascending by price.

    ``*_by_venue`` arrays have shape ``(len(venues), n_buckets)``, rows in ``venues`` order.
    ``poc_price`` and ``poc_index`` are the POC bucket's lower edge and index.
    ``value_area_low`` is the lower edge of the lowest bucket in the value area,
    ``value_area_high`` the *upper* edge of the highest one (so the range covers both);
    ``in_value_area`` marks the rows inside it. Scalars are None while nothing traded.
    """

    bucket_size: float
    session_start: float
    venues: tuple[Venue, ...]
    index: NDArray[np.int64]
    prices: NDArray[np.float64]
    buy: NDArray[np.float64]
    sell: NDArray[np.float64]
    count: NDArray[np.int64]
    notional: NDArray[np.float64]
    buy_by_venue: NDArray[np.float64]
    sell_by_venue: NDArray[np.float64]
    count_by_venue: NDArray[np.int64]
    notional_by_venue: NDArray[np.float64]
    in_value_area: NDArray[np.bool_]
    poc_index: int | None
    poc_price: float | None
    value_area_low: float | None
    value_area_high: float | None
    value_area_volume: float
    total_buy: float
    total_sell: float
    total_count: int
    total_notional: float
    vwap: float | None
    last_price: float | None

    @property
    def total_volume(self) -> float:
        return self.total_buy + self.total_sell

    @property
    def volume(self) -> NDArray[np.float64]:
        """Total (buy + sell) volume per bucket."""
        return _ro(self.buy + self.sell)  # type: ignore[return-value]


def point_of_control(volume: NDArray[np.float64], index: NDArray[np.int64], last: int) -> int:
    """Row of the largest volume; ties nearest (in buckets) to bucket ``last``, then lower.

    ``index`` is ascending; ``volume`` must not be empty.
    """
    top = volume.max()
    rows = np.flatnonzero(volume == top)
    dist = np.abs(index[rows] - last)
    # argmin returns the first minimum, i.e. the lowest bucket among equally near ones.
    return int(rows[int(np.argmin(dist))])


def value_area(
    volume: NDArray[np.float64], index: NDArray[np.int64], poc: int, fraction: float
) -> tuple[int, int, float]:
    """Rows ``(lo, hi)`` (inclusive) of the value area grown from row ``poc``, and its volume.

    See the module docstring for the rule and its tie-breaking.
    """
    total = float(volume.sum())
    target = fraction * total * (1.0 - _VA_TOLERANCE)
    lo = hi = poc
    acc = float(volume[poc])
    n = len(volume)
    centre = int(index[poc])
    while acc < target and (lo > 0 or hi < n - 1):
        if lo == 0:
            take_up = True
        elif hi == n - 1:
            take_up = False
        else:
            up, down = float(volume[hi + 1]), float(volume[lo - 1])
            if up != down:
                take_up = up > down
            else:
                # Equal volumes: nearer to the POC first; equally near: the lower bucket.
                take_up = int(index[hi + 1]) - centre < centre - int(index[lo - 1])
        if take_up:
            hi += 1
            acc += float(volume[hi])
        else:
            lo -= 1
            acc += float(volume[lo])
    return lo, hi, acc


class VolumeProfile:
    """Buy/sell volume, trade count and notional per fixed-grid bucket and per venue."""

    __slots__ = (
        "_last_index",
        "_last_price",
        "_last_t",
        "_row_len",
        "_rows",
        "_start",
        "_view",
        "_vpos",
        "bucket_size",
        "value_area",
        "venues",
    )

    def __init__(
        self,
        bucket_size: float,
        session_start: float,
        venues: Sequence[Venue] = tuple(Venue),
        value_area: float = 0.70,
    ) -> None:
        _check_width(bucket_size)
        if not 0.0 < value_area <= 1.0:
            raise ValueError(f"value_area must be in (0, 1], got {value_area!r}")
        if not venues or len(set(venues)) != len(venues):
            raise ValueError(f"venues must be non-empty and distinct, got {venues!r}")
        if not math.isfinite(session_start):
            raise ValueError(f"session_start must be finite, got {session_start!r}")
        self.bucket_size = float(bucket_size)
        self.value_area = float(value_area)
        self.venues: tuple[Venue, ...] = tuple(venues)
        self._vpos = {v: i for i, v in enumerate(self.venues)}
        self._row_len = _FIELDS * len(self.venues)
        self._rows: dict[int, array[float]] = {}
        self._start = float(session_start)
        self._last_t = -math.inf
        self._last_price: float | None = None
        self._last_index = 0
        self._view: ProfileView | None = None

    @property
    def session_start(self) -> float:
        return self._start

    def __len__(self) -> int:
        """Number of buckets visited this session."""
        return len(self._rows)

    def reset(self, session_start: float) -> None:
        """Forget everything and start a new session at ``session_start``."""
        if not math.isfinite(session_start):
            raise ValueError(f"session_start must be finite, got {session_start!r}")
        self._rows.clear()
        self._start = float(session_start)
        self._last_t = -math.inf
        self._last_price = None
        self._last_index = 0
        self._view = None

    def add(self, trade: Trade, t: float, fx: float = 1.0) -> bool:
        """Fold one trade (taken at time ``t``) into the profile; False if it was ignored."""
        if not (math.isfinite(fx) and fx > 0.0):
            raise ValueError(f"fx must be a positive finite number, got {fx!r}")
        price = trade.price * fx
        size = trade.size
        if not (math.isfinite(price) and price > 0.0):
            raise ValueError(f"trade price must be positive and finite, got {trade.price!r}")
        if not (math.isfinite(size) and size >= 0.0):
            raise ValueError(f"trade size must be >= 0 and finite, got {size!r}")
        pos = self._vpos.get(trade.market.venue)
        if pos is None:
            raise ValueError(f"venue {trade.market.venue} is not one of {self.venues}")
        side = trade.side
        if side != Side.BUY and side != Side.SELL:
            raise ValueError(f"trade side must be buy or sell, got {side!r}")
        if t < self._start or size == 0.0:
            return False
        idx = bucket_index(price, self.bucket_size)
        row = self._rows.get(idx)
        if row is None:
            row = self._rows[idx] = array("d", bytes(8 * self._row_len))
        base = _FIELDS * pos
        row[base + (_BUY if side == Side.BUY else _SELL)] += size
        row[base + _COUNT] += 1.0
        row[base + _NOTIONAL] += price * size
        if t >= self._last_t:
            self._last_t = t
            self._last_price = price
            self._last_index = idx
        self._view = None
        return True

    def view(self) -> ProfileView:
        """A frozen picture of the profile (cached until the next accepted trade)."""
        if self._view is None:
            self._view = self._build()
        return self._view

    def _build(self) -> ProfileView:
        nv = len(self.venues)
        keys = sorted(self._rows)
        n = len(keys)
        index = np.array(keys, dtype=np.int64)
        raw = np.frombuffer(b"".join(self._rows[k].tobytes() for k in keys), dtype=np.float64)
        data = raw.reshape(n, nv, _FIELDS)
        by_venue = [np.ascontiguousarray(data[:, :, f].T) for f in range(_FIELDS)]
        buy_v, sell_v, count_fv, notional_v = by_venue
        count_v = count_fv.astype(np.int64)
        buy, sell = buy_v.sum(axis=0), sell_v.sum(axis=0)
        count, notional = count_v.sum(axis=0), notional_v.sum(axis=0)
        d = _decimals(self.bucket_size)
        prices = np.array([round(k * self.bucket_size, d) for k in keys], dtype=np.float64)
        volume = buy + sell
        in_va = np.zeros(n, dtype=np.bool_)
        total_buy, total_sell = float(buy.sum()), float(sell.sum())
        total_notional = float(notional.sum())
        poc_index: int | None = None
        poc_price = va_low = va_high = vwap = None
        va_volume = 0.0
        if n:
            poc = point_of_control(volume, index, self._last_index)
            lo, hi, va_volume = value_area(volume, index, poc, self.value_area)
            in_va[lo : hi + 1] = True
            poc_index = int(index[poc])
            poc_price = float(prices[poc])
            va_low = float(prices[lo])
            va_high = bucket_price(int(index[hi]) + 1, self.bucket_size)
            vwap = total_notional / (total_buy + total_sell)
        for a in (index, prices, buy, sell, count, notional, buy_v, sell_v, count_v, notional_v):
            a.flags.writeable = False
        in_va.flags.writeable = False
        return ProfileView(
            bucket_size=self.bucket_size,
            session_start=self._start,
            venues=self.venues,
            index=index,
            prices=prices,
            buy=buy,
            sell=sell,
            count=count,
            notional=notional,
            buy_by_venue=buy_v,
            sell_by_venue=sell_v,
            count_by_venue=count_v,
            notional_by_venue=notional_v,
            in_value_area=in_va,
            poc_index=poc_index,
            poc_price=poc_price,
            value_area_low=va_low,
            value_area_high=va_high,
            value_area_volume=va_volume,
            total_buy=total_buy,
            total_sell=total_sell,
            total_count=int(count.sum()),
            total_notional=total_notional,
            vwap=vwap,
            last_price=self._last_price,
        )
