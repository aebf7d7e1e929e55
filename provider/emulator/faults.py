"""Fault injection for one emulated venue, applied to frames on their way out.

Faults are one-shot (the next delta, the next snapshot...) or timed (silence, REST delay):

* DROP, DUPLICATE, REORDER - the next delta frame is lost / sent twice / swapped with the
  one after it;
* CORRUPT_CHECKSUM - the next frame that carries a checksum has a wrong one (the encoder
  does it: it knows its framing);
* CLOSE - every connection of the venue is closed now;
* SILENCE - nothing at all is sent for ``arg`` seconds (heartbeats included);
* MALFORMED - a frame of broken JSON is sent now;
* BIG_SNAPSHOT - the next snapshot is padded with far-away levels to about 5 MB (encoders of
  venues that send whole books honour it);
* DELAY_REST - REST answers are delayed by ``arg`` seconds until cleared (arg 0).

Every fault injected is counted, so tests can check each was detected.
"""

from __future__ import annotations

import gzip
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from provider.emulator.protocol import DELTA, Out
from provider.models import Venue

if TYPE_CHECKING:  # pragma: no cover
    from provider.emulator.server import _Client


class Fault(StrEnum):
    DROP = "drop"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    CORRUPT_CHECKSUM = "corrupt_checksum"
    CLOSE = "close"
    SILENCE = "silence"
    MALFORMED = "malformed"
    BIG_SNAPSHOT = "big_snapshot"
    DELAY_REST = "delay_rest"


class FaultState:
    """Pending faults of one venue."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.pending: Counter[Fault] = Counter()
        self.silent_until = 0.0
        self.rest_delay_s = 0.0
        self.injected: Counter[Fault] = Counter()

    def inject(self, fault: Fault, arg: float, clients: Iterable[_Client]) -> None:
        self.injected[fault] += 1
        clients = list(clients)
        if fault is Fault.CLOSE:
            for c in clients:
                c.close()
        elif fault is Fault.SILENCE:
            self.silent_until = time.time() + arg
        elif fault is Fault.DELAY_REST:
            self.rest_delay_s = arg
        elif fault is Fault.MALFORMED:
            for c in clients:
                c.queue.put_nowait(self.malformed())
        elif fault is Fault.CORRUPT_CHECKSUM:
            for c in clients:
                c.session.faults.corrupt_checksum += 1
        elif fault is Fault.BIG_SNAPSHOT:
            for c in clients:
                c.session.faults.bloat_snapshot += 1
        else:
            self.pending[fault] += 1

    def _take(self, fault: Fault) -> bool:
        if self.pending[fault] > 0:
            self.pending[fault] -= 1
            if not self.pending[fault]:
                del self.pending[fault]
            return True
        return False

    def silent(self, now: float) -> bool:
        return now < self.silent_until

    def rest_delay(self) -> float:
        return self.rest_delay_s

    def malformed(self) -> str | bytes:
        text = '{"this is": "not valid json'
        return gzip.compress(text.encode()) if self.venue is Venue.HUOBI else text

    def filter(self, client: _Client, out: Out) -> Iterator[str | bytes]:
        """Frames actually written for ``out`` (none, one, two, or a held one first)."""
        if out.kind == DELTA and self.pending:
            if self._take(Fault.DROP):
                return
            if self._take(Fault.DUPLICATE):
                yield out.data
                yield out.data
                return
            if self._take(Fault.REORDER):
                client.held = out
                return
        yield out.data
        if client.held is not None and out.kind == DELTA:
            held: Any = client.held
            client.held = None
            yield held.data
