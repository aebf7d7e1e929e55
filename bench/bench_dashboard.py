"""Dashboard cost per refresh, first paint, and browser memory over time.

    python -m bench.bench_dashboard [--refreshes 60] [--browser-minutes 2] [--no-browser]

Server side: the real provider on the emulator (7 venues, BTC and ETH), its BTC heatmap
history filled for a whole hour, and the page's tick callbacks (panels, venue chips,
execution cost, heatmap) called once per second as the browser would, each output turned
into the JSON Dash sends. Printed: server time per refresh (median, p95), bytes per refresh,
and the first full heatmap draw (60 minutes x the buckets of the view).

Browser side (Debian's chromium through Playwright): time from navigation to every chart
drawn with data, then the JS heap after a forced full GC every 30 s while the page refreshes for
``--browser-minutes`` (30 for the README figure) and its slope.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import threading
import time
from typing import Any

import numpy as np
from dash._utils import to_json

from dashboard.app import create_app
from dashboard.callbacks import HEAT_REDRAW_S
from dashboard.view import ViewOptions, to_query
from provider.config import build_config
from provider.models import Venue
from provider.service import Provider
from provider.sources import Source, start_demo

#: the JS heap after a forced full GC, the heatmap's rows and its trade markers
HEAP_JS = """() => {
  gc();
  const gd = document.querySelector('#heatmap .js-plotly-plot');
  const d = (gd && gd.data) || [];
  return [performance.memory.usedJSHeapSize,
          d[0] && d[0].z ? d[0].z.length : 0,
          d[3] && d[3].x ? d[3].x.length : 0];
}"""

TICK_CALLBACKS = ("stats.children", "venue-toggle", "exec-table.children", "heatmap.figure")


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def _per_period(samples: list[tuple[float, float]], period: float) -> list[tuple[float, float]]:
    """(lowest, highest) value of each ``period`` seconds of (time, value) samples."""
    out: dict[int, list[float]] = {}
    for t, v in samples:
        out.setdefault(int((t - samples[0][0]) // period), []).append(v)
    return [(min(vs), max(vs)) for _, vs in sorted(out.items())]


def start() -> tuple[Source, Provider]:
    """The app's demo set-up: the emulator in its own process, the provider in a thread."""
    emu = start_demo(tuple(Venue), seed=21)
    cfg = build_config(("BTC", "ETH"), tuple(Venue), source="SIMULATED MARKET")
    p = Provider(cfg, endpoints=emu.endpoints).start()
    deadline = time.time() + 60
    while time.time() < deadline:
        s = p.snapshot("BTC")
        if s and len(s.consolidated.venues) == len(Venue):
            break
        time.sleep(0.5)
    return emu, p


def fill_history(p: Provider, symbol: str = "BTC") -> None:
    """Record the hour before now from the current consolidated buckets (with noise)."""
    eng = p._engines[symbol]
    snap = p.snapshot(symbol)
    assert snap is not None
    b = snap.consolidated.buckets
    rng = np.random.default_rng(1)
    base = np.zeros((len(eng.venues), b.lower.size))
    for i, v in enumerate(snap.consolidated.venues):
        base[eng.venues.index(v)] = b.bid_size[i] + b.ask_size[i]
    now = int(time.time())
    with eng.history_lock:
        for t in range(now - 3599, now - 5):
            noise = rng.lognormal(0.0, 0.3, base.shape)
            eng.history.record(
                float(t), b.first, base * noise, snap.consolidated.best_bid,
                snap.consolidated.best_ask, snap.consolidated.mid,
            )  # fmt: skip


def server_bench(p: Provider, refreshes: int) -> dict[str, Any]:
    app = create_app(p)
    fns = {}
    for key, spec in app.callback_map.items():
        for name in TICK_CALLBACKS:
            if name in key:
                fns[name] = spec["callback"].__wrapped__
    view = ViewOptions(symbol="BTC", venues=tuple(Venue), range_pct=2.0, heat_minutes=60)
    store = {"q": to_query(view)}
    heat_state = None
    t0 = time.perf_counter()
    fig, heat_state = fns["heatmap.figure"](0, store, None)
    first_ms = (time.perf_counter() - t0) * 1000
    first_json = to_json(fig)  # (the page gets the dict Dash sends, FigureBuilder.wire)
    z = fig["data"][0].get("z") if fig["data"] else None
    n_rows = len(z) if z is not None else 0
    n_cols = len(z[0]) if n_rows else 0
    times: list[float] = []
    sizes: list[int] = []
    for n in range(1, refreshes + 1):
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - t0) % 1.0))
        start = time.perf_counter()
        outs = [
            fns["stats.children"](n, store),
            fns["venue-toggle"](n, store),
            fns["exec-table.children"](n, "1", "buy", "base", store),
        ]
        try:
            outs.append(fns["heatmap.figure"](n, store, heat_state))
            heat_state = outs[-1][1]
        except Exception as exc:  # PreventUpdate: nothing new this second
            if type(exc).__name__ != "PreventUpdate":
                raise
        body = to_json(outs)  # what Dash sends (plotly's encoder; numpy as base64)
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(body))
    return {
        "refreshes": refreshes,
        "server_ms_median": statistics.median(times),
        "server_ms_p95": _pct(times, 0.95),
        "bytes_median": statistics.median(sizes),
        "bytes_p95": _pct(sizes, 0.95),
        "first_heatmap_ms": first_ms,
        "first_heatmap_bytes": len(first_json),
        "heatmap_cells": (n_rows, n_cols),
        "consolidation": p.statistics(),
    }


