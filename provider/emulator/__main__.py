"""Run the emulator as its own process: ``python -m provider.emulator [--venues ...]``.

Prints one JSON line with each venue's endpoints (``{"binance": ["ws://...", "http://..."]}``)
once every server listens, then runs until stdin closes or it is terminated. The demo source
uses this so that the simulated venues do not share the app's interpreter (and its GIL)
with the provider and the dashboard, as real venues would not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from provider.config import parse_venues
from provider.emulator.server import EmulatorThread


def main() -> int:
    ap = argparse.ArgumentParser(
        prog="python -m provider.emulator", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--venues", default="all")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--speed", type=float, default=1.0)
    args = ap.parse_args()
    emu = EmulatorThread(venues=list(parse_venues(args.venues)), seed=args.seed, speed=args.speed)
    eps = emu.start()
    print(json.dumps({v.value: [e.ws, e.rest] for v, e in eps.items()}), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def watch_stdin() -> None:  # the parent went away: stop
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
