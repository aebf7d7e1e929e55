"""Consolidated order book dashboard: one command, a browser page.

    python app.py                       # live venues, or the built-in emulator if none answers
    python app.py --source demo         # the emulator (SIMULATED MARKET), no network needed
    python app.py --source replay --replay FILE [FILE ...]
    python app.py export --chart heatmap --format png --out heatmap.png --source demo --seconds 20

Run ``python app.py --help`` (and ``python app.py export --help``) for every option.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence

from dashboard.safety import InputError
from provider.config import ProviderConfig, build_config, parse_symbols, parse_venues
from provider.errors import CaptureError, ConfigError

log = logging.getLogger("cob")

SOURCES = ("auto", "live", "demo", "replay")


def _common(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="where data comes from: auto = the live venues, or the built-in emulator if none"
        " answers within a few seconds (default); live; demo = the emulator (simulated market);"
        " replay = recorded captures (--replay)",
    )
    ap.add_argument(
        "--replay", nargs="+", default=[], metavar="PATH", help="capture files to replay"
    )
    ap.add_argument(
        "--venues", default="all", help="comma-separated venues (default all): "
        "binance,coinbase,kraken,huobi,bitfinex,okx,bybit",
    )  # fmt: skip
    ap.add_argument(
        "--symbols", default="BTC,ETH", help="base assets to consolidate (default BTC,ETH)"
    )
    ap.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="BASE=SIZE",
        help="price bucket per symbol, in quote units or bps, e.g. BTC=10 ETH=1 SOL=5bps"
        " (defaults: BTC $10, ETH $1, others 2 bps)",
    )
    ap.add_argument(
        "--fx",
        choices=("1:1", "live"),
        default="1:1",
        help="how USDT quotes join USD ones: 1:1 (default, each venue's quote labelled) or"
        " live (converted by a USDT/USD book of a venue that lists one)",
    )
    ap.add_argument("--speed", type=float, default=1.0, help="emulator/replay speed (default 1)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def run_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python app.py",
        description="Live consolidated order book of several crypto venues, in the browser."
        " Subcommand: 'export' writes a chart or CSV without a browser.",
    )
    _common(ap)
    ap.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8050, help="port (default 8050; 0 = any free)")
    ap.add_argument(
        "--auth",
        default=os.environ.get("COB_AUTH"),
        metavar="USER:PASS",
        help="HTTP basic credentials; required when --host is not a loopback address"
        " (or set COB_AUTH)",
    )
    ap.add_argument("--record", metavar="DIR", help="record every raw frame under this folder")
    ap.add_argument("--record-max-mb", type=int, default=1024, help="recording size cap (MB)")
    ap.add_argument("--open", action="store_true", help="open the page in a browser")
    ap.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared host)")
    return ap


def export_parser() -> argparse.ArgumentParser:
    from dashboard.export import CHARTS, FORMATS

    ap = argparse.ArgumentParser(
        prog="python app.py export",
        description="Write one chart (png/svg/pdf/html) or table (csv) of the current view,"
        " headlessly: starts the chosen source, waits, exports, exits.",
    )
    ap.add_argument("--chart", required=True, choices=CHARTS, help="what to export")
    ap.add_argument("--format", required=True, choices=FORMATS, help="file format")
    ap.add_argument("--out", required=True, help="output file")
    ap.add_argument("--symbol", default=None, help="symbol to export (default: the first)")
    ap.add_argument("--seconds", type=float, default=15.0, help="collect data this long first")
    _common(ap)
    return ap


def _buckets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        base, sep, size = item.partition("=")
        if not sep or not base.strip() or not size.strip():
            raise ConfigError(f"bad --bucket {item!r}: use BASE=SIZE, e.g. BTC=10 or SOL=5bps")
        out[base.strip().upper()] = size.strip()
    return out


def start_provider(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Start the source and the provider; returns (provider, source)."""
    from provider.capture import RecordingWriter
    from provider.service import Provider
    from provider.sources import start_source

    venues = parse_venues(args.venues)
    symbols = parse_symbols(args.symbols)
    buckets = _buckets(args.bucket)
    for base in buckets:
        if base not in symbols:
            raise ConfigError(
                f"--bucket {base}=... names a symbol not in --symbols ({','.join(symbols)})"
            )
    # check everything that does not need the source before starting it (one clear line)
    if args.source != "replay":
        build_config(
            symbols, venues, buckets, args.fx, listings=_known_listings(args.source, venues)
        )
    folder = None
    if getattr(args, "record", None):
        from dashboard.safety import safe_folder

        folder = safe_folder(args.record, "recordings")
    source = start_source(args.source, venues, args.replay, args.speed)
    try:
        if source.label == "REPLAY" and args.symbols == "BTC,ETH" and source.listings:
            symbols = tuple(
                sorted({m.split("/")[0] for ms in source.listings.values() for m in ms})
            )
        cfg: ProviderConfig = build_config(
            symbols, source.venues, buckets, args.fx, source.label, source.listings,
            strict=source.label != "REPLAY",
        )  # fmt: skip
        recorder = None
        if folder is not None:
            writer = RecordingWriter(folder, total_bytes=args.record_max_mb * 2**20)
            recorder = writer.write
            source.stoppers.append(writer)
            log.info("recording raw frames under %s", folder)
        provider = Provider(cfg, endpoints=source.endpoints, recorder=recorder).start()
    except BaseException:
        source.stop()
        raise
    return provider, source


