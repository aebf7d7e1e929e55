"""Soak and stress run of the whole app on the emulator, with faults and a polling browser.

    python -m bench.soak --minutes 30             # the long run (by hand)
    python -m bench.soak --minutes 2 --json soak.json
    python -m bench.soak --minutes 3 --speed 20 --no-faults --refresh-ms 250   # backpressure

What runs, wired exactly as ``python app.py --source demo --speed S`` wires it
(``app.prepare_memory``, ``app.start_provider`` with the app's own argument parser,
``dashboard.app.create_app``, the app's HTTP server ``dashboard.server``):

* the emulator of the seven venues (``--speed``, default 10 = ten times the normal update
  rates), BTC, ETH and SOL on every venue, in a child process (``--emulator process``,
  default) as the app's demo source runs it, but one this harness controls (faults, pause,
  books): the market then runs at the asked rate whatever the app does, as remote venues
  would, and the app's CPU and RSS are its own. ``--emulator thread`` runs it in the app's
  process instead (it then competes with the app for the GIL and falls behind under
  dashboard load: useful to compare);
* the provider thread and the Dash server on 127.0.0.1 (a free port), in this process;
* a fault injector: at random (exponential gaps, mean ``--fault-every`` seconds) one of DROP
  (a gap), CLOSE (disconnect), SILENCE (1-7 s), MALFORMED, CORRUPT_CHECKSUM into a random
  venue (checksums only where the venue carries them); the first five are one of each;
* ``--clients`` browsers (aiohttp, at most 6 connections each as a browser; in a child
  process, ``--browsers process``, default, as real browsers are, so that their JSON parsing
  and page state are not counted in the app's RSS and CPU; ``--browsers thread`` runs them
  in the app's process) that load the page like Dash's renderer does: GET ``/``,
  ``/_dash-layout``, ``/_dash-dependencies``; fire the initial callbacks in dependency
  order; then, every
  refresh period (read from the page's ``tick`` interval, as the browser does), POST
  ``/_dash-update-component`` for every callback the ``tick`` drives (panels, venue chips,
  execution cost, heatmap), carrying the state the previous answers left in the page (the
  heatmap's ``heat-state``, so it is extended by patches). Payloads are derived from
  ``/_dash-dependencies`` and the layout, not written by hand. A callback still in flight
  when the next tick comes is not fired again (counted as a skipped tick).

Every ``--checkpoint-every`` seconds (and at the end) a checkpoint: faults are held, the
emulator runs until no fault is pending or silent plus a short grace (a dropped last diff is
only detectable on the next one), then it is paused, and every book of every venue and
symbol must be in sync and equal to ``emulator.client_book(...)`` (top ``--levels``) within
``--settle-timeout`` s; then the market resumes.

It reports: frames processed; the checkpoints; resyncs and their time to recover
(``MarketTracker.recoveries``, p50/p99 overall and per venue, and the venues' own
``recovery_p50_s``/``recovery_p99_s``); consolidation latency over time
(``Provider.statistics()``); dashboard response times over time; RSS over time and its slope
(MB per 10 minutes, after a warm-up), split into glibc's heap and the rest, with the blocks
Python's allocator hands out and the levels the books hold; the emulator's per-client send
queue (backpressure); why books fell out of sync; the reconnect delays the feeds chose;
CPU per part and how long the provider thread waited for a CPU (other work on the machine:
above 20 % of its runnable time, or the emulator falling behind its step rate, the run is
flagged "overloaded"); task crashes (``Provider.task_crashes``); warnings logged. ``--json FILE``
writes it all. Nothing here asserts speed: ``tests/test_soak.py`` asserts correctness and
prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import gc
import json
import logging
import math
import os
import random
import struct
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/soak.py`` as well as ``-m bench.soak``
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from provider.emulator.faults import Fault  # noqa: E402
from provider.emulator.server import MAX_QUEUE, EmulatorThread  # noqa: E402
from provider.models import Venue  # noqa: E402
from provider.service import Provider  # noqa: E402
from provider.sync import SyncState  # noqa: E402

log = logging.getLogger("bench.soak")

FAULTS = (Fault.DROP, Fault.CLOSE, Fault.SILENCE, Fault.MALFORMED, Fault.CORRUPT_CHECKSUM)
#: relative frequency of each fault after the first round (gaps and bad frames are the
#: common case; disconnects and silences the rarer, heavier ones)
FAULT_WEIGHTS = {
    Fault.DROP: 3,
    Fault.CLOSE: 1,
    Fault.SILENCE: 1,
    Fault.MALFORMED: 2,
    Fault.CORRUPT_CHECKSUM: 2,
}
SILENCE_S = (1.0, 7.0)
#: market steps per second of the emulator (its tick is 50 ms): below this it fell behind
NOMINAL_STEPS = 20.0
#: the provider thread waiting this share of its runnable time for a CPU: the machine is
#: overloaded by other work (timings are then reported, not judged)
OVERLOAD_WAIT_PCT = 20.0
#: names of the page's callbacks, by their first output's component id
CALLBACK_NAMES = {
    "symbol": "view",
    "tick": "apply_view",
    "stats": "panels",
    "venue-toggle": "chips",
    "exec-table": "execution",
    "heatmap": "heatmap",
    "profile-reset": "reset_profile",
    "export-download": "export",
}


@dataclass
class SoakOptions:
    minutes: float = 2.0
    speed: float = 10.0
    symbols: tuple[str, ...] = ("BTC", "ETH", "SOL")
    venues: str = "all"
    fault_every_s: float = 3.0  # mean gap between faults; 0 = no faults
    checkpoint_every_s: float = 30.0
    levels: int = 25  # top levels compared with the emulator's
    settle_timeout_s: float = 45.0
    grace_s: float = 2.0  # unpaused run after the last fault before a checkpoint pauses
    clients: int = 3  # browsers; each shows one symbol (round robin)
    refresh_ms: int | None = None  # None: the page's default
    sample_every_s: float = 5.0
    warmup_s: float | None = None  # None: a third of the run, at least 30 s, at most 10 min
    seed: int = 1  # of the fault schedule
    emulator_seed: int = 7  # of the market (the demo source's)
    emulator: str = "process"  # "process": a child process; "thread": as app.py runs it
    browsers: str = "process"  # "process": a child process, as browsers are; "thread": here
    auth: str | None = None  # USER:PASS: serve with basic auth, browsers send it

    @property
    def duration_s(self) -> float:
        return self.minutes * 60.0

    @property
    def warmup(self) -> float:
        if self.warmup_s is not None:
            return self.warmup_s
        # (the allocators' high-water marks settle over the first ~10 minutes of a run:
        # the report also gives the slope after every 5 minutes, ``slope_by_warmup``)
        return min(600.0, max(30.0, self.duration_s / 3.0))


# =============================================================================== numbers


def pct(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN when empty."""
    xs = sorted(values)
    if not xs:
        return math.nan
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def slope_per(ts: list[float], ys: list[float], per_s: float) -> float:
    """Least-squares slope of ys over ts, in units per ``per_s`` seconds."""
    n = len(ts)
    if n < 3:
        return math.nan
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    if var == 0:
        return math.nan
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var * per_s


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: peak RSS is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [  # glibc malloc.h struct mallinfo2
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mallinfo2() -> Callable[[], _MallInfo2] | None:
    try:
        fn = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):  # not glibc, or glibc < 2.33
        return None
    fn.restype = _MallInfo2
    return fn


_MALLINFO2 = _mallinfo2()


def malloc_mb() -> dict[str, float] | None:
    """glibc's heap: bytes taken from the system (arenas + mmapped blocks), in use, free.

    RSS minus ``system`` is what Python's own allocator (obmalloc arenas, mmapped directly),
    thread stacks and libraries hold: with both in the samples a slope can be placed."""
    if _MALLINFO2 is None:
        return None
    mi = _MALLINFO2()
    mb = 2**20
    return {
        "system": round((mi.arena + mi.hblkhd) / mb, 1),
        "in_use": round((mi.uordblks + mi.hblkhd) / mb, 1),
        "free": round(mi.fordblks / mb, 1),
    }


def _slope_per_10min(
    samples: list[dict[str, Any]], y: Callable[[dict[str, Any]], float]
) -> float | None:
    """Least-squares slope of ``y`` over the samples, per 10 minutes (None: too few)."""
    return _r(slope_per([s["t"] for s in samples], [y(s) for s in samples], 600.0), 2)


