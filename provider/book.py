"""One local order book: the single update rule for every venue.

Rules that live here and nowhere else:

* a size of zero deletes the level (deleting an unknown level is normal and ignored);
* a snapshot replaces the whole book;
* levels beyond the venue's window (``depth``) are dropped after each update;
* a level whose price or size is not a positive finite number is refused (``ValueError``);
* crossing (best bid >= best ask) is visible through ``is_crossed()``.

Prices are floats parsed from the venue's decimal text: ``float()`` of a decimal string is
correctly rounded, so differently padded strings (``"0.10"``/``"0.1000"``) give one key.

A side is a dict ``price -> size`` plus an index that finds the best price. Two indexes,
chosen per book by what its sync guard needs:

* ``HeapSide`` (default): a lazy heap over the best prices only. A new price better than the
  heap's edge is pushed, a deeper one is not (no index work at all); deleting costs nothing
  (dead prices are dropped when they surface); when the heap runs out, the best prices are
  indexed again. Best price is amortised O(1); top-N and full sorts are computed on demand.
  This keeps Binance/Bybit/Coinbase/Huobi apply within a few percent of a bare dict loop.
* ``SortedSide`` (``ordered=True``): a sorted list with the best price at the end, so top-N is
  a slice. Checksum guards (Kraken, OKX, Bitfinex) read the top 10/25 on every message; this
  side also keeps each level's wire item (``raw``) so they can rebuild the venue's text.

The book does no I/O, knows nothing of sequence numbers, and is used from one thread.
If ``apply`` raises, the update was applied only in part: the caller must resync the book.
"""

from __future__ import annotations

from bisect import bisect_left
from heapq import heappop, heappush, nlargest, nsmallest
from typing import Any

from provider.models import Levels

_INF = float("inf")


def _bad_level(lv: Any) -> ValueError:
    return ValueError(f"bad book level {lv!r}")


class HeapSide:
    """One side with a lazy heap over its best prices.

    ``sign`` is -1 for bids, +1 for asks; heap keys are ``price * sign`` so the heap top is
    the best price. The heap holds every price whose key is at most ``_edge`` (the best
    ``INDEXED`` prices when it was last built, and those better than them added since), and
    maybe deleted ones: a deleted price stays until it surfaces at the top or the heap is
    rebuilt, so deletes cost nothing. A new price is pushed only when it is within the edge
    (most new levels of a diff stream are deeper): pushing is what the index costs, and a
    push into a small heap is cheap. When no live price is left in the heap, the best
    ``INDEXED`` prices are indexed again (``_index``): every price beyond the edge is worse
    than any price inside it, so the best price is always in the heap while it has one.

    Levels must be exactly ``[price, size]`` pairs (Binance, Bybit, Huobi; adapters of other
    shapes build pairs); longer wire items go to ``SortedSide``.
    """

    __slots__ = ("_edge", "_heap", "_sign", "sizes")

    #: how many of the best prices a rebuilt heap holds (tests set it low)
    INDEXED = 16

    def __init__(self, sign: float) -> None:
        self.sizes: dict[float, float] = {}
        self._heap: list[float] = []
        self._sign = sign
        self._edge = _INF  # every live price with key <= _edge is in the heap

    def clear(self) -> None:
        self.sizes.clear()
        self._heap.clear()
        self._edge = _INF

    def apply(self, levels: Levels, _inf: float = _INF, _push: Any = heappush) -> None:
        # Hot path: one pass over [price, size] pairs, no calls beyond float(), the dict
        # methods and the C heap push (defaults bind the globals as fast locals). Deletes
        # come first (half of a Binance diff); ``setdefault`` inserts a new level and tells
        # us it was new in one dict operation.
        d = self.sizes
        heap = self._heap
        sign = self._sign
        edge = self._edge
        pushed = False
        for p, q in levels:
            q = float(q)
            if q == 0.0:
                d.pop(float(p), None)
                continue
            p = float(p)
            if not 0.0 < q < _inf:
                raise _bad_level((p, q))
            if d.setdefault(p, q) is q:  # a new level (at worst a harmless second push)
                if not 0.0 < p < _inf:
                    del d[p]
                    raise _bad_level((p, q))
                k = p * sign
                if k <= edge:
                    _push(heap, k)
                    pushed = True
            else:
                d[p] = q
        # too many deleted prices: index afresh (only a push grows the heap, so only then)
        if pushed and len(heap) > 2 * len(d) + 64:
            self._index()

    def _index(self) -> None:
        """Rebuild the heap from the best ``INDEXED`` prices (ascending keys are a heap)."""
        d = self.sizes
        sign = self._sign
        n = self.INDEXED
        best = nlargest(n, d) if sign < 0 else nsmallest(n, d)
        self._heap[:] = [p * sign for p in best]
        self._edge = best[-1] * sign if len(d) > n else _INF

    def load(self, levels: Levels, _inf: float = _INF) -> None:
        """Replace the side with ``levels`` (a snapshot), then index its best prices."""
        d = self.sizes
        d.clear()
        for p, q in levels:
            p = float(p)
            q = float(q)
            if 0.0 < q < _inf and 0.0 < p < _inf:
                d[p] = q
            elif q != 0.0:
                raise _bad_level((p, q))
        self._index()

    def best(self) -> float | None:
        heap = self._heap
        d = self.sizes
        sign = self._sign
        while True:
            while heap:
                p = heap[0] * sign
                if p in d:
                    return p
                heappop(heap)
            if self._edge == _INF:  # the heap held every price: the side is empty
                return None
            self._index()  # every indexed price was deleted: index the next best

    def prices(self, n: int | None = None) -> list[float]:
        """Prices best first (all, or the best ``n``); computed on demand."""
        if n is None:
            return sorted(self.sizes, reverse=self._sign < 0)
        return nlargest(n, self.sizes) if self._sign < 0 else nsmallest(n, self.sizes)

    def trim(self, depth: int) -> None:
        if len(self.sizes) > depth:
            for p in self.prices()[depth:]:
                del self.sizes[p]
            self._index()


