"""Liquidity history: rows per second, gaps as NaN, crop/pad, ring wrap, windows; by hand."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from provider.history import KEPT_INTERNED, LiquidityHistory
from provider.models import Market, Side, Trade, Venue

NAN = math.nan
VENUES = (Venue.BINANCE, Venue.KRAKEN)
BIN = Market(Venue.BINANCE, "BTCUSDT", "BTC/USDT", "BTC", "USDT")
KR = Market(Venue.KRAKEN, "XBT/USDT", "BTC/USDT", "BTC", "USDT")
CB = Market(Venue.COINBASE, "BTC-USD", "BTC/USD", "BTC", "USD")


def small(seconds: int = 4, width: int = 4, **kw: object) -> LiquidityHistory:
    return LiquidityHistory(VENUES, seconds=seconds, width=width, **kw)  # type: ignore[arg-type]


def rows(a: np.ndarray) -> list[list[float | None]]:
    """Array as nested lists with NaN shown as None (NaN != NaN in comparisons)."""
    return [[None if math.isnan(x) else float(x) for x in r] for r in np.atleast_2d(a)]


def put(
    h: LiquidityHistory, t: float, lo: int, b: list[float], k: list[float], **kw: object
) -> bool:
    """Record a row with binance sizes ``b`` and kraken sizes ``k``; bbo derived from ``t``."""
    return h.record(t, lo, np.array([b, k]), t + 0.25, t + 0.75, t + 0.5, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- one row


def test_crop_to_width_around_centre() -> None:
    h = small()
    # given buckets 100..105; centre 103, width 4 -> stored 101..104
    put(h, 10.3, 100, [1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60], centre=103)
    r = h.row(10.9)
    assert r is not None and r.time == 10 and r.lo_index == 101
    assert rows(r.sizes) == [[2, 3, 4, 5], [20, 30, 40, 50]]
    assert (r.best_bid, r.best_ask, r.mid) == (10.55, 11.05, 10.8)
    with pytest.raises(ValueError):
        r.sizes[0, 0] = 1.0


def test_default_centre_is_middle_of_given_array_or_index_of_mid() -> None:
    h = small()
    # no centre, no index_of: lo + n // 2 = 100 + 3 = 103 -> stored 101..104
    put(h, 10.0, 100, [1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0])
    assert h.row(10) is not None and h.row(10).lo_index == 101  # type: ignore[union-attr]
    # index_of(mid) = floor(1045 / 10) = 104 -> stored 102..105
    g = small(index_of=lambda p: math.floor(p / 10))
    g.record(5.0, 100, np.zeros((2, 6)), 1040.0, 1050.0, 1045.0)
    assert g.row(5.0).lo_index == 102  # type: ignore[union-attr]


def test_pad_uncovered_buckets_with_nan_not_zero() -> None:
    h = small()
    # given 104..105; centre 104 -> stored 102..105; 102, 103 not covered -> NaN; zeros stay 0
    put(h, 11.0, 104, [7, 0], [70, 80], centre=104)
    r = h.row(11.0)
    assert r is not None and r.lo_index == 102
    assert rows(r.sizes) == [[None, None, 7, 0], [None, None, 70, 80]]
    # given array entirely outside the stored range -> all NaN
    put(h, 12.0, 200, [1, 1], [1, 1], centre=100)
    assert rows(h.row(12.0).sizes) == [[None] * 4, [None] * 4]  # type: ignore[union-attr]


def test_excluded_venues_are_nan_in_that_row() -> None:
    h = small()
    put(h, 1.0, 0, [1, 2, 3, 4], [5, 6, 7, 8], centre=2, included=[True, False])
    r = h.row(1.0)
    assert r is not None and r.included.tolist() == [True, False]
    assert rows(r.sizes) == [[1, 2, 3, 4], [None] * 4]
    # a venue whose whole row is NaN is excluded too
    put(h, 2.0, 0, [NAN] * 4, [5, 6, 7, 8], centre=2)
    assert h.row(2.0).included.tolist() == [False, True]  # type: ignore[union-attr]
    # selecting only the excluded venue gives NaN; all venues give the included one
    w = h.window(1, 2, 0, 4, venues=[Venue.KRAKEN])
    assert rows(w.z) == [[None] * 4, [5, 6, 7, 8]]
    w = h.window(1, 2, 0, 4)
    assert rows(w.z) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_empty_books_and_bad_rows() -> None:
    h = small()
    assert h.record(3.0, 50, np.zeros((2, 0)), NAN, NAN, NAN)  # nothing on either side
    r = h.row(3.0)
    assert r is not None and r.included.tolist() == [True, True]
    assert rows(r.sizes) == [[None] * 4, [None] * 4] and math.isnan(r.mid)
    w = h.window(3, 3, 48, 4)
    assert w.recorded.tolist() == [True] and rows(w.z) == [[None] * 4]
    with pytest.raises(ValueError, match="shape"):
        h.record(4.0, 0, np.zeros((3, 4)), 1, 2, 1.5)
    with pytest.raises(ValueError, match=">= 0"):
        h.record(4.0, 0, np.array([[1, -1], [0, 0]]), 1, 2, 1.5)
    with pytest.raises(ValueError, match=">= 0"):
        h.record(4.0, 0, np.array([[1, NAN], [0, 0]]), 1, 2, 1.5)  # NaN in part of a row
    with pytest.raises(ValueError, match="included"):
        h.record(4.0, 0, np.zeros((2, 1)), 1, 2, 1.5, included=[True])
    with pytest.raises(ValueError, match="finite"):
        h.record(NAN, 0, np.zeros((2, 1)), 1, 2, 1.5)


# --------------------------------------------------------------------------- seconds


def test_same_second_keeps_last_and_gaps_are_not_recorded() -> None:
    h = small(seconds=8)
    put(h, 10.2, 0, [1, 1, 1, 1], [1, 1, 1, 1], centre=2)
    put(h, 10.7, 0, [2, 2, 2, 2], [3, 3, 3, 3], centre=2)  # same second: replaces
    put(h, 13.0, 0, [4, 4, 4, 4], [0, 0, 0, 0], centre=2)  # 11 and 12 never recorded
    assert h.latest == 13 and h.row(11) is None and h.row(12) is None
    w = h.window(10.0, 13.9, 0, 4)
    assert w.times.tolist() == [10.0, 11.0, 12.0, 13.0]
    assert w.recorded.tolist() == [True, False, False, True]
    assert rows(w.z) == [[5] * 4, [None] * 4, [None] * 4, [4] * 4]  # 2 + 3 = 5
    assert rows(w.mid) == [[11.2, None, None, 13.5]]  # the last call at 10.7: mid 10.7 + 0.5
    assert rows(w.best_bid) == [[10.95, None, None, 13.25]]


def test_ring_wraps_after_seconds_rows() -> None:
    h = small(seconds=4)
    for s in range(10, 16):  # 10..15 into 4 slots: 14 overwrites 10, 15 overwrites 11
        put(h, float(s), 0, [s, s, s, s], [0, 0, 0, 0], centre=2)
    assert h.latest == 15 and h.row(10) is None and h.row(11) is None
    w = h.window(0, 15, 0, 1)  # clipped to the last 4 seconds: 12..15
    assert w.times.tolist() == [12.0, 13.0, 14.0, 15.0]
    assert rows(w.z) == [[12], [13], [14], [15]]
    assert not put(h, 11.0, 0, [9] * 4, [9] * 4, centre=2)  # 11 <= 15 - 4: too old, refused
    assert put(h, 12.5, 0, [9] * 4, [9] * 4, centre=2)  # still held: replaced
    # window over the ring edge: seconds 13..16 sit in slots 1, 2, 3, 0
    put(h, 16.0, 0, [16] * 4, [1] * 4, centre=2)
    w = h.window(13, 16, 0, 2)
    assert rows(w.z) == [[13, 13], [14, 14], [15, 15], [17, 17]]


def test_window_over_rows_with_different_lo_index() -> None:
    h = small()
    # t=20: given 100..103, centre 102 -> stored 100..103
    put(h, 20.0, 100, [1, 2, 3, 4], [10, 20, 30, 40], centre=102)
    # t=21: given 102..105, centre 104 -> stored 102..105
    put(h, 21.0, 102, [5, 6, 7, 8], [50, 60, 70, 80], centre=104)
    w = h.window(20, 21, 101, 5)  # buckets 101..105
    assert w.buckets.tolist() == [101, 102, 103, 104, 105]
    # t=20: 101 -> 2 + 20 = 22, 102 -> 33, 103 -> 44, 104 and 105 outside the row -> NaN
    # t=21: 101 outside -> NaN, 102 -> 55, 103 -> 66, 104 -> 77, 105 -> 88
    assert rows(w.z) == [[22, 33, 44, None, None], [None, 55, 66, 77, 88]]
    w = h.window(20, 21, 101, 5, venues=[False, True])  # kraken only, as a mask
    assert rows(w.z) == [[20, 30, 40, None, None], [None, 50, 60, 70, 80]]
    assert w.venues == (Venue.KRAKEN,)
    w = h.window(20, 21, 90, 5)  # far below both rows
    assert rows(w.z) == [[None] * 5, [None] * 5]
    w = h.window(20, 21, 101, 5, venues=[])  # no venue selected
    assert rows(w.z) == [[None] * 5, [None] * 5] and w.venues == ()
    assert h.window(21, 20, 101, 5).z.shape == (0, 5)  # empty range
    assert h.window(20, 21, 101, 0).z.shape == (2, 0)
    with pytest.raises(ValueError):
        w.z[0, 0] = 1.0


def test_since_returns_only_newer_rows() -> None:
    h = small(seconds=8)
    for s in (20, 21, 23):
        put(h, float(s), 0, [s] * 4, [0] * 4, centre=2)
    w = h.since(20.5, 0, 1)  # seconds after 20 up to the latest (23); 22 not recorded
    assert w.times.tolist() == [21.0, 22.0, 23.0] and rows(w.z) == [[21], [None], [23]]
    assert len(h.since(23.0, 0, 1).times) == 0
    assert h.since(0.0, 0, 1).times.tolist() == [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0]
    assert len(small().since(0.0, 0, 1).times) == 0  # nothing recorded yet


def test_nbytes_is_fixed_by_the_shape() -> None:
    h = small(seconds=4, width=4, max_trades=3)
    # sizes 4 s * 2 venues * 4 buckets * 4 B = 128; per row: second, lo, cov_lo, cov_hi (int64)
    # and bid, ask, mid (float64) = 7 * 8 * 4 = 224; included 4 * 2 = 8 -> 360.
    # trades 3 * (time, price, size 8 B each + side, venue 1 B each) = 3 * 26 = 78 -> 438
    assert h.nbytes == 438
    put(h, 1.0, 0, [1] * 4, [1] * 4)
    assert h.nbytes == 438


def _resident(a: np.ndarray) -> float:
    """Share of the pages of ``a``'s buffer that are in RAM (/proc/self/pagemap bit 63)."""
    page = os.sysconf("SC_PAGE_SIZE")
    first = a.ctypes.data // page
    last = (a.ctypes.data + a.nbytes - 1) // page
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(first * 8)
        entries = np.frombuffer(f.read((last - first + 1) * 8), dtype=np.uint64)
    return float(((entries >> np.uint64(63)) & np.uint64(1)).mean())


