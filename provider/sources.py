"""Where market data comes from: live venues, the built-in emulator, or a recorded capture.

``probe_live`` asks every venue's live endpoint for a WebSocket handshake in parallel and
says which answered; ``start_source`` turns the user's choice (auto, live, demo, replay) into
venue endpoints plus a label for the UI (LIVE / SIMULATED MARKET / REPLAY) and the objects
that must be stopped at exit. No venue names are handled specially here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from provider.errors import ConfigError
from provider.exchanges import adapter_class
from provider.models import Venue
from provider.service import Endpoint

log = logging.getLogger(__name__)

LIVE = "LIVE"
SIMULATED = "SIMULATED MARKET"
REPLAY = "REPLAY"


@dataclass
class Source:
    label: str  # LIVE | SIMULATED MARKET | REPLAY
    venues: tuple[Venue, ...]
    endpoints: dict[Venue, Endpoint] = field(default_factory=dict)  # empty: live hosts
    stoppers: list[Any] = field(default_factory=list)  # objects with .stop()
    detail: str = ""
    listings: dict[Venue, set[str]] | None = None  # what the source lists, when known

    def stop(self) -> None:
        for s in self.stoppers:
            with contextlib.suppress(Exception):
                s.stop()


async def _probe_one(venue: Venue, timeout: float) -> bool:
    adapter = adapter_class(venue)(None)
    url = adapter.ws_url
    try:
        async with asyncio.timeout(timeout):
            async with connect(url, open_timeout=timeout, close_timeout=0.5, proxy=None):
                return True
    except Exception as exc:
        log.debug("live probe %s: %s", venue, exc)
        return False


def probe_live(venues: Sequence[Venue], timeout: float = 4.0) -> list[Venue]:
    """The venues whose live WebSocket answered a handshake within ``timeout`` seconds."""

    async def run() -> list[Venue]:
        ok = await asyncio.gather(*(_probe_one(v, timeout) for v in venues))
        return [v for v, good in zip(venues, ok, strict=True) if good]

    return asyncio.run(run())


class EmulatorProcess:
    """The emulator in a child process (``python -m provider.emulator``)."""

    def __init__(self, venues: Sequence[Venue], seed: int, speed: float) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provider.emulator",
                "--venues",
                ",".join(v.value for v in venues),
                "--seed",
                str(seed),
                "--speed",
                str(speed),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],  # wherever the app was started from
        )

    def endpoints(self, timeout: float = 30.0) -> dict[Venue, Endpoint]:
        out = self.proc.stdout
        assert out is not None
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(out.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not ready or not ready[0].strip():
            self.stop()
            raise ConfigError(
                "the built-in emulator did not start (run python -m provider.emulator to see why)"
            )
        return {Venue(k): Endpoint(ws, rest) for k, (ws, rest) in json.loads(ready[0]).items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_demo(venues: Sequence[Venue], seed: int = 7, speed: float = 1.0) -> Source:
    """The emulator in its own process (it stands for remote venues: it must not share the
    app's interpreter with the provider and the dashboard)."""
    from provider.emulator.market import specs_for

    emu = EmulatorProcess(venues, seed, speed)
    eps = emu.endpoints()
    listings = {v: {_symbol_of(s.base, s.quote) for s in specs_for(v)} for v in venues}
    return Source(SIMULATED, tuple(venues), eps, [emu], "built-in emulator on 127.0.0.1", listings)


def _symbol_of(base: str, quote: str) -> str:
    return f"{base}/{quote}"


def start_source(
    choice: str,
    venues: Sequence[Venue],
    replay_paths: Sequence[str] = (),
    speed: float = 1.0,
    probe_timeout: float = 4.0,
) -> Source:
    """Start the chosen source. ``auto`` tries the live venues, then falls back to demo."""
    if choice == "demo":
        return start_demo(venues, speed=speed)
    if choice == "replay":
        if not replay_paths:
            raise ConfigError("--source replay needs capture files: --replay PATH [PATH ...]")
        from provider.emulator.replay_server import start_replay

        return start_replay(list(replay_paths), venues, speed)
    if choice == "live":
        return Source(LIVE, tuple(venues), detail="venues' public endpoints")
    if choice != "auto":
        raise ConfigError(f"unknown source {choice!r}: choose auto, live, demo or replay")
    answered = probe_live(venues, probe_timeout)
    if answered:
        log.info("live venues answering: %s", ", ".join(v.value for v in answered))
        return Source(LIVE, tuple(answered), detail="venues' public endpoints")
    log.warning(
        "no live venue answered within %.0f s: starting the built-in emulator"
        " (SIMULATED MARKET, not real prices)",
        probe_timeout,
    )
    return start_demo(venues, speed=speed)