def stat_cpu_s(path: str) -> float | None:
    """CPU seconds (user + system) in a ``/proc/.../stat`` file; None where unreadable."""
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process ("process") and of its long-lived threads, by name."""
    out = {"process": time.process_time()}
    names = {t.native_id: t.name for t in threading.enumerate()}
    wanted = {"cob-provider", "emulator", "soak-browsers"}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        name = names.get(int(tid))
        if name not in wanted:
            continue
        cpu_s = stat_cpu_s(f"/proc/self/task/{tid}/stat")
        if cpu_s is None:
            continue
        out[name] = out.get(name, 0.0) + cpu_s
        try:  # time on a CPU and time runnable but waiting for one (the machine's load)
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                run_ns, wait_ns = (int(x) for x in f.read().split()[:2])
            out[f"{name}:run"] = run_ns / 1e9
            out[f"{name}:wait"] = wait_ns / 1e9
        except (OSError, ValueError):
            pass
    return out


def _wait_pct(now: dict[str, float], before: dict[str, float], name: str) -> float | None:
    run = now.get(f"{name}:run", 0.0) - before.get(f"{name}:run", 0.0)
    wait = now.get(f"{name}:wait", 0.0) - before.get(f"{name}:wait", 0.0)
    return round(100 * wait / (run + wait), 1) if run + wait > 0 else None


def _mean(xs: list[Any]) -> float:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else math.nan


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, nd)


# =============================================================================== the app


class LocalEmulator:
    """Control of the emulator the app started in its own process (``--emulator thread``)."""

    where = "thread"

    def __init__(self, emu: EmulatorThread) -> None:
        self.emu = emu

    def inject(self, venue: Venue, fault: Fault, arg: float = 0.0) -> None:
        self.emu.inject(venue, fault, arg)

    def pause(self, paused: bool) -> None:
        self.emu.pause(paused)

    def client_book(self, venue: Venue, native: str, n: int) -> tuple[list, list]:
        return self.emu.client_book(venue, native, n)

    def quiet(self) -> list[str]:
        return self.emu.call(_quiet, self.emu.emulator)

    def load(self) -> dict[str, Any]:
        return self.emu.call(_load, self.emu.emulator)

    def stop(self) -> None:
        self.emu.stop()


def _quiet(emulator: Any) -> list[str]:
    """(In the emulator's loop) faults still pending or running; empty when quiet."""
    now = time.time()
    busy = []
    for v, fs in emulator.faults.items():
        if fs.silent(now):
            busy.append(f"{v} silent")
        if fs.pending:
            busy.append(f"{v} pending {dict(fs.pending)}")
        for c in emulator.clients[v]:
            if c.session.faults.corrupt_checksum or c.held is not None:
                busy.append(f"{v} checksum pending")
    return busy


def _load(emulator: Any) -> dict[str, Any]:
    """(In the emulator's loop) market steps so far, CPU, each venue's longest send queue."""
    return {
        "steps": emulator.steps,
        "cpu_s": time.process_time(),
        "queues": {
            v.value: max((c.queue.qsize() for c in cs), default=0)
            for v, cs in emulator.clients.items()
        },
    }


def spawn_child(entry: str) -> tuple[Any, Any]:
    """Start ``python -c "from bench.soak import ENTRY; ENTRY()"`` and return the process and
    a ``multiprocessing.connection`` to it (the child connects back to an address and key
    passed in its environment, ``SOAK_CHILD_ADDR`` and ``SOAK_CHILD_KEY``)."""
    import secrets
    import subprocess
    from multiprocessing.connection import Listener

    key = secrets.token_bytes(16)
    listener = Listener(("127.0.0.1", 0), authkey=key)
    host, port = listener.address
    env = dict(os.environ, SOAK_CHILD_ADDR=f"{host}:{port}", SOAK_CHILD_KEY=key.hex())
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    code = f"from bench.soak import {entry}; {entry}()"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    box: dict[str, Any] = {}
    acceptor = threading.Thread(target=lambda: box.setdefault("c", listener.accept()), daemon=True)
    acceptor.start()
    acceptor.join(60)
    listener.close()
    if "c" not in box:
        proc.kill()
        raise RuntimeError(f"the {entry} process did not connect back")
    return proc, box["c"]


def _connect_to_parent() -> Any:
    """In a child of ``spawn_child``: the connection to the parent."""
    from multiprocessing.connection import Client

    host, port = os.environ["SOAK_CHILD_ADDR"].rsplit(":", 1)
    return Client((host, int(port)), authkey=bytes.fromhex(os.environ["SOAK_CHILD_KEY"]))


def end_child(proc: Any, conn: Any, wait_s: float) -> None:
    """After asking a ``spawn_child`` process to stop: wait for it (kill it after
    ``wait_s``), then close the connection."""
    try:
        proc.wait(wait_s)
    except Exception:
        proc.kill()
        proc.wait(5)
    conn.close()


def _emulator_child() -> None:
    """The child process of ``--emulator process``: an EmulatorThread driven over a
    ``multiprocessing.connection`` back to the parent (``spawn_child``)."""
    logging.basicConfig(level=logging.ERROR)
    conn = _connect_to_parent()
    venues, seed, speed = conn.recv()
    emu = EmulatorThread(venues=[Venue(v) for v in venues], seed=seed, speed=speed)
    try:
        eps = emu.start()
    except Exception as exc:
        conn.send(("err", repr(exc)))
        return
    conn.send(("ok", {v.value: (e.ws, e.rest) for v, e in eps.items()}))
    local = LocalEmulator(emu)
    while True:
        try:
            cmd, args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            cmd, args = "stop", ()
        if cmd == "stop":
            emu.stop()
            with contextlib.suppress(OSError):
                conn.send(("ok", None))
            return
        try:
            result: Any = None
            if cmd == "inject":
                local.inject(Venue(args[0]), Fault(args[1]), args[2])
            elif cmd == "client_book":
                result = local.client_book(Venue(args[0]), args[1], args[2])
            else:
                result = getattr(local, cmd)(*args)
            conn.send(("ok", result))
        except Exception as exc:
            conn.send(("err", f"{type(exc).__name__}: {exc}"))


class ProcessEmulator:
    """The emulator in a child process (default): its CPU never competes with the app's,
    so the market runs at the asked speed whatever the app does (as remote venues would)."""

    where = "process"

    def __init__(self, venues: tuple[Venue, ...], seed: int, speed: float) -> None:
        self.proc, self._conn = spawn_child("_emulator_child")
        self._lock = threading.Lock()
        self._conn.send(([v.value for v in venues], seed, speed))
        if not self._conn.poll(60):
            self.proc.kill()
            raise RuntimeError("the emulator process did not start")
        status, eps = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"the emulator process failed: {eps}")
        self.endpoints: dict[Venue, tuple[str, str]] = {Venue(v): tuple(e) for v, e in eps.items()}

    def _ask(self, cmd: str, *args: Any, timeout: float = 30.0) -> Any:
        with self._lock:
            self._conn.send((cmd, args))
            if not self._conn.poll(timeout):
                raise TimeoutError(f"emulator process: no answer to {cmd} in {timeout} s")
            status, result = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"emulator process: {cmd}: {result}")
        return result

    def inject(self, venue: Venue, fault: Fault, arg: float = 0.0) -> None:
        self._ask("inject", venue.value, fault.value, arg)

    def pause(self, paused: bool) -> None:
        self._ask("pause", paused)

    def client_book(self, venue: Venue, native: str, n: int) -> tuple[list, list]:
        return self._ask("client_book", venue.value, native, n)

    def quiet(self) -> list[str]:
        return self._ask("quiet")

    def load(self) -> dict[str, Any]:
        return self._ask("load")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(Exception):
            self._ask("stop", timeout=10)
        end_child(self.proc, self._conn, 5)


class AppUnderTest:
    """The app as ``python app.py --source demo --speed S`` wires it: ``app.start_provider``
    (arguments parsed by the app's own parser), ``dashboard.app.create_app`` and the app's
    HTTP server (``dashboard.server``) on 127.0.0.1. Only the demo source's emulator is
    ours, so that faults can be injected, the market paused and the emulator's books read:
    while the app starts, ``provider.sources.start_source("demo", ...)`` is answered with
    the same ``Source`` ``start_demo`` makes (same venues, seed, speed, listings), whose
    emulator is a child process we control (``emulator="process"``, like the app's own since
    it runs the demo emulator in a process of its own) or a thread of this process
    (``"thread"``)."""

    def __init__(self, opts: SoakOptions) -> None:
        import app as cli  # the repository's app.py
        from dashboard.app import create_app
        from dashboard.safety import check_bind

        cli.prepare_memory()  # as app.py's commands do first thing
        argv = ["--source", "demo", "--speed", f"{opts.speed:g}", "--port", "0"]
        argv += ["--symbols", ",".join(opts.symbols), "--venues", opts.venues]
        if opts.auth:
            argv += ["--auth", opts.auth]
        args = cli.run_parser().parse_args(argv)
        self.auth = check_bind(args.host, args.auth)
        self.provider, self.source = self._start(cli, args, opts)
        try:
            ctl = [
                s for s in self.source.stoppers if isinstance(s, ProcessEmulator | LocalEmulator)
            ]
            if not ctl:
                raise RuntimeError("the demo source did not start our emulator")
            self.emu: LocalEmulator | ProcessEmulator = ctl[0]
            self.dash = create_app(self.provider, auth=self.auth)
            from dashboard.server import PooledWSGIServer

            self.server = PooledWSGIServer(args.host, args.port, self.dash.server)
        except BaseException:
            self.provider.stop()
            self.source.stop()
            raise
        self.url = f"http://{args.host}:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="soak-http", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _start(cli: Any, args: Any, opts: SoakOptions) -> Any:
        from unittest import mock

        import provider.sources as sources
        from provider.emulator.market import specs_for
        from provider.service import Endpoint

        real = sources.start_source

        def start_source(choice: str, vs: Any, *rest: Any, **kw: Any) -> Any:
            if choice != "demo":
                return real(choice, vs, *rest, **kw)
            emu: LocalEmulator | ProcessEmulator
            if opts.emulator == "process":
                emu = ProcessEmulator(tuple(vs), opts.emulator_seed, args.speed)
                eps = {v: Endpoint(ws, r) for v, (ws, r) in emu.endpoints.items()}
            else:
                thread = EmulatorThread(venues=list(vs), seed=opts.emulator_seed, speed=args.speed)
                eps = {v: Endpoint(e.ws, e.rest) for v, e in thread.start().items()}
                emu = LocalEmulator(thread)
            listings = {v: {f"{s.base}/{s.quote}" for s in specs_for(v)} for v in vs}
            return sources.Source(
                sources.SIMULATED, tuple(vs), eps, [emu], f"emulator ({emu.where})", listings
            )

        with mock.patch.object(sources, "start_source", start_source):
            return cli.start_provider(args)

    def stop(self) -> dict[str, Any]:
        self.server.shutdown()
        self.server.server_close()
        t0 = time.monotonic()
        clean = self.provider.stop()
        stop_s = time.monotonic() - t0
        self.source.stop()
        return {
            "provider_stopped": clean,
            "stop_s": round(stop_s, 3),
            "leaked_tasks": self.provider.leaked_tasks,
        }


