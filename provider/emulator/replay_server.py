"""Replay recorded captures as live venues: every venue found in the files gets a WebSocket
server on 127.0.0.1 that streams that venue's recorded frames, with their recorded timing
(divided by ``speed``), to whatever connects; recorded REST snapshots are served on the REST
port. The provider then connects exactly as it would live, so a replay exercises the same
feed loop, adapters, guards and books.

Formats: the three public capture formats and the project's own recordings (see
``provider.capture``). Venues are recognised from the frames' content. A client connection
on a URL path that matches a recorded connection's path (e.g. Bybit ``/v5/public/spot``) gets
that connection's frames; otherwise it gets every frame of the venue. Client messages are
ignored: the recording already holds the venue's answers.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from provider.capture import RecordKind, read_session
from provider.errors import CaptureError
from provider.exchanges import adapter_class, all_adapters, detect
from provider.models import Market, Venue
from provider.replay import Replayer
from provider.symbols import USD_LIKE

log = logging.getLogger(__name__)


@dataclass
class _VenueTape:
    venue: Venue
    frames: list[tuple[float, str, str | bytes]] = field(default_factory=list)  # (ts, path, frame)
    snapshots: dict[str, list[tuple[float, str | bytes]]] = field(
        default_factory=dict
    )  # native -> [(ts, body)]
    paths: set[str] = field(default_factory=set)


def load_tapes(paths: Sequence[str]) -> tuple[dict[Venue, _VenueTape], float, Replayer]:
    """Read captures into per-venue tapes; also replays them once offline to learn markets."""
    tapes: dict[Venue, _VenueTape] = {}
    conn_venue: dict[str, Venue | None] = {}
    conn_path: dict[str, str] = {}
    first_ts: float | None = None
    replayer = Replayer()
    probes = {cls.venue: cls(None) for cls in all_adapters()}
    for rec in read_session(list(paths)):
        replayer.feed(rec)
        if rec.kind is RecordKind.CONNECT:
            conn_path[rec.conn] = urlsplit(str(rec.data)).path or "/"
            conn_venue.pop(rec.conn, None)
        elif rec.kind is RecordKind.RECV:
            venue = conn_venue.get(rec.conn)
            if venue is None:
                cls = detect(rec.data)
                if cls is None:
                    continue
                venue = conn_venue[rec.conn] = cls.venue
            tape = tapes.setdefault(venue, _VenueTape(venue))
            path = conn_path.get(rec.conn, "/")
            tape.paths.add(path)
            tape.frames.append((rec.ts, path, rec.data))
            first_ts = rec.ts if first_ts is None else min(first_ts, rec.ts)
        elif rec.kind is RecordKind.HTTP:
            for v, probe in probes.items():
                market = probe.rest_market(rec.url) if rec.url else None
                if market is None and rec.url is None and detect(rec.data) is adapter_class(v):
                    waiting = [m for (vv, m) in _markets_of(replayer, v)]
                    market = waiting[0] if len(waiting) == 1 else None
                if market is not None:
                    tape = tapes.setdefault(v, _VenueTape(v))
                    tape.snapshots.setdefault(market.native, []).append((rec.ts, rec.data))
                    break
    if not tapes:
        raise CaptureError(f"no venue frames recognised in {', '.join(paths)}")
    return tapes, first_ts or 0.0, replayer


def _markets_of(replayer: Replayer, venue: Venue) -> list[tuple[Venue, Market]]:
    vb = replayer.venues.get(venue)
    return [] if vb is None else [(venue, m) for m in vb.trackers]


def listings_of(replayer: Replayer) -> dict[Venue, set[str]]:
    """Normalized dollar-quoted spot markets per venue found in a replayed capture."""
    out: dict[Venue, set[str]] = {}
    for v, vb in replayer.venues.items():
        for m in vb.trackers:
            if m.kind.value == "spot" and m.quote in USD_LIKE:
                out.setdefault(v, set()).add(m.symbol)
    return out


class ReplayServer:
    """Serves tapes on 127.0.0.1, one WebSocket port per venue plus one REST port."""

    def __init__(self, tapes: dict[Venue, _VenueTape], start_ts: float, speed: float = 1.0) -> None:
        self.tapes = tapes
        self.start_ts = start_ts
        self.speed = max(speed, 1e-6)
        self.endpoints: dict[Venue, tuple[str, str]] = {}
        self._servers: list[Any] = []
        self._runner: web.AppRunner | None = None
        self._t0 = time.monotonic()

    def position(self) -> float:
        """The recorded time the replay has reached."""
        return self.start_ts + (time.monotonic() - self._t0) * self.speed

    async def start(self) -> dict[Venue, tuple[str, str]]:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        rest_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for v in self.tapes:
            srv = await serve(functools.partial(self._serve, v), "127.0.0.1", 0, compression=None)
            self._servers.append(srv)
            port = next(iter(srv.sockets)).getsockname()[1]
            self.endpoints[v] = (f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{rest_port}")
        self._t0 = time.monotonic()
        return self.endpoints

    async def stop(self) -> None:
        for srv in self._servers:
            srv.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, venue: Venue, ws: ServerConnection) -> None:
        tape = self.tapes[venue]
        path = urlsplit(ws.request.path if ws.request else "/").path or "/"
        use_path = path in tape.paths and len(tape.paths) > 1
        drain = asyncio.create_task(_drain(ws))
        try:
            for ts, fpath, frame in tape.frames:
                if use_path and fpath != path:
                    continue
                wait = (ts - self.position()) / self.speed
                if wait > 0:
                    await asyncio.sleep(wait)
                await ws.send(frame)
            await ws.wait_closed()  # the tape is over: stay silent (the app shows it stale)
        except ConnectionClosed:
            pass
        finally:
            drain.cancel()

    async def _rest(self, request: web.Request) -> web.Response:
        query = parse_qs(request.query_string)
        sym = (query.get("symbol") or [""])[0].upper()
        for tape in self.tapes.values():
            snaps = tape.snapshots.get(sym)
            if snaps:
                now = self.position()
                times = [t for t, _ in snaps]
                i = min(bisect.bisect_left(times, now - 2.0), len(snaps) - 1)
                body = snaps[i][1]
                return web.Response(
                    body=body if isinstance(body, bytes) else body.encode(),
                    content_type="application/json",
                )
        return web.Response(
            status=404, text='{"error":"no recorded snapshot"}', content_type="application/json"
        )


async def _drain(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


class ReplayThread:
    """A ``ReplayServer`` in a daemon thread with its own loop."""

    def __init__(self, tapes: dict[Venue, _VenueTape], start_ts: float, speed: float) -> None:
        self.server = ReplayServer(tapes, start_ts, speed)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replay", daemon=True)

    def start(self) -> dict[Venue, tuple[str, str]]:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("replay server did not start")
        return self.server.endpoints

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        loop.run_until_complete(self.server.start())
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.server.stop())
        loop.close()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(3)


def start_replay(paths: list[str], venues: Sequence[Venue], speed: float = 1.0) -> Any:
    """A ``sources.Source`` replaying ``paths`` (only the venues asked for, if present)."""
    from provider.service import Endpoint
    from provider.sources import REPLAY, Source

    tapes, start_ts, replayer = load_tapes(paths)
    chosen = {v: t for v, t in tapes.items() if v in venues}
    if not chosen:
        found = ", ".join(v.value for v in tapes)
        raise CaptureError(f"the capture holds {found}; none of them is in --venues")
    th = ReplayThread(chosen, start_ts, speed)
    eps = th.start()
    listings = {v: s for v, s in listings_of(replayer).items() if v in chosen}
    return Source(
        REPLAY,
        tuple(chosen),
        {v: Endpoint(ws, rest) for v, (ws, rest) in eps.items()},
        [th],
        f"replaying {len(paths)} file(s) at x{speed:g}",
        listings,
    )
