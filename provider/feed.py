"""The one connect / subscribe / read loop, for every venue.

``VenueFeed.run()`` keeps one WebSocket connection per venue alive: connect, subscribe (rate
limited to the venue's limit), read frames into ``session.Connection.feed``, answer the
replies the adapter asks for, send the venue's keep-alive, fetch REST snapshots where the
venue's sync needs them, and resync books that fall out of sync following the adapter's
``resync`` procedure ("rest", "resubscribe" or "reconnect"). On any failure it marks the
connection's books out of sync and reconnects: at once (a small jitter) when the connection
had worked, then backing off with jitter (capped) while attempts keep failing; never more
often than the venue's connection limit allows. A watchdog reconnects a connection that has
gone silent, and connections are renewed before the venue's maximum lifetime.

Frames are read from the moment the connection opens: subscriptions paced by the venue's
message limit never hold up the snapshots of the ones already sent. A connection that is
left is closed in the background (its closing handshake waits for the venue's answer, which
no one needs to wait for): the next one opens at once.

There are no venue names in this module: everything venue-specific comes from the adapter.
The connect function and the HTTP getter are injected (tests and the emulator use local
servers; nothing here mocks a library).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import WebSocketException

from provider.capture import Record, RecordKind
from provider.errors import FeedError
from provider.models import Market
from provider.session import Connection, VenueBooks
from provider.sync import MarketTracker

log = logging.getLogger(__name__)

#: frames up to this size are accepted (a Coinbase BTC-USD level2 snapshot is one 5 MB frame)
MAX_FRAME = 32 * 2**20


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0, rnd: float | None = None) -> float:
    """Delay before reconnect attempt ``attempt`` (0-based): "equal jitter" exponential.

    Half of the exponential step is fixed and half is random, so a venue that is down is
    retried at a growing interval, capped, and clients do not reconnect in lock-step.
    """
    step = min(cap, base * (2.0 ** min(attempt, 30)))
    r = random.random() if rnd is None else rnd
    return step / 2 + step / 2 * r


@dataclass(frozen=True, slots=True)
class FeedConfig:
    ws_base: str | None = None  # None: the venue's live endpoint
    rest_base: str | None = None  # None: the venue's live REST host
    max_frame: int = MAX_FRAME
    connect_timeout_s: float = 10.0
    silence_reconnect_s: float = 30.0  # no frame for this long: reconnect
    snapshot_delay_s: float = 0.3  # after subscribing, before fetching REST snapshots
    rest_timeout_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    #: after a connection that worked fails, the first reconnect waits only a random delay
    #: up to this (clients of one venue do not come back in lock-step); then the backoff
    reconnect_jitter_s: float = 0.1
    close_timeout_s: float = 1.0  # closing handshake of a connection left (in the background)
    max_connection_s: float | None = None  # overrides the adapter's lifetime (tests)
    min_resync_interval_s: float = 1.0  # per market: never resync faster than this

    @property
    def closing_wait_s(self) -> float:
        """How long a stopping feed waits for the connections still closing."""
        return self.close_timeout_s + 1.0


@dataclass(slots=True)
class FeedHealth:
    """What the feed knows about its connection; read by the provider for venue health."""

    connected: bool = False
    connects: int = 0
    disconnects: int = 0
    reconnect_attempt: int = 0
    next_retry_at: float | None = None
    last_error: str = ""
    errors: int = 0
    resync_requests: int = 0
    rest_snapshots: int = 0
    rest_failures: int = 0
    sent: int = 0
    _times: deque[float] = field(default_factory=lambda: deque(maxlen=4096))

    def frame(self, now: float) -> None:
        self._times.append(now)

    def rate(self, now: float, window: float = 5.0) -> float:
        """Frames per second over the last ``window`` seconds."""
        times = self._times
        while times and times[0] < now - window:
            times.popleft()
        return len(times) / window


Connector = Callable[..., Any]  # websockets.asyncio.client.connect or compatible
HttpGet = Callable[[str], Awaitable[tuple[int, bytes]]]


#: what a session may fail with and be retried; anything else is a bug for the supervisor
_CONNECTION_ERRORS = (OSError, TimeoutError, WebSocketException, FeedError)


class _Reconnect(Exception):
    """Leave the session and reconnect (planned: lifetime, silence, resync by reconnect)."""


class VenueFeed:
    """Keeps one venue's connection and books alive."""

    def __init__(
        self,
        books: VenueBooks,
        markets: Sequence[Market],
        config: FeedConfig,
        connect: Connector,
        http_get: HttpGet,
        clock: Callable[[], float] = time.time,
        recorder: Callable[[Record], None] | None = None,
    ) -> None:
        self.books = books
        self.markets = list(markets)
        self.config = config
        self.connect = connect
        self.http_get = http_get
        self.clock = clock
        self.recorder = recorder
        self.health = FeedHealth()
        self._probe = books.adapter_factory(None)  # the venue's rules (class attributes)
        self._conn: Connection | None = None
        self._ws: Any = None
        self._resync_q: asyncio.Queue[MarketTracker] = asyncio.Queue()
        self._send_times: deque[float] = deque()
        self._send_lock = asyncio.Lock()  # one message paced at a time
        self._connect_times: deque[float] = deque()  # connection attempts, last minute
        self._closing: set[asyncio.Task[Any]] = set()  # connections left, still closing
        self._pending: set[Market] = set()
        self._last_resync: dict[Market, float] = {}
        self._conn_no = 0
        books.on_out_of_sync = self._on_out_of_sync

    # ------------------------------------------------------------------------- public

    async def run(self) -> None:
        """Connect forever (until cancelled): at once after a connection that worked, backing
        off while attempts keep failing."""
        h = self.health
        try:
            while True:
                await self._connect_slot()
                try:
                    await self._session()
                    h.reconnect_attempt = 0
                    delay = 0.0
                except _Reconnect as exc:
                    log.info("%s: reconnecting (%s)", self.books.venue, exc)
                    delay = 0.0
                except asyncio.CancelledError:
                    raise
                except _CONNECTION_ERRORS as exc:
                    h.errors += 1
                    h.last_error = f"{type(exc).__name__}: {exc}"[:300]
                    delay = self.retry_delay(h.reconnect_attempt)
                    h.reconnect_attempt += 1
                    log.warning(
                        "%s: connection failed (%s); retry in %.1f s",
                        self.books.venue,
                        h.last_error,
                        delay,
                    )
                finally:
                    self._end_session("disconnected")
                if delay:
                    h.next_retry_at = self.clock() + delay
                    await asyncio.sleep(delay)
                    h.next_retry_at = None
        finally:
            await self._closed()

    def retry_delay(self, attempt: int, rnd: float | None = None) -> float:
        """Delay before reconnecting after ``attempt`` failed attempts in a row (0: the
        connection had worked): a random delay up to ``reconnect_jitter_s``, then the
        capped exponential backoff."""
        cfg = self.config
        r = random.random() if rnd is None else rnd
        if attempt == 0:
            return cfg.reconnect_jitter_s * r
        return backoff(attempt - 1, cfg.backoff_base_s, cfg.backoff_cap_s, r)

    async def _connect_slot(self) -> None:
        """Wait, if need be, until one more connection keeps within the venue's limit of
        connections per minute (a sliding window: a burst of reconnects is not delayed)."""
        limit = self._probe.max_connects_per_min
        times = self._connect_times
        now = time.monotonic()
        while times and times[0] <= now - 60.0:
            times.popleft()
        if limit is not None and len(times) >= limit:
            wait = times[0] + 60.0 - now
            log.warning(
                "%s: %d connections in the last minute, the venue allows %g: next in %.1f s",
                self.books.venue,
                len(times),
                limit,
                wait,
            )
            self.health.next_retry_at = self.clock() + wait
            await asyncio.sleep(wait)
            self.health.next_retry_at = None
        times.append(time.monotonic())

    def request_resync(self, tracker: MarketTracker) -> None:
        self._enqueue(tracker)

    # ------------------------------------------------------------------------- session

    def _on_out_of_sync(self, tracker: MarketTracker, reason: str) -> None:
        if self._conn is not None:  # not while the connection itself is going away
            self.health.resync_requests += 1
            self._enqueue(tracker)

    def _enqueue(self, tracker: MarketTracker) -> None:
        if tracker.market not in self._pending:
            self._pending.add(tracker.market)
            self._resync_q.put_nowait(tracker)

    def _end_session(self, reason: str) -> None:
        conn, self._conn = self._conn, None
        if self.health.connected:
            self.health.disconnects += 1
        self.health.connected = False
        self._ws = None
        if conn is not None:
            conn.lost(reason, self.clock())
        while not self._resync_q.empty():
            self._resync_q.get_nowait()
        self._pending.clear()

    async def _session(self) -> None:
        cfg = self.config
        url = self._probe.connect_url(self.markets, cfg.ws_base)
        self._conn_no += 1
        conn_id = f"{self.books.venue}.ws.{self._conn_no}"
        self._record(RecordKind.CONNECT, conn_id, url, url)
        opening = self.connect(
            url,
            max_size=cfg.max_frame,
            open_timeout=cfg.connect_timeout_s,
            close_timeout=cfg.close_timeout_s,
            ping_interval=20.0,
            ping_timeout=20.0,
            compression=None,
        )
        ws = await opening.__aenter__()
        try:
            await self._serve(ws, url, conn_id)
        finally:
            self._close_later(opening)

    async def _serve(self, ws: Any, url: str, conn_id: str) -> None:
        """Run one open connection until it fails (always ends with an exception)."""
        conn = self.books.connect(url)
        self._send_times.clear()  # the venue's rate limit is per connection
        self._ws = ws
        self._conn = conn
        h = self.health
        h.connected = True
        h.connects += 1
        h.last_error = ""
        adapter = conn.adapter
        # reading starts with the connection: the snapshots of the first subscriptions are
        # applied while later ones wait for the venue's message limit
        tasks = [asyncio.create_task(self._read(ws, conn, conn_id), name="read")]
        tasks.append(asyncio.create_task(self._resyncs(conn, conn_id), name="resync"))
        tasks.append(asyncio.create_task(self._watchdog(), name="watchdog"))
        if adapter.ping_text:
            tasks.append(
                asyncio.create_task(
                    self._pinger(adapter.ping_text, adapter.ping_interval_s, conn_id)
                )
            )
        lifetime = self.config.max_connection_s or adapter.max_connection_s
        if lifetime:
            tasks.append(asyncio.create_task(self._lifetime(lifetime)))
        opening = asyncio.create_task(self._subscribe(adapter, conn_id), name="subscribe")
        try:
            pending = {opening, *tasks}
            while True:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for t in done:
                    t.result()  # re-raise what ended the session
                if done != {opening}:
                    raise FeedError("connection closed by the venue")
        finally:
            for t in (opening, *tasks):
                t.cancel()
            await asyncio.gather(opening, *tasks, return_exceptions=True)

    async def _subscribe(self, adapter: Any, conn_id: str) -> None:
        for msg in adapter.subscribe_messages(self.markets):
            await self._send(msg, conn_id)
        if adapter.resync == "rest":
            await asyncio.sleep(self.config.snapshot_delay_s)  # let the first diffs buffer
            for m in self.markets:
                self._enqueue(self.books.tracker(m))

    def _close_later(self, opening: Any) -> None:
        """Close a connection that is left without waiting for its closing handshake (up to
        ``close_timeout_s``: a connection whose reading stopped may never see the venue's
        answer): the next connection opens meanwhile."""
        task = asyncio.create_task(opening.__aexit__(None, None, None), name="close")
        self._closing.add(task)
        task.add_done_callback(self._closed_one)

    def _closed_one(self, task: asyncio.Task[Any]) -> None:
        self._closing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("%s: closing a connection: %r", self.books.venue, task.exception())

    async def _closed(self) -> None:
        """Wait for the connections still closing (when the feed stops)."""
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=self.config.closing_wait_s)

    async def _read(self, ws: Any, conn: Connection, conn_id: str) -> None:
        feed = conn.feed
        clock = self.clock
        health = self.health
        rec = self.recorder
        first = True
        async for frame in ws:
            if first:  # the venue answers: the next failure starts the backoff afresh
                first = False
                health.reconnect_attempt = 0
            now = clock()
            health.frame(now)
            if rec is not None:
                rec(Record(now, RecordKind.RECV, conn_id, frame))
            replies = feed(frame, now)
            for text in replies:
                await self._send(text, conn_id)
            if conn.reconnect_requested:
                raise _Reconnect(conn.reconnect_requested)

    async def _send(self, text: str, conn_id: str) -> None:
        """Send one message, never faster than the venue's per-connection limit."""
        limit = self._conn.adapter.max_messages_per_s if self._conn else 5.0
        times = self._send_times
        async with self._send_lock:  # subscriptions, replies, pings and resyncs share it
            now = time.monotonic()
            while times and times[0] <= now - 1.0:
                times.popleft()
            if len(times) >= limit:
                await asyncio.sleep(times[0] + 1.0 - now)
            times.append(time.monotonic())
            await self._ws.send(text)
        self.health.sent += 1
        if self._conn is not None:
            self._conn.adapter.on_sent(text)
        self._record(RecordKind.SEND, conn_id, text, None)

    async def _pinger(self, text: str, every: float, conn_id: str) -> None:
        while True:
            await asyncio.sleep(every)
            await self._send(text, conn_id)

    async def _lifetime(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        raise _Reconnect("connection lifetime reached")

    async def _watchdog(self) -> None:
        limit = self.config.silence_reconnect_s
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            last = self.books.last_message
            if last is not None and self.clock() - last > limit:
                raise _Reconnect(f"no message for {limit:.0f} s")

    async def _resyncs(self, conn: Connection, conn_id: str) -> None:
        adapter = conn.adapter
        pending = self._pending
        while True:
            tracker = await self._resync_q.get()
            pending.discard(tracker.market)
            if tracker.in_sync:
                continue  # already recovered (e.g. the venue re-sent a snapshot)
            # never hammer a venue: at most one resync per market per min_resync_interval_s
            wait = self._last_resync.get(tracker.market, -1e9) + self.config.min_resync_interval_s
            wait -= time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                if tracker.in_sync:
                    continue
            self._last_resync[tracker.market] = time.monotonic()
            if adapter.resync == "reconnect":
                raise _Reconnect(f"resync {tracker.market}: {tracker.last_reason}")
            if adapter.resync == "resubscribe":
                for msg in adapter.resubscribe_messages(tracker.market):
                    await self._send(msg, conn_id)
                continue
            await self._fetch_snapshot(conn, tracker, conn_id)

    async def _fetch_snapshot(self, conn: Connection, tracker: MarketTracker, conn_id: str) -> None:
        req = conn.adapter.snapshot_request(tracker.market, self.config.rest_base)
        if req is None:
            return
        h = self.health
        for attempt in range(6):
            try:
                status, body = await asyncio.wait_for(
                    self.http_get(req.url), self.config.rest_timeout_s
                )
                if status != 200:
                    raise FeedError(f"HTTP {status} for {req.url}")
            except (TimeoutError, OSError, FeedError) as exc:
                h.rest_failures += 1
                h.last_error = f"snapshot {tracker.market}: {type(exc).__name__}: {exc}"[:300]
                await asyncio.sleep(backoff(attempt, 0.5, 10.0))
                continue
            now = self.clock()
            self._record(
                RecordKind.HTTP, conn_id + ":http", body.decode("utf-8", "replace"), req.url
            )
            h.rest_snapshots += 1
            conn.feed_rest(body, tracker.market, now)  # a stale one asks again by itself
            return
        raise FeedError(f"no snapshot for {tracker.market} after 6 attempts")

    def _record(self, kind: RecordKind, conn_id: str, data: str | bytes, url: str | None) -> None:
        if self.recorder is not None:
            self.recorder(Record(self.clock(), kind, conn_id, data, url))
