"""Run every benchmark and print its figures: ``python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import runpy
import sys

BENCHES = ["bench.bench_books", "bench.bench_consolidate", "bench.bench_history"]

if __name__ == "__main__":
    only = sys.argv[1:]
    for name in BENCHES:
        if only and not any(o in name for o in only):
            continue
        print(f"\n=== {name} ===", flush=True)
        sys.argv = [name]
        runpy.run_module(name, run_name="__main__")
