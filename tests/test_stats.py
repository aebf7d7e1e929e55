"""Rolling statistics: min/max/avg across window edges, NaN skipping, counts; by hand."""

from __future__ import annotations

import math

import pytest

from provider.models import Venue
from provider.stats import RollingStats, StatsView, Summary

NAN = math.nan
VENUES = (Venue.BINANCE, Venue.KRAKEN)


def summary(v: Summary) -> tuple[float, float, float, int]:
    return (v.min, v.max, v.avg, v.n)


def is_empty(v: Summary) -> bool:
    return math.isnan(v.min) and math.isnan(v.max) and math.isnan(v.avg) and v.n == 0


def session() -> RollingStats:
    # t     mid  spread  bid ask (liq)  imbalance
    # 0.0   100  2       10  20  (30)   0.5
    # 0.5   102  4        5   5  (10)  -0.25
    # 1.0   NaN  NaN      0   8  (8)   -1
    # 1.5   101  1        6  10  (16)  -0.25
    s = RollingStats(windows=(5.0, 1.0), venues=VENUES)  # any order; kept ascending
    s.update(0.0, 100.0, 2.0, 10.0, 20.0, 0.5)
    s.update(0.5, 102.0, 4.0, 5.0, 5.0, -0.25)
    s.update(1.0, NAN, NAN, 0.0, 8.0, -1.0)
    s.update(1.5, 101.0, 1.0, 6.0, 10.0, -0.25)
    return s


def test_windows_at_1_5() -> None:
    v = session().view(1.5)
    assert [w.window for w in v.windows] == [1.0, 5.0]
    one, five = v.window(1.0), v.window(5.0)
    # 1 s window is (0.5, 1.5]: t=1.0 and t=1.5 (t=0.5 is exactly 1 s old: out)
    assert one.updates == 2 and one.update_rate == 2.0
    assert summary(one.mid) == (101.0, 101.0, 101.0, 1)  # the NaN mid at 1.0 is skipped
    assert summary(one.spread_bps) == (1.0, 1.0, 1.0, 1)
    assert summary(one.liquidity) == (8.0, 16.0, 12.0, 2)  # (8 + 16) / 2
    assert summary(one.imbalance) == (-1.0, -0.25, -0.625, 2)  # (-1 - 0.25) / 2
    # 5 s window: all four updates
    assert five.updates == 4
    assert summary(five.mid) == (100.0, 102.0, 101.0, 3)  # (100 + 102 + 101) / 3
    assert five.spread_bps.min == 1.0 and five.spread_bps.max == 4.0
    assert five.spread_bps.avg == pytest.approx(7.0 / 3.0, abs=1e-15)  # (2 + 4 + 1) / 3
    assert summary(five.liquidity) == (8.0, 30.0, 16.0, 4)  # (30 + 10 + 8 + 16) / 4
    assert summary(five.imbalance) == (-1.0, 0.5, -0.25, 4)  # (0.5 - 0.25 - 1 - 0.25) / 4
    assert v.total_updates == 4


def test_window_empties_then_max_leaves() -> None:
    s = session()
    s.view(1.5)
    v = s.view(2.5)
    one = v.window(1.0)  # (1.5, 2.5]: nothing
    assert one.updates == 0 and is_empty(one.mid) and is_empty(one.liquidity)
    assert v.window(5.0).updates == 4
    v = s.view(5.0)
    five = v.window(5.0)  # (0, 5]: t=0.0 left, taking the max liquidity 30 and the min mid 100
    assert five.updates == 3
    assert summary(five.mid) == (101.0, 102.0, 101.5, 2)  # (102 + 101) / 2
    assert five.liquidity.min == 8.0 and five.liquidity.max == 16.0
    assert five.liquidity.avg == pytest.approx(34.0 / 3.0, abs=1e-14)  # (10 + 8 + 16) / 3
    assert summary(five.imbalance) == (-1.0, -0.25, -0.5, 3)  # (-0.25 - 1 - 0.25) / 3
    v = s.view(6.5)  # (1.5, 6.5]: empty again
    assert v.window(5.0).updates == 0 and is_empty(v.window(5.0).imbalance)


def test_min_max_follow_a_moving_window() -> None:
    # windows (1.0,): mids 5, 3, 4, 1, 2 at 0.0, 0.25, 0.5, 0.75, 1.0, then views at
    # 1.0  -> (0, 1]:     3 4 1 2      min 1 max 4 avg 10/4
    # 1.5  -> (0.5, 1.5]: 1 2          min 1 max 2 avg 1.5
    # 1.75 -> (0.75, 1.75]: 2          min 2 max 2
    s = RollingStats(windows=(1.0,), venues=VENUES)
    for t, m in [(0.0, 5.0), (0.25, 3.0), (0.5, 4.0), (0.75, 1.0), (1.0, 2.0)]:
        s.update(t, m, 1.0, 1.0, 1.0, 0.0)
    assert summary(s.view(1.0).windows[0].mid) == (1.0, 4.0, 2.5, 4)
    assert summary(s.view(1.5).windows[0].mid) == (1.0, 2.0, 1.5, 2)
    assert summary(s.view(1.75).windows[0].mid) == (2.0, 2.0, 2.0, 1)


