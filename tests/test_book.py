"""The single update rule, on both side indexes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.book import HeapSide, OrderBook

BOTH = pytest.mark.parametrize("ordered", [False, True], ids=["heap", "sorted"])


@BOTH
def test_snapshot_then_updates(ordered: bool) -> None:
    b = OrderBook(ordered=ordered)
    b.replace([["100.0", "1"], ["99.5", "2"]], [["101", "3"], ["102.50", "4"]])
    assert b.best_bid() == 100.0 and b.best_ask() == 101.0
    b.apply([["100.00", "0"], ["99.9", "5"]], [["101.0", "0.5"]])
    assert b.top_bids(5) == [(99.9, 5.0), (99.5, 2.0)]
    assert b.top_asks(5) == [(101.0, 0.5), (102.5, 4.0)]
    assert not b.is_crossed()


@BOTH
def test_padding_does_not_matter(ordered: bool) -> None:
    b = OrderBook(ordered=ordered)
    b.replace([["0.35130000", "1"]], [])
    b.apply([["0.3513", "0.00000000"]], [])
    assert b.bids == {} and b.best_bid() is None


@BOTH
def test_delete_unknown_level_is_ignored(ordered: bool) -> None:
    b = OrderBook(ordered=ordered)
    b.replace([["1", "1"]], [["2", "1"]])
    b.apply([["0.5", "0"]], [["3", "0"]])
    assert b.top_bids(9) == [(1.0, 1.0)] and b.top_asks(9) == [(2.0, 1.0)]


@BOTH
def test_replace_drops_everything(ordered: bool) -> None:
    b = OrderBook(ordered=ordered)
    b.replace([["1", "1"], ["2", "1"]], [["3", "1"]])
    b.replace([["1.5", "7"]], [["4", "1"]])
    assert b.top_bids(9) == [(1.5, 7.0)] and b.top_asks(9) == [(4.0, 1.0)]


@BOTH
def test_crossed_is_visible(ordered: bool) -> None:
    b = OrderBook(ordered=ordered)
    b.replace([["100", "1"]], [["101", "1"]])
    assert b.crossing() is None
    b.apply([["101", "1"]], [])
    assert b.is_crossed()
    assert b.crossing() == (101.0, 101.0)
    b.apply([["101.5", "1"]], [])
    assert b.crossing() == (101.5, 101.0)


@BOTH
@pytest.mark.parametrize(
    "level", [["nan", "1"], ["-1", "1"], ["0", "1"], ["inf", "1"], ["1", "-1"], ["1", "nan"]]
)
def test_bad_levels_are_refused(ordered: bool, level: list[str]) -> None:
    b = OrderBook(ordered=ordered)
    with pytest.raises(ValueError):
        b.apply([level], [])


def test_depth_window_drops_worst_levels() -> None:
    b = OrderBook(ordered=True)
    b.replace([["1", "1"], ["2", "1"], ["3", "1"]], [["4", "1"], ["5", "1"], ["6", "1"]], depth=2)
    assert b.bid_side.prices() == [3.0, 2.0] and b.ask_side.prices() == [4.0, 5.0]
    b.apply([["3.5", "1"]], [["3.8", "1"]])
    assert b.bid_side.prices() == [3.5, 3.0] and b.ask_side.prices() == [3.8, 4.0]
    assert sorted(b.bid_side.raw) == [3.0, 3.5]  # wire items follow the window


def test_sorted_side_keeps_wire_items() -> None:
    b = OrderBook(ordered=True)
    item = ["0.05005", "0.00000500", "1582905487.684110"]
    b.replace([item], [])
    assert b.bid_side.top_raw(1) == [item]


level_ops = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(min_value=1, max_value=60),
        st.sampled_from([0, 0, 1, 2, 5]),
    ),
    max_size=200,
)


@given(level_ops)
@settings(max_examples=300, deadline=None)
def test_both_indexes_agree_with_a_plain_dict(ops: list[tuple[bool, int, int]]) -> None:
    """Random updates: both indexes give the same levels, in order, as a dict + sort."""
    heap, srt = OrderBook(False), OrderBook(True)
    ref: dict[bool, dict[float, float]] = {True: {}, False: {}}
    for is_bid, tick, size in ops:
        price = tick / 4  # bids and asks may interleave: we test ordering, not crossing
        lv = [[str(price), str(size)]]
        for b in (heap, srt):
            b.apply(lv, []) if is_bid else b.apply([], lv)
        if size:
            ref[is_bid][price] = float(size)
        else:
            ref[is_bid].pop(price, None)
    want_b = sorted(ref[True].items(), reverse=True)
    want_a = sorted(ref[False].items())
    for b in (heap, srt):
        assert b.top_bids(1000) == want_b
        assert b.top_asks(1000) == want_a
        assert b.best_bid() == (want_b[0][0] if want_b else None)
        assert b.best_ask() == (want_a[0][0] if want_a else None)


def test_heap_rebuilds_after_many_deletes() -> None:
    rnd = random.Random(7)
    b = OrderBook()
    for _ in range(50):
        prices = [rnd.randint(1, 10_000) / 100 for _ in range(100)]
        b.apply([[p, 1] for p in prices], [])
        # only a push grows the heap, so that is where its size is bounded
        assert len(b.bid_side._heap) <= 2 * len(b.bids) + 64
        b.apply([[p, 0] for p in prices[:-1]], [])
        assert b.best_bid() == max(b.bids)


@pytest.mark.parametrize("indexed", [1, 3, HeapSide.INDEXED])
@pytest.mark.parametrize("snapshot", [False, True], ids=["empty", "snapshot"])
def test_best_follows_a_wandering_price(
    indexed: int, snapshot: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A price that trends, reverses and empties a side: after every update the best price and
    the top 40 equal a plain dict's (with heaps that index few prices, so that they run out
    and index again many times)."""
    monkeypatch.setattr(HeapSide, "INDEXED", indexed)
    rnd = random.Random(11)
    b = OrderBook()
    ref: tuple[dict[float, float], dict[float, float]] = ({}, {})
    mid = 10_000
    if snapshot:  # the heaps start with an edge: deeper new levels are not pushed
        ref[0].update({(mid - t) / 10: 1.0 for t in range(1, 200)})
        ref[1].update({(mid + t) / 10: 1.0 for t in range(1, 200)})
        b.replace([[str(p), "1"] for p in ref[0]], [[str(p), "1"] for p in ref[1]])
    for step in range(3000):
        mid += rnd.choice((-3, -1, 0, 1, 3)) if step % 700 < 600 else 7  # then a run upwards
        bids, asks = [], []
        for _ in range(rnd.randint(1, 12)):
            is_bid = rnd.random() < 0.5
            tick = mid - rnd.randint(1, 80) if is_bid else mid + rnd.randint(1, 80)
            size = rnd.choice((0, 0, 1, 2, 5))
            (bids if is_bid else asks).append([f"{tick / 10:.1f}", str(size)])
        if step % 997 == 0:  # a side emptied completely
            bids += [[str(p), "0"] for p in ref[0]]
        # the walk may cross old levels: remove those, as a venue would
        bids += [[str(p), "0"] for p in ref[0] if p >= (mid - 0.5) / 10]
        asks += [[str(p), "0"] for p in ref[1] if p <= (mid + 0.5) / 10]
        b.apply(bids, asks)
        for side, lv in ((ref[0], bids), (ref[1], asks)):
            for p, q in lv:
                if float(q):
                    side[float(p)] = float(q)
                else:
                    side.pop(float(p), None)
        assert b.best_bid() == (max(ref[0]) if ref[0] else None)
        assert b.best_ask() == (min(ref[1]) if ref[1] else None)
        assert b.top_bids(40) == sorted(ref[0].items(), reverse=True)[:40]
        assert b.top_asks(40) == sorted(ref[1].items())[:40]