# =============================================================================== books


class ClientBooks(Protocol):
    """What holds the books a venue's client should have (the emulator, in any process)."""

    def client_book(self, venue: Venue, native: str, n: int) -> tuple[list, list]: ...


def books_differing(p: Provider, emu: ClientBooks, n: int) -> list[str]:
    """Books not in sync, not listed, or not equal to the emulator's top ``n`` levels (empty:
    all equal). Books are read in the provider's thread, which owns them."""
    bad = []
    for sym in p.symbols:
        for v in p.config.venues:
            m = p.market(v, sym)
            t = p.tracker(v, sym)
            if m is None or t is None or t.state is not SyncState.IN_SYNC:
                bad.append(f"{v}:{sym} {t.state if t else 'no book'}")
                continue
            bids, asks = emu.client_book(v, m.native, n)
            book = t.book
            ours = p.read_in_loop(lambda book=book: (book.top_bids(n), book.top_asks(n)))
            if ours != (bids, asks):
                bad.append(f"{v}:{sym} differs")
    return bad


# =============================================================================== faults


class Injector(threading.Thread):
    """Injects a random fault into a random venue every few seconds (exponential gaps)."""

    def __init__(self, app: AppUnderTest, mean_s: float, seed: int) -> None:
        super().__init__(name="soak-faults", daemon=True)
        self.app = app
        self.mean_s = mean_s
        self.rnd = random.Random(seed)
        self.lock = threading.Lock()  # held by a checkpoint: no fault meanwhile
        self.stop_event = threading.Event()
        self.events: list[tuple[float, str, str, float]] = []  # (t, venue, fault, arg)
        self.t0 = time.monotonic()
        first = list(FAULTS)
        self.rnd.shuffle(first)
        self._first = first  # one of each kind first: every kind is exercised

    def _checksum_venues(self) -> list[Venue]:
        p = self.app.provider
        out = []
        for v, vb in p.books.items():
            if any(t.counters.checksums_ok for t in vb.trackers.values()):
                out.append(v)
        return out

    def _pick(self) -> tuple[Venue, Fault, float]:
        venues = list(self.app.provider.config.venues)
        if self._first:
            fault = self._first.pop(0)
        else:
            kinds = list(FAULT_WEIGHTS)
            fault = self.rnd.choices(kinds, [FAULT_WEIGHTS[k] for k in kinds])[0]
        if fault is Fault.CORRUPT_CHECKSUM:
            venues = self._checksum_venues() or venues
        arg = self.rnd.uniform(*SILENCE_S) if fault is Fault.SILENCE else 0.0
        return self.rnd.choice(venues), fault, arg

    def run(self) -> None:
        while not self.stop_event.wait(self.rnd.expovariate(1.0 / self.mean_s)):
            with self.lock:
                venue, fault, arg = self._pick()
                try:
                    self.app.emu.inject(venue, fault, arg)
                except Exception as exc:  # the emulator's loop busy beyond 5 s: say so
                    log.warning("could not inject %s into %s: %s", fault, venue, exc)
                    continue
                self.events.append((time.monotonic() - self.t0, venue.value, fault.value, arg))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)


# =============================================================================== the browser


def _id_key(cid: Any) -> str:
    """How Dash names a component id in outputs and responses."""
    if isinstance(cid, dict):
        return json.dumps(cid, sort_keys=True, separators=(",", ":"))
    return str(cid)


def _split_prop(spec: str) -> tuple[str, str]:
    cid, _, prop = spec.rpartition(".")
    return cid, prop


def parse_outputs(output: str) -> list[tuple[str, str]]:
    """``..a.x...b.y..`` (several outputs) or ``a.x`` -> [(id, prop)]."""
    if output.startswith("..") and output.endswith(".."):
        return [_split_prop(s) for s in output[2:-2].split("...")]
    return [_split_prop(output)]


def callback_name(dep: dict[str, Any]) -> str:
    cid, _ = parse_outputs(dep["output"])[0]
    if cid.startswith("{"):
        cid = json.loads(cid).get("type", cid)
    return CALLBACK_NAMES.get(cid, cid)


