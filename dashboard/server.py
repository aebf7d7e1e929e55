"""The dashboard's HTTP server: werkzeug's WSGI server with a fixed pool of worker threads.

werkzeug's threaded server (what Dash's ``app.run`` uses) starts a new thread for every
connection, and it ends every answer with ``Connection: close``: each Dash callback is a new
connection, so a new thread - four per refresh, some 14,000 an hour for one page open at a
1 s refresh, 43,000 in the soak's hour. Here accepted connections go through a bounded queue to a
fixed pool of threads started with the server: no thread is created per request, at most
``workers`` requests run at once and at most ``queued`` wait; beyond that the accept loop
waits and the kernel's listen queue holds new connections (backpressure, not growth).
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer

WORKERS = 8  # a browser opens at most 6 connections per host; Dash fires 4-5 per refresh
QUEUED = 64


class PooledWSGIServer(BaseWSGIServer):
    """``BaseWSGIServer`` whose requests run on ``workers`` long-lived threads.

    ``PooledWSGIServer(host, port, app)`` serves ``app`` (a WSGI app: Dash's ``app.server``)
    on ``host:port`` (0: any free port, read back from ``server_port``). Run
    ``serve_forever()``; stop with ``shutdown()`` from another thread, then ``server_close()``.
    """

    multithread = True  # requests run concurrently (also makes werkzeug speak HTTP/1.1)

    def __init__(
        self, host: str, port: int, app: Any, workers: int = WORKERS, queued: int = QUEUED
    ) -> None:
        if workers < 1 or queued < 1:
            raise ValueError(f"workers and queued must be >= 1, got {workers}, {queued}")
        super().__init__(host, port, app)
        self._queue: queue.Queue[tuple[socket.socket, Any] | None] = queue.Queue(queued)
        self.workers = [
            threading.Thread(target=self._work, name=f"http-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self.workers:
            t.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._queue.put((request, client_address))  # (blocks the accept loop when full)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            request, address = item
            try:
                self.finish_request(request, address)
            except Exception:
                self.handle_error(request, address)
            finally:
                self.shutdown_request(request)

    def server_close(self) -> None:
        """Close the socket and end the workers once the requests already queued are done."""
        super().server_close()
        for _ in self.workers:
            self._queue.put(None)
