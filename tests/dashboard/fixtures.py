"""Literal inputs for the dashboard builders: a snapshot of three venues, a liquidity
history, a trade series and a volume profile, all built by the provider's own pure code
(``consolidate``, ``RollingStats``, ``VolumeProfile``, ``LiquidityHistory``) from values
written out here. No emulator, no clock.

The book (grid $1, mid 1000; books given in the order kraken, binance, coinbase, so that
``Venue`` order in the figures is visibly not the snapshot's order):

    venue      bids (price x size)                      asks (price x size)
    binance    999.5 x 2, 999 x 1, 995 x 3, 980 x 5     1000.5 x 1, 1001 x 2, 1004 x 4, 1020 x 6
    coinbase   999 x 0.5, 998 x 1.5                     1000.5 x 0.5, 1002 x 1
    kraken     999.5 x 1, 990 x 2                       1001.5 x 3, 1010 x 1

Best bid 999.5 (kraken: first of the books at that price), best ask 1000.5 (binance),
mid 1000, spread 10 bps. Configured venues: the three above (live) and okx (resyncing, not
included).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from provider.consolidate import VenueBook, consolidate
from provider.grid import Grid
from provider.history import HeatmapWindow, LiquidityHistory, TradeSeries
from provider.models import Market, Side, Trade, Venue
from provider.profile import ProfileView, VolumeProfile
from provider.state import CONNECTING, LIVE, RESYNCING, Snapshot, VenueStatus
from provider.stats import RollingStats

NAN = math.nan
BIN, CB, KR, OKX = Venue.BINANCE, Venue.COINBASE, Venue.KRAKEN, Venue.OKX
VENUES3 = (BIN, CB, KR)
GRID = Grid.fixed(1.0)

MARKETS = {
    BIN: Market(BIN, "BTCUSDT", "BTC/USDT", "BTC", "USDT"),
    CB: Market(CB, "BTC-USD", "BTC/USD", "BTC", "USD"),
    KR: Market(KR, "XBT/USD", "BTC/USD", "BTC", "USD"),
    OKX: Market(OKX, "BTC-USDT", "BTC/USDT", "BTC", "USDT"),
}

BIDS = {
    BIN: [(999.5, 2.0), (999.0, 1.0), (995.0, 3.0), (980.0, 5.0)],
    CB: [(999.0, 0.5), (998.0, 1.5)],
    KR: [(999.5, 1.0), (990.0, 2.0)],
}
ASKS = {
    BIN: [(1000.5, 1.0), (1001.0, 2.0), (1004.0, 4.0), (1020.0, 6.0)],
    CB: [(1000.5, 0.5), (1002.0, 1.0)],
    KR: [(1001.5, 3.0), (1010.0, 1.0)],
}
BOOK_ORDER = (KR, BIN, CB)


def book(
    venue: Venue, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
) -> VenueBook:
    """A VenueBook from literal levels (best first)."""
    return VenueBook(
        venue,
        MARKETS[venue],
        1.0,
        np.array([p for p, _ in bids], dtype=np.float64),
        np.array([s for _, s in bids], dtype=np.float64),
        np.array([p for p, _ in asks], dtype=np.float64),
        np.array([s for _, s in asks], dtype=np.float64),
    )


def books() -> tuple[VenueBook, ...]:
    return tuple(book(v, BIDS[v], ASKS[v]) for v in BOOK_ORDER)


def status(venue: Venue, state: str = LIVE, **kw: object) -> VenueStatus:
    """A venue's health with plain defaults (live, in sync, no errors)."""
    m = MARKETS.get(venue)
    values: dict[str, object] = {
        "venue": venue,
        "market": m.native if m else "",
        "symbol": m.symbol if m else "",
        "quote": m.quote if m else "USD",
        "fx": 1.0,
        "state": state,
        "included": state == LIVE,
        "reason": "",
        "connected": state not in (CONNECTING,),
        "in_sync": state == LIVE,
        "age_s": 0.4,
        "msgs_per_s": 35.0,
        "reconnects": 0,
        "resyncs": 0,
        "gaps": 0,
        "checksums_ok": 0,
        "checksums_failed": 0,
        "crossed": 0,
        "parse_errors": 0,
        "venue_errors": 0,
        "task_crashes": 0,
        "last_error": "",
        "recovery_p50_s": NAN,
        "recovery_p99_s": NAN,
    }
    values.update(kw)
    return VenueStatus(**values)  # type: ignore[arg-type]


def statuses() -> tuple[VenueStatus, ...]:
    return (
        status(KR),
        status(BIN),
        status(CB),
        status(OKX, RESYNCING, reason="sequence gap 5 -> 7", gaps=1, resyncs=1),
    )


def trade(venue: Venue, price: float, size: float, side: Side) -> Trade:
    return Trade(MARKETS[venue], price, size, side, trade_id="t")


