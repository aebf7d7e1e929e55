"""Pure table builders for the dashboard: a snapshot in, plain rows out.

What it is for: the stats panel, the price ladder, the execution-cost table and the venue
status chips. Every function returns frozen dataclasses of plain values (numbers, strings,
venues); the layout renders them. It also holds the number formats shared with the figures
(price decimals from the magnitude, thousands separators, "—" for an undefined value) and
``display_buckets``, the per-venue sums on display buckets that the ladder and the dominance
strip share.

Display buckets: the provider's fixed ``Grid`` grouped by ``ViewOptions.bucket_mult``;
display bucket ``d`` holds grid buckets ``d*mult .. d*mult + mult - 1`` (floor division, so
edges never move with the mid). Sizes are in base units, notionals in the snapshot's quote.

What it must not do: no Dash, no clock, no I/O, no globals that change; it never mutates the
snapshot. Venues not in ``opts.venues`` never appear in a row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dashboard.view import ViewOptions
from provider.consolidate import ExecutionCost, Fill, VenueBook
from provider.grid import Grid
from provider.models import Venue
from provider.state import CONNECTING, DISCONNECTED, LIVE, RESYNCING, STALE, Snapshot

FloatArray = NDArray[np.float64]

#: shown for an undefined value (NaN, no data)
DASH = "—"

__all__ = [
    "DASH",
    "STATE_COLOR",
    "Chip",
    "DisplayBuckets",
    "ExecRow",
    "LadderRow",
    "StatItem",
    "display_buckets",
    "display_index",
    "execution_rows",
    "fmt_bps",
    "fmt_notional",
    "fmt_pct",
    "fmt_price",
    "fmt_size",
    "ladder_columns",
    "ladder_rows",
    "price_decimals",
    "selected_books",
    "stats_items",
    "venue_chips",
]


# =============================================================================== formats


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def price_decimals(ref: float | None) -> int:
    """Decimals for prices near ``ref``: about 6 significant digits, at least 2, at most 8.

    50,000 -> 2, 3,000 -> 2, 150 -> 3, 15 -> 4, 1.5 -> 5, 0.5 -> 6; undefined -> 2.
    """
    if not _finite(ref) or ref == 0:
        return 2
    digits = math.floor(math.log10(abs(ref))) + 1  # type: ignore[arg-type]
    return min(8, max(2, 6 - digits))


def fmt_price(x: float | None, ref: float | None = None) -> str:
    """``x`` with thousands separators and the decimals of ``ref`` (default ``x``)."""
    if not _finite(x):
        return DASH
    return f"{x:,.{price_decimals(x if ref is None else ref)}f}"


def _sig_decimals(x: float, sig: int = 4) -> int:
    if x == 0:
        return 0
    digits = math.floor(math.log10(abs(x))) + 1
    return min(8, max(0, sig - digits))


def fmt_size(x: float | None, unit: str = "") -> str:
    """A size with 4 significant digits (no fewer integer digits) and its unit.

    ``1.5`` -> ``"1.500 BTC"``, ``1234.5`` -> ``"1,235 BTC"``, ``0.0123`` -> ``"0.01230 BTC"``.
    """
    if not _finite(x):
        return DASH
    text = f"{x:,.{_sig_decimals(x)}f}"  # type: ignore[arg-type]
    return f"{text} {unit}" if unit else text


def fmt_notional(x: float | None, unit: str = "") -> str:
    """A quote amount: no decimals from 1,000 up, else 2; thousands separators."""
    if not _finite(x):
        return DASH
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.2f}"  # type: ignore[arg-type]
    return f"{text} {unit}" if unit else text


def fmt_bps(x: float | None) -> str:
    return DASH if not _finite(x) else f"{x:,.2f} bps"


def fmt_pct(x: float | None, signed: bool = False) -> str:
    """A percentage given in percent (``12.5`` -> ``"12.50 %"``)."""
    if not _finite(x):
        return DASH
    return f"{x:+.2f} %" if signed else f"{x:.2f} %"


def _num2(x: float | None) -> str:
    return DASH if not _finite(x) else f"{x:,.2f}"


def _fmt_seconds(x: float) -> str:
    if not _finite(x):
        return DASH
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


# =============================================================================== buckets


def selected_books(snap: Snapshot, opts: ViewOptions) -> tuple[VenueBook, ...]:
    """The snapshot's included books whose venue is in ``opts.venues`` (snapshot order)."""
    chosen = set(opts.venues)
    return tuple(b for b in snap.books if b.venue in chosen)