def _known_listings(source: str, venues: Sequence[object]) -> dict | None:  # type: ignore[type-arg]
    """What the demo venues list (known without starting them); None for other sources."""
    if source != "demo":
        return None
    from provider.emulator.market import specs_for

    return {v: {f"{s.base}/{s.quote}" for s in specs_for(v)} for v in venues}  # type: ignore[arg-type]


#: glibc ``mallopt`` parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: numpy caches up to this many freed data buffers of each size below that many bytes
#: (NCACHE and NBUCKETS in its alloc.c)
_NUMPY_CACHED_PER_SIZE = 7
_NUMPY_CACHED_BELOW = 1024


def bound_allocator(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> bool:
    """Keep glibc's allocator from holding on to memory the app has freed; call before any
    thread starts. False where the C library is not glibc (nothing to do there).

    Why: the dashboard's server answers requests on threads of its own (a pool of 8,
    ``dashboard.server``), and glibc gives threads heaps of their own ("arenas", up to 8 per
    core) that keep what was freed in them; and after a large block (a figure's JSON, a
    heatmap window) is freed, glibc raises its mmap threshold, up to 32 MB, so later blocks
    of that size are carved from the arenas too and their free space is kept. With the live
    data flat, the soak measured RSS growing 10-35 MB / 10 min this way. Two arenas cost
    nothing here (the GIL runs one thread at a time), and a fixed threshold (glibc's default
    128 KiB, which also keeps the heaps trimmed) hands large blocks back to the system when
    they are freed.
    """
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_ARENA_MAX, arenas) == 1
    ok = mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1 and ok
    if not ok:
        log.warning("could not bound the allocator (mallopt refused)")
    return ok


def fill_numpy_cache() -> int:
    """Fill numpy's cache of small data buffers now, so that it does not fill during the
    run; returns the bytes it now holds.

    Why: numpy keeps up to 7 freed data buffers of each size under 1 KiB for reuse (its
    allocation cache: at most 7 x (1 + ... + 1023) bytes, 3.7 MB) and never returns them.
    The app makes small arrays of ever-varying sizes (books, buckets and bands of varying
    depth), so the cache fills a size at a time over hours: in the soak it was the largest
    part of the resident memory's growth after warm-up (heaptrack: +0.65 MB of numpy buffers
    live in malloc between minutes 5 and 25 while Python's own allocations were flat).
    Filled at start, it costs the same 3.7 MB at once and the growth is gone.
    """
    import numpy as np

    held = [
        np.empty(n, dtype=np.uint8)
        for n in range(1, _NUMPY_CACHED_BELOW)
        for _ in range(_NUMPY_CACHED_PER_SIZE)
    ]
    total = sum(a.nbytes for a in held)
    del held  # (each buffer goes to the cache, which keeps as many of each size as this)
    return total


def prepare_memory() -> None:
    """What every command does first: bound glibc's allocator, fill numpy's buffer cache."""
    bound_allocator()
    fill_numpy_cache()


def cmd_run(argv: Sequence[str]) -> int:
    prepare_memory()
    args = run_parser().parse_args(argv)
    _logging(args.verbose)
    from dashboard.app import create_app
    from dashboard.safety import check_bind, is_loopback

    auth = check_bind(args.host, args.auth)
    if args.debug and not is_loopback(args.host):
        raise ConfigError("--debug exposes a debugger: use it only with --host 127.0.0.1")
    provider, source = start_provider(args)
    if source.label != "LIVE":
        log.warning("%s: %s", source.label, source.detail)
    app = create_app(provider, auth=auth, debug=args.debug)
    from dashboard.server import PooledWSGIServer

    server = PooledWSGIServer(args.host, args.port, app.server)
    url = f"http://{args.host}:{server.server_port}/"
    log.info("dashboard on %s (source: %s)", url, source.label)
    print(f"dashboard on {url}  (source: {source.label})", flush=True)
    if args.open:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    stop = threading.Event()

    def shutdown(*_: object) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        provider.stop()
        source.stop()
    return 0


def cmd_export(argv: Sequence[str]) -> int:
    prepare_memory()
    args = export_parser().parse_args(argv)
    _logging(args.verbose)
    from dashboard.export import export_to_file

    if args.source == "auto":
        args.source = "demo"  # headless exports never wait for live probes by surprise
    provider, source = start_provider(args)
    try:
        symbol = (args.symbol or provider.symbols[0]).upper()
        if symbol not in provider.symbols:
            raise ConfigError(f"--symbol {symbol} is not one of {','.join(provider.symbols)}")
        deadline = time.time() + args.seconds
        while time.time() < deadline:
            time.sleep(0.2)
        from dashboard.safety import safe_file

        out = safe_file(args.out, os.environ.get("COB_EXPORTS_ROOT", "."))
        path = export_to_file(provider, symbol, args.chart, args.format, str(out))
        print(f"wrote {path}")
    finally:
        provider.stop()
        source.stop()
    return 0


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("websockets").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "export":
            return cmd_export(argv[1:])
        return cmd_run(argv)
    except (ConfigError, CaptureError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
