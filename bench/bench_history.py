"""Benchmark: liquidity history memory and speed for a full hour (plus profile/stats costs).

Two symbols x 7 venues x 400 buckets x 3600 one-second rows (``LiquidityHistory`` defaults),
every row recorded from a 7 x 600 input array whose range and centre drift like a market
(so every row has its own ``lo_index``), 20,000 trades held per symbol. Prints:

* memory: the arrays' ``nbytes`` and the tracemalloc / RSS growth from building and filling
  both histories (target: 200 MB in all);
* ``record`` per row, the full-hour ``window`` (all venues and a 3-venue mask), a one-second
  ``since`` and ``trades_between`` for the hour: median and p99;
* ``VolumeProfile.add`` per trade, ``view``, ``RollingStats.update`` and ``view``.

Run: ``.venv/bin/python bench/bench_history.py [--reps N]``. Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

from provider.history import LiquidityHistory  # noqa: E402
from provider.models import Market, Side, Trade, Venue  # noqa: E402
from provider.profile import VolumeProfile  # noqa: E402
from provider.stats import RollingStats  # noqa: E402

VENUES = tuple(Venue)  # 7 venues
SECONDS, WIDTH, GIVEN = 3600, 400, 600
SYMBOLS = 2
T0 = 1_700_000_000.0
MB = 1024 * 1024


def rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def quantiles(samples: list[float]) -> str:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(0.99 * len(s)))]
    return f"median {statistics.median(s) * 1e3:8.3f} ms   p99 {p99 * 1e3:8.3f} ms   (n={len(s)})"


def show(label: str, samples: list[float]) -> None:
    print(f"  {label:<24} {quantiles(samples)}")


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=50, help="repetitions of each window timing")
    args = ap.parse_args()

    rng = np.random.default_rng(7)
    pool = rng.exponential(2.0, size=(64, len(VENUES), GIVEN))  # reused inputs
    pool[pool < 0.5] = 0.0  # empty buckets
    walk = np.cumsum(rng.integers(-3, 4, size=SECONDS))  # bucket drift of the market
    markets = [Market(v, "X", "BTC/USDT", "BTC", "USDT") for v in VENUES]
    trades = [
        Trade(markets[i % 7], 60_000.0 + (i % 500), 0.01 * (1 + i % 9), Side.BUY, "t")
        for i in range(20_000)
    ]

    gc.collect()
    tracemalloc.start()
    rss0 = rss()
    hists = [LiquidityHistory(VENUES, seconds=SECONDS, width=WIDTH) for _ in range(SYMBOLS)]
    rec: list[float] = []
    for sym, h in enumerate(hists):
        base = 6000 * (sym + 1)
        for i in range(SECONDS):
            lo = base + int(walk[i]) - GIVEN // 2
            sizes = pool[i % len(pool)]
            h.record(T0 + i, lo, sizes, 1.0, 2.0, 1.5, centre=lo + GIVEN // 2)
        for j, tr in enumerate(trades):
            h.add_trade(tr, t=T0 + j * (SECONDS / len(trades)))
    traced, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = rss()
    nbytes = sum(h.nbytes for h in hists)

    print(
        f"history: {SYMBOLS} symbols x {len(VENUES)} venues x {WIDTH} buckets x {SECONDS} s "
        f"(all rows recorded), {len(trades)} trades each"
    )
    # record timed without tracemalloc (which slows every allocation): a second hour of rows
    # overwriting the first, as in steady state.
    for sym, h in enumerate(hists):
        base = 6000 * (sym + 1)
        for i in range(SECONDS):
            lo = base + int(walk[i]) - GIVEN // 2
            sizes = pool[i % len(pool)]
            t = time.perf_counter()
            h.record(T0 + SECONDS + i, lo, sizes, 1.0, 2.0, 1.5, centre=lo + GIVEN // 2)
            rec.append(time.perf_counter() - t)
    rss2 = rss()
    per_sym = nbytes / SYMBOLS / MB
    print(f"  nbytes (arrays)          {nbytes / MB:8.1f} MB  ({per_sym:.1f} per symbol)")
    print(f"  tracemalloc growth       {traced / MB:8.1f} MB")
    print(f"  RSS growth               {(rss1 - rss0) / MB:8.1f} MB   (target <= 200 MB in all)")
    print(f"  RSS growth, second hour  {(rss2 - rss1) / MB:8.1f} MB")
    show("record one row", rec)

    h = hists[0]
    t_0, t_end = T0 + SECONDS, T0 + 2 * SECONDS - 1
    lo = 6000 + int(walk[-1]) - WIDTH // 2
    some = [Venue.BINANCE, Venue.COINBASE, Venue.OKX]
    w = h.window(t_0, t_end, lo, WIDTH)
    assert w.z.shape == (SECONDS, WIDTH)
    reps = args.reps
    show("window full hour, all", timed(lambda: h.window(t_0, t_end, lo, WIDTH), reps))
    show("window full hour, 3 ven", timed(lambda: h.window(t_0, t_end, lo, WIDTH, some), reps))
    show("since (last 1 s)", timed(lambda: h.since(t_end - 1, lo, WIDTH), 1000))
    show("trades_between (hour)", timed(lambda: h.trades_between(T0, T0 + SECONDS), 200))
    nan_share = float(np.isnan(w.z).mean())
    print(f"  (full-hour window: {w.z.nbytes / MB:.1f} MB, {nan_share:.0%} NaN cells: rows drift)")

    prof = VolumeProfile(10.0, T0, VENUES)
    adds = [
        Trade(markets[i % 7], 60_000.0 + float(rng.normal(0, 300)), 0.01, Side.SELL, "t")
        for i in range(20_000)
    ]
    t = time.perf_counter()
    for i, tr in enumerate(adds):
        prof.add(tr, T0 + i)
    per_add = (time.perf_counter() - t) / len(adds)
    print(
        f"profile: add {per_add * 1e6:.2f} us/trade; {len(prof)} buckets after {len(adds)} trades"
    )
    show("view (no cache)", timed(lambda: prof._build(), 200))

    st = RollingStats()
    n_up = 36_000  # an hour at 10 per second
    t = time.perf_counter()
    for i in range(n_up):
        st.update(T0 + i / 10, 60_000.0 + (i % 50), 1.5, 100.0 + (i % 7), 90.0, 0.05)
        st.count(VENUES[i % 7], T0 + i / 10)
    per_up = (time.perf_counter() - t) / n_up
    print(f"stats: update + count {per_up * 1e6:.2f} us per consolidated update (3 windows)")
    tv = T0 + n_up / 10
    show("view", timed(lambda: st.view(tv), 1000))


if __name__ == "__main__":
    main()