class PageModel:
    """What Dash's renderer holds for one page: every component's props (from the layout,
    then updated by callback answers) and the callbacks (from ``/_dash-dependencies``)."""

    def __init__(self, layout: Any, deps: list[dict[str, Any]]) -> None:
        self.deps = [d for d in deps if not d.get("clientside_function")]
        self.props: dict[tuple[str, str], Any] = {}
        self.ids: dict[str, Any] = {}  # id key -> id (dict ids kept for wildcards)
        self._walk(layout)
        # props any callback reads: only these are kept from answers
        self.read: set[tuple[str, str]] = set()
        for d in self.deps:
            for item in (*d["inputs"], *d["state"]):
                self.read.add(
                    (
                        item["id"] if isinstance(item["id"], str) else _id_key(item["id"]),
                        item["property"],
                    )
                )

    def _walk(self, node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                self._walk(x)
        elif isinstance(node, dict):
            props = node.get("props")
            if "type" in node and isinstance(props, dict):
                if "id" in props:
                    key = _id_key(props["id"])
                    self.ids[key] = props["id"]
                    for k, v in props.items():
                        if k != "children":
                            self.props[(key, k)] = v
                for v in props.values():
                    self._walk(v)
            else:
                for v in node.values():
                    self._walk(v)

    # ------------------------------------------------------------------ payloads

    def _matches(self, pattern: dict[str, Any]) -> list[Any]:
        out = []
        for cid in self.ids.values():
            if not isinstance(cid, dict) or set(cid) != set(pattern):
                continue
            if all(isinstance(pv, list) or cid[k] == pv for k, pv in pattern.items()):
                out.append(cid)
        return out

    def _dep_items(self, cid: Any, prop: str, with_value: bool) -> Any:
        if isinstance(cid, str) and cid.startswith("{"):
            cid = json.loads(cid)
        if isinstance(cid, dict):  # a wildcard (ALL): every matching component
            return [self._item(c, prop, with_value) for c in self._matches(cid)]
        return self._item(cid, prop, with_value)

    def _item(self, cid: Any, prop: str, with_value: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": cid, "property": prop}
        if with_value:
            item["value"] = self.props.get((_id_key(cid), prop))
        return item

    def payload(self, dep: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        outs = parse_outputs(dep["output"])
        outputs = [self._dep_items(cid, prop, False) for cid, prop in outs]
        multi = dep["output"].startswith("..")
        return {
            "output": dep["output"],
            "outputs": outputs if multi else outputs[0],
            "inputs": [self._dep_items(i["id"], i["property"], True) for i in dep["inputs"]],
            "state": [self._dep_items(s["id"], s["property"], True) for s in dep["state"]],
            "changedPropIds": changed,
        }

    def apply(self, answer: dict[str, Any]) -> list[str]:
        """Store an answer's new values; returns the ``id.prop`` that changed and are read."""
        changed = []
        for key, props in (answer.get("response") or {}).items():
            for prop, value in props.items():
                k = (key, prop)
                if k not in self.read:
                    continue  # figures and tables: nothing reads them back
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    continue
                if self.props.get(k) != value:
                    self.props[k] = value
                    changed.append(f"{key}.{prop}")
        return changed

    def inputs_of(self, dep: dict[str, Any]) -> set[str]:
        out = set()
        for i in dep["inputs"]:
            out.add(
                f"{_id_key(i['id']) if not isinstance(i['id'], str) else i['id']}.{i['property']}"
            )
        return out

    def outputs_of(self, dep: dict[str, Any]) -> set[str]:
        return {f"{cid}.{prop}" for cid, prop in parse_outputs(dep["output"])}


@dataclass
class Hit:
    t: float  # seconds since the run started, at the answer
    name: str
    status: int  # HTTP status; 0 = no answer (exception, timeout)
    ms: float
    size: int
    error: str = ""


class Spill:
    """Records written to a temporary file while the run lasts and read back for the report.
    The harness shares the app's process: what it kept in memory (30 bytes a request, 800 a
    sample: 0.3 MB / 10 min in a 3-browser run) would be counted in the RSS slope it measures.
    """

    def __init__(self) -> None:
        # open for the whole run; already unlinked, it goes with this object
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self.count = 0

    def add(self, record: bytes) -> None:
        self._file.write(record)
        self.count += 1

    def read(self) -> bytes:
        f = self._file
        f.flush()
        end = f.tell()
        f.seek(0)
        data = f.read(end)
        f.seek(end)
        return data

    def lines(self) -> list[Any]:
        """The records, when each was one JSON value and a newline."""
        return [json.loads(x) for x in self.read().splitlines()]

    def add_line(self, value: Any) -> None:
        self.add(json.dumps(value, separators=(",", ":")).encode() + b"\n")


class HitLog:
    """Every request's ``Hit``: fixed-size records in a ``Spill`` (so the log does not grow
    the RSS it helps measure), and the last minute's in memory for the per-sample figures.
    Appended in time order (one thread)."""

    _REC = struct.Struct("<ddiqH")  # t, ms, status, size, name number
    KEEP_S = 60.0

    def __init__(self) -> None:
        self._spill = Spill()
        self._recent: deque[Hit] = deque()
        self._dropped_t = -math.inf  # the latest t of a hit no longer in _recent
        self._names: list[str] = []
        self._name_no: dict[str, int] = {}
        self._errors: dict[int, str] = {}  # record number -> error text (rare)

    def append(self, h: Hit) -> None:
        no = self._name_no.get(h.name)
        if no is None:
            no = self._name_no[h.name] = len(self._names)
            self._names.append(h.name)
        if h.error:
            self._errors[self._spill.count] = h.error
        self._spill.add(self._REC.pack(h.t, h.ms, h.status, h.size, no))
        recent = self._recent
        recent.append(h)
        while recent[0].t < h.t - self.KEEP_S:
            self._dropped_t = recent.popleft().t

    def __len__(self) -> int:
        return self._spill.count

    def __iter__(self) -> Iterator[Hit]:
        names, errors = self._names, self._errors
        for i, (t, ms, status, size, no) in enumerate(self._REC.iter_unpack(self._spill.read())):
            yield Hit(t, names[no], status, ms, size, errors.get(i, ""))

    def since(self, t: float) -> list[Hit]:
        """The hits answered at ``t`` or later."""
        if t > self._dropped_t:
            return [h for h in self._recent if h.t >= t]
        return [h for h in self if h.t >= t]


class HitRecorder:
    """The requests' hits: recorded by the browsers' thread, read by the sampler."""

    def __init__(self) -> None:
        self.hits = HitLog()
        self._hits_lock = threading.Lock()

    def record(self, hit: Hit) -> None:
        with self._hits_lock:
            self.hits.append(hit)

    def hits_since(self, t: float) -> list[Hit]:
        with self._hits_lock:
            return self.hits.since(t)


class Browser:
    """One browser tab on the dashboard (in the shared client loop)."""

    def __init__(self, hub: Clients, symbol: str, query: str) -> None:
        self.hub = hub
        self.symbol = symbol
        self.query = query
        self.model: PageModel | None = None
        self.inflight: set[str] = set()
        self.skipped = 0
        self.ticks = 0
        self.page_errors: Counter[str] = Counter()

    async def _post(
        self, http: aiohttp.ClientSession, dep: dict[str, Any], changed: list[str]
    ) -> list[str]:
        """One callback request; returns the props it changed that other callbacks read."""
        assert self.model is not None
        name = callback_name(dep)
        body = self.model.payload(dep, changed)
        t0 = time.perf_counter()
        status, size, err, answer = 0, 0, "", None
        try:
            async with http.post(self.hub.base + "/_dash-update-component", json=body) as r:
                data = await r.read()
                status, size = r.status, len(data)
                if status == 200:
                    answer = json.loads(data)
                elif status != 204:  # 204: PreventUpdate, nothing new (the page does the same)
                    err = data[:200].decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            err = f"{type(exc).__name__}: {exc}"[:200]
        ms = (time.perf_counter() - t0) * 1000
        self.hub.record(Hit(self.hub.now(), name, status, ms, size, err))
        if answer is None:
            return []
        for key, props in (answer.get("response") or {}).items():
            for prop, value in props.items():  # an "-error" text shown in the page
                if key.endswith("-error") and prop == "children" and value:
                    self.page_errors[f"{key}: {value}"] += 1
        return self.model.apply(answer)

    async def load(self, http: aiohttp.ClientSession) -> None:
        """What the browser does on opening the page."""
        base = self.hub.base
        for path in ("/",):
            async with http.get(base + path) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"GET {path}: HTTP {r.status}")
        async with http.get(base + "/_dash-layout") as r:
            layout = await r.json(content_type=None)
        async with http.get(base + "/_dash-dependencies") as r:
            deps = await r.json(content_type=None)
        m = self.model = PageModel(layout, deps)
        m.props[("url", "search")] = self.query
        m.props[("url", "pathname")] = "/"
        # initial callbacks, in dependency order: a callback waits for the ones whose
        # outputs it reads (as the renderer does); each fires once
        pending = [d for d in m.deps if not d.get("prevent_initial_call")]
        changed_by: dict[int, list[str]] = {}
        while pending:
            producing = set()
            for d in pending:
                producing |= m.outputs_of(d)
            ready = [d for d in pending if not ((m.inputs_of(d) & producing) - m.outputs_of(d))]
            if not ready:  # a cycle between callbacks: fire the rest as they are
                ready = pending
            results = await asyncio.gather(
                *(self._post(http, d, changed_by.get(id(d), [])) for d in ready)
            )
            pending = [d for d in pending if d not in ready]
            for changed in results:
                for other in pending:
                    hit = sorted(m.inputs_of(other) & set(changed))
                    if hit:
                        changed_by.setdefault(id(other), []).extend(hit)

    async def _fire(
        self, http: aiohttp.ClientSession, dep: dict[str, Any], changed: list[str]
    ) -> None:
        name = callback_name(dep)
        self.inflight.add(name)
        try:
            new = await self._post(http, dep, changed)
            m = self.model
            assert m is not None
            for other in m.deps:  # answers that change another callback's input fire it
                if other is dep or other.get("prevent_initial_call"):
                    continue
                hit = sorted(m.inputs_of(other) & set(new))
                if hit and callback_name(other) not in self.inflight:
                    await self._fire(http, other, hit)
        finally:
            self.inflight.discard(name)

    async def run(self, stop: asyncio.Event) -> None:
        headers = self.hub.headers
        conn = aiohttp.TCPConnector(limit_per_host=6)  # a browser's connections per host
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout, headers=headers) as http:
            try:
                await self.load(http)
            except Exception as exc:
                self.hub.record(
                    Hit(self.hub.now(), "load", 0, 0.0, 0, f"{type(exc).__name__}: {exc}")
                )
                return
            m = self.model
            assert m is not None
            tick_deps = [d for d in m.deps if "tick.n_intervals" in m.inputs_of(d)]
            tasks: set[asyncio.Task[None]] = set()
            loop = asyncio.get_running_loop()
            nxt = loop.time()
            while not stop.is_set():
                period = float(m.props.get(("tick", "interval")) or 1000) / 1000
                nxt += period
                try:
                    await asyncio.wait_for(stop.wait(), max(0.0, nxt - loop.time()))
                    break
                except TimeoutError:
                    pass
                if loop.time() - nxt > 5 * period:
                    nxt = loop.time()
                self.ticks += 1
                m.props[("tick", "n_intervals")] = self.ticks
                for d in tick_deps:
                    if callback_name(d) in self.inflight:
                        self.skipped += 1
                        continue
                    t = asyncio.create_task(self._fire(http, d, ["tick.n_intervals"]))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.wait(tasks, timeout=60)


class Clients(HitRecorder):
    """The browsers, in one asyncio loop on a thread of their own (in this process with
    ``--browsers thread``, else in the browsers' process: ``ProcessClients``)."""

    def __init__(
        self,
        base: str,
        opts: SoakOptions,
        symbols: tuple[str, ...],
        t0: float,
        auth: tuple[str, str] | None = None,
        sink: Callable[[Hit], None] | None = None,
    ) -> None:
        super().__init__()
        self.base = base
        self.t0 = t0
        self._sink = sink  # where each hit goes instead of ``hits`` (the browsers' process)
        self.headers: dict[str, str] = {}
        if auth:  # the credentials the app enforces (--auth or COB_AUTH)
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self.browsers = []
        for i in range(opts.clients):
            sym = symbols[i % len(symbols)]
            q = f"?symbol={sym}" + (f"&refresh={opts.refresh_ms}" if opts.refresh_ms else "")
            self.browsers.append(Browser(self, sym, q))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="soak-browsers", daemon=True)
        self._started = threading.Event()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def record(self, hit: Hit) -> None:
        if self._sink is not None:
            self._sink(hit)
        else:
            super().record(hit)

    def cpu_s(self) -> float:
        return thread_cpu().get("soak-browsers", 0.0)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            self._started.set()
            await asyncio.gather(*(b.run(self._stop) for b in self.browsers))

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended (no browser)
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(90)


