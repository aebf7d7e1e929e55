"""A fixed price grid: bucket edges that never move with the mid.

The seed counted buckets from the mid price, so every tick moved every edge and a picture
over time jittered. Here a bucket is a fixed interval of the price axis, identified by an
integer index ``k``:

* ``Grid.fixed(size)``: edges at ``k * size`` (BTC $10, ETH $1);
* ``Grid.bps(bps, anchor)``: geometric edges at ``anchor * (1 + bps / 1e4) ** k``, so every
  bucket is ``bps`` basis points wide whatever the price level.

Bucket ``k`` is the half-open interval ``[lower(k), upper(k))``: a price exactly on an edge
belongs to the bucket that starts at it. Float division is not exact (``0.3 / 0.1`` is
``2.9999999999999996``), so a price within one part in 10^9 (of its bucket index) of an edge
is counted as on that edge; far finer than any venue's tick at any bucket size used here.

Pure and vectorised (numpy); no I/O, no clock, no state beyond the grid's parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: a price within this relative distance (of its bucket index) of an edge is on the edge
_SNAP = 1e-9
#: bucket indexes are int64; refuse prices whose index would not fit
_MAX_INDEX = 2.0**62

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _positive_finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}") from None
    if not (0.0 < v < math.inf):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


@dataclass(frozen=True, slots=True)
class Grid:
    """A fixed price grid; build it with ``Grid.fixed`` or ``Grid.bps``.

    ``kind`` is ``"fixed"`` (``step`` is the bucket size in quote units) or ``"bps"``
    (``step`` is the bucket width in basis points, edges geometric from ``anchor``).
    """

    kind: Literal["fixed", "bps"]
    step: float
    anchor: float = 1.0
    _log_ratio: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("fixed", "bps"):
            raise ValueError(f"grid kind must be 'fixed' or 'bps', got {self.kind!r}")
        step = _positive_finite("bucket size" if self.kind == "fixed" else "bps", self.step)
        anchor = _positive_finite("anchor", self.anchor)
        log_ratio = math.log(1.0 + step / 1e4) if self.kind == "bps" else 0.0
        if self.kind == "bps" and not log_ratio > 0.0:
            raise ValueError(f"bps {step!r} is too small for a float grid")
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "anchor", anchor)
        object.__setattr__(self, "_log_ratio", log_ratio)

    # ----------------------------------------------------------------------------- builders

    @classmethod
    def fixed(cls, size: float) -> Grid:
        """Buckets of ``size`` quote units, edges at multiples of ``size``."""
        return cls("fixed", size)

    @classmethod
    def bps(cls, bps: float, anchor: float = 1.0) -> Grid:
        """Buckets ``bps`` basis points wide, edges at ``anchor * (1 + bps/1e4) ** k``."""
        return cls("bps", bps, anchor)

    # ----------------------------------------------------------------------------- reads

    @property
    def label(self) -> str:
        """Short text for a legend: ``"$10"``, ``"5 bps"``."""
        if self.kind == "fixed":
            return f"${self.step:g}"
        return f"{self.step:g} bps"

    def index(self, prices: ArrayLike) -> IntArray:
        """Bucket index of each price (floor; a price on an edge starts its bucket).

        Raises ``ValueError`` for a non-finite price, a non-positive one on a bps grid, or one
        whose index would not fit in int64.
        """
        p = np.asarray(prices, dtype=np.float64)
        if p.ndim == 0:
            return self.index(p.reshape(1)).reshape(())
        if self.kind == "fixed":
            q = p / self.step
        else:
            if p.size and not (p > 0.0).all():
                raise ValueError("prices on a bps grid must be positive")
            q = p / self.anchor
            np.log(q, out=q)
            q /= self._log_ratio
        if not p.size:
            return np.empty(p.shape, dtype=np.int64)
        lo, hi = q.min(), q.max()
        if not (lo > -_MAX_INDEX and hi < _MAX_INDEX):  # also refuses NaN and inf
            raise ValueError("prices must be finite (and within the grid's int64 range)")
        # floor(q + max(|q| * SNAP, SNAP)): a price within the snap distance below an edge
        # moves onto it. In place, and in one step where every |q| >= 1 (the usual case):
        # the arrays here are large and each temporary costs.
        if lo >= 1.0:
            q *= 1.0 + _SNAP
        elif hi <= -1.0:
            q *= 1.0 - _SNAP
        else:
            t = np.abs(q)
            t *= _SNAP
            np.maximum(t, _SNAP, out=t)
            q += t
        np.floor(q, out=q)
        out: IntArray = q.astype(np.int64)
        return out

    def lower(self, idx: ArrayLike) -> FloatArray:
        """Lower edge (inclusive) of bucket(s) ``idx``."""
        k = np.asarray(idx, dtype=np.float64)
        if self.kind == "fixed":
            out: FloatArray = k * self.step
        else:
            out = self.anchor * np.power(1.0 + self.step / 1e4, k)
        return out

    def upper(self, idx: ArrayLike) -> FloatArray:
        """Upper edge (exclusive) of bucket(s) ``idx``: the lower edge of the next one."""
        return self.lower(np.asarray(idx, dtype=np.float64) + 1.0)

    def center(self, idx: ArrayLike) -> FloatArray:
        """Arithmetic middle of bucket(s) ``idx`` (also on a bps grid)."""
        out: FloatArray = (self.lower(idx) + self.upper(idx)) / 2.0
        return out