def browser_bench(p: Provider, minutes: float, paint_runs: int = 5) -> dict[str, Any]:
    from dashboard.server import PooledWSGIServer
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.test_dashboard import DRAWN_JS, GRAPHS

    app = create_app(p)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    srv = PooledWSGIServer("127.0.0.1", 0, app.server)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_port}/?range=2&heat=60&refresh=1000"
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            # first paint: a fresh browser each time (nothing cached); one load swings by a
            # second on 2 shared cores, so the median of several is what is reported
            paints = []
            for _ in range(max(1, paint_runs)):
                b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = b.new_page(viewport={"width": 1600, "height": 1000})
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_function(DRAWN_JS, arg=list(GRAPHS), timeout=120_000, polling=50)
                paints.append(time.perf_counter() - t0)
                b.close()
            out["first_paint_s"] = statistics.median(paints)
            out["first_paints_s"] = paints
            print(
                f"time to first paint (every chart drawn with data), fresh browser: median"
                f" {out['first_paint_s']:.2f} s of {', '.join(f'{x:.2f}' for x in paints)}"
            )
            if minutes <= 0:
                return out
            b = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"],
            )
            page = b.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url)
            page.wait_for_function(DRAWN_JS, arg=list(GRAPHS), timeout=120_000, polling=50)
            print(f"then the JS heap every 30 s for {minutes:g} min…", flush=True)
            samples = []
            end = time.time() + minutes * 60
            while True:
                # after a full collection: what the page keeps, not where the GC sawtooth is;
                # with it, what the heatmap holds (rows drawn, trade markers)
                used, rows, trades = page.evaluate(HEAP_JS)
                samples.append((time.time(), used / 2**20, rows, trades))
                if time.time() >= end:
                    break
                time.sleep(min(30.0, max(0.0, end - time.time())))
            b.close()
    finally:
        srv.shutdown()
        srv.server_close()
    out["heap_mb"] = heap = [(t, m) for t, m, _, _ in samples]
    out["heat_rows"] = [(t, r, n) for t, _, r, n in samples]
    # the heatmap is drawn in full every HEAT_REDRAW_S and patched in between, so the heap is
    # a sawtooth of that period: whether it is flat shows in its lows and highs per whole
    # period (after the first), not in a line through one phase
    out["periods"] = periods = _per_period(heap, HEAT_REDRAW_S)
    whole = periods[1 : int((heap[-1][0] - heap[0][0]) // HEAT_REDRAW_S)]
    if len(whole) >= 2:
        xs = np.arange(len(whole)) * HEAT_REDRAW_S / 600  # in units of 10 minutes
        out["low_slope_mb_per_10min"] = float(np.polyfit(xs, [lo for lo, _ in whole], 1)[0])
        out["high_slope_mb_per_10min"] = float(np.polyfit(xs, [hi for _, hi in whole], 1)[0])
        out["whole_periods"] = len(whole)
    if len(samples) >= 3:
        half = samples[len(samples) // 3 :]  # after warm-up
        ts = np.array([s[0] for s in half]) - half[0][0]
        ys = np.array([s[1] for s in half])
        out["heap_slope_mb_per_10min"] = (
            float(np.polyfit(ts, ys, 1)[0] * 600) if ts[-1] > 0 else 0.0
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refreshes", type=int, default=60)
    ap.add_argument("--browser-minutes", type=float, default=2.0)
    ap.add_argument("--paint-runs", type=int, default=5, help="fresh-browser loads timed")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    emu, p = start()
    try:
        fill_history(p)
        r = server_bench(p, args.refreshes)
        print(
            f"server time per refresh (panels + chips + execution + heatmap patch, JSON included):"
            f" median {r['server_ms_median']:.1f} ms, p95 {r['server_ms_p95']:.1f} ms"
            f" over {r['refreshes']} refreshes"
        )
        print(
            f"bytes per refresh: median {r['bytes_median'] / 1024:.1f} KB, p95 {r['bytes_p95'] / 1024:.1f} KB"
        )
        rows, cols = r["heatmap_cells"]
        print(
            f"first heatmap draw ({rows} s x {cols} buckets): {r['first_heatmap_ms']:.0f} ms,"
            f" {r['first_heatmap_bytes'] / 2**20:.2f} MB of JSON"
        )
        st = r["consolidation"]
        print(
            f"consolidation meanwhile: avg {st.consolidation_ms_avg:.2f} ms, p99 {st.consolidation_ms_p99:.2f} ms per symbol"
        )
        if not args.no_browser:
            br = browser_bench(p, args.browser_minutes, args.paint_runs)
            heap = br.get("heap_mb")
            if not heap:
                return
            print(
                "browser JS heap (MB) [heatmap rows/trade markers]: "
                + ", ".join(
                    f"{(t - heap[0][0]) / 60:.1f}min {m:.1f} [{r}/{n}]"
                    for (t, m), (_, r, n) in zip(heap, br["heat_rows"], strict=True)
                )
            )
            minutes_per = HEAT_REDRAW_S / 60
            for k, (lo, hi) in enumerate(br["periods"]):
                print(
                    f"  minutes {minutes_per * k:>4g}-{minutes_per * (k + 1):<4g}:"
                    f" heap {lo:.1f}-{hi:.1f} MB"
                )
            if "low_slope_mb_per_10min" in br:
                print(
                    f"slope of the lows per redraw period {br['low_slope_mb_per_10min']:+.2f},"
                    f" of the highs {br['high_slope_mb_per_10min']:+.2f} MB per 10 min"
                    f" (minutes {minutes_per:g}-{minutes_per * (br['whole_periods'] + 1):g})"
                )
            if "heap_slope_mb_per_10min" in br:
                print(
                    f"line through every sample after warm-up: {br['heap_slope_mb_per_10min']:+.2f} MB"
                    " per 10 min"
                )
    finally:
        p.stop()
        emu.stop()


if __name__ == "__main__":
    main()
