"""Immutable snapshots: what the provider publishes and the dashboard reads.

Built only by the provider's event-loop thread, then swapped in by reference; readers on
other threads only ever see complete, frozen snapshots (numpy arrays inside are read-only).
Nothing here mutates provider state or knows about Dash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from provider.consolidate import Consolidated, VenueBook
from provider.models import Venue
from provider.profile import ProfileView
from provider.stats import StatsView

#: venue states as the UI shows them
LIVE = "live"  # connected, every book in sync, fresh
CONNECTING = "connecting"  # no connection yet
RESYNCING = "resyncing"  # connected, a book is out of sync or waiting for its snapshot
STALE = "stale"  # silent longer than the age limit
DISCONNECTED = "disconnected"  # connection lost, retrying


@dataclass(frozen=True, slots=True)
class VenueStatus:
    """One venue's health for one symbol, as of a snapshot."""

    venue: Venue
    market: str  # venue's native symbol ("" when the venue is not configured for it)
    symbol: str  # normalized, e.g. BTC/USDT
    quote: str
    fx: float  # factor applied to its prices (1.0: 1:1)
    state: str
    included: bool  # its liquidity is in the consolidated view
    reason: str  # why it is excluded, or ""
    connected: bool
    in_sync: bool
    age_s: float  # since the venue's last message (NaN: never)
    msgs_per_s: float
    reconnects: int
    resyncs: int
    gaps: int
    checksums_ok: int
    checksums_failed: int
    crossed: int
    parse_errors: int
    venue_errors: int
    task_crashes: int
    last_error: str
    recovery_p50_s: float
    recovery_p99_s: float

    @property
    def age_text(self) -> str:
        return "never" if math.isnan(self.age_s) else f"{self.age_s:.1f} s"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The consolidated state of one symbol at one moment."""

    symbol: str  # base asset, e.g. BTC
    quote: str  # the axis quote (USD)
    fx_mode: str  # "1:1" or "live"
    ts: float
    seq: int
    source: str  # LIVE | SIMULATED MARKET | REPLAY
    consolidated: Consolidated
    books: tuple[VenueBook, ...]  # the included venues' books (prices on the axis)
    venues: tuple[VenueStatus, ...]  # every configured venue, included or not
    stats: StatsView
    profile: ProfileView
    fx: tuple[tuple[str, float], ...]  # quote -> factor used

    @property
    def included(self) -> tuple[Venue, ...]:
        return self.consolidated.venues

    def venue(self, venue: Venue) -> VenueStatus | None:
        for v in self.venues:
            if v.venue is venue:
                return v
        return None

    def model_arrays(self, n: int = 50) -> NDArray[np.float64]:
        """A fixed-shape array for model consumers: ``[venue, side, 2n]`` sizes in the ``n``
        grid buckets below and above the mid's bucket; venues in ``Venue`` order (all seven,
        zeros for venues not included); side 0 = bids, 1 = asks."""
        out = np.zeros((len(Venue), 2, 2 * n), dtype=np.float64)
        b = self.consolidated.buckets
        if b.lower.size == 0 or math.isnan(self.consolidated.mid):
            return out
        centre = int(b.grid.index(np.array([self.consolidated.mid]))[0])
        lo = centre - n
        a = max(lo, b.first)
        z = min(centre + n, b.first + b.lower.size)
        if z <= a:
            return out
        order = list(Venue)
        for i, v in enumerate(self.consolidated.venues):
            row = order.index(v)
            out[row, 0, a - lo : z - lo] = b.bid_size[i, a - b.first : z - b.first]
            out[row, 1, a - lo : z - lo] = b.ask_size[i, a - b.first : z - b.first]
        out.flags.writeable = False
        return out


@dataclass(frozen=True, slots=True)
class ProviderStats:
    """The provider's own counters (the seed's ``get_statistics``)."""

    updates_by_venue: tuple[tuple[Venue, int], ...]  # frames processed
    consolidations: int
    consolidation_ms_avg: float
    consolidation_ms_p99: float
    callback_errors: int
    task_crashes: int
    uptime_s: float