def test_a_heap_indexes_only_the_best_prices() -> None:
    """After a snapshot the heap holds the best ``INDEXED`` prices; a new level deeper than
    those is stored but not pushed, a better one is pushed; when every indexed price is
    deleted, the next best are indexed."""
    n = HeapSide.INDEXED
    b = OrderBook()
    b.replace([[str(100 - i), "1"] for i in range(3 * n)], [])
    side = b.bid_side
    assert isinstance(side, HeapSide)
    assert sorted(side._heap) == [-float(100 - i) for i in range(n)]
    b.apply([["50", "2"], ["10.5", "1"]], [])  # deeper than the edge (100 - n + 1)
    assert len(side._heap) == n and b.bids[50.0] == 2.0
    b.apply([["100.5", "1"]], [])
    assert len(side._heap) == n + 1 and b.best_bid() == 100.5
    b.apply([[str(p), "0"] for p in [100.5, *range(100, 100 - n, -1)]], [])
    assert b.best_bid() == float(100 - n)
    assert sorted(side._heap) == [-float(100 - n - i) for i in range(n)]
    b.apply([[str(p), "0"] for p in list(b.bids)], [])
    assert b.best_bid() is None and side._heap == []


@given(level_ops)
@settings(max_examples=200, deadline=None)
def test_a_heap_of_two_agrees_with_a_plain_dict(ops: list[tuple[bool, int, int]]) -> None:
    """Random updates after a snapshot, with heaps that index only two prices: best prices,
    crossing (bids and asks overlap) and the full order equal a plain dict's."""
    saved = HeapSide.INDEXED
    HeapSide.INDEXED = 2
    try:
        b = OrderBook()
        ref: dict[bool, dict[float, float]] = {
            True: {t / 4: 1.0 for t in range(1, 30, 3)},
            False: {t / 4: 1.0 for t in range(2, 60, 5)},
        }
        b.replace([[str(p), "1"] for p in ref[True]], [[str(p), "1"] for p in ref[False]])
        for i, (is_bid, tick, size) in enumerate(ops):
            lv = [[str(tick / 4), str(size)]]
            b.apply(lv, []) if is_bid else b.apply([], lv)
            side = ref[is_bid]
            if size:
                side[tick / 4] = float(size)
            else:
                side.pop(tick / 4, None)
            bb, ba = max(ref[True], default=None), min(ref[False], default=None)
            crossed = (bb, ba) if bb is not None and ba is not None and bb >= ba else None
            assert b.crossing() == crossed  # first: on heaps that still hold deleted tops
            if i % 4 == 3:  # (best() drops deleted tops: let some pile up in between)
                assert b.best_bid() == bb
                assert b.best_ask() == ba
        assert b.top_bids(1000) == sorted(ref[True].items(), reverse=True)
        assert b.top_asks(1000) == sorted(ref[False].items())
    finally:
        HeapSide.INDEXED = saved


def test_a_crossing_is_found_when_a_heap_has_run_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bids' indexed prices are all deleted (the crossing check indexes the next best)
    and an ask comes in under the remaining best bid: crossed."""
    monkeypatch.setattr(HeapSide, "INDEXED", 2)
    b = OrderBook()
    b.replace([["10", "1"], ["9", "1"], ["8", "1"], ["7", "1"]], [["11", "1"], ["12", "1"]])
    b.apply([["10", "0"], ["9", "0"]], [["9.5", "1"]])  # under the deleted top bid
    assert b.crossing() is None
    assert sorted(b.bid_side._heap) == [-8.0, -7.0]  # type: ignore[union-attr]
    b.apply([], [["7.5", "2"]])
    assert b.crossing() == (8.0, 7.5)