@pytest.mark.skipif(not os.path.exists("/proc/self/pagemap"), reason="needs Linux /proc")
def test_memory_is_resident_from_construction() -> None:
    """The rings are written when made: every page is in RAM now, not as the hour and the
    trade ring fill (RSS would creep up for an hour and hide whether memory is bounded)."""
    h = LiquidityHistory(tuple(Venue), seconds=600, width=400, max_trades=100_000)
    arrays = {k: getattr(h, k) for k in dir(h) if isinstance(getattr(h, k, None), np.ndarray)}
    assert sum(a.nbytes for a in arrays.values()) == h.nbytes
    assert {k: _resident(a) for k, a in arrays.items()} == {k: 1.0 for k in arrays}


# --------------------------------------------------------------------------- trades


def trade(m: Market, price: float, size: float, side: Side, ts: float | None = None) -> Trade:
    return Trade(m, price, size, side, trade_id="x", exchange_ts=ts)


def test_trades_ring_and_between() -> None:
    h = small(max_trades=3)
    h.add_trade(trade(BIN, 100.0, 1.0, Side.BUY, ts=5.0))
    h.add_trade(trade(KR, 101.0, 2.0, Side.SELL), t=3.0)  # arrives later, happened earlier
    h.add_trade(trade(BIN, 102.0, 0.5, Side.SELL), t=5.0)  # ties with the first: after it
    t = h.trades_between(0.0, 10.0)
    assert t.time.tolist() == [3.0, 5.0, 5.0]
    assert t.price.tolist() == [101.0, 100.0, 102.0]
    assert t.side.tolist() == [-1, 1, -1] and t.venue.tolist() == [1, 0, 0]
    assert t.size.tolist() == [2.0, 1.0, 0.5] and t.venues == VENUES
    h.add_trade(trade(KR, 50.0, 4.0, Side.BUY), t=6.0, fx=2.0)  # drops the oldest (ts 5.0)
    t = h.trades_between(4.0, 6.0)
    assert h.trade_count == 3 and len(t) == 2
    assert t.time.tolist() == [5.0, 6.0] and t.price.tolist() == [102.0, 100.0]
    with pytest.raises(ValueError):
        t.price[0] = 1.0
    assert len(h.trades_between(7.0, 9.0)) == 0
    with pytest.raises(ValueError, match="exchange_ts"):
        h.add_trade(trade(BIN, 100.0, 1.0, Side.BUY))
    with pytest.raises(ValueError, match="coinbase"):
        h.add_trade(trade(CB, 100.0, 1.0, Side.BUY), t=1.0)


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="seconds"):
        LiquidityHistory(VENUES, seconds=0)
    with pytest.raises(ValueError, match="width"):
        LiquidityHistory(VENUES, width=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="venues"):
        LiquidityHistory((Venue.BINANCE, Venue.BINANCE))
    h = small()
    with pytest.raises(ValueError, match="mask"):
        h.window(0, 1, 0, 4, venues=[True])
    with pytest.raises(ValueError, match="okx"):
        h.window(0, 1, 0, 4, venues=[Venue.OKX])