@dataclass
class BrowserSummary:
    """What the report reads of a browser that ran in the browsers' process."""

    ticks: int
    skipped: int
    page_errors: Counter[str]


def _browsers_child() -> None:
    """The child process of ``--browsers process``: ``Clients`` sending every hit back."""
    logging.basicConfig(level=logging.ERROR)
    conn = _connect_to_parent()
    base, opts, symbols, t0, auth = conn.recv()
    send_lock = threading.Lock()

    def send(hit: Hit) -> None:
        with send_lock:
            conn.send(("hit", (hit.t, hit.name, hit.status, hit.ms, hit.size, hit.error)))

    clients = Clients(base, SoakOptions(**opts), tuple(symbols), t0, auth, sink=send)
    clients.start()
    with send_lock:
        conn.send(("started", None))
    with contextlib.suppress(EOFError, OSError):
        conn.recv()  # "stop" (or the parent is gone)
    clients.stop()
    summary = [(b.ticks, b.skipped, dict(b.page_errors)) for b in clients.browsers]
    with send_lock, contextlib.suppress(OSError):
        conn.send(("end", summary))


class ProcessClients(HitRecorder):
    """The browsers in a child process (default), as real browsers are: their JSON parsing
    and page state are not in the RSS and CPU measured for the app. Same interface as
    ``Clients``; their hits come back over a connection as they happen."""

    def __init__(
        self,
        base: str,
        opts: SoakOptions,
        symbols: tuple[str, ...],
        t0: float,
        auth: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._args = (base, asdict(opts), list(symbols), t0, auth)
        self.browsers: list[BrowserSummary] = []
        self._started = threading.Event()
        self._reader: threading.Thread | None = None
        self.proc: Any = None

    def start(self) -> None:
        self.proc, self._conn = spawn_child("_browsers_child")
        self._conn.send(self._args)
        self._reader = threading.Thread(target=self._read, name="soak-hits", daemon=True)
        self._reader.start()
        if not self._started.wait(60):
            raise RuntimeError("the browsers' process did not start")

    def _read(self) -> None:
        while True:
            try:
                kind, body = self._conn.recv()
            except (EOFError, OSError):
                return
            if kind == "hit":
                self.record(Hit(*body))
            elif kind == "started":
                self._started.set()
            elif kind == "end":
                self.browsers = [BrowserSummary(t, k, Counter(e)) for t, k, e in body]
                return

    def cpu_s(self) -> float:
        cpu_s = stat_cpu_s(f"/proc/{self.proc.pid}/stat") if self.proc is not None else None
        return cpu_s or 0.0

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        if self._reader is not None:
            self._reader.join(90)
        end_child(self.proc, self._conn, 10)


# =============================================================================== the run


class _LogCounter(logging.Handler):
    """Counts warnings and errors logged anywhere (a task crash logs an error), and keeps
    the reconnect delays the feeds chose (``provider.feed``: "retry in X s")."""

    def __init__(self, t0: float) -> None:
        super().__init__(logging.WARNING)
        self.t0 = t0
        self.counts: Counter[str] = Counter()
        self.retries: list[tuple[float, str, float]] = []  # (t, venue, delay s)

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {str(record.msg)[:70]}"] += 1
        if record.name == "provider.feed" and "retry in" in str(record.msg):
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) == 3:
                with contextlib.suppress(TypeError, ValueError):
                    self.retries.append(
                        (time.monotonic() - self.t0, str(args[0]), float(args[2]))  # type: ignore[arg-type]
                    )


def _all_recoveries(app: AppUnderTest) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for v, vb in app.provider.books.items():
        out[v.value] = [x for t in list(vb.trackers.values()) for x in list(t.recoveries)]
    return out


def _counters(app: AppUnderTest) -> dict[str, dict[str, int]]:
    out = {}
    for v, vb in app.provider.books.items():
        ts = list(vb.trackers.values())
        feed = app.provider.feeds.get(v)
        out[v.value] = {
            "frames": vb.counters.frames,
            "reconnects": max(0, feed.health.connects - 1) if feed else 0,
            "resyncs": sum(t.counters.resyncs for t in ts),
            "gaps": sum(t.counters.gaps + t.counters.stale_snapshots for t in ts)
            + vb.counters.connection_gaps,
            "checksums_failed": sum(t.counters.checksums_failed for t in ts),
            "checksums_ok": sum(t.counters.checksums_ok for t in ts),
            "crossed": sum(t.counters.crossed for t in ts),
            "parse_errors": vb.counters.parse_errors,
            "rest_snapshots": feed.health.rest_snapshots if feed else 0,
            "rest_failures": feed.health.rest_failures if feed else 0,
        }
    return out