def test_venue_counts_per_window() -> None:
    s = RollingStats(windows=(1.0, 5.0), venues=VENUES)
    s.count(Venue.BINANCE, 0.25)
    s.count(Venue.BINANCE, 0.25)  # same time: merged, still 2
    s.count(Venue.KRAKEN, 0.75, n=3)
    s.count(Venue.BINANCE, 1.5)
    v = s.view(1.75)
    # 1 s window (0.75, 1.75]: binance at 1.5 -> 1; kraken at 0.75 is exactly 1 s old -> 0
    assert v.window(1.0).venue_updates == (1, 0)
    assert v.venue_updates(Venue.BINANCE, 5.0) == 3 and v.venue_updates(Venue.KRAKEN, 5.0) == 3
    assert v.window(1.0).updates == 0  # no consolidated update at all
    v = s.view(5.25)  # 5 s window (0.25, 5.25]: binance 0.25 out -> 1
    assert v.window(5.0).venue_updates == (1, 3)
    assert v.total_venue_updates == (3, 3)


def test_time_never_runs_backwards() -> None:
    s = RollingStats(windows=(1.0,), venues=VENUES)
    s.update(10.0, 100.0, 1.0, 1.0, 1.0, 0.0)
    s.update(9.0, 200.0, 1.0, 1.0, 1.0, 0.0)  # stamped as 10.0
    v = s.view(10.75)
    assert summary(v.windows[0].mid) == (100.0, 200.0, 150.0, 2) and v.now == 10.75
    v = s.view(5.0)  # taken as 10.75
    assert v.now == 10.75 and v.windows[0].updates == 2
    assert s.view(11.0).windows[0].updates == 0


def test_huge_value_leaving_does_not_spoil_the_average() -> None:
    # 1e16 + 1 == 1e16 in floats: a plain running sum would lose the 1s and report avg 0.
    s = RollingStats(windows=(1.0,), venues=VENUES)
    s.update(0.0, 1.0, 1.0, 1e16, 0.0, 0.0)
    s.update(0.5, 1.0, 1.0, 1.0, 0.0, 0.0)
    s.update(0.75, 1.0, 1.0, 1.0, 0.0, 0.0)
    v = s.view(1.25)  # (0.25, 1.25]: liquidity 1, 1
    assert summary(v.windows[0].liquidity) == (1.0, 1.0, 1.0, 2)


def test_long_run_stays_exact_and_bounded() -> None:
    s = RollingStats(windows=(1.0, 5.0), venues=VENUES)
    for i in range(10_000):  # 10 per second for 1000 s; mid cycles 0.1, 0.2, 0.3
        s.update(i / 10, (i % 3 + 1) / 10, 1.0, 1.0, 1.0, 0.0)
    v: StatsView = s.view(999.9)
    one = v.window(1.0)
    # (998.9, 999.9]: i = 9990..9999 -> i % 3 = 0,1,2,0,1,2,0,1,2,0 -> mids .1 x4, .2 x3, .3 x3
    assert one.updates == 10
    assert one.mid.avg == pytest.approx((0.4 + 0.6 + 0.9) / 10, abs=1e-15)
    assert v.window(5.0).updates == 50


def test_infinite_inputs_are_skipped_like_nan() -> None:
    s = RollingStats(windows=(1.0,), venues=VENUES)
    s.update(0.0, math.inf, 1.0, 1.0, math.inf, 0.0)
    s.update(0.5, 100.0, 1.0, 1.0, 2.0, 0.0)
    w = s.view(0.5).windows[0]
    assert summary(w.mid) == (100.0, 100.0, 100.0, 1) and w.liquidity.n == 1


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="windows"):
        RollingStats(windows=())
    with pytest.raises(ValueError, match="windows"):
        RollingStats(windows=(1.0, 1.0))
    with pytest.raises(ValueError, match="windows"):
        RollingStats(windows=(0.0,))
    s = RollingStats(windows=(1.0,), venues=VENUES)
    with pytest.raises(ValueError, match="okx"):
        s.count(Venue.OKX, 1.0)
    with pytest.raises(ValueError, match="time"):
        s.update(math.nan, 1.0, 1.0, 1.0, 1.0, 0.0)
    with pytest.raises(KeyError):
        s.view(0.0).window(5.0)