@dataclass(frozen=True, slots=True, eq=False)  # holds arrays: identity equality
class DisplayBuckets:
    """Per-venue sums on display buckets ``first .. first + n - 1`` (``[venue, bucket]``,
    venues in ``venues`` order). ``lower``/``upper`` are each bucket's price edges."""

    venues: tuple[Venue, ...]
    mult: int
    first: int
    lower: FloatArray
    upper: FloatArray
    bid_size: FloatArray
    ask_size: FloatArray
    bid_notional: FloatArray
    ask_notional: FloatArray

    @property
    def n(self) -> int:
        return int(self.lower.size)

    @property
    def center(self) -> FloatArray:
        out: FloatArray = (self.lower + self.upper) / 2.0
        return out

    def dominant(self) -> NDArray[np.int64]:
        """Row of the venue with the largest bid+ask notional per bucket (ties: the first
        row), -1 where the bucket is empty."""
        notional = self.bid_notional + self.ask_notional
        if notional.shape[0] == 0:
            return np.full(self.n, -1, dtype=np.int64)
        dom = np.argmax(notional, axis=0).astype(np.int64)
        dom[~(notional > 0.0).any(axis=0)] = -1
        return dom


def display_index(grid: Grid, price: float, mult: int) -> int:
    """Display bucket of ``price``: ``grid.index(price) // mult``."""
    return int(grid.index(np.array([price]))[0]) // mult


def display_buckets(
    books: Sequence[VenueBook], grid: Grid, mult: int, first: int, n: int
) -> DisplayBuckets:
    """Sizes and notionals of ``books`` summed on display buckets ``first .. first+n-1``.

    Computed from the books' levels (not from the snapshot's buckets), so any range works,
    however far from the mid. Levels outside the range are left out.
    """
    if mult < 1:
        raise ValueError(f"bucket_mult must be >= 1, got {mult!r}")
    n = max(0, int(n))
    nv = len(books)
    out = [np.zeros((nv, n)) for _ in range(4)]
    for i, b in enumerate(books):
        for side, (px, sz) in enumerate(((b.bid_px, b.bid_sz), (b.ask_px, b.ask_sz))):
            if px.size == 0 or n == 0:
                continue
            k = grid.index(px) // mult - first
            inside = (k >= 0) & (k < n)
            k, p, s = k[inside], px[inside], sz[inside]
            out[side][i] = np.bincount(k, weights=s, minlength=n)
            out[2 + side][i] = np.bincount(k, weights=p * s, minlength=n)
    idx = np.arange(first, first + n, dtype=np.float64)
    return DisplayBuckets(
        venues=tuple(b.venue for b in books),
        mult=mult,
        first=first,
        lower=grid.lower(idx * mult),
        upper=grid.lower((idx + 1) * mult),
        bid_size=out[0],
        ask_size=out[1],
        bid_notional=out[2],
        ask_notional=out[3],
    )


# =============================================================================== stats


@dataclass(frozen=True, slots=True)
class StatItem:
    """One figure of the stats panel: ``value`` is formatted, ``hint`` explains it."""

    label: str
    value: str
    hint: str


def _depth_within(snap: Snapshot, pct: float) -> tuple[float, float, float, float]:
    """Bid size, ask size, bid notional, ask notional within ``pct`` % of the mid."""
    c = snap.consolidated
    bands = c.bands
    hit = np.flatnonzero(np.isclose(bands.pct, pct))
    if hit.size:
        j = int(hit[0])
        return (
            float(bands.total_bid_size[j]),
            float(bands.total_ask_size[j]),
            float(bands.total_bid_notional[j]),
            float(bands.total_ask_notional[j]),
        )
    if not _finite(c.mid):
        return (math.nan,) * 4
    lo, hi = c.mid - c.mid * pct / 100.0, c.mid + c.mid * pct / 100.0
    bs = as_ = bn = an = 0.0
    for b in snap.books:
        m = b.bid_px >= lo
        bs += float(b.bid_sz[m].sum())
        bn += float((b.bid_px[m] * b.bid_sz[m]).sum())
        m = b.ask_px <= hi
        as_ += float(b.ask_sz[m].sum())
        an += float((b.ask_px[m] * b.ask_sz[m]).sum())
    return bs, as_, bn, an


