"""The fixed price grid: edges, floor rule, float guard, validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from provider.grid import Grid


def test_fixed_index_floor_and_edges() -> None:
    g = Grid.fixed(10)
    prices = np.array([60010.0, 60009.99, 60000.0, 59999.99, 60019.99, 5.0, 0.0])
    # floor(p / 10); a price on an edge starts the bucket: 60010 -> 6001, 60000 -> 6000
    assert g.index(prices).tolist() == [6001, 6000, 6000, 5999, 6001, 0, 0]
    assert g.index(prices).dtype == np.int64
    assert g.index(np.array([60010.0])).tolist() == [6001]
    assert int(g.index(60010.0)) == 6001  # a scalar gives a 0-d array


def test_fixed_index_guards_float_division() -> None:
    # 0.3 / 0.1 == 2.9999999999999996 and 0.7 / 0.1 == 6.999999999999999 in floats:
    # both prices are on an edge of a $0.1 grid and start buckets 3 and 7
    g = Grid.fixed(0.1)
    assert 0.3 / 0.1 < 3 and 0.7 / 0.1 < 7
    assert g.index(np.array([0.3, 0.7, 0.29999, 0.30001])).tolist() == [3, 7, 2, 3]
    # every computed edge (3 * 0.1 == 0.30000000000000004) maps back to its bucket
    k = np.arange(-50, 5000)
    assert (g.index(g.lower(k)) == k).all()
    g1 = Grid.fixed(0.01)
    assert g1.index(np.array([0.29, 1.15, 60000.01])).tolist() == [29, 115, 6000001]


def test_snap_is_tiny() -> None:
    g = Grid.fixed(10)
    # 1e-4 below the edge 60010 is 1e-5 of a bucket, far more than the snap (1e-9 * 6001):
    # still bucket 6000; 1e-8 below is within it (float noise), so it is on the edge
    assert g.index(np.array([60009.9999, 60009.99999999])).tolist() == [6000, 6001]


def test_fixed_edges_and_center() -> None:
    g = Grid.fixed(10)
    assert g.lower(np.array([6001])).tolist() == [60010.0]
    assert g.upper(np.array([6001])).tolist() == [60020.0]
    assert g.center(np.array([6001, -1])).tolist() == [60015.0, -5.0]
    assert Grid.fixed(1).lower(np.arange(3)).tolist() == [0.0, 1.0, 2.0]


def test_bps_grid() -> None:
    # 100 bps from anchor 100: edges 100 * 1.01**k = ..., 99.0099.., 100, 101, 102.01, ...
    g = Grid.bps(100, anchor=100.0)
    assert g.lower(np.array([0, 1])).tolist() == pytest.approx([100.0, 101.0], rel=1e-15)
    assert g.upper(np.array([1]))[0] == pytest.approx(102.01, rel=1e-15)
    assert g.lower(np.array([-1]))[0] == pytest.approx(100.0 / 1.01, rel=1e-15)
    prices = np.array([100.0, 101.0, 102.0, 102.01, 99.5, 99.0, 100.5])
    # 101 = 100 * 1.01 starts bucket 1; 102 < 102.01 stays in 1; 99.0099 <= 99.5 < 100 is -1;
    # 99.0 < 99.0099 is -2
    assert g.index(prices).tolist() == [0, 1, 1, 2, -1, -2, 0]
    assert g.center(np.array([0]))[0] == pytest.approx((100.0 + 101.0) / 2, rel=1e-15)


def test_bps_edges_round_trip() -> None:
    g = Grid.bps(5)
    k = np.arange(-2000, 25000)
    assert (g.index(g.lower(k)) == k).all()
    # 60000 lies in bucket floor(ln 60000 / ln 1.0005) = 22009 (ln 60000 = 11.0020998...,
    # ln 1.0005 = 0.000499875...; 11.0020998 / 0.000499875 = 22009.7...)
    assert g.index(np.array([60000.0])).tolist() == [22009]
    assert g.lower(np.array([22009]))[0] <= 60000.0 < g.upper(np.array([22009]))[0]


def test_labels() -> None:
    assert Grid.fixed(10).label == "$10"
    assert Grid.fixed(1.0).label == "$1"
    assert Grid.fixed(0.5).label == "$0.5"
    assert Grid.bps(5).label == "5 bps"
    assert Grid.bps(2.5, anchor=3.0).label == "2.5 bps"


@pytest.mark.parametrize("size", [0, -1, float("nan"), float("inf"), "x"])
def test_fixed_validation(size: object) -> None:
    with pytest.raises(ValueError, match="bucket size"):
        Grid.fixed(size)  # type: ignore[arg-type]


def test_bps_validation() -> None:
    with pytest.raises(ValueError, match="bps"):
        Grid.bps(0)
    with pytest.raises(ValueError, match="bps"):
        Grid.bps(-5)
    with pytest.raises(ValueError, match="anchor"):
        Grid.bps(5, anchor=0.0)
    with pytest.raises(ValueError, match="anchor"):
        Grid.bps(5, anchor=float("inf"))
    with pytest.raises(ValueError, match="kind"):
        Grid("linear", 1.0)  # type: ignore[arg-type]


def test_index_refuses_bad_prices() -> None:
    with pytest.raises(ValueError, match="finite"):
        Grid.fixed(10).index(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="finite"):
        Grid.fixed(10).index(np.array([np.inf]))
    with pytest.raises(ValueError, match="int64"):
        Grid.fixed(1e-200).index(np.array([1e10]))
    with pytest.raises(ValueError, match="positive"):
        Grid.bps(5).index(np.array([100.0, 0.0]))
    empty = Grid.bps(5).index(np.empty(0))
    assert empty.dtype == np.int64 and empty.shape == (0,)


def test_grid_is_frozen_and_comparable() -> None:
    g = Grid.fixed(10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.step = 5  # type: ignore[misc]
    assert g == Grid.fixed(10.0) and g != Grid.fixed(1)
    assert Grid.bps(5) == Grid.bps(5, anchor=1.0) != Grid.bps(5, anchor=2.0)
