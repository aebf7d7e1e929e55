"""Benchmark: venue_book() + consolidate() per pass, against the seed's consolidation step.

Synthetic books: 7 venues x 1,000 levels per side, tick 0.01 with random gaps of 1-30 ticks,
exponential sizes; BTC-like (mid ~60,000, $10 grid) and ETH-like (mid ~3,000, $1 grid); one
venue is quoted in another currency (fx 0.9995). Each pass builds the 7 ``VenueBook`` from
live ``OrderBook`` objects and consolidates them with every metric (window, 5 bands, 401
buckets, tops). ``execution_cost`` of a market order is timed on the same books.

``venue_book`` reads each book's dicts, so its cost depends on their layout (``--order``):

* ``live`` (default): levels inserted in random price order, each level's floats allocated
  when it arrives, as in a book built from a stream of updates;
* ``snapshot``: levels inserted in price order (a book right after a snapshot): best case;
* ``scattered``: dict order unrelated to where the floats sit in memory: every read is a
  cache miss, the worst case.

Wall time (perf_counter) and this thread's CPU time are both printed: on a machine shared
with other jobs the CPU time is the steadier figure.

The seed's step (``../shared/bench/seed_consolidate.py``) is timed in the same run on the
same sizes (7 exchanges x 1,000 levels); that part is skipped with a message when the file
is absent.

Run: ``.venv/bin/python bench/bench_consolidate.py [--passes N] [--seed-passes M]
[--order live|snapshot|scattered]``. Prints figures only (no pass/fail).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

from provider.book import OrderBook  # noqa: E402
from provider.consolidate import consolidate, execution_cost, venue_book  # noqa: E402
from provider.grid import Grid  # noqa: E402
from provider.models import Market, Side, Venue  # noqa: E402

SEED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "seed_consolidate.py"
VENUES = list(Venue)  # 7 venues
LEVELS = 1000


#: how the book dicts are laid out (see the module docstring)
ORDERS = ("live", "snapshot", "scattered")


def synthetic_books(
    base: str, mid: float, mean_size: float, seed: int, order: str = "live"
) -> list[tuple[Venue, Market, OrderBook, float]]:
    """7 venues x LEVELS levels per side around ``mid``; the last venue has fx 0.9995."""
    rng = np.random.default_rng(seed)
    out = []
    for i, venue in enumerate(VENUES):
        fx = 0.9995 if i == len(VENUES) - 1 else 1.0
        vmid = mid * (1.0 + rng.normal(0.0, 2e-5)) / fx
        book = OrderBook()
        sides = []
        for sign in (-1.0, 1.0):
            gaps = rng.integers(1, 31, LEVELS) * 0.01
            px = np.round(vmid + sign * (0.01 * rng.integers(1, 50) + np.cumsum(gaps)), 2)
            sz = np.round(rng.exponential(mean_size, LEVELS), 5) + 1e-5
            if order == "live":  # levels arrive in random price order
                perm = rng.permutation(LEVELS)
                px, sz = px[perm], sz[perm]
            # the float objects are allocated here, in arrival order (as when parsed)
            sides.append([[p, s] for p, s in zip(px.tolist(), sz.tolist())])
        book.replace(sides[0], sides[1])
        if order == "scattered":  # dict order unrelated to where the floats live
            for levels in (book.bids, book.asks):
                items = list(levels.items())
                levels.clear()
                levels.update(items[j] for j in rng.permutation(len(items)))
        quote = "USD" if fx != 1.0 else "USDT"
        market = Market(venue, f"{base}{quote}", f"{base}/{quote}", base, quote)
        out.append((venue, market, book, fx))
    return out


def _stats(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.99 * len(ms)))]


def time_ours(label: str, books: list, grid: Grid, passes: int) -> tuple[float, float]:
    """Median wall and CPU ms of venue_book x7 + consolidate (prints the split too)."""
    for _ in range(10):
        consolidate([venue_book(v, m, b, fx) for v, m, b, fx in books], grid)
    wall, cpu, part_vb, part_c = [], [], [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        vbs = [venue_book(v, m, b, fx) for v, m, b, fx in books]
        t1 = time.perf_counter()
        consolidate(vbs, grid)
        t2 = time.perf_counter()
        cpu.append((time.thread_time() - c0) * 1e3)
        wall.append((t2 - t0) * 1e3)
        part_vb.append((t1 - t0) * 1e3)
        part_c.append((t2 - t1) * 1e3)
    med, p99 = _stats(wall)
    cmed, cp99 = _stats(cpu)
    sweep = []
    for _ in range(passes):
        t0 = time.perf_counter()
        execution_cost(vbs, Side.BUY, 25.0 if label == "BTC" else 400.0)
        sweep.append((time.perf_counter() - t0) * 1e3)
    print(
        f"{label}: venue_book x{len(books)} + consolidate, {LEVELS} levels/side, grid "
        f"{grid.label}, {passes} passes: wall median {med:.3f} ms, p99 {p99:.3f} ms, "
        f"min {min(wall):.3f} ms | CPU median {cmed:.3f} ms, p99 {cp99:.3f} ms | split "
        f"(medians) venue_book {statistics.median(part_vb):.3f} ms, consolidate "
        f"{statistics.median(part_c):.3f} ms | execution_cost median "
        f"{statistics.median(sweep):.3f} ms"
    )
    return med, cmed


def load_seed() -> ModuleType | None:
    if not SEED.is_file():
        return None
    spec = importlib.util.spec_from_file_location("seed_consolidate", SEED)
    if spec is None or spec.loader is None:
        return None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=300)
    ap.add_argument("--seed-passes", type=int, default=30)
    ap.add_argument("--order", choices=ORDERS, default="live", help="book dict layout")
    args = ap.parse_args()

    print(f"book dicts: {args.order}")
    # both symbols' books are built before any timing, so neither is laid out in a heap
    # already churned by the other's passes
    btc_books = synthetic_books("BTC", 60_000.0, 0.5, 1, args.order)
    eth_books = synthetic_books("ETH", 3_000.0, 8.0, 2, args.order)
    btc = time_ours("BTC", btc_books, Grid.fixed(10), args.passes)
    time_ours("ETH", eth_books, Grid.fixed(1), args.passes)

    seed = load_seed()
    if seed is None:
        print(f"seed step skipped: {SEED} not found")
        return
    books = seed.synthetic(n_ex=len(VENUES), levels=LEVELS)
    seed.consolidate(books)
    times, cpu = [], []
    for _ in range(args.seed_passes):
        t = time.perf_counter()
        c = time.thread_time()
        seed.consolidate(books)
        cpu.append((time.thread_time() - c) * 1e3)
        times.append((time.perf_counter() - t) * 1e3)
    med = statistics.median(times)
    print(
        f"seed step, {len(VENUES)} exchanges x {LEVELS} levels/side, {args.seed_passes} passes: "
        f"wall median {med:.2f} ms, min {min(times):.2f} ms | CPU median "
        f"{statistics.median(cpu):.2f} ms"
    )
    ratio_cpu = statistics.median(cpu) / btc[1]
    print(
        f"ratio seed / ours (BTC): wall medians {med / btc[0]:.1f}x, CPU medians {ratio_cpu:.1f}x"
    )


if __name__ == "__main__":
    main()