def _three(lo: str, avg: str, hi: str) -> str:
    return DASH if lo == avg == hi == DASH else f"{lo} / {avg} / {hi}"


def _pair(a: str, b: str, unit: str) -> str:
    """``"a / b unit"``, or "—" when neither is defined."""
    if a == b == DASH:
        return DASH
    return f"{a} / {b} {unit}" if unit else f"{a} / {b}"


def stats_items(snap: Snapshot) -> list[StatItem]:
    """The stats panel: touch, mid, spread, imbalance, liquidity, ±1 % depth, then per
    rolling window (1 s, 5 s, 60 s) the min/avg/max of the mid and the spread and the
    update rates. Values are formatted for traders; undefined ones read "—"."""
    c = snap.consolidated
    base, quote = snap.symbol, snap.quote
    ref = c.mid if _finite(c.mid) else (c.best_bid if _finite(c.best_bid) else c.best_ask)

    def price(x: float) -> str:
        return fmt_price(x, ref)

    def venue_of(px: float, v: Venue | None) -> str:
        return price(px) if v is None else f"{price(px)} ({v})"

    spread_abs = c.best_ask - c.best_bid
    spread_hint = f"best ask − best bid = {fmt_price(spread_abs, ref)} {quote}, in bps of the mid"
    if c.crossed:
        spread_hint += "; CROSSED: the best bid reaches the best ask across venues"
    w = c.window_pct
    bs, as_, bn, an = _depth_within(snap, 1.0)
    items = [
        StatItem(
            "VW mid",
            price(c.vw_mid),
            f"volume-weighted mid of the best 5 levels per side; mid {price(c.mid)}",
        ),
        StatItem("best bid", venue_of(c.best_bid, c.best_bid_venue), "highest bid, its venue"),
        StatItem("best ask", venue_of(c.best_ask, c.best_ask_venue), "lowest ask, its venue"),
        StatItem(
            "spread",
            fmt_bps(c.spread_bps) + (" crossed" if c.crossed else ""),
            spread_hint,
        ),
        StatItem(
            "imbalance (+ = bids)",
            fmt_pct(c.imbalance * 100.0, signed=True),
            f"(bid − ask) / (bid + ask) notional within ±{w:g} % of the mid; + = more bids",
        ),
        StatItem(
            f"liquidity ±{w:g} % bid / ask",
            _pair(fmt_notional(c.bid_notional), fmt_notional(c.ask_notional), quote),
            f"bid / ask notional within ±{w:g} % of the mid; sizes "
            + _pair(fmt_size(c.bid_size), fmt_size(c.ask_size), base),
        ),
        StatItem(
            "depth ±1 % bid / ask",
            _pair(fmt_size(bs), fmt_size(as_), base),
            "bid / ask size within 1 % of the mid; notional "
            + _pair(fmt_notional(bn), fmt_notional(an), quote),
        ),
    ]
    st = snap.stats
    for ws in st.windows:
        span = f"{ws.window:g} s"
        m, s = ws.mid, ws.spread_bps
        items.append(
            StatItem(
                f"mid {span}",
                _three(price(m.min), price(m.avg), price(m.max)),
                f"min / avg / max of the mid over the last {span} ({m.n} samples)",
            )
        )
        items.append(
            StatItem(
                f"spread {span}",
                f"{_three(_num2(s.min), _num2(s.avg), _num2(s.max))} bps" if s.n else DASH,
                f"min / avg / max of the spread over the last {span} ({s.n} samples)",
            )
        )
        per_venue = " · ".join(
            f"{v} {n / ws.window:,.2f}/s" for v, n in zip(st.venues, ws.venue_updates)
        )
        items.append(
            StatItem(
                f"updates {span}",
                f"{ws.update_rate:,.2f}/s",
                f"consolidated updates per second over the last {span}; venue book updates: "
                f"{per_venue or DASH}",
            )
        )
    return items


# =============================================================================== ladder


@dataclass(frozen=True, slots=True)
class LadderRow:
    """One display bucket of the consolidated ladder (selected venues only).

    ``price``/``upper`` are the bucket's edges; ``bid``/``ask`` sizes in base units;
    ``venues`` holds (venue, bid+ask size) for every selected configured venue in ``Venue``
    order (NaN for a venue whose book is not included now); ``dominant`` the venue with the
    largest bid+ask notional (None when empty). ``cum_ask`` is the ask size from the mid's
    bucket up to this one (rows at and above the mid), ``cum_bid`` the bid size from the
    mid's bucket down to this one (rows at and below); NaN on the other side.
    """

    price: float
    upper: float
    bid: float
    ask: float
    venues: tuple[tuple[Venue, float], ...]
    dominant: Venue | None
    cum_bid: float
    cum_ask: float
    is_mid: bool