class Soak:
    def __init__(self, opts: SoakOptions, progress: Callable[[str], None] | None = None) -> None:
        self.opts = opts
        self.progress = progress or (lambda s: None)
        self.samples: list[dict[str, Any]] = []  # (read back from _sample_spill by the report)
        self._sample_spill = Spill()  # the samples while the run lasts (not in the app's memory)
        self.checkpoints: list[dict[str, Any]] = []
        self.states_seen: dict[str, Counter[str]] = defaultdict(Counter)
        # t, venue, market, reason, detail of each fall out of sync (read back by the report)
        self.out_of_sync: list[tuple[float, str, str, str, str]] = []
        self._oos_spill = Spill()
        self._watched: set[int] = set()

    def _watch(self, app: AppUnderTest) -> None:
        """Record every book's falls out of sync and why (wraps each tracker's callback;
        the provider's own callback still runs, first thing after the record)."""
        for v, vb in app.provider.books.items():
            for t in list(vb.trackers.values()):
                if id(t) in self._watched:
                    continue
                self._watched.add(id(t))
                orig = t.on_out_of_sync

                def record(tr: Any, reason: str, orig: Any = orig, v: Venue = v) -> None:
                    if self._oos_spill.count < 20_000:
                        self._oos_spill.add_line(
                            (
                                time.monotonic() - self.t0,
                                v.value,
                                tr.market.native,
                                reason,
                                tr.last_reason[:200],
                            )
                        )
                    if orig is not None:
                        orig(tr, reason)

                t.on_out_of_sync = record

    def run(self) -> dict[str, Any]:
        opts = self.opts
        counter = _LogCounter(time.monotonic())
        logging.getLogger().addHandler(counter)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        logging.getLogger("websockets").setLevel(logging.WARNING)
        rss0 = rss_mb()
        app = AppUnderTest(opts)
        self.app = app
        t0 = self.t0 = time.monotonic()
        counter.t0 = t0
        make = ProcessClients if opts.browsers == "process" else Clients
        clients = make(app.url, opts, app.provider.symbols, t0, app.auth)
        injector = Injector(app, opts.fault_every_s, opts.seed) if opts.fault_every_s > 0 else None
        stop_info: dict[str, Any] = {}
        try:
            clients.start()
            if injector:
                injector.start()
            end = t0 + opts.duration_s
            next_cp = t0 + opts.checkpoint_every_s
            next_sample = t0
            last: dict[str, Any] = {
                "t": 0.0,
                "venue_frames": {},
                "frames": 0,
                "cons": 0,
                "cpu": {},
                "app_cpu": 0.0,
                "steps": 0,
                "emu_cpu": 0.0,
                "browsers_cpu": 0.0,
            }
            while True:
                now = time.monotonic()
                if now >= next_sample:
                    last = self._sample(app, clients, last)
                    next_sample += opts.sample_every_s
                    if next_sample <= now:  # a checkpoint held us: no burst of samples
                        next_sample = now + opts.sample_every_s
                if now >= end:
                    break
                if now >= next_cp and end - now > opts.checkpoint_every_s / 3:
                    self._checkpoint(app, injector)
                    next_cp = time.monotonic() + opts.checkpoint_every_s
                    continue
                time.sleep(min(0.25, max(0.0, min(next_sample, end) - time.monotonic())))
            self._checkpoint(app, injector)  # the final one
            self._sample(app, clients, last)
        finally:
            self.t_end = time.monotonic() - t0  # out-of-sync events after this: the stop
            if injector:
                injector.stop()
            clients.stop()
            stats = app.provider.statistics()
            crashes = dict(app.provider.task_crashes)
            stop_info = app.stop()
            logging.getLogger().removeHandler(counter)
        wall = time.monotonic() - t0
        return self._report(app, clients, injector, stats, crashes, stop_info, counter, wall, rss0)

    # ------------------------------------------------------------------ checkpoints

    def _checkpoint(self, app: AppUnderTest, injector: Injector | None) -> None:
        opts = self.opts
        t_start = time.monotonic()
        lock = injector.lock if injector else threading.Lock()
        with lock:
            # let running faults end and pending ones fire, then a grace so that the frame
            # after a dropped one arrives (a lost last message is undetectable until then)
            quiet_deadline = time.monotonic() + 15.0
            busy = app.emu.quiet()
            while busy and time.monotonic() < quiet_deadline:
                time.sleep(0.1)
                busy = app.emu.quiet()
            time.sleep(opts.grace_s)
            frames = sum(vb.counters.frames for vb in app.provider.books.values())
            app.emu.pause(True)
            t_pause = time.monotonic()
            bad = ["(not compared yet)"]
            try:
                while True:
                    bad = books_differing(app.provider, app.emu, opts.levels)
                    if not bad or time.monotonic() - t_pause > opts.settle_timeout_s:
                        break
                    time.sleep(0.05)
            finally:
                settle = time.monotonic() - t_pause
                app.emu.pause(False)
        cp = {
            "t": round(t_pause - self.t0, 1),
            "ok": not bad,
            "settle_s": round(settle, 3),
            "quiet_wait_s": round(t_pause - t_start - opts.grace_s, 3),
            "not_quiet": busy,
            "books": sum(
                1
                for s in app.provider.symbols
                for v in app.provider.config.venues
                if app.provider.market(v, s)
            ),
            "levels": opts.levels,
            "frames_at_pause": frames,
            "bad": bad,
        }
        self.checkpoints.append(cp)
        self.progress(
            f"[{cp['t']:7.1f}s] checkpoint {'OK' if cp['ok'] else 'FAILED'}: {cp['books']} books equal"
            f" to the emulator's top {opts.levels} after {settle:.2f} s"
            + ("" if cp["ok"] else f" - {', '.join(bad)}")
        )

    # ------------------------------------------------------------------ samples

    def _sample(
        self, app: AppUnderTest, clients: Clients | ProcessClients, last: dict[str, Any]
    ) -> dict[str, Any]:
        now = time.monotonic()
        t = now - self.t0
        p = app.provider
        st = p.statistics()
        frames = sum(n for _, n in st.updates_by_venue)
        cpu = thread_cpu()
        browsers_cpu = clients.cpu_s()
        dt = max(1e-9, t - last["t"])
        hits = clients.hits_since(last["t"])
        ok = [h.ms for h in hits if h.status in (200, 204)]
        try:
            emu = app.emu.load()
        except Exception:  # the emulator's loop did not answer: counted as no progress
            emu = {"steps": last["steps"], "cpu_s": last["emu_cpu"], "queues": {}}
        if app.emu.where == "thread":  # its CPU is a thread of ours
            emu["cpu_s"] = cpu.get("emulator", 0.0)
        queues = emu["queues"]
        states: Counter[str] = Counter()
        for sym in p.symbols:
            snap = p.snapshot(sym)
            for vs in snap.venues if snap else ():
                states[vs.state] += 1
                self.states_seen[vs.venue.value][vs.state] += 1
        counters = _counters(app)
        self._watch(app)

        def cores(key: str) -> float:
            return round((cpu.get(key, 0.0) - last["cpu"].get(key, 0.0)) / dt, 2)

        app_cpu = {
            k: cpu.get(k, 0.0) - cpu.get("emulator", 0.0) - cpu.get("soak-browsers", 0.0)
            for k in ("process",)
        }
        s = {
            "t": round(t, 1),
            "rss_mb": round(rss_mb(), 1),
            "malloc_mb": malloc_mb(),
            # blocks held by Python's small-object allocator (every object, gc-tracked or
            # not): flat while RSS grows means fragmentation, not a leak
            "py_blocks": sys.getallocatedblocks(),
            # levels held by the local books (a venue whose deletes never come grows this)
            "book_levels": {
                v.value: sum(len(tr.book) for tr in list(vb.trackers.values()))
                for v, vb in app.provider.books.items()
            },
            "loadavg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            "cpu_process": cores("process"),  # everything in this process
            "cpu_app": round((app_cpu["process"] - last["app_cpu"]) / dt, 2),  # minus harness
            "cpu_provider": cores("cob-provider"),  # the provider thread alone
            "cpu_browsers": round((browsers_cpu - last["browsers_cpu"]) / dt, 2),
            "cpu_emulator": round((emu["cpu_s"] - last["emu_cpu"]) / dt, 2),
            # share of the provider thread's runnable time spent waiting for a CPU: the
            # machine's load (other processes), not the GIL (a GIL wait is a sleep)
            "provider_cpu_wait_pct": _wait_pct(cpu, last["cpu"], "cob-provider"),
            "emulator_steps_per_s": round((emu["steps"] - last["steps"]) / dt, 1),
            "frames": frames,
            "frames_per_s": round((frames - last["frames"]) / dt, 1),
            "consolidations_per_s": round((st.consolidations - last["cons"]) / dt, 2),
            "consolidation_ms_avg": _r(st.consolidation_ms_avg),
            "consolidation_ms_p99": _r(st.consolidation_ms_p99),
            "dash_requests": len(hits),
            "dash_errors": sum(1 for h in hits if h.status not in (200, 204)),
            "dash_p50_ms": _r(pct(ok, 0.5), 1),
            "dash_p95_ms": _r(pct(ok, 0.95), 1),
            "dash_max_ms": _r(max(ok), 1) if ok else None,
            "emulator_queue_max": max(queues.values(), default=0),
            "emulator_queues": queues,
            # seconds of frames waiting at the emulator for this client: its queue over the
            # venue's mean rate so far (frames already in the sockets' buffers not counted)
            "lag_s": {
                v: round(q * t / counters[v]["frames"], 2)
                for v, q in queues.items()
                if v in counters and counters[v]["frames"] > 0 and t > 0
            },
            "venue_states": dict(states),
            "resyncs": sum(c["resyncs"] for c in counters.values()),
            "reconnects": sum(c["reconnects"] for c in counters.values()),
            "task_crashes": st.task_crashes,
            # Python objects alive (once a minute: a leak in Python grows this, allocator
            # fragmentation does not)
            "py_objects": len(gc.get_objects()) if self._sample_spill.count % 12 == 0 else None,
        }
        if self._sample_spill.count == 0:  # the first sample has no interval before it
            for k in list(s):
                if k.endswith(("_per_s", "_pct")) or k.startswith("cpu_"):
                    s[k] = None
        self._sample_spill.add_line(s)
        if self._sample_spill.count == 1 or int(t) // 30 != int(last["t"]) // 30:
            self.progress(
                f"[{t:7.1f}s] {s['frames_per_s'] or 0:8.0f} frames/s  cons {s['consolidation_ms_avg']} ms"
                f" (p99 {s['consolidation_ms_p99']})  dash p95 {s['dash_p95_ms']} ms"
                f"  rss {s['rss_mb']} MB  cpu app {s['cpu_app']} emu {s['cpu_emulator']}"
                f"  emu queue {s['emulator_queue_max']}  resyncs {s['resyncs']}  states {dict(states)}"
            )
        return {
            "t": t,
            "frames": frames,
            "cons": st.consolidations,
            "cpu": cpu,
            "app_cpu": app_cpu["process"],
            "steps": emu["steps"],
            "emu_cpu": emu["cpu_s"],
            "browsers_cpu": browsers_cpu,
            "venue_frames": {v: c["frames"] for v, c in counters.items()},
        }

    # ------------------------------------------------------------------ report

    def _report(
        self,
        app: AppUnderTest,
        clients: Clients | ProcessClients,
        injector: Injector | None,
        stats: Any,
        crashes: dict[str, int],
        stop_info: dict[str, Any],
        logs: _LogCounter,
        wall: float,
        rss0: float,
    ) -> dict[str, Any]:
        opts = self.opts
        self.samples = self._sample_spill.lines()
        self.out_of_sync = [
            (e[0], e[1], e[2], e[3], e[4]) for e in self._oos_spill.lines() if e[0] <= self.t_end
        ]
        recs = _all_recoveries(app)
        every = [x for xs in recs.values() for x in xs]
        counters = _counters(app)
        status_rec: dict[str, dict[str, Any]] = {}
        for sym in app.provider.symbols:
            snap = app.provider.snapshot(sym)
            for vs in snap.venues if snap else ():
                status_rec[f"{vs.venue.value}:{sym}"] = {
                    "resyncs": vs.resyncs,
                    "recovery_p50_s": _r(vs.recovery_p50_s),
                    "recovery_p99_s": _r(vs.recovery_p99_s),
                }
        hits = list(clients.hits)
        ok = [h for h in hits if h.status in (200, 204)]
        by_cb: dict[str, Any] = {}
        for name in sorted({h.name for h in hits}):
            hs = [h for h in hits if h.name == name]
            ms = [h.ms for h in hs if h.status in (200, 204)]
            by_cb[name] = {
                "requests": len(hs),
                "status": dict(Counter(h.status for h in hs)),
                "p50_ms": _r(pct(ms, 0.5), 1),
                "p95_ms": _r(pct(ms, 0.95), 1),
                "max_ms": _r(max(ms), 1) if ms else None,
                "kb_avg": _r(sum(h.size for h in hs) / len(hs) / 1024, 1) if hs else None,
                "kb_max": _r(max(h.size for h in hs) / 1024, 1) if hs else None,
            }
        warm = [s for s in self.samples if s["t"] >= opts.warmup]
        glibc = [s for s in warm if s["malloc_mb"] is not None]
        rss = [s["rss_mb"] for s in self.samples]
        injected: Counter[str] = Counter()
        by_venue: dict[str, Counter[str]] = defaultdict(Counter)
        for _, v, f, _ in injector.events if injector else []:
            injected[f] += 1
            by_venue[v][f] += 1
        frames_total = sum(c["frames"] for c in counters.values())
        cons = [s["consolidation_ms_avg"] for s in self.samples if s["consolidation_ms_avg"]]
        page_errors: Counter[str] = Counter()
        for b in clients.browsers:
            page_errors.update(b.page_errors)
        r = {
            "command": "python -m bench.soak " + " ".join(sys.argv[1:])
            if __name__ == "__main__"
            else None,
            "options": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(opts).items()
            },
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "loadavg_1m_mean": _r(
                    sum(x["loadavg_1m"] or 0 for x in self.samples) / max(1, len(self.samples)), 2
                ),
                "loadavg_1m_max": max((x["loadavg_1m"] or 0 for x in self.samples), default=None),
                "provider_cpu_wait_pct_mean": _r(
                    _mean([x["provider_cpu_wait_pct"] for x in self.samples[1:]]), 1
                ),
            },
            "duration_s": round(wall, 1),
            "frames": {
                "total": frames_total,
                "per_s": round(frames_total / wall, 1),
                "by_venue": {v: c["frames"] for v, c in counters.items()},
            },
            "checkpoints": self.checkpoints,
            "checkpoints_ok": bool(self.checkpoints) and all(c["ok"] for c in self.checkpoints),
            "faults": {
                "injected": dict(injected),
                "total": sum(injected.values()),
                "by_venue": {v: dict(c) for v, c in sorted(by_venue.items())},
                "events": [
                    {"t": round(t, 2), "venue": v, "fault": f, "arg": round(a, 2)}
                    for t, v, f, a in (injector.events if injector else [])
                ],
            },
            "detected": counters,
            "out_of_sync": {
                "by_venue_reason": {
                    f"{v} {why}": n
                    for (v, why), n in sorted(
                        Counter((e[1], e[3]) for e in self.out_of_sync).items()
                    )
                },
                "examples": {
                    f"{v} {why}": ex
                    for (v, why), ex in {
                        (e[1], e[3]): e[4] for e in reversed(self.out_of_sync)
                    }.items()
                },
                "events": [
                    {"t": round(t, 2), "venue": v, "market": m, "reason": why, "detail": d}
                    for t, v, m, why, d in self.out_of_sync[:2000]
                ],
            },
            "venue_states_seen": {v: dict(c) for v, c in self.states_seen.items()},
            "recovery": {
                "count": len(every),
                "p50_s": _r(pct(every, 0.5)),
                "p99_s": _r(pct(every, 0.99)),
                "max_s": _r(max(every)) if every else None,
                "by_venue": {
                    v: {
                        "count": len(xs),
                        "p50_s": _r(pct(xs, 0.5)),
                        "p99_s": _r(pct(xs, 0.99)),
                        "max_s": _r(max(xs)) if xs else None,
                    }
                    for v, xs in recs.items()
                },
                "venue_status": status_rec,
            },
            "consolidation": {
                "ms_avg_final": _r(stats.consolidation_ms_avg),
                "ms_p99_final": _r(stats.consolidation_ms_p99),
                "ms_avg_max_over_time": max(cons) if cons else None,
                "consolidations": stats.consolidations,
                "per_s": round(stats.consolidations / wall, 2),
                "expected_per_s": round(1 / app.provider.config.interval_s, 2),
            },
            "dashboard": {
                "clients": opts.clients,
                "requests": len(hits),
                "status": dict(Counter(h.status for h in hits)),
                "errors": [asdict(h) for h in hits if h.status not in (200, 204)][:50],
                "error_count": sum(1 for h in hits if h.status not in (200, 204)),
                "p50_ms": _r(pct([h.ms for h in ok], 0.5), 1),
                "p95_ms": _r(pct([h.ms for h in ok], 0.95), 1),
                "p99_ms": _r(pct([h.ms for h in ok], 0.99), 1),
                "max_ms": _r(max(h.ms for h in ok), 1) if ok else None,
                "by_callback": by_cb,
                "ticks": sum(b.ticks for b in clients.browsers),
                "skipped_ticks": sum(b.skipped for b in clients.browsers),
                "page_errors": dict(page_errors),
            },
            "rss": {
                "before_app_mb": round(rss0, 1),
                "start_mb": rss[0] if rss else None,
                "end_mb": rss[-1] if rss else None,
                "max_mb": max(rss) if rss else None,
                "warmup_s": opts.warmup,
                "after_warmup_mb": warm[0]["rss_mb"] if warm else None,
                "py_objects": [(x["t"], x["py_objects"]) for x in self.samples if x["py_objects"]],
                "slope_mb_per_10min": _slope_per_10min(warm, lambda s: s["rss_mb"]),
                # the slope after other warm-ups: whole 5 minutes that leave 10 of the run
                "slope_by_warmup": {
                    m: _slope_per_10min(
                        [s for s in self.samples if s["t"] >= m * 60.0], lambda s: s["rss_mb"]
                    )
                    for m in range(5, int(opts.duration_s / 60.0) - 9, 5)
                },
                # the same slope split: glibc's heap (taken from the system) and the rest
                # (Python's obmalloc arenas, stacks); None without glibc's mallinfo2
                "malloc_slope_mb_per_10min": _slope_per_10min(
                    glibc, lambda s: s["malloc_mb"]["system"]
                ),
                "other_slope_mb_per_10min": _slope_per_10min(
                    glibc, lambda s: s["rss_mb"] - s["malloc_mb"]["system"]
                ),
            },
            "backpressure": {
                "emulator_queue_max": max(
                    (s["emulator_queue_max"] for s in self.samples), default=0
                ),
                "emulator_queue_limit": MAX_QUEUE,
                "emulator_queue_max_by_venue": {
                    v.value: max(
                        (s["emulator_queues"].get(v.value, 0) for s in self.samples), default=0
                    )
                    for v in app.provider.config.venues
                },
                "lag_s_max": max(
                    (x for smp in self.samples for x in smp["lag_s"].values()), default=0.0
                ),
                "consolidations_per_s_min": min(
                    (s["consolidations_per_s"] for s in self.samples[1:]), default=None
                ),
            },
            "cpu": {
                k: _r(sum(x[k] for x in self.samples[1:]) / max(1, len(self.samples) - 1), 2)
                for k in (
                    "cpu_process",
                    "cpu_app",
                    "cpu_provider",
                    "cpu_browsers",
                    "cpu_emulator",
                    "emulator_steps_per_s",
                )
            },
            "emulator": {
                "where": app.emu.where,
                "nominal_steps_per_s": NOMINAL_STEPS,
                "effective_speed": _r(
                    opts.speed
                    * _mean([x["emulator_steps_per_s"] for x in self.samples[1:]])
                    / NOMINAL_STEPS,
                    1,
                ),
                "kept_pace": _mean([x["emulator_steps_per_s"] for x in self.samples[1:]])
                >= 0.9 * NOMINAL_STEPS,
            },
            "task_crashes": crashes,
            "task_crashes_total": stats.task_crashes,
            "callback_errors": stats.callback_errors,
            "stop": stop_info,
            "logged": dict(logs.counts.most_common(30)),
            "reconnect_delays": {
                v: [round(d, 2) for _, vv, d in logs.retries if vv == v]
                for v in sorted({vv for _, vv, _ in logs.retries})
            },
            "series": self.samples,
        }
        wait = r["machine"]["provider_cpu_wait_pct_mean"]
        r["machine"]["overloaded"] = not r["emulator"]["kept_pace"] or (
            wait is not None and wait > OVERLOAD_WAIT_PCT
        )
        return r