class SortedSide:
    """One side with a sorted index (best last) and the wire item of every level.

    ``sign`` is +1 for bids (ascending prices), -1 for asks (ascending negated prices).
    ``_items[i]`` is the wire item of the level at ``_keys[i]``, so the best ``n`` wire items
    (what checksum guards read on every message) are one slice.
    """

    __slots__ = ("_items", "_keys", "_sign", "sizes")

    def __init__(self, sign: float) -> None:
        self.sizes: dict[float, float] = {}
        self._keys: list[float] = []
        self._items: list[Any] = []
        self._sign = sign

    @property
    def raw(self) -> dict[float, Any]:
        """Price -> wire item (built on demand)."""
        sign = self._sign
        return {k * sign: it for k, it in zip(self._keys, self._items, strict=True)}

    def clear(self) -> None:
        self.sizes.clear()
        self._keys.clear()
        self._items.clear()

    def apply(self, levels: Levels) -> None:
        d = self.sizes
        keys = self._keys
        items = self._items
        sign = self._sign
        for lv in levels:
            p = float(lv[0])
            q = float(lv[1])
            if 0.0 < q < _INF:
                k = p * sign
                if p in d:
                    items[bisect_left(keys, k)] = lv
                else:
                    if not 0.0 < p < _INF:
                        raise _bad_level(lv)
                    i = bisect_left(keys, k)
                    keys.insert(i, k)
                    items.insert(i, lv)
                d[p] = q
            elif q == 0.0:
                if d.pop(p, None) is not None:
                    i = bisect_left(keys, p * sign)
                    del keys[i]
                    del items[i]
            else:
                raise _bad_level(lv)

    def load(self, levels: Levels) -> None:
        """Replace the side with ``levels`` (a snapshot): one sort instead of N inserts."""
        self.clear()
        d = self.sizes
        by_price: dict[float, Any] = {}
        for lv in levels:
            p = float(lv[0])
            q = float(lv[1])
            if 0.0 < q < _INF and 0.0 < p < _INF:
                d[p] = q
                by_price[p] = lv
            elif q != 0.0:
                raise _bad_level(lv)
        sign = self._sign
        order = sorted(d, key=lambda p: p * sign)
        self._keys[:] = [p * sign for p in order]
        self._items[:] = [by_price[p] for p in order]

    def best(self) -> float | None:
        return self._keys[-1] * self._sign if self._keys else None

    def prices(self, n: int | None = None) -> list[float]:
        """Prices best first (all, or the best ``n``)."""
        keys = self._keys if n is None else self._keys[-n:]
        sign = self._sign
        return [k * sign for k in reversed(keys)]

    def top_raw(self, n: int) -> list[Any]:
        """Wire items of the best ``n`` levels, best first."""
        return self._items[: -n - 1 : -1] if n > 0 else []

    def trim(self, depth: int) -> None:
        extra = len(self._keys) - depth
        if extra > 0:
            sign = self._sign
            for k in self._keys[:extra]:
                del self.sizes[k * sign]
            del self._keys[:extra]
            del self._items[:extra]