def _centre_price(snap: Snapshot) -> float:
    c = snap.consolidated
    for p in (c.mid, c.best_bid, c.best_ask):
        if _finite(p):
            return p
    return math.nan


def ladder_columns(snap: Snapshot, opts: ViewOptions) -> tuple[Venue, ...]:
    """The ladder's venue columns: selected venues configured for the symbol (``Venue``
    order), whether their book is included right now or not (columns do not jump)."""
    configured = {s.venue for s in snap.venues} | set(snap.included)
    chosen = set(opts.venues)
    return tuple(v for v in Venue if v in chosen and v in configured)


def ladder_rows(snap: Snapshot, opts: ViewOptions, n: int = 15) -> list[LadderRow]:
    """Display buckets around the mid's bucket: ``n`` above and ``n`` below (``2n + 1``
    rows, asks on top, prices descending). Without a mid the centre is the side that
    exists; with an empty book there are no rows."""
    centre = _centre_price(snap)
    if not math.isfinite(centre) or n < 0:
        return []
    grid = snap.consolidated.buckets.grid
    mult = opts.bucket_mult
    d_mid = display_index(grid, centre, mult)
    books = selected_books(snap, opts)
    db = display_buckets(books, grid, mult, d_mid - n, 2 * n + 1)
    bid = db.bid_size.sum(axis=0)
    ask = db.ask_size.sum(axis=0)
    j_mid = n
    cum_ask = np.full(db.n, math.nan)
    cum_ask[j_mid:] = np.cumsum(ask[j_mid:])
    cum_bid = np.full(db.n, math.nan)
    cum_bid[: j_mid + 1] = np.cumsum(bid[: j_mid + 1][::-1])[::-1]
    dom = db.dominant()
    columns = ladder_columns(snap, opts)
    row_of = {v: i for i, v in enumerate(db.venues)}
    per_venue = db.bid_size + db.ask_size
    out = []
    for j in range(db.n - 1, -1, -1):
        out.append(
            LadderRow(
                price=float(db.lower[j]),
                upper=float(db.upper[j]),
                bid=float(bid[j]),
                ask=float(ask[j]),
                venues=tuple(
                    (v, float(per_venue[row_of[v], j]) if v in row_of else math.nan)
                    for v in columns
                ),
                dominant=db.venues[dom[j]] if dom[j] >= 0 else None,
                cum_bid=float(cum_bid[j]),
                cum_ask=float(cum_ask[j]),
                is_mid=j == j_mid,
            )
        )
    return out


# =============================================================================== execution


@dataclass(frozen=True, slots=True)
class ExecRow:
    """One line of the execution-cost table: the consolidated sweep or one venue alone.

    Raw values (NaN when nothing filled) plus the texts the table shows.
    """

    label: str
    venue: Venue | None  # None for the consolidated sweep
    avg_price: float
    slippage_touch_bps: float
    slippage_mid_bps: float
    filled: float  # base units
    notional: float  # quote
    requested: float  # base units, or quote when the order was given in quote
    complete: bool
    levels: int
    venues_used: tuple[Venue, ...]
    avg_text: str
    touch_text: str
    mid_text: str
    fill_text: str
    venues_text: str


def _exec_row(
    label: str,
    venue: Venue | None,
    fill: Fill,
    in_quote: bool,
    used: tuple[Venue, ...],
    venues_text: str,
    base: str,
    quote: str,
    decimals: int,
) -> ExecRow:
    if in_quote:
        got, want = fmt_notional(fill.notional), fmt_notional(fill.requested, quote)
    else:
        got, want = fmt_size(fill.filled), fmt_size(fill.requested, base)
    fill_text = f"{got} / {want}"
    if not fill.complete:
        fill_text += " (book ran out)"
    return ExecRow(
        label=label,
        venue=venue,
        avg_price=fill.avg_price,
        slippage_touch_bps=fill.slippage_touch_bps,
        slippage_mid_bps=fill.slippage_mid_bps,
        filled=fill.filled,
        notional=fill.notional,
        requested=fill.requested,
        complete=fill.complete,
        levels=fill.levels,
        venues_used=used,
        avg_text=DASH if not _finite(fill.avg_price) else f"{fill.avg_price:,.{decimals}f}",
        touch_text=fmt_bps(fill.slippage_touch_bps),
        mid_text=fmt_bps(fill.slippage_mid_bps),
        fill_text=fill_text,
        venues_text=venues_text,
    )