def run_soak(opts: SoakOptions, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the soak; returns the report (see ``format_report``)."""
    return Soak(opts, progress).run()


# =============================================================================== printing


def format_report(r: dict[str, Any]) -> str:
    o = r["options"]
    d = r["dashboard"]
    rec = r["recovery"]
    lines = [
        f"SOAK {r['duration_s']:.0f} s: {len(o['symbols'])} symbols x"
        f" {len(r['frames']['by_venue'])} venues, emulator speed x{o['speed']:g},"
        f" {o['clients']} browsers, faults every ~{o['fault_every_s']:g} s"
        f" ({r['machine']['cpus']} CPUs, load average {r['machine']['loadavg_1m_mean']} mean,"
        f" {r['machine']['loadavg_1m_max']} max: other work on the machine slows everything)",
        "",
        f"frames processed    {r['frames']['total']:,} ({r['frames']['per_s']:,.0f}/s)  "
        + "  ".join(f"{v} {n:,}" for v, n in r["frames"]["by_venue"].items()),
        f"checkpoints         {sum(c['ok'] for c in r['checkpoints'])}/{len(r['checkpoints'])} equal"
        f" (every book in sync and equal to the emulator's top {o['levels']}; settle "
        + ", ".join(f"{c['settle_s']:.2f}" for c in r["checkpoints"])
        + " s)",
    ]
    for c in r["checkpoints"]:
        if not c["ok"]:
            lines.append(f"  FAILED at {c['t']} s: {', '.join(c['bad'])}")
    f = r["faults"]
    lines.append(
        f"faults injected     {f['total']}: "
        + ", ".join(f"{k} {n}" for k, n in sorted(f["injected"].items()))
    )
    lines.append(
        f"recoveries          {rec['count']} resyncs, time to recover p50 {rec['p50_s']} s,"
        f" p99 {rec['p99_s']} s, max {rec['max_s']} s"
    )
    lines.append(
        "  venue      faults  reconn  resyncs  gaps  cksum-bad  parse-err  rec p50/p99/max s"
    )
    for v, c in r["detected"].items():
        bv = rec["by_venue"].get(v, {})
        nf = sum(f["by_venue"].get(v, {}).values())
        lines.append(
            f"  {v:<10} {nf:>6}  {c['reconnects']:>6}  {c['resyncs']:>7}  {c['gaps']:>4}"
            f"  {c['checksums_failed']:>9}  {c['parse_errors']:>9}"
            f"  {bv.get('p50_s')}/{bv.get('p99_s')}/{bv.get('max_s')}"
        )
    oos = r["out_of_sync"]["by_venue_reason"]
    if oos:
        lines.append(
            "out of sync (venue reason: books)  " + ", ".join(f"{k}: {n}" for k, n in oos.items())
        )
        for k, ex in r["out_of_sync"]["examples"].items():
            if "crossed" in k or "bad level" in k or "out of sync" in k:
                lines.append(f"  e.g. {k}: {ex}")
    cons = r["consolidation"]
    lines.append(
        f"consolidation       avg {cons['ms_avg_final']} ms, p99 {cons['ms_p99_final']} ms per symbol"
        f" (last 2000); {cons['per_s']}/s of {cons['expected_per_s']}/s"
    )
    lines.append(
        f"dashboard           {d['requests']} requests, status {d['status']}, p50 {d['p50_ms']} ms,"
        f" p95 {d['p95_ms']} ms, p99 {d['p99_ms']} ms, max {d['max_ms']} ms;"
        f" {d['skipped_ticks']}/{d['ticks']} ticks skipped (callback still running)"
    )
    for name, c in d["by_callback"].items():
        lines.append(
            f"  {name:<11} {c['requests']:>5} req  p50 {c['p50_ms']} ms  p95 {c['p95_ms']} ms"
            f"  max {c['max_ms']} ms  {c['kb_avg']} KB avg, {c['kb_max']} max  {c['status']}"
        )
    if d["page_errors"]:
        lines.append(f"  errors shown in the page: {d['page_errors']}")
    rs = r["rss"]
    lines.append(
        f"RSS                 {rs['start_mb']} -> {rs['end_mb']} MB (max {rs['max_mb']});"
        f" slope after {rs['warmup_s']:.0f} s warm-up: {rs['slope_mb_per_10min']} MB / 10 min"
        f" (glibc heap {rs['malloc_slope_mb_per_10min']}, rest {rs['other_slope_mb_per_10min']});"
        f" Python objects {', '.join(f'{n:,}' for _, n in rs['py_objects'][-4:])}"
    )
    if rs["slope_by_warmup"]:
        lines.append(
            "  slope after "
            + ", ".join(f"{m} min {v}" for m, v in rs["slope_by_warmup"].items())
            + " (MB / 10 min)"
        )
    bp = r["backpressure"]
    lines.append(
        f"backpressure        emulator send queue max {bp['emulator_queue_max']} frames"
        f" (drops a client at {bp['emulator_queue_limit']}), i.e. {bp['lag_s_max']} s behind at most;"
        f" by venue {bp['emulator_queue_max_by_venue']};"
        f" consolidations/s min {bp['consolidations_per_s_min']}"
    )
    c = r["cpu"]
    lines.append(
        f"CPU (cores, avg)    app {c['cpu_app']} (provider thread {c['cpu_provider']}), browsers"
        f" {c['cpu_browsers']} ({r['options']['browsers']}), emulator {c['cpu_emulator']}"
        f" ({r['emulator']['where']});"
        f" emulator steps/s {c['emulator_steps_per_s']} of {r['emulator']['nominal_steps_per_s']:g}"
        f" (effective speed x{r['emulator']['effective_speed']})"
    )
    m = r["machine"]
    lines.append(
        f"machine             {m['cpus']} CPUs, load average {m['loadavg_1m_mean']} (max"
        f" {m['loadavg_1m_max']}); provider thread waited for a CPU {m['provider_cpu_wait_pct_mean']} %"
        f" of its runnable time -> {'OVERLOADED: timings not judged' if m['overloaded'] else 'ok'}"
    )
    if r["reconnect_delays"]:
        lines.append(
            "reconnect delays    "
            + "; ".join(
                f"{v}: {', '.join(f'{d:g}' for d in ds)} s"
                for v, ds in r["reconnect_delays"].items()
            )
        )
    lines.append(
        f"task crashes        {r['task_crashes_total']} {r['task_crashes'] or ''}; callback errors"
        f" {r['callback_errors']}; stop {r['stop']}"
    )
    lines.append("")
    lines.append("over time:")
    lines.append(
        "     t s  frames/s  cons ms avg/p99   dash p50/p95/max ms    RSS MB  cpu app/prov/emu"
        "  wait%  steps/s  emu-q  resyncs  states"
    )
    step = max(1, len(r["series"]) // 40)
    for s in r["series"][::step]:
        lines.append(
            f"  {s['t']:6.0f}  {s['frames_per_s'] or 0:8.0f}"
            f"  {s['consolidation_ms_avg']!s:>6}/{s['consolidation_ms_p99']!s:<8}"
            f"  {s['dash_p50_ms']!s:>6}/{s['dash_p95_ms']!s:>6}/{s['dash_max_ms']!s:<8}"
            f"  {s['rss_mb']:6.1f}  {s['cpu_app']!s:>4}/{s['cpu_provider']!s:>4}/{s['cpu_emulator']!s:<4}"
            f"  {s['provider_cpu_wait_pct']!s:>5}  {s['emulator_steps_per_s']!s:>7}"
            f"  {s['emulator_queue_max']:5d}  {s['resyncs']:7d}"
            f"  {s['venue_states']}"
        )
    if r["logged"]:
        lines.append("")
        lines.append("logged (warnings and errors):")
        for k, n in r["logged"].items():
            lines.append(f"  {n:>5} x {k}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=2.0, help="run length (default 2)")
    ap.add_argument("--speed", type=float, default=10.0, help="emulator speed (default 10)")
    ap.add_argument("--symbols", default="BTC,ETH,SOL")
    ap.add_argument("--venues", default="all")
    ap.add_argument("--fault-every", type=float, default=3.0, help="mean seconds between faults")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--checkpoint-every", type=float, default=30.0)
    ap.add_argument("--levels", type=int, default=25, help="top levels compared at checkpoints")
    ap.add_argument("--settle-timeout", type=float, default=45.0)
    ap.add_argument("--clients", type=int, default=3, help="polling browsers (default 3)")
    ap.add_argument("--refresh-ms", type=int, default=None, help="page refresh (250..5000)")
    ap.add_argument("--sample-every", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=None, help="seconds before the RSS slope")
    ap.add_argument("--seed", type=int, default=1, help="of the fault schedule")
    ap.add_argument(
        "--emulator",
        choices=("process", "thread"),
        default="process",
        help="process (default): the emulator in a child process (as the demo source runs"
        " it), so its CPU does not slow the app; thread: in the app's process",
    )
    ap.add_argument(
        "--browsers",
        choices=("process", "thread"),
        default="process",
        help="process (default): the polling browsers in a child process, as real ones are;"
        " thread: in the app's process (their memory and CPU then count as the app's)",
    )
    ap.add_argument("--auth", default=None, metavar="USER:PASS", help="serve with basic auth")
    ap.add_argument("--json", default=None, metavar="FILE", help="write the report as JSON")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the app's warnings")
    a = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for h in logging.getLogger().handlers:  # warnings are counted in the report either way
        h.setLevel(logging.WARNING if a.verbose else logging.ERROR)
    opts = SoakOptions(
        minutes=a.minutes,
        speed=a.speed,
        symbols=tuple(s.strip().upper() for s in a.symbols.split(",") if s.strip()),
        venues=a.venues,
        fault_every_s=0.0 if a.no_faults else a.fault_every,
        checkpoint_every_s=a.checkpoint_every,
        levels=a.levels,
        settle_timeout_s=a.settle_timeout,
        clients=a.clients,
        refresh_ms=a.refresh_ms,
        sample_every_s=a.sample_every,
        warmup_s=a.warmup,
        seed=a.seed,
        emulator=a.emulator,
        browsers=a.browsers,
        auth=a.auth,
    )
    report = run_soak(opts, None if a.quiet else lambda s: print(s, flush=True))
    print()
    print(format_report(report), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1, default=str))
        print(f"\nwrote {a.json}")
    return 0 if report["checkpoints_ok"] and not report["task_crashes_total"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
