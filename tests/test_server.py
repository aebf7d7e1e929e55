"""``dashboard.server``: a fixed pool of threads answers every request; none is started per
request, at most ``workers`` run at once, an error in one request does not cost a worker,
and closing the server ends the workers."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dashboard.server import PooledWSGIServer

App = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


def _text_app(body: Callable[[dict[str, Any]], str]) -> App:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        data = body(environ).encode()
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))]
        )
        return [data]

    return app


@contextmanager
def serving(app: App, **kw: int) -> Iterator[tuple[PooledWSGIServer, str]]:
    server = PooledWSGIServer("127.0.0.1", 0, app, **kw)
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        runner.join(5)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_requests_run_on_the_pool_and_start_no_thread() -> None:
    app = _text_app(lambda env: threading.current_thread().name)
    with serving(app, workers=3) as (server, url):
        before = {t.ident for t in threading.enumerate()}
        names = [_get(url)[1] for _ in range(40)]
        after = {t.ident for t in threading.enumerate()}
    assert set(names) <= {"http-0", "http-1", "http-2"}
    assert after == before  # no thread came or went while 40 requests were answered
    assert [t.name for t in server.workers] == ["http-0", "http-1", "http-2"]


def test_at_most_workers_requests_run_at_once() -> None:
    release = threading.Event()
    lock = threading.Lock()
    running = [0, 0]  # now, max

    def body(env: dict[str, Any]) -> str:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return "ok"

    results: list[tuple[int, str]] = []
    with serving(_text_app(body), workers=2, queued=8) as (_, url):
        clients = [threading.Thread(target=lambda: results.append(_get(url))) for _ in range(5)]
        for c in clients:
            c.start()
        deadline = time.monotonic() + 10
        while running[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # had a third request been started, it would be running by now
        assert running == [2, 2]
        release.set()
        for c in clients:
            c.join(10)
    assert results == [(200, "ok")] * 5
    assert running == [0, 2]


def test_an_error_in_a_request_does_not_cost_a_worker() -> None:
    def body(env: dict[str, Any]) -> str:
        if env["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        return "fine"

    with serving(_text_app(body), workers=1) as (_, url):
        assert _get(url + "boom")[0] == 500
        assert _get(url + "boom")[0] == 500
        assert _get(url) == (200, "fine")  # the one worker is still there


def test_closing_the_server_ends_the_workers() -> None:
    with serving(_text_app(lambda env: "x"), workers=4) as (server, url):
        assert _get(url) == (200, "x")
        workers = server.workers
    for t in workers:
        t.join(5)
    assert [t.is_alive() for t in workers] == [False] * 4


@pytest.mark.parametrize(("workers", "queued"), [(0, 8), (2, 0)])
def test_pool_sizes_must_be_positive(workers: int, queued: int) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        PooledWSGIServer("127.0.0.1", 0, _text_app(lambda env: ""), workers=workers, queued=queued)