def naive_window(
    h: LiquidityHistory, s0: int, s1: int, lo: int, n: int, mask: list[bool]
) -> list[list[float | None]]:
    """The window rule written cell by cell from ``row()``, to check the vectorised one."""
    out: list[list[float | None]] = []
    for s in range(max(s0, s1 - h.seconds + 1), s1 + 1):
        r = h.row(s)
        line: list[float | None] = []
        for b in range(lo, lo + n):
            k = b - r.lo_index if r is not None else -1
            if r is None or not 0 <= k < h.width:
                line.append(None)
                continue
            vals = [float(r.sizes[v, k]) for v in range(len(mask)) if mask[v]]
            vals = [x for x in vals if not math.isnan(x)]
            line.append(float(np.float32(sum(vals))) if vals else None)
        out.append(line)
    return out


def test_window_matches_a_cell_by_cell_reading() -> None:
    rng = np.random.default_rng(3)
    h = LiquidityHistory((Venue.BINANCE, Venue.KRAKEN, Venue.OKX), seconds=16, width=6)
    for s in range(100):
        if rng.random() < 0.2:
            continue  # a gap
        n = int(rng.integers(0, 10))
        sizes = rng.integers(0, 5, size=(3, n)).astype(float)  # small integers: exact sums
        incl = rng.random(3) < 0.8
        lo = int(rng.integers(0, 10))
        centre = lo + int(rng.integers(-4, n + 4))
        h.record(float(s), lo, sizes, 1.0, 2.0, 1.5, included=incl, centre=centre)
        if s % 7 == 0:
            for _ in range(5):
                s0 = s - int(rng.integers(0, 20))
                lo_w, n_w = int(rng.integers(-5, 15)), int(rng.integers(0, 12))
                mask = [bool(x) for x in rng.random(3) < 0.6]
                got = h.window(s0, s, lo_w, n_w, venues=mask).z
                assert rows(got) == naive_window(h, s0, s, lo_w, n_w, mask)