class OrderBook:
    """Bids and asks of one (venue, symbol)."""

    __slots__ = ("ask_side", "bid_side", "depth", "ordered", "version")

    def __init__(self, ordered: bool = False, depth: int | None = None) -> None:
        self.ordered = ordered
        self.version = 0  # bumped by every change: readers can cache what they derive
        self.bid_side: HeapSide | SortedSide
        self.ask_side: HeapSide | SortedSide
        if ordered:
            self.bid_side, self.ask_side = SortedSide(1.0), SortedSide(-1.0)
        else:
            self.bid_side, self.ask_side = HeapSide(-1.0), HeapSide(1.0)
        self.depth = depth

    @property
    def bids(self) -> dict[float, float]:
        return self.bid_side.sizes

    @property
    def asks(self) -> dict[float, float]:
        return self.ask_side.sizes

    # ----------------------------------------------------------------------------- updates

    def clear(self) -> None:
        self.bid_side.clear()
        self.ask_side.clear()
        self.version += 1

    def replace(self, bids: Levels, asks: Levels, depth: int | None = None) -> None:
        """Make the book equal to a snapshot (and adopt the venue's window, if any).

        A level of size zero in a snapshot is skipped (nothing to delete)."""
        self.depth = depth
        self.version += 1
        self.bid_side.load(bids)
        self.ask_side.load(asks)
        if depth is not None:
            self.bid_side.trim(depth)
            self.ask_side.trim(depth)

    def apply(self, bids: Levels, asks: Levels) -> None:
        """Apply absolute sizes to levels (size 0 deletes), then trim to ``depth``."""
        self.version += 1
        if bids:
            self.bid_side.apply(bids)
        if asks:
            self.ask_side.apply(asks)
        if self.depth is not None:
            self.bid_side.trim(self.depth)
            self.ask_side.trim(self.depth)

    # ----------------------------------------------------------------------------- reads

    def best_bid(self) -> float | None:
        return self.bid_side.best()

    def best_ask(self) -> float | None:
        return self.ask_side.best()

    def crossing(self) -> tuple[float, float] | None:
        """(best bid, best ask) when the bid is at or above the ask (never so in a correct
        book of one venue), else None."""
        if not self.ordered:
            # Checked after every delta, so first without a lookup: a heap's top is the best
            # price or a better one already deleted, so tops that do not cross prove that
            # the best prices do not either.
            bh = self.bid_side._heap  # type: ignore[union-attr]
            ah = self.ask_side._heap  # type: ignore[union-attr]
            if bh and ah and -bh[0] < ah[0]:
                return None
        b = self.bid_side.best()
        if b is None:
            return None
        a = self.ask_side.best()
        return (b, a) if a is not None and b >= a else None

    def is_crossed(self) -> bool:
        return self.crossing() is not None

    def top_bids(self, n: int) -> list[tuple[float, float]]:
        """Best ``n`` bids as (price, size), best first."""
        d = self.bid_side.sizes
        return [(p, d[p]) for p in self.bid_side.prices(n)] if n > 0 else []

    def top_asks(self, n: int) -> list[tuple[float, float]]:
        """Best ``n`` asks as (price, size), best first."""
        d = self.ask_side.sizes
        return [(p, d[p]) for p in self.ask_side.prices(n)] if n > 0 else []

    def __len__(self) -> int:
        return len(self.bid_side.sizes) + len(self.ask_side.sizes)

    def __repr__(self) -> str:
        return (
            f"OrderBook(bids={len(self.bids)}, asks={len(self.asks)}, "
            f"best={self.best_bid()}/{self.best_ask()})"
        )
