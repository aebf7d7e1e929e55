"""Snapshot helpers for consumers: the fixed-shape array for models."""

from __future__ import annotations

import numpy as np

from provider.models import Venue
from tests.dashboard import fixtures as F


def test_model_arrays_are_fixed_shape_buckets_around_the_mid() -> None:
    snap = F.snapshot()  # grid $1, mid 1000: n=2 -> buckets 998, 999, 1000, 1001
    a = snap.model_arrays(n=2)
    assert a.shape == (len(Venue), 2, 4) and not a.flags.writeable
    order = list(Venue)
    b, c, k = order.index(Venue.BINANCE), order.index(Venue.COINBASE), order.index(Venue.KRAKEN)
    # binance bids 999.5 x 2 + 999 x 1 -> bucket 999; asks 1000.5 x 1, 1001 x 2
    np.testing.assert_array_equal(a[b], [[0, 3, 0, 0], [0, 0, 1, 2]])
    # coinbase bids 999 x 0.5, 998 x 1.5; asks 1000.5 x 0.5 (1002 is outside)
    np.testing.assert_array_equal(a[c], [[1.5, 0.5, 0, 0], [0, 0, 0.5, 0]])
    # kraken bids 999.5 x 1 (990 outside); asks 1001.5 x 3
    np.testing.assert_array_equal(a[k], [[0, 1, 0, 0], [0, 0, 0, 3]])
    assert a[order.index(Venue.OKX)].sum() == 0  # configured but not included


def test_model_arrays_without_a_mid_are_zeros() -> None:
    a = F.one_sided().model_arrays(n=3)
    assert a.shape == (len(Venue), 2, 6) and a.sum() == 0
