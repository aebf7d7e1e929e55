"""``app.bound_allocator``: with glibc, memory the app frees in its threads goes back to the
system instead of staying in the process (the soak's RSS slope). Run in a subprocess: the
setting is process-wide."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.helpers import REPO

SCRIPT = """
import os, sys, threading
import numpy as np
sys.path.insert(0, {repo!r})
if {bound}:
    import app
    assert app.bound_allocator()

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def work():  # what a request thread does with a figure or a window: big blocks, freed
    for _ in range(3):
        a = np.ones(2**19)  # 4 MB: mmapped, and freeing it raises glibc's mmap threshold
        del a
        b = np.ones(2**18)  # 2 MB: now carved from the thread's arena, and kept there
        del b

base = rss()
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
work()
print((rss() - base) / 2**20)
"""


def _run_mb(script: str, **flags: bool) -> float:
    """The megabytes ``script`` (formatted with the repository and ``flags``) prints, run in
    a fresh interpreter."""
    code = script.format(repo=str(REPO), **flags)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return float(out.stdout.strip())


def _kept_mb(bound: bool) -> float:
    return _run_mb(SCRIPT, bound=bound)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_freed_blocks_go_back_to_the_system() -> None:
    assert _kept_mb(bound=True) < 1.0
    # (the same work without the setting keeps several MB: what the setting is for)
    assert _kept_mb(bound=False) > 4.0


def test_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    import app

    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert app.bound_allocator() is False


CACHE_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, {repo!r})
from bench.soak import malloc_mb  # glibc's mallinfo2, in MB

sizes = np.random.default_rng(7).integers(1, 1024, (3, 5000)).tolist()
if {fill}:
    import app
    assert app.fill_numpy_cache() == 7 * sum(range(1, 1024))
base = malloc_mb()["in_use"]
for batch in sizes:  # small arrays of varying sizes, made and dropped (what the app does)
    held = [np.empty(n, dtype=np.uint8) for n in batch]
    del held
print(malloc_mb()["in_use"] - base)
"""


def _cache_growth_mb(fill: bool) -> float:
    return _run_mb(CACHE_SCRIPT, fill=fill)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="reads glibc's mallinfo2")
def test_numpy_cache_filled_at_start_does_not_grow_later() -> None:
    # numpy keeps freed small buffers (under 1 KiB, 7 of each size): unfilled, dropping
    # arrays of varying sizes leaves megabytes in use; filled first, only what glibc's own
    # per-thread cache of freed chunks holds (0.1 MB measured; it counts as in use)
    assert _cache_growth_mb(fill=True) < 0.5
    assert _cache_growth_mb(fill=False) > 2.0