#: profile trades: (venue, price, size, side); the last one (kraken) is the latest
PROFILE_TRADES = [
    (BIN, 1000.2, 2.0, Side.BUY),  # bucket 1000
    (BIN, 999.5, 1.0, Side.SELL),  # 999
    (BIN, 1001.0, 1.0, Side.BUY),  # 1001
    (CB, 1000.7, 3.0, Side.SELL),  # 1000
    (CB, 998.1, 0.5, Side.BUY),  # 998
    (KR, 1001.3, 4.0, Side.BUY),  # 1001
]


def profile_view(trades: list[tuple[Venue, float, float, Side]] | None = None) -> ProfileView:
    """Volumes per bucket: 998: 0.5, 999: 1, 1000: 5, 1001: 5 (POC 1001, nearest to the
    last trade; value area 1000..1002)."""
    p = VolumeProfile(1.0, session_start=0.0, venues=VENUES3)
    for i, (v, price, size, side) in enumerate(PROFILE_TRADES if trades is None else trades):
        assert p.add(trade(v, price, size, side), 10.0 + i)
    return p.view()


def stats_view() -> RollingStats:
    """Three consolidated updates (t 96, 99.6, 100) and venue update counts."""
    rs = RollingStats(venues=VENUES3)
    rs.update(96.0, 998.0, 8.0, 5000.0, 5000.0, 0.0)
    rs.update(99.6, 1002.0, 12.0, 6000.0, 4000.0, 0.2)
    rs.update(100.0, 1000.0, 10.0, 5000.0, 5000.0, 0.0)
    rs.count(BIN, 99.5, 10)
    rs.count(CB, 100.0, 3)
    return rs


def snapshot(
    bks: tuple[VenueBook, ...] | None = None,
    venues: tuple[VenueStatus, ...] | None = None,
    profile: ProfileView | None = None,
) -> Snapshot:
    bks = books() if bks is None else bks
    cons = consolidate(
        bks, GRID, window_pct=5.0, bands_pct=(0.1, 0.5, 1.0, 2.0, 5.0), buckets_each_side=20
    )
    return Snapshot(
        symbol="BTC",
        quote="USD",
        fx_mode="1:1",
        ts=100.0,
        seq=7,
        source="SIMULATED MARKET",
        consolidated=cons,
        books=bks,
        venues=statuses() if venues is None else venues,
        stats=stats_view().view(100.0),
        profile=profile_view() if profile is None else profile,
        fx=(("USD", 1.0), ("USDT", 1.0)),
    )


def one_sided() -> Snapshot:
    """Only bids (asks emptied on every venue): no mid, no buckets."""
    bks = tuple(book(v, BIDS[v], []) for v in BOOK_ORDER)
    return snapshot(bks)


def empty() -> Snapshot:
    """No book at all (every venue still connecting)."""
    return snapshot((), tuple(status(v, CONNECTING, age_s=NAN, msgs_per_s=0.0) for v in VENUES3))


def replace(snap: Snapshot, **kw: object) -> Snapshot:
    return dataclasses.replace(snap, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- history

#: history rows (binance, coinbase, kraken sizes over buckets 996..1003):
#:   t=100: [1..8], [0.5]*8, [0,0,1,1,0,0,2,2]   -> sum 1.5 2.5 4.5 5.5 5.5 6.5 9.5 10.5
#:   t=101: [1]*8,  [0]*8,   kraken excluded      -> 1 each
#:   t=102: not recorded
#:   t=103: buckets 998..1001 only, [1]*4, [1]*4, [0]*4 -> 998..1001 = 2, the rest NaN
ROW_100 = np.array(
    [[1, 2, 3, 4, 5, 6, 7, 8], [0.5] * 8, [0, 0, 1, 1, 0, 0, 2, 2]], dtype=np.float64
)


def history() -> LiquidityHistory:
    h = LiquidityHistory(VENUES3, seconds=60, width=8, max_trades=100)
    h.record(100.2, 996, ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
    h.record(
        101.5,
        996,
        np.array([[1.0] * 8, [0.0] * 8, [5.0] * 8]),
        999.0,
        1001.0,
        1000.0,
        included=[True, True, False],
        centre=1000,
    )
    h.record(103.0, 998, np.array([[1.0] * 4, [1.0] * 4, [0.0] * 4]), 1000.5, 1001.5, 1001.0,
             centre=1000)  # fmt: skip
    for t, v, price, size, side in HISTORY_TRADES:
        h.add_trade(trade(v, price, size, side), t)
    return h


#: trades on the heatmap: notional 100, 2500, 10000 and 200000 (capped bubble)
HISTORY_TRADES = [
    (100.25, BIN, 1000.0, 0.1, Side.BUY),
    (101.75, CB, 1000.0, 2.5, Side.SELL),
    (103.5, KR, 1000.0, 10.0, Side.BUY),
    (103.75, BIN, 1000.0, 200.0, Side.SELL),
]


def window(venues: tuple[Venue, ...] | None = VENUES3, lo: int = 996, n: int = 8) -> HeatmapWindow:
    return history().window(100.0, 103.0, lo, n, venues)


def trades() -> TradeSeries:
    return history().trades_between(100.0, 104.0)
