"""Consolidation and sweeping on literal books; every expected value worked out by hand.

The main fixture: three venues, mid 100, a $1 grid.

    venue     bids (price x size)                asks (price x size)
    A (binance)  99 x 2, 98 x 1, 90 x 10         101 x 1, 102 x 3
    B (coinbase) 99.5 x 1, 99 x 1                100.5 x 2, 103 x 1, 150 x 4
    C (kraken)   97 x 4, 96 x 1                  101 x 2, 104 x 1

Best bid 99.5 (B), best ask 100.5 (B), mid (99.5 + 100.5) / 2 = 100.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from provider.book import OrderBook
from provider.consolidate import (
    Consolidated,
    VenueBook,
    consolidate,
    execution_cost,
    venue_book,
)
from provider.grid import Grid
from provider.models import Market, Side, Venue

A, B, C = Venue.BINANCE, Venue.COINBASE, Venue.KRAKEN
NAN = math.nan


def market(venue: Venue, quote: str = "USD") -> Market:
    return Market(venue, f"BTC{quote}", f"BTC/{quote}", "BTC", quote)


def vb(
    venue: Venue,
    bids: list[tuple[float, float]],
    asks: list[tuple[float, float]],
    fx: float = 1.0,
) -> VenueBook:
    """A VenueBook straight from literal levels (already best first)."""
    return VenueBook(
        venue,
        market(venue),
        fx,
        np.array([p for p, _ in bids], dtype=np.float64),
        np.array([s for _, s in bids], dtype=np.float64),
        np.array([p for p, _ in asks], dtype=np.float64),
        np.array([s for _, s in asks], dtype=np.float64),
    )


def three() -> list[VenueBook]:
    return [
        vb(A, [(99.0, 2.0), (98.0, 1.0), (90.0, 10.0)], [(101.0, 1.0), (102.0, 3.0)]),
        vb(B, [(99.5, 1.0), (99.0, 1.0)], [(100.5, 2.0), (103.0, 1.0), (150.0, 4.0)]),
        vb(C, [(97.0, 4.0), (96.0, 1.0)], [(101.0, 2.0), (104.0, 1.0)]),
    ]


def view(**kw: object) -> Consolidated:
    args: dict[str, object] = {"bands_pct": (0.5, 1.0, 2.0, 5.0), "buckets_each_side": 3}
    args.update(kw)
    return consolidate(three(), Grid.fixed(1), **args)  # type: ignore[arg-type]


def eq(actual: object, expected: object) -> None:
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


# =============================================================================== touch


def test_touch_mid_spread() -> None:
    c = view()
    assert c.venues == (A, B, C)
    assert c.markets == tuple(market(v) for v in (A, B, C))
    assert (c.best_bid, c.best_bid_venue) == (99.5, B)
    assert (c.best_ask, c.best_ask_venue) == (100.5, B)
    assert c.mid == 100.0  # (99.5 + 100.5) / 2
    assert c.spread_bps == 100.0  # (100.5 - 99.5) / 100 * 1e4
    assert c.crossed is False
    eq(c.venue_best_bid, [99.0, 99.5, 97.0])
    eq(c.venue_best_ask, [101.0, 100.5, 101.0])


def test_vw_mid_seed_definition() -> None:
    c = view()
    # consolidated top 5 bids: 99.5 (B 1), 99 (A 2 + B 1 merged = 3), 98 (1), 97 (4), 96 (1);
    # 90 is the 6th level and is left out.
    # bv = 99.5*1 + 99*3 + 98*1 + 97*4 + 96*1 = 99.5 + 297 + 98 + 388 + 96 = 978.5
    # sum(p*v) = 99.5*99.5 + 99*297 + 98*98 + 97*388 + 96*96
    #          = 9900.25 + 29403 + 9604 + 37636 + 9216 = 95759.25
    bv, wb = 978.5, 95759.25 / 978.5
    # top 5 asks: 100.5 (B 2), 101 (A 1 + C 2 = 3), 102 (3), 103 (1), 104 (1); 150 left out.
    # av = 201 + 303 + 306 + 103 + 104 = 1017
    # sum(p*v) = 100.5*201 + 101*303 + 102*306 + 103*103 + 104*104
    #          = 20200.5 + 30603 + 31212 + 10609 + 10816 = 103440.5
    av, wa = 1017.0, 103440.5 / 1017.0
    expected = wb * (av / (bv + av)) + wa * (bv / (bv + av))
    assert c.vw_mid == pytest.approx(expected, rel=1e-14)
    # wb = 97.86331..., wa = 101.71141...; 97.86331 * 1017 / 1995.5 = 49.87566...,
    # 101.71141 * 978.5 / 1995.5 = 49.87458...: vw_mid = 99.75024...
    assert c.vw_mid == pytest.approx(99.75024, abs=1e-5)


def test_vw_mid_with_fewer_than_five_levels() -> None:
    # one venue, bids 10 x 1, 9 x 1; asks 11 x 2: bv = 19, wb = (10*10 + 9*9) / 19 = 181/19;
    # av = 22, wa = 11; vw = 181/19 * 22/41 + 11 * 19/41
    c = consolidate([vb(A, [(10.0, 1.0), (9.0, 1.0)], [(11.0, 2.0)])], Grid.fixed(1))
    assert c.vw_mid == pytest.approx(181 / 19 * 22 / 41 + 11 * 19 / 41, rel=1e-14)


def test_best_price_tie_names_first_venue() -> None:
    # without B the best ask 101 is on A and on C: the first of `books` (A) is named
    books = three()
    c = consolidate([books[0], books[2]], Grid.fixed(1))
    assert (c.best_ask, c.best_ask_venue) == (101.0, A)
    assert (c.best_bid, c.best_bid_venue) == (99.0, A)


def test_crossed_between_venues_is_shown() -> None:
    # A bids 101 while B asks 100.5: best bid 101 >= best ask 100.5
    books = [vb(A, [(101.0, 1.0)], [(102.0, 1.0)]), vb(B, [(99.0, 1.0)], [(100.5, 1.0)])]
    c = consolidate(books, Grid.fixed(1), buckets_each_side=1)
    assert c.crossed is True
    assert (c.best_bid_venue, c.best_ask_venue) == (A, B)
    assert c.mid == 100.75  # (101 + 100.5) / 2
    assert c.spread_bps == pytest.approx(-0.5 / 100.75 * 1e4, rel=1e-14)  # negative
    # nothing is hidden: window totals still hold both venues' levels
    assert c.bid_size == 2.0 and c.ask_size == 2.0
    # mid bucket 100: buckets 99, 100, 101; bid 101 in column 2, ask 100.5 in column 1
    eq(c.buckets.bid_size, [[0, 0, 1], [1, 0, 0]])
    eq(c.buckets.ask_size, [[0, 0, 0], [0, 1, 0]])

    touching = [vb(A, [(100.0, 1.0)], [(102.0, 1.0)]), vb(B, [(99.0, 1.0)], [(100.0, 1.0)])]
    t = consolidate(touching, Grid.fixed(1))
    assert t.crossed is True and t.spread_bps == 0.0  # bid == ask counts as crossed


# =============================================================================== window


def test_window_totals_and_imbalance() -> None:
    c = view()
    # window 5% of mid 100: bids >= 95 (A's 90 is out), asks <= 105 (B's 150 is out)
    # bids: A 99x2 + 98x1 -> size 3, notional 198 + 98 = 296
    #       B 99.5x1 + 99x1 -> size 2, notional 198.5
    #       C 97x4 + 96x1 -> size 5, notional 388 + 96 = 484
    eq(c.venue_bid_size, [3.0, 2.0, 5.0])
    eq(c.venue_bid_notional, [296.0, 198.5, 484.0])
    # asks: A 101x1 + 102x3 -> 4, 101 + 306 = 407; B 100.5x2 + 103x1 -> 3, 201 + 103 = 304;
    #       C 101x2 + 104x1 -> 3, 202 + 104 = 306
    eq(c.venue_ask_size, [4.0, 3.0, 3.0])
    eq(c.venue_ask_notional, [407.0, 304.0, 306.0])
    assert (c.bid_size, c.ask_size) == (10.0, 10.0)
    assert (c.bid_notional, c.ask_notional) == (978.5, 1017.0)  # 296+198.5+484, 407+304+306
    assert c.imbalance == pytest.approx((978.5 - 1017.0) / (978.5 + 1017.0), rel=1e-14)
    assert c.window_pct == 5.0


def test_window_excludes_absurd_prices() -> None:
    # a 20% window (bids >= 80, asks <= 120) takes A's bid 90 x 10 but not B's ask 150
    c = view(window_pct=20.0)
    assert c.bid_size == 20.0  # 10 + A's 90 x 10
    assert c.bid_notional == 978.5 + 900.0
    assert c.ask_size == 10.0 and c.ask_notional == 1017.0
    # a 60% window takes B's 150 x 4 (150 <= 160) too
    assert view(window_pct=60.0).ask_notional == 1017.0 + 600.0


def test_window_boundary_is_inclusive() -> None:
    # 1% window of mid 100: bids >= 99 and asks <= 101 count (100 - 100*1/100 = 99 exactly)
    c = view(window_pct=1.0)
    eq(c.venue_bid_size, [2.0, 2.0, 0.0])  # A 99x2; B 99.5 and 99
    eq(c.venue_ask_size, [1.0, 2.0, 2.0])  # A 101; B 100.5x2; C 101x2
    assert c.imbalance == pytest.approx((198 + 198.5 - 101 - 201 - 202) / (396.5 + 504))


# =============================================================================== bands


def test_bands_per_venue_and_total() -> None:
    b = view().bands
    eq(b.pct, [0.5, 1.0, 2.0, 5.0])
    # bid thresholds 99.5, 99, 98, 95 (inclusive); rows A, B, C
    # 0.5%: only B 99.5 x1 | 1%: A 99x2, B 99.5+99 | 2%: A adds 98 | 5%: C 97, 96 join
    eq(b.bid_size, [[0, 2, 3, 3], [1, 2, 2, 2], [0, 0, 0, 5]])
    eq(b.bid_notional, [[0, 198, 296, 296], [99.5, 198.5, 198.5, 198.5], [0, 0, 0, 484]])
    # ask thresholds 100.5, 101, 102, 105
    # 0.5%: B 100.5x2 | 1%: A 101x1, C 101x2 | 2%: A 102x3 | 5%: B 103, C 104
    eq(b.ask_size, [[0, 1, 4, 4], [2, 2, 2, 3], [0, 2, 2, 3]])
    eq(b.ask_notional, [[0, 101, 407, 407], [201, 201, 201, 304], [0, 202, 202, 306]])
    eq(b.total_bid_size, [1, 4, 5, 10])
    eq(b.total_bid_notional, [99.5, 396.5, 494.5, 978.5])
    eq(b.total_ask_size, [2, 5, 8, 10])
    eq(b.total_ask_notional, [201, 504, 810, 1017])


def test_bands_parameters() -> None:
    with pytest.raises(ValueError, match="increasing"):
        view(bands_pct=(1.0, 0.5))
    with pytest.raises(ValueError, match="positive"):
        view(bands_pct=(0.0, 1.0))
    with pytest.raises(ValueError, match="window_pct"):
        view(window_pct=0.0)
    with pytest.raises(ValueError, match="top_n"):
        view(top_n=-1)
    with pytest.raises(ValueError, match="buckets_each_side"):
        view(buckets_each_side=1.5)
    none = view(bands_pct=())
    assert none.bands.bid_size.shape == (3, 0) and none.bid_size == 10.0


# =============================================================================== buckets


def test_buckets_on_fixed_grid() -> None:
    k = view().buckets
    # mid 100 is in bucket 100; 3 each side: buckets 97..103 (columns 0..6)
    assert (k.first, k.label, k.grid) == (97, "$1", Grid.fixed(1))
    eq(k.lower, [97, 98, 99, 100, 101, 102, 103])
    # bids: A 99 -> col 2, 98 -> col 1 (90 out of range); B 99.5 and 99 -> col 2;
    #       C 97 -> col 0 (96 below the range)
    eq(k.bid_size, [[0, 1, 2, 0, 0, 0, 0], [0, 0, 2, 0, 0, 0, 0], [4, 0, 0, 0, 0, 0, 0]])
    eq(
        k.bid_notional,
        [[0, 98, 198, 0, 0, 0, 0], [0, 0, 198.5, 0, 0, 0, 0], [388, 0, 0, 0, 0, 0, 0]],
    )
    # asks: A 101 -> col 4, 102 -> col 5; B 100.5 -> col 3, 103 -> col 6 (150 out);
    #       C 101 -> col 4 (104 above the range)
    eq(k.ask_size, [[0, 0, 0, 0, 1, 3, 0], [0, 0, 0, 2, 0, 0, 1], [0, 0, 0, 0, 2, 0, 0]])
    eq(
        k.ask_notional,
        [[0, 0, 0, 0, 101, 306, 0], [0, 0, 0, 201, 0, 0, 103], [0, 0, 0, 0, 202, 0, 0]],
    )
    # dominant by bid+ask notional: col 0 C 388; col 1 A 98; col 2 B 198.5 > A 198;
    # col 3 B 201; col 4 C 202 > A 101; col 5 A 306; col 6 B 103
    eq(k.dominant, [2, 0, 1, 1, 2, 0, 1])
    eq(k.dominant_bid, [2, 0, 1, -1, -1, -1, -1])
    eq(k.dominant_ask, [-1, -1, -1, 1, 2, 0, 1])


def test_bucket_edges_do_not_move_with_the_mid() -> None:
    books = three()
    # mid 100 -> 100.4 (C bids 100.3, asks 100.5: best 100.3 / 100.5): same mid bucket 100,
    # the same edges 97..103; C's ask 100.5 lands in column 3 (bucket 100)
    up = consolidate(
        [*books[:2], vb(C, [(100.3, 1.0)], [(100.5, 1.0)])], Grid.fixed(1), buckets_each_side=3
    )
    assert up.mid == pytest.approx(100.4, rel=1e-15)
    eq(up.buckets.lower, [97, 98, 99, 100, 101, 102, 103])
    eq(up.buckets.ask_size[2], [0, 0, 0, 1, 0, 0, 0])
    # mid 99.9 (C bids 99.8, asks 100.0): mid bucket 99, the range shifts by a whole bucket;
    # C's ask exactly on the edge 100 starts bucket 100 (column 4)
    down = consolidate(
        [*books[:2], vb(C, [(99.8, 1.0)], [(100.0, 1.0)])], Grid.fixed(1), buckets_each_side=3
    )
    assert down.mid == pytest.approx(99.9, rel=1e-15)
    eq(down.buckets.lower, [96, 97, 98, 99, 100, 101, 102])
    eq(down.buckets.ask_size[2], [0, 0, 0, 0, 1, 0, 0])


def test_bucket_tie_goes_to_first_venue() -> None:
    books = [vb(A, [(99.0, 1.0)], [(101.0, 1.0)]), vb(B, [(99.0, 1.0)], [(101.0, 1.0)])]
    k = consolidate(books, Grid.fixed(1), buckets_each_side=1).buckets
    eq(k.lower, [99, 100, 101])
    eq(k.dominant, [0, -1, 0])


def test_bps_buckets() -> None:
    # 100 bps from anchor 100: mid 100 is in bucket 0, edges 99.0099, 100, 101;
    # bids 99.5 -> bucket -1 (col 0), asks 100.5 -> bucket 0 (col 1)
    books = [vb(A, [(99.5, 2.0)], [(100.5, 1.0)])]
    k = consolidate(books, Grid.bps(100, anchor=100.0), buckets_each_side=1).buckets
    assert k.first == -1 and k.label == "100 bps"
    np.testing.assert_allclose(k.lower, [100 / 1.01, 100.0, 101.0], rtol=1e-15)
    eq(k.bid_notional, [[199.0, 0, 0]])
    eq(k.ask_notional, [[0, 100.5, 0]])


# =============================================================================== tops


def test_per_venue_tops() -> None:
    c = view(top_n=3)
    eq(c.top_bid_px, [[99, 98, 90], [99.5, 99, NAN], [97, 96, NAN]])
    eq(c.top_bid_sz, [[2, 1, 10], [1, 1, NAN], [4, 1, NAN]])
    eq(c.top_ask_px, [[101, 102, NAN], [100.5, 103, 150], [101, 104, NAN]])
    eq(c.top_ask_sz, [[1, 3, NAN], [2, 1, 4], [2, 1, NAN]])
    assert view(top_n=0).top_bid_px.shape == (3, 0)


def test_outputs_are_read_only_and_frozen() -> None:
    c = view()
    for arr in (c.venue_bid_size, c.bands.bid_size, c.buckets.ask_notional, c.top_ask_px):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.mid = 1.0  # type: ignore[misc]


# =============================================================================== edge cases


def test_empty_input() -> None:
    c = consolidate([], Grid.fixed(10))
    assert c.venues == () and c.best_bid_venue is None and c.best_ask_venue is None
    for x in (c.best_bid, c.best_ask, c.mid, c.vw_mid, c.spread_bps, c.imbalance, c.bid_size):
        assert math.isnan(x)
    assert c.crossed is False
    assert c.buckets.bid_size.shape == (0, 0) and c.buckets.lower.shape == (0,)
    assert c.bands.bid_size.shape == (0, 5) and np.isnan(c.bands.total_bid_size).all()
    assert c.top_bid_px.shape == (0, 5)


def test_one_sided_books() -> None:
    books = [vb(A, [(99.0, 2.0)], []), vb(B, [(98.0, 1.0)], [])]
    c = consolidate(books, Grid.fixed(1))
    assert (c.best_bid, c.best_bid_venue) == (99.0, A)
    assert math.isnan(c.best_ask) and c.best_ask_venue is None
    for x in (c.mid, c.vw_mid, c.spread_bps, c.imbalance, c.bid_notional, c.ask_size):
        assert math.isnan(x)
    assert np.isnan(c.bands.bid_size).all() and c.bands.bid_size.shape == (2, 5)
    assert c.buckets.bid_size.shape == (2, 0)  # no mid, no buckets
    eq(c.venue_best_ask, [NAN, NAN])
    eq(c.top_bid_px[:, 0], [99.0, 98.0])


def test_venue_with_empty_book_among_others() -> None:
    books = [*three(), vb(Venue.OKX, [], [])]
    c = consolidate(books, Grid.fixed(1), bands_pct=(0.5, 1.0, 2.0, 5.0), buckets_each_side=3)
    ref = view()
    assert c.mid == ref.mid and c.vw_mid == ref.vw_mid and c.imbalance == ref.imbalance
    eq(c.venue_bid_size, [3.0, 2.0, 5.0, 0.0])
    eq(c.bands.ask_size[3], [0, 0, 0, 0])
    eq(c.buckets.bid_size[3], [0] * 7)
    eq(c.venue_best_bid, [99.0, 99.5, 97.0, NAN])


def test_window_holding_nothing_gives_nan_imbalance() -> None:
    # spread 10 around mid 100 with a 1% window: no level within 99..101
    c = consolidate([vb(A, [(95.0, 1.0)], [(105.0, 1.0)])], Grid.fixed(1), window_pct=1.0)
    assert c.bid_notional == 0.0 and c.ask_notional == 0.0 and math.isnan(c.imbalance)


# =============================================================================== VenueBook


def test_venue_book_from_order_book() -> None:
    ob = OrderBook()
    ob.replace([["98", "1"], ["99.5", "2"], ["97", "3"]], [["101", "1"], ["100.5", "4"]])
    ob.apply([["98", "0"]], [["102", "5"]])  # size 0 deletes 98
    b = venue_book(A, market(A), ob)
    eq(b.bid_px, [99.5, 97.0])
    eq(b.bid_sz, [2.0, 3.0])
    eq(b.ask_px, [100.5, 101.0, 102.0])
    eq(b.ask_sz, [4.0, 1.0, 5.0])
    assert b.fx == 1.0 and b.bid_px.dtype == np.float64
    assert not b.bid_px.flags.writeable and not b.ask_sz.flags.writeable
    assert (b.best_bid, b.best_ask) == (99.5, 100.5)
    top = venue_book(A, market(A), ob, max_levels=2)
    eq(top.bid_px, [99.5, 97.0])
    eq(top.ask_px, [100.5, 101.0])
    eq(top.ask_sz, [4.0, 1.0])
    none = venue_book(A, market(A), ob, max_levels=0)
    assert none.bid_px.size == 0 and none.ask_px.size == 0
    empty = venue_book(A, market(A), OrderBook(ordered=True))
    assert empty.bid_px.size == 0 and math.isnan(empty.best_bid)
    with pytest.raises(ValueError, match="max_levels"):
        venue_book(A, market(A), ob, max_levels=-1)


def test_fx_converts_prices_to_consolidation_quote() -> None:
    # consolidating in USD: a USDT venue quoting 100.00 / 100.10 USDT at fx 0.999 USD/USDT
    # gives 100 * 0.999 = 99.9 and 100.1 * 0.999 = 99.9999 USD; a USD venue quotes
    # 99.95 / 100.05. In USD the best bid is the USD venue's 99.95 (not 100.00 USDT) and the
    # best ask the USDT venue's 99.9999 (not 100.05).
    ob = OrderBook()
    ob.replace([["100.00", "2"]], [["100.10", "1"]])
    usdt = venue_book(A, market(A, "USDT"), ob, fx=0.999)
    assert usdt.fx == 0.999
    assert usdt.bid_px[0] == pytest.approx(99.9, rel=1e-15)
    assert usdt.ask_px[0] == pytest.approx(99.9999, rel=1e-15)
    eq(usdt.bid_sz, [2.0])  # sizes stay in base units
    usd = vb(B, [(99.95, 1.0)], [(100.05, 1.0)])
    c = consolidate([usdt, usd], Grid.fixed(1))
    assert (c.best_bid, c.best_bid_venue) == (99.95, B)
    assert c.best_ask_venue == A and c.best_ask == pytest.approx(99.9999, rel=1e-15)
    assert c.mid == pytest.approx((99.95 + 99.9999) / 2, rel=1e-15)
    # notional in USD: 99.9 * 2 + 99.95 * 1 = 299.75 bid; 99.9999 + 100.05 = 200.0499 ask
    assert c.bid_notional == pytest.approx(299.75, rel=1e-14)
    assert c.ask_notional == pytest.approx(200.0499, rel=1e-14)
    # a BUY of 1.5 in USD: 1 @ 99.9999 (A) + 0.5 @ 100.05 (B) = 150.0249
    x = execution_cost([usdt, usd], Side.BUY, 1.5)
    assert x.consolidated.notional == pytest.approx(150.0249, rel=1e-14)
    eq(x.venue_filled, [1.0, 0.5])


def test_venue_book_validation() -> None:
    with pytest.raises(ValueError, match="positive"):
        vb(A, [(99.0, 0.0)], [])  # a level of size zero does not exist
    with pytest.raises(ValueError, match="positive"):
        vb(A, [], [(101.0, -1.0)])
    with pytest.raises(ValueError, match="positive"):
        vb(A, [(99.0, NAN)], [])
    with pytest.raises(ValueError, match="descending"):
        vb(A, [(98.0, 1.0), (99.0, 1.0)], [])
    with pytest.raises(ValueError, match="ascending"):
        vb(A, [], [(101.0, 1.0), (101.0, 1.0)])
    with pytest.raises(ValueError, match="positive and finite"):
        vb(A, [(0.0, 1.0)], [])
    with pytest.raises(ValueError, match="fx"):
        vb(A, [], [], fx=0.0)
    with pytest.raises(ValueError, match="length"):
        VenueBook(A, market(A), 1.0, np.ones(2), np.ones(1), np.empty(0), np.empty(0))


def test_venue_book_copies_writeable_input() -> None:
    px = np.array([99.0, 98.0])
    b = VenueBook(A, market(A), 1.0, px, np.ones(2), np.empty(0), np.empty(0))
    px[0] = 1.0  # the caller's array is theirs; the book kept its own copy
    assert px.flags.writeable and b.bid_px[0] == 99.0


# =============================================================================== sweeps


def test_buy_sweeps_several_venues() -> None:
    x = execution_cost(three(), Side.BUY, 4.0)
    f = x.consolidated
    # asks ascending: B 100.5 x2, A 101 x1, C 101 x2 (equal price: books order), A 102 ...
    # 4 units: 2 @ 100.5 (B) + 1 @ 101 (A) + 1 @ 101 (C) = 201 + 101 + 101 = 403
    assert (f.filled, f.notional, f.complete, f.shortfall) == (4.0, 403.0, True, 0.0)
    assert f.avg_price == 100.75  # 403 / 4
    assert (f.touch, f.mid, f.worst_price, f.levels) == (100.5, 100.0, 101.0, 3)
    assert f.slippage_touch_bps == pytest.approx(0.25 / 100.5 * 1e4, rel=1e-14)
    assert f.slippage_mid_bps == pytest.approx(75.0, rel=1e-14)  # 0.75 / 100 * 1e4
    assert x.venues == (A, B, C)
    eq(x.venue_filled, [1.0, 2.0, 1.0])
    eq(x.venue_notional, [101.0, 201.0, 101.0])


def test_buy_on_each_venue_alone() -> None:
    a, b, c = execution_cost(three(), Side.BUY, 4.0).alone
    # A: 101 x1 + 102 x3 = 407, avg 101.75; touch 101; A's mid (99 + 101) / 2 = 100
    assert (a.filled, a.notional, a.avg_price, a.complete) == (4.0, 407.0, 101.75, True)
    assert a.slippage_touch_bps == pytest.approx(0.75 / 101 * 1e4, rel=1e-14)
    assert a.slippage_mid_bps == pytest.approx(175.0, rel=1e-14)
    # B: 100.5 x2 + 103 x1 + 150 x1 = 201 + 103 + 150 = 454, avg 113.5, 3 levels
    assert (b.notional, b.avg_price, b.levels, b.worst_price) == (454.0, 113.5, 3, 150.0)
    assert b.slippage_mid_bps == pytest.approx(1350.0, rel=1e-14)  # 13.5 / 100 * 1e4
    # C holds only 3 units: 101 x2 + 104 x1 = 306, avg 102; 1 unit short
    assert (c.filled, c.notional, c.avg_price) == (3.0, 306.0, 102.0)
    assert (c.complete, c.shortfall, c.requested) == (False, 1.0, 4.0)
    assert c.mid == 99.0  # C's own mid: (97 + 101) / 2
    assert c.slippage_touch_bps == pytest.approx(1 / 101 * 1e4, rel=1e-14)


def test_sell_exhausts_liquidity() -> None:
    x = execution_cost(three(), Side.SELL, 100.0)
    f = x.consolidated
    # every bid: A 13 units (99x2 + 98x1 + 90x10 = 198 + 98 + 900 = 1196),
    # B 2 (99.5 + 99 = 198.5), C 5 (388 + 96 = 484): 20 units, 1878.5
    assert (f.filled, f.notional, f.complete, f.shortfall) == (20.0, 1878.5, False, 80.0)
    assert f.avg_price == 1878.5 / 20  # 93.925
    assert (f.touch, f.worst_price, f.levels) == (99.5, 90.0, 7)
    # a SELL's slippage is positive when it receives less than the touch / mid
    assert f.slippage_touch_bps == pytest.approx((99.5 - 93.925) / 99.5 * 1e4, rel=1e-12)
    assert f.slippage_mid_bps == pytest.approx((100 - 93.925) / 100 * 1e4, rel=1e-12)
    eq(x.venue_filled, [13.0, 2.0, 5.0])
    eq(x.venue_notional, [1196.0, 198.5, 484.0])


def test_sell_partial_level() -> None:
    # 2.5 units: 99.5 (B 1) then 99 (A 2 before B 1): 1 @ 99.5 + 1.5 @ 99 = 99.5 + 148.5 = 248
    x = execution_cost(three(), Side.SELL, 2.5)
    assert x.consolidated.notional == 248.0 and x.consolidated.avg_price == 248.0 / 2.5
    eq(x.venue_filled, [1.5, 1.0, 0.0])


def test_buy_in_quote_notional() -> None:
    # 302 quote: 100.5 x2 (201) then 101 from A (101) ends exactly at A's level
    x = execution_cost(three(), Side.BUY, 302.0, in_quote=True)
    f = x.consolidated
    assert (f.requested, f.notional, f.filled, f.complete) == (302.0, 302.0, 3.0, True)
    assert f.avg_price == pytest.approx(302 / 3, rel=1e-15)
    eq(x.venue_filled, [1.0, 2.0, 0.0])
    # 251.5 quote: 201 from B, then 50.5 / 101 = 0.5 unit from A
    y = execution_cost(three(), Side.BUY, 251.5, in_quote=True)
    assert y.consolidated.filled == 2.5 and y.consolidated.worst_price == 101.0
    eq(y.venue_notional, [50.5, 201.0, 0.0])
    # C alone holds 101 x 2 + 104 x 1 = 306 of quote: 251.5 fills, 400 leaves 94 short
    assert y.alone[2].complete is True
    z = execution_cost(three(), Side.BUY, 400.0, in_quote=True).alone[2]
    assert (z.complete, z.shortfall, z.notional, z.filled) == (False, 94.0, 306.0, 3.0)


def test_sweep_edge_cases() -> None:
    with pytest.raises(ValueError, match="quantity"):
        execution_cost(three(), Side.BUY, 0.0)
    with pytest.raises(ValueError, match="quantity"):
        execution_cost(three(), Side.SELL, NAN)
    nothing = execution_cost([], Side.BUY, 1.0)
    f = nothing.consolidated
    assert (f.filled, f.notional, f.complete, f.shortfall, f.levels) == (0.0, 0.0, False, 1.0, 0)
    assert math.isnan(f.avg_price) and math.isnan(f.touch) and math.isnan(f.slippage_mid_bps)
    assert nothing.alone == () and nothing.venue_filled.shape == (0,)
    # asks only: a BUY fills but the mid (and its slippage) is undefined
    asks_only = execution_cost([vb(A, [], [(101.0, 1.0)])], Side.BUY, 1.0).consolidated
    assert asks_only.avg_price == 101.0 and asks_only.slippage_touch_bps == 0.0
    assert math.isnan(asks_only.mid) and math.isnan(asks_only.slippage_mid_bps)


# =============================================================================== cross-check


def naive_books(seed: int) -> list[VenueBook]:
    """Three venues of 40 levels/side on a 0.25 tick around 100 (fixed seed: literal data)."""
    rng = np.random.default_rng(seed)
    out = []
    for venue in (A, B, C):
        bids = sorted({100.0 - 0.25 * int(k) for k in rng.integers(1, 60, 40)}, reverse=True)
        asks = sorted({100.0 + 0.25 * int(k) for k in rng.integers(1, 60, 40)})
        out.append(
            vb(
                venue,
                [(p, float(rng.integers(1, 9))) for p in bids],
                [(p, float(rng.integers(1, 9))) for p in asks],
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_naive_loop(seed: int) -> None:
    """The vectorised passes equal plain loops over every level (window 3%, bands, buckets)."""
    books = naive_books(seed)
    c = consolidate(
        books, Grid.fixed(1), window_pct=3.0, bands_pct=(0.5, 1, 2), buckets_each_side=4
    )
    bb = max(b.bid_px[0] for b in books)
    ba = min(b.ask_px[0] for b in books)
    mid = (bb + ba) / 2
    assert (c.best_bid, c.best_ask, c.mid) == (bb, ba, mid)
    # top-5 merged levels by price
    merged: dict[str, dict[float, float]] = {"bid": {}, "ask": {}}
    for b in books:
        for p, s in zip(b.bid_px.tolist(), b.bid_sz.tolist()):
            merged["bid"][p] = merged["bid"].get(p, 0.0) + s
        for p, s in zip(b.ask_px.tolist(), b.ask_sz.tolist()):
            merged["ask"][p] = merged["ask"].get(p, 0.0) + s
    tb = sorted(merged["bid"].items(), reverse=True)[:5]
    ta = sorted(merged["ask"].items())[:5]
    bv = sum(p * s for p, s in tb)
    av = sum(p * s for p, s in ta)
    wb = sum(p * p * s for p, s in tb) / bv
    wa = sum(p * p * s for p, s in ta) / av
    assert c.vw_mid == pytest.approx(wb * av / (bv + av) + wa * bv / (bv + av), rel=1e-13)
    first = math.floor(mid) - 4
    for i, b in enumerate(books):
        for pct, j in ((3.0, None), (0.5, 0), (1.0, 1), (2.0, 2)):
            lo, hi = mid - mid * pct / 100, mid + mid * pct / 100
            bs = sum(s for p, s in zip(b.bid_px, b.bid_sz) if p >= lo)
            an = sum(p * s for p, s in zip(b.ask_px, b.ask_sz) if p <= hi)
            got_bs = c.venue_bid_size[i] if j is None else c.bands.bid_size[i, j]
            got_an = c.venue_ask_notional[i] if j is None else c.bands.ask_notional[i, j]
            assert got_bs == pytest.approx(bs, rel=1e-13)
            assert got_an == pytest.approx(an, rel=1e-13)
        for col in range(9):
            k = first + col
            bn = sum(p * s for p, s in zip(b.bid_px, b.bid_sz) if math.floor(p) == k)
            asz = sum(s for p, s in zip(b.ask_px, b.ask_sz) if math.floor(p) == k)
            assert c.buckets.bid_notional[i, col] == pytest.approx(bn, rel=1e-13)
            assert c.buckets.ask_size[i, col] == pytest.approx(asz, rel=1e-13)
    # a BUY of 30 units, level by level
    asks = sorted(
        ((p, i, s) for i, b in enumerate(books) for p, s in zip(b.ask_px, b.ask_sz)),
        key=lambda t: (t[0], t[1]),
    )
    left, notional = 30.0, 0.0
    for p, _, s in asks:
        q = min(left, s)
        notional += p * q
        left -= q
        if left == 0:
            break
    x = execution_cost(books, Side.BUY, 30.0)
    assert x.consolidated.notional == pytest.approx(notional, rel=1e-13)
    assert x.venue_filled.sum() == pytest.approx(30.0, rel=1e-13)
