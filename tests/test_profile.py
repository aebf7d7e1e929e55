"""Session volume profile: buckets, per-venue totals, POC, value area, VWAP; by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from provider.models import Market, Side, Trade, Venue
from provider.profile import VolumeProfile, bucket_index, bucket_price

BIN = Market(Venue.BINANCE, "BTCUSDT", "BTC/USDT", "BTC", "USDT")
CB = Market(Venue.COINBASE, "BTC-USD", "BTC/USD", "BTC", "USD")
KR = Market(Venue.KRAKEN, "XBT/USDT", "BTC/USDT", "BTC", "USDT")
VENUES = (Venue.BINANCE, Venue.COINBASE, Venue.KRAKEN)
B, S = Side.BUY, Side.SELL


def tr(market: Market, price: float, size: float, side: Side) -> Trade:
    return Trade(market, price, size, side, trade_id="x")


def fill(
    p: VolumeProfile, trades: list[tuple[Market, float, float, Side]], t0: float = 1.0
) -> None:
    for i, (m, price, size, side) in enumerate(trades):
        assert p.add(tr(m, price, size, side), t0 + i)


# --------------------------------------------------------------------------- bucketing


def test_bucket_index_on_edges_despite_float_quotients() -> None:
    # 0.3 / 0.1 = 2.9999999999999996 and 0.7 / 0.1 = 6.999999999999999 in floats; both are edges.
    assert bucket_index(0.3, 0.1) == 3
    assert bucket_index(0.7, 0.1) == 7
    assert bucket_index(0.35, 0.1) == 3
    assert bucket_index(100.0, 10.0) == 10
    assert bucket_index(109.99, 10.0) == 10
    assert bucket_index(99.99, 10.0) == 9
    assert bucket_price(3, 0.1) == 0.3  # not 0.30000000000000004
    assert bucket_price(10, 10.0) == 100.0


def test_price_on_edge_lands_in_bucket_that_starts_there() -> None:
    p = VolumeProfile(0.1, 0.0, VENUES)
    p.add(tr(BIN, 0.3, 1.0, B), 1.0)
    v = p.view()
    assert v.index.tolist() == [3] and v.prices.tolist() == [0.3]


# --------------------------------------------------------------------------- a small session

# Bucket width 10. Trades (taker side):
#   binance  100    1   buy  -> b10      coinbase 112   3   buy  -> b11
#   binance  105    2   sell -> b10      kraken   119.99 1  sell -> b11
#   binance   95    2   buy  -> b9       kraken   120   1   buy  -> b12
#   coinbase 130    0.5 sell -> b13      binance   88   0.5 sell -> b8
# Volume per bucket: b8 0.5 | b9 2 | b10 3 (1 buy + 2 sell) | b11 4 (3 + 1) | b12 1 | b13 0.5
# Total 11; buy 1+3+2+1 = 7; sell 2+1+0.5+0.5 = 4.
# POC: b11 (4). Value area target 0.7 * 11 = 7.7:
#   start 4 (b11); above b12 = 1, below b10 = 3 -> take b10: 7 < 7.7
#   above b12 = 1, below b9 = 2 -> take b9: 9 >= 7.7, stop. VA = b9..b11 = [90, 120).
# Notional: 100 + 210 + 336 + 119.99 + 190 + 120 + 65 + 44 = 1184.99; VWAP = 1184.99 / 11.
SESSION = [
    (BIN, 100.0, 1.0, B),
    (BIN, 105.0, 2.0, S),
    (CB, 112.0, 3.0, B),
    (KR, 119.99, 1.0, S),
    (BIN, 95.0, 2.0, B),
    (KR, 120.0, 1.0, B),
    (CB, 130.0, 0.5, S),
    (BIN, 88.0, 0.5, S),
]


def test_small_session_totals_poc_value_area_vwap() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, SESSION)
    v = p.view()
    assert v.index.tolist() == [8, 9, 10, 11, 12, 13]
    assert v.prices.tolist() == [80.0, 90.0, 100.0, 110.0, 120.0, 130.0]
    assert v.buy.tolist() == [0.0, 2.0, 1.0, 3.0, 1.0, 0.0]
    assert v.sell.tolist() == [0.5, 0.0, 2.0, 1.0, 0.0, 0.5]
    assert v.count.tolist() == [1, 1, 2, 2, 1, 1]
    assert v.total_buy == 7.0 and v.total_sell == 4.0 and v.total_volume == 11.0
    assert v.total_count == 8
    assert v.poc_index == 11 and v.poc_price == 110.0
    assert (v.value_area_low, v.value_area_high, v.value_area_volume) == (90.0, 120.0, 9.0)
    assert v.in_value_area.tolist() == [False, True, True, True, False, False]
    assert v.total_notional == pytest.approx(1184.99, abs=1e-9)
    assert v.vwap == pytest.approx(1184.99 / 11, abs=1e-12)
    assert v.last_price == 88.0


def test_per_venue_breakdown() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, SESSION)
    v = p.view()
    assert v.venues == VENUES
    # rows binance, coinbase, kraken; columns b8..b13
    assert v.buy_by_venue.tolist() == [
        [0.0, 2.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 3.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    ]
    assert v.sell_by_venue.tolist() == [
        [0.5, 0.0, 2.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.5],
        [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    ]
    # b10: two binance trades (100 and 105) count twice; b11: coinbase 1, kraken 1
    assert v.count_by_venue.tolist() == [
        [1, 1, 2, 0, 0, 0],
        [0, 0, 0, 1, 0, 1],
        [0, 0, 0, 1, 1, 0],
    ]
    # b11 notional: coinbase 112 * 3 = 336, kraken 119.99 * 1
    assert v.notional_by_venue[:, 3].tolist() == [0.0, 336.0, 119.99]
    assert v.notional[2] == 100.0 + 210.0


def test_each_trade_counts_once_even_at_the_same_price() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, [(BIN, 100.0, 1.0, B), (BIN, 100.0, 1.0, B), (KR, 100.0, 0.5, S)])
    v = p.view()
    assert v.count.tolist() == [3] and v.count_by_venue[:, 0].tolist() == [2, 0, 1]


def test_fx_converts_to_the_consolidation_quote() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    # coinbase 100 USD at fx 1.25 -> 125 in the consolidation quote -> b12; notional 125 * 2
    assert p.add(tr(CB, 100.0, 2.0, B), 1.0, fx=1.25)
    v = p.view()
    assert v.index.tolist() == [12]
    assert v.notional.tolist() == [250.0] and v.vwap == 125.0 and v.last_price == 125.0


def test_views_are_read_only_snapshots() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, SESSION[:2])
    v = p.view()
    assert p.view() is v  # cached until the next trade
    with pytest.raises(ValueError):
        v.buy[0] = 5.0
    with pytest.raises(ValueError):
        v.count_by_venue[0, 0] = 5
    p.add(tr(BIN, 100.0, 1.0, B), 10.0)
    assert v.buy.tolist() == [1.0] and p.view().buy.tolist() == [2.0]


# --------------------------------------------------------------------------- session edges


def test_trades_before_session_start_are_ignored_and_reset_starts_over() -> None:
    p = VolumeProfile(10.0, 100.0, VENUES)
    assert not p.add(tr(BIN, 100.0, 1.0, B), 99.999)
    assert p.add(tr(BIN, 100.0, 1.0, B), 100.0)  # at the start: in
    assert p.view().total_volume == 1.0
    p.reset(200.0)
    v = p.view()
    assert v.session_start == 200.0 and len(v.index) == 0 and v.total_volume == 0.0
    assert not p.add(tr(BIN, 100.0, 1.0, B), 150.0)


def test_empty_profile() -> None:
    v = VolumeProfile(10.0, 0.0, VENUES).view()
    assert v.index.shape == (0,) and v.buy_by_venue.shape == (3, 0)
    assert v.poc_index is None and v.poc_price is None and v.vwap is None
    assert v.value_area_low is None and v.value_area_high is None and v.last_price is None
    assert v.total_count == 0 and v.value_area_volume == 0.0


def test_zero_size_is_ignored_bad_inputs_are_errors() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    assert not p.add(tr(BIN, 100.0, 0.0, B), 1.0)
    assert len(p) == 0
    with pytest.raises(ValueError, match="size"):
        p.add(tr(BIN, 100.0, -1.0, B), 1.0)
    with pytest.raises(ValueError, match="price"):
        p.add(tr(BIN, math.nan, 1.0, B), 1.0)
    with pytest.raises(ValueError, match="price"):
        p.add(tr(BIN, 0.0, 1.0, B), 1.0)
    with pytest.raises(ValueError, match="fx"):
        p.add(tr(BIN, 100.0, 1.0, B), 1.0, fx=0.0)
    okx = Market(Venue.OKX, "BTC-USDT", "BTC/USDT", "BTC", "USDT")
    with pytest.raises(ValueError, match="okx"):
        p.add(tr(okx, 100.0, 1.0, B), 1.0)
    with pytest.raises(ValueError, match="bucket_size"):
        VolumeProfile(0.0, 0.0)
    with pytest.raises(ValueError, match="value_area"):
        VolumeProfile(10.0, 0.0, value_area=1.5)


# --------------------------------------------------------------------------- tie-breaking


def test_poc_tie_goes_nearest_to_last_trade_then_lower() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    # b10 = 2, b12 = 2, b11 = 1; last trade in b11: b10 and b12 both 1 away -> the lower, b10
    fill(p, [(BIN, 100.0, 2.0, B), (BIN, 120.0, 2.0, S), (BIN, 110.0, 1.0, B)])
    assert p.view().poc_index == 10
    # a trade in b13 becomes the last: b12 is 1 away, b10 is 3 away -> b12
    p.add(tr(KR, 130.0, 0.25, S), 10.0)
    assert p.view().poc_index == 12
    # a trade stamped earlier than the last one does not move "last": still b13 -> b12
    p.add(tr(KR, 85.0, 0.25, S), 5.0)
    v = p.view()
    assert v.poc_index == 12 and v.last_price == 130.0


def test_value_area_tie_equally_near_takes_lower() -> None:
    # b9 = 1, b10 = 4 (POC), b11 = 1; total 6, target 0.7 * 6 = 4.2.
    # 4 < 4.2: above b11 = 1, below b9 = 1, both 1 bucket away -> lower, b9: 5 >= 4.2. [90, 110)
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, [(BIN, 90.0, 1.0, B), (BIN, 100.0, 4.0, B), (BIN, 110.0, 1.0, B)])
    v = p.view()
    assert (v.value_area_low, v.value_area_high, v.value_area_volume) == (90.0, 110.0, 5.0)


def test_value_area_tie_nearer_bucket_wins_and_gaps_are_stepped_over() -> None:
    # b8 = 1, (b9 untraded), b10 = 4 (POC), b11 = 1; total 6, target 4.2.
    # next traded below is b8 (2 away), above b11 (1 away), equal volume -> b11: 5. [100, 120)
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, [(BIN, 80.0, 1.0, B), (BIN, 100.0, 4.0, B), (BIN, 110.0, 1.0, B)])
    v = p.view()
    assert (v.value_area_low, v.value_area_high) == (100.0, 120.0)
    # b8 = 2, (b9 untraded), b10 = 4 (POC); total 6, target 4.2: POC 4 < 4.2, nothing above,
    # so the walk crosses the empty b9 down to b8: 6. [80, 110)
    q = VolumeProfile(10.0, 0.0, VENUES)
    fill(q, [(BIN, 80.0, 2.0, B), (BIN, 100.0, 4.0, B)])
    w = q.view()
    assert (w.value_area_low, w.value_area_high, w.value_area_volume) == (80.0, 110.0, 6.0)


def test_value_area_stops_exactly_at_seventy_percent() -> None:
    # b10 = 7, b11 = 3: total 10; 0.7 * 10 is 7.000000000000001 in floats, the POC's 7 is 70 %.
    p = VolumeProfile(10.0, 0.0, VENUES)
    fill(p, [(BIN, 100.0, 7.0, B), (BIN, 110.0, 3.0, S)])
    v = p.view()
    assert (v.value_area_low, v.value_area_high, v.value_area_volume) == (100.0, 110.0, 7.0)
    assert np.array_equal(v.in_value_area, [True, False])


def test_memory_is_one_row_per_bucket_not_per_trade() -> None:
    p = VolumeProfile(10.0, 0.0, VENUES)
    for i in range(1000):
        p.add(tr(BIN, 100.0 + (i % 30), 0.5, B if i % 2 else S), float(i))
    assert len(p) == 3  # b10, b11, b12
    assert p.view().total_count == 1000
