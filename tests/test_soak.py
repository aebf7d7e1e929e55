"""The soak harness (``bench/soak.py``) for 2 minutes in the test suite: the whole app
(provider + Dash server) on the emulator, 7 venues x BTC/ETH/SOL at 10x the normal update
rates, random faults (gaps, disconnects, silences, malformed frames, bad checksums), three
browsers (in a process of their own) polling the page's callbacks every refresh period.

Asserted (correctness): every checkpoint equal to the emulator's books, frames keep flowing
after each resume, every fault kind injected and detected, no task crash, a clean stop,
every dashboard answer 200 (or 204, "nothing new", as the page gets it) with no error shown
in the page, and a p95 far above any sane machine's. Recovery p99 <= 2 s is asserted unless
the run shows the machine overloaded by other work (the provider thread waited for a CPU
more than 20 % of its runnable time, or the emulator, in a process of its own, fell behind
its step rate): then it is reported in the skip reason, not judged. Speed figures are
printed, never asserted. The reconnect backoff after a healthy connection is checked on its
own (the delay the feed chooses, which no machine changes).

    pytest -m slow tests/test_soak.py            # the report is printed in the summary
    COB_SOAK_MINUTES=10 COB_SOAK_JSON=soak.json pytest -m slow tests/test_soak.py
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from typing import Any

import pytest

from bench.soak import FAULTS, SoakOptions, format_report, run_soak
from provider.models import Venue

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

MINUTES = float(os.environ.get("COB_SOAK_MINUTES", "2"))
#: a bound no working machine gets near (a page refresh is 1 s); speed itself is reported
DASH_P95_BOUND_MS = 20_000.0
RECOVERY_P99_S = 2.0
TICK_CALLBACKS = ("panels", "chips", "execution", "heatmap")


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    capman = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:  # straight to the terminal, past pytest's capture
        if capman is not None:
            with capman.global_and_fixture_disabled():
                print(line, flush=True)
        else:
            print(line, flush=True)

    r = run_soak(SoakOptions(minutes=MINUTES), progress=say)
    say("")
    for line in format_report(r).splitlines():
        say(line)
    out = os.environ.get("COB_SOAK_JSON")
    if out:
        with open(out, "w") as f:
            json.dump(r, f, indent=1, default=str)
        say(f"wrote {out}")
    return r


def test_every_checkpoint_finds_every_book_equal_to_the_emulators(report: dict[str, Any]) -> None:
    cps = report["checkpoints"]
    assert len(cps) >= int(MINUTES * 60 // 30), "fewer checkpoints than one per 30 s"
    bad = [f"{c['t']} s: {', '.join(c['bad'])}" for c in cps if not c["ok"]]
    assert not bad, "books not in sync or not equal to the emulator's:\n" + "\n".join(bad)
    assert all(c["books"] == 21 for c in cps)  # 7 venues x 3 symbols compared each time


def test_nothing_is_lost_across_pauses(report: dict[str, Any]) -> None:
    frames = [c["frames_at_pause"] for c in report["checkpoints"]]
    assert all(b > a for a, b in itertools.pairwise(frames)), frames
    assert all(n > 0 for n in report["frames"]["by_venue"].values()), report["frames"]


def test_every_fault_kind_was_injected_and_detected(report: dict[str, Any]) -> None:
    injected = report["faults"]["injected"]
    assert {f.value for f in FAULTS} <= set(injected), injected
    det = report["detected"].values()
    assert sum(d["reconnects"] for d in det) >= 1  # CLOSE (none while already disconnected)
    assert sum(d["parse_errors"] for d in det) >= 1  # MALFORMED
    assert sum(d["checksums_failed"] for d in det) >= 1  # CORRUPT_CHECKSUM
    assert sum(d["gaps"] + d["checksums_failed"] for d in det) >= 1  # DROP
    assert report["recovery"]["count"] >= 1
    assert sum(d["resyncs"] for d in det) == report["recovery"]["count"]


def test_no_task_crashed_and_the_provider_stopped_cleanly(report: dict[str, Any]) -> None:
    assert report["task_crashes_total"] == 0, report["task_crashes"]
    assert report["callback_errors"] == 0
    assert report["stop"]["provider_stopped"] and report["stop"]["leaked_tasks"] == 0
    errors = {k: n for k, n in report["logged"].items() if k.startswith(("ERROR", "CRITICAL"))}
    assert not errors, errors


def test_the_dashboard_answered_every_request(report: dict[str, Any]) -> None:
    d = report["dashboard"]
    assert d["error_count"] == 0, d["errors"][:5]
    assert set(d["status"]) <= {200, 204}, d["status"]  # 204: the heatmap had nothing new
    assert not d["page_errors"], d["page_errors"]
    for name in TICK_CALLBACKS:  # each browser's page kept being redrawn
        assert d["by_callback"][name]["requests"] >= 5 * d["clients"], (name, d["by_callback"])
    # the browsers ran in a process of their own (as real ones) and reported back
    assert report["options"]["browsers"] == "process"
    assert d["ticks"] >= 5 * d["clients"], d["ticks"]
    assert d["p95_ms"] < DASH_P95_BOUND_MS, f"p95 {d['p95_ms']} ms"


def test_memory_samples_split_the_rss(report: dict[str, Any]) -> None:
    """Each sample splits the RSS into glibc's heap and the rest, and the two slopes the
    report prints add up to the RSS slope (a least-squares slope is linear in the data)."""
    samples = report["series"]
    assert samples and all(
        s["py_blocks"] > 0 and set(s["book_levels"]) == {v.value for v in Venue} for s in samples
    )
    # every venue's books held levels (3 symbols, at least 25 a side compared at checkpoints);
    # not in every sample: a book being resynced after a fault may be empty at that moment
    for v in Venue:
        assert max(s["book_levels"][v.value] for s in samples) >= 3 * 2 * 25, v
    rss = report["rss"]
    if samples[0]["malloc_mb"] is None:  # not glibc: nothing to split
        assert rss["malloc_slope_mb_per_10min"] is None
        return
    assert all(0 < s["malloc_mb"]["in_use"] <= s["malloc_mb"]["system"] for s in samples)
    assert all(s["malloc_mb"]["system"] < s["rss_mb"] for s in samples)
    parts = rss["malloc_slope_mb_per_10min"] + rss["other_slope_mb_per_10min"]
    assert parts == pytest.approx(rss["slope_mb_per_10min"], abs=0.02)
    # the slope after every 5 minutes that leave 10 of the run (none in a 2-minute run)
    assert list(rss["slope_by_warmup"]) == list(range(5, int(MINUTES) - 9, 5))


def test_recovery_p99_within_two_seconds(report: dict[str, Any]) -> None:
    """Time from a book lost to the same book in sync again. Slow recoveries this caught:
    Bitfinex (resync = reconnect) waited for the old connection's closing handshake (up to
    1 s, its reading paused) and read nothing until its 7 subscriptions, paced at 5/s, were
    sent (1 s more); reconnects backed off 0.25-0.5 s even after a connection that worked.
    An assertion to catch such app issues, not a bound to loosen."""
    rec = report["recovery"]
    p99 = rec["p99_s"]
    m = report["machine"]
    if p99 > RECOVERY_P99_S and m["overloaded"]:
        pytest.skip(
            f"machine overloaded (provider thread waited for a CPU"
            f" {m['provider_cpu_wait_pct_mean']} % of its runnable time, load average"
            f" {m['loadavg_1m_mean']} on {m['cpus']} CPUs, emulator held"
            f" x{report['emulator']['effective_speed']} of x{report['options']['speed']:g}):"
            f" recovery p99 {p99} s (max {rec['max_s']} s) reported, not judged;"
            f" by venue {rec['by_venue']}"
        )
    assert p99 <= RECOVERY_P99_S, (
        f"recovery p99 {p99} s; by venue {rec['by_venue']}; reconnect delays"
        f" {report['reconnect_delays']}"
    )


class _Retries(logging.Handler):
    """The reconnect delays the feeds choose ("retry in X s" warnings of provider.feed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.delays: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "retry in" in str(record.msg) and isinstance(record.args, tuple):
            self.delays.append((str(record.args[0]), float(record.args[2])))  # type: ignore[arg-type]


def test_repeated_disconnects_back_off_from_the_start_after_a_healthy_connection() -> None:
    """Four disconnects of one venue, each after its books were back in sync for a while:
    each reconnect must wait the first step of the backoff again (<= backoff_base_s). The
    delay is chosen by the feed, not measured: this holds on any machine."""
    from bench.soak import AppUnderTest
    from provider.emulator.faults import Fault
    from provider.feed import FeedConfig

    handler = _Retries()
    logging.getLogger("provider.feed").addHandler(handler)
    app = AppUnderTest(SoakOptions(speed=1.0, venues="bybit", symbols=("BTC",)))
    try:
        feed = app.provider.feeds[Venue.BYBIT]

        def healthy(connects: int) -> None:
            end = time.monotonic() + 60
            # (the tracker exists once the venue's first book message has arrived)
            while not (
                feed.health.connects >= connects
                and (tracker := app.provider.tracker(Venue.BYBIT, "BTC")) is not None
                and tracker.in_sync
            ):
                assert time.monotonic() < end, "bybit did not come back"
                time.sleep(0.05)
            time.sleep(2.0)  # connected and in sync for a while: a healthy session

        healthy(1)
        for i in range(4):
            app.emu.inject(Venue.BYBIT, Fault.CLOSE)
            healthy(2 + i)
    finally:
        app.stop()
        logging.getLogger("provider.feed").removeHandler(handler)
    delays = [d for v, d in handler.delays if v == "bybit"]
    assert len(delays) == 4, handler.delays
    base = FeedConfig().backoff_base_s
    assert all(d <= base + 0.05 for d in delays), f"reconnect delays {delays} s (base {base} s)"