def test_coarsen_means_recorded_seconds_and_keeps_unrecorded_as_nan() -> None:
    from provider.history import HeatmapWindow, coarsen

    nan = np.nan
    w = HeatmapWindow(
        times=np.array([100.0, 101.0, 102.0, 103.0, 104.0]),
        lo_index=7,
        z=np.array([[1, 2], [3, nan], [nan, nan], [nan, nan], [5, 6]], dtype=np.float32),
        best_bid=np.array([10.0, 12.0, nan, nan, 14.0]),
        best_ask=np.array([11.0, 13.0, nan, nan, 15.0]),
        mid=np.array([10.5, 12.5, nan, nan, 14.5]),
        recorded=np.array([True, True, False, False, True]),
        venues=(Venue.BINANCE,),
    )
    c = coarsen(w, 2)
    # rows [100, 101], [102, 103], [104]: the mean of what was recorded in each
    assert c.step == 2.0 and c.times.tolist() == [100.0, 102.0, 104.0] and c.lo_index == 7
    np.testing.assert_array_equal(c.z, np.array([[2, 2], [nan, nan], [5, 6]], dtype=np.float32))
    assert c.best_bid[0] == 11.0 and np.isnan(c.best_bid[1]) and c.best_ask[2] == 15.0
    assert c.recorded.tolist() == [True, False, True]
    assert coarsen(w, 1) is w


def test_numpy_interface_key_is_the_kept_interned_string() -> None:
    # numpy interns "typestr" on every __array_interface__ read (the window's
    # sliding_window_view reads it); while history.KEPT_INTERNED holds that very string, the
    # read finds it in the intern table instead of inserting a new one each time
    key = next(k for k in np.zeros(1).__array_interface__ if k == "typestr")
    assert key is KEPT_INTERNED