def execution_rows(cost: ExecutionCost, base: str = "", quote: str = "") -> list[ExecRow]:
    """The consolidated sweep first, then each venue alone (in ``Venue`` order).

    ``base``/``quote`` only label the amounts; average prices get one decimal more than
    the book's prices (``price_decimals`` of the consolidated mid), the same in every row.
    The consolidated row's venues are those that gave part of the fill, with their share
    of the filled base quantity.
    """
    c = cost.consolidated
    used_idx = [i for i, q in enumerate(cost.venue_filled) if q > 0.0]
    used = tuple(cost.venues[i] for i in used_idx)
    if c.filled > 0.0:
        parts = [
            f"{cost.venues[i]} {cost.venue_filled[i] / c.filled * 100:.0f} %" for i in used_idx
        ]
        text = " · ".join(parts)
    else:
        text = DASH
    # one price format for every row (one more decimal than the book's prices)
    ref = next((p for p in (c.mid, c.touch, c.avg_price) if _finite(p)), math.nan)
    decimals = price_decimals(ref) + 1
    rows = [_exec_row("consolidated", None, c, cost.in_quote, used, text, base, quote, decimals)]
    order = {v: i for i, v in enumerate(Venue)}
    for v, fill in sorted(zip(cost.venues, cost.alone), key=lambda vf: order[vf[0]]):
        got = fill.filled > 0.0
        rows.append(
            _exec_row(
                str(v),
                v,
                fill,
                cost.in_quote,
                (v,) if got else (),
                str(v) if got else DASH,
                base,
                quote,
                decimals,
            )
        )
    return rows


# =============================================================================== venue chips

#: Bootstrap colour class per venue state
STATE_COLOR = {
    LIVE: "success",
    RESYNCING: "warning",
    STALE: "danger",
    CONNECTING: "secondary",
    DISCONNECTED: "danger",
}


@dataclass(frozen=True, slots=True)
class Chip:
    """One venue's status chip: ``color`` is a Bootstrap class (success / warning / danger /
    secondary); ``text`` the short line (age, msgs/s); ``details`` lines for a tooltip,
    joined by newlines."""

    venue: Venue
    name: str
    state: str
    color: str
    included: bool
    text: str
    details: str


def venue_chips(snap: Snapshot) -> list[Chip]:
    """One chip per configured venue, in ``Venue`` order. A live venue whose liquidity is
    excluded anyway (no fx rate) is a warning, with the reason in its details."""
    order = {v: i for i, v in enumerate(Venue)}
    out = []
    for s in sorted(snap.venues, key=lambda s: order[s.venue]):
        color = STATE_COLOR.get(s.state, "secondary")
        if s.state == LIVE and not s.included:
            color = "warning"
        rate = f"{s.msgs_per_s:,.0f} msg/s" if _finite(s.msgs_per_s) else DASH
        text = f"{s.age_text} · {rate}"
        if s.fx == 1.0:
            fx = f"quote {s.quote}, fx 1 ({snap.fx_mode})"
        else:
            fx = f"quote {s.quote}, fx {s.fx:.6g} ({snap.fx_mode})"
        lines = [f"{s.market or DASH} ({s.symbol or DASH}) · {s.state} · {fx}"]
        if not s.included and s.reason:
            lines.append(f"excluded: {s.reason}")
        lines += [
            f"gaps {s.gaps} · resyncs {s.resyncs} · reconnects {s.reconnects}",
            f"checksums {s.checksums_ok} ok / {s.checksums_failed} failed · crossed {s.crossed}",
            f"parse errors {s.parse_errors} · venue errors {s.venue_errors}"
            f" · task crashes {s.task_crashes}",
            f"recovery p50 {_fmt_seconds(s.recovery_p50_s)} / p99 {_fmt_seconds(s.recovery_p99_s)}",
        ]
        if s.last_error:
            lines.append(f"last error: {s.last_error}")
        out.append(
            Chip(
                venue=s.venue,
                name=str(s.venue),
                state=s.state,
                color=color,
                included=s.included,
                text=text,
                details="\n".join(lines),
            )
        )
    return out
