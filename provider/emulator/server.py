"""The emulator's sockets: one WebSocket server per venue and one REST server, on 127.0.0.1.

``Emulator`` steps the synthetic market on a timer, lets each venue's sessions encode the
changes, and writes the frames to the connected clients through a per-connection queue, with
fault injection applied on the way out. Ports are picked by the OS; ``endpoints`` says where
each venue listens. ``EmulatorThread`` runs it in a daemon thread with its own event loop
(the app and the tests use it from synchronous code).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from provider.emulator.faults import Fault, FaultState
from provider.emulator.market import SyntheticMarket, VenueSpec, specs_for
from provider.emulator.protocol import CLOSE, SNAPSHOT, ClientSession, Out, VenueServer
from provider.models import Venue

log = logging.getLogger(__name__)

#: frames a slow client may have waiting before the venue drops it (as real venues do)
MAX_QUEUE = 20_000


@dataclass(frozen=True, slots=True)
class Endpoint:
    ws: str  # e.g. ws://127.0.0.1:40123
    rest: str  # e.g. http://127.0.0.1:40124 (shared by all venues)


def server_class(venue: Venue) -> type[VenueServer]:
    mod = importlib.import_module(f"provider.emulator.venues.{venue.value}")
    cls: type[VenueServer] = mod.SERVER
    return cls


class _Client:
    """One connected client: its session, its outgoing queue and writer."""

    def __init__(self, ws: ServerConnection, session: ClientSession, faults: FaultState) -> None:
        self.ws = ws
        self.session = session
        self.faults = faults
        self.queue: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.held: Out | None = None  # for reordering
        self.held_silent: list[Out] = []

    def push(self, frames: Iterable[Out]) -> None:
        """Queue frames for the writer. While the venue is silent (a stalled network path)
        frames are held and delivered, in order, when it ends: nothing is lost."""
        if self.faults.silent(time.time()):
            self.held_silent.extend(frames)
            return
        if self.held_silent:
            frames = [*self.held_silent, *frames]
            self.held_silent = []
        for out in frames:
            if out.kind == CLOSE or out.data is None:
                self.close()
                return
            for data in self.faults.filter(self, out):
                if self.queue.qsize() >= MAX_QUEUE:
                    self.close()
                    return
                self.queue.put_nowait(data)

    def close(self) -> None:
        self.session.closed = True
        self.queue.put_nowait(None)


class Emulator:
    """The seven venues on 127.0.0.1, driven by one synthetic market."""

    def __init__(
        self,
        venues: Iterable[Venue] = tuple(Venue),
        seed: int = 7,
        speed: float = 1.0,
        tick_s: float = 0.05,
        specs: list[VenueSpec] | None = None,
    ) -> None:
        self.venues = list(venues)
        chosen = specs if specs is not None else [s for v in self.venues for s in specs_for(v)]
        self.market = SyntheticMarket(seed, chosen)
        self.speed = speed
        self.tick_s = tick_s
        self.servers: dict[Venue, VenueServer] = {}
        for v in self.venues:
            markets = {k[1]: m for k, m in self.market.markets.items() if k[0] is v}
            self.servers[v] = server_class(v)(markets)
        self.faults = {v: FaultState(v) for v in self.venues}
        self.clients: dict[Venue, set[_Client]] = {v: set() for v in self.venues}
        self.endpoints: dict[Venue, Endpoint] = {}
        self.steps = 0
        self.paused = False
        self._ws_servers: list[Any] = []
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._idle: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------------- lifecycle

    async def start(self) -> dict[Venue, Endpoint]:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        rest_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for v in self.venues:
            srv = await serve(
                functools.partial(self._serve, v),
                "127.0.0.1",
                0,
                max_size=2**20,
                compression=None,
                ping_interval=20,
            )
            self._ws_servers.append(srv)
            port = next(iter(srv.sockets)).getsockname()[1]
            self.endpoints[v] = Endpoint(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{rest_port}")
        self._ticker = asyncio.create_task(self._tick_loop(), name="emulator-tick")
        self._idle = asyncio.create_task(self._idle_loop(), name="emulator-idle")
        return self.endpoints

    async def stop(self) -> None:
        for t in (self._ticker, self._idle):
            if t is not None:
                t.cancel()
        for clients in self.clients.values():
            for c in list(clients):
                c.close()
        for srv in self._ws_servers:
            srv.close()
        for srv in self._ws_servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(srv.wait_closed(), 2.0)
        if self._runner is not None:
            await self._runner.cleanup()
        await asyncio.gather(*[t for t in (self._ticker, self._idle) if t], return_exceptions=True)

    # ------------------------------------------------------------------------- stepping

    def step_once(self, dt: float) -> None:
        """Advance the market by ``dt`` and push the frames to every client."""
        now = time.time()
        results = self.market.step(dt, self.speed)
        self.steps += 1
        for (venue, native), result in results.items():
            server = self.servers.get(venue)
            if server is None:
                continue
            changes = server.visible_changes(native, result)
            for c in list(self.clients[venue]):
                if not c.session.closed:
                    c.push(c.session.step(native, changes, result, now))

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        nxt = loop.time()
        while True:
            nxt += self.tick_s
            if not self.paused:
                self.step_once(self.tick_s)
            await asyncio.sleep(max(0.0, nxt - loop.time()))

    async def _idle_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.time()
            for clients in self.clients.values():
                for c in list(clients):
                    if not c.session.closed:
                        c.push(c.session.idle(now))

    # ------------------------------------------------------------------------- sockets

    async def _serve(self, venue: Venue, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else "/"
        session = self.servers[venue].session(path)
        client = _Client(ws, session, self.faults[venue])
        self.clients[venue].add(client)
        writer = asyncio.create_task(self._write(client))
        try:
            client.push(session.opened(time.time()))
            async for msg in ws:
                text = msg if isinstance(msg, str) else msg.decode("utf-8", "replace")
                client.push(session.received(text, time.time()))
                if session.closed:
                    break
        except ConnectionClosed:
            pass
        finally:
            self.clients[venue].discard(client)
            client.close()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer
            await ws.close()

    async def _write(self, client: _Client) -> None:
        q = client.queue
        while True:
            data = await q.get()
            if data is None:
                await client.ws.close()
                return
            await client.ws.send(data)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        query = {k: v for k, v in request.query.items()}
        for venue, server in self.servers.items():
            answer = server.rest(path, query)
            if answer is not None:
                delay = self.faults[venue].rest_delay()
                if delay:
                    await asyncio.sleep(delay)
                status, body = answer
                return web.Response(status=status, text=body, content_type="application/json")
        return web.Response(
            status=404, text='{"error":"not found"}', content_type="application/json"
        )

    # ------------------------------------------------------------------------- control

    def inject(self, venue: Venue, fault: Fault, arg: float = 0.0) -> None:
        """Inject a fault into a venue (see ``faults.Fault``). Call from the loop thread."""
        self.faults[venue].inject(fault, arg, self.clients[venue])

    def client_book(self, venue: Venue, native: str, n: int | None = None) -> tuple[list, list]:
        return self.servers[venue].client_book(native, n)


class EmulatorThread:
    """An ``Emulator`` in a daemon thread with its own event loop."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.emulator: Emulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> dict[Venue, Endpoint]:
        self._thread = threading.Thread(target=self._run, name="emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("emulator did not start")
        if self._error is not None:
            raise RuntimeError(f"emulator failed to start: {self._error}") from self._error
        assert self.emulator is not None
        return self.emulator.endpoints

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            self.emulator = Emulator(**self.kwargs)
            loop.run_until_complete(self.emulator.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.emulator.stop())
        loop.close()

    def call(self, fn: Any, *args: Any, timeout: float = 5.0) -> Any:
        """Run ``fn(*args)`` in the emulator's loop and return its result."""
        assert self.loop is not None
        fut = asyncio.run_coroutine_threadsafe(_call(fn, *args), self.loop)
        return fut.result(timeout)

    def inject(self, venue: Venue, fault: Fault, arg: float = 0.0) -> None:
        assert self.emulator is not None
        self.call(self.emulator.inject, venue, fault, arg)

    def client_book(self, venue: Venue, native: str, n: int | None = None) -> tuple[list, list]:
        assert self.emulator is not None
        return self.call(self.emulator.client_book, venue, native, n)

    def pause(self, paused: bool = True) -> None:
        """Stop (or restart) the market; returns after the current step is done."""
        assert self.emulator is not None
        self.call(setattr, self.emulator, "paused", paused)

    def stop(self, timeout: float = 5.0) -> None:
        if self.loop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)


async def _call(fn: Any, *args: Any) -> Any:
    return fn(*args)


__all__ = ["SNAPSHOT", "Emulator", "EmulatorThread", "Endpoint"]
