"""Pure figure builders for the dashboard: a snapshot (or a history window) in, a Figure out.

What it is for: every chart of the page (depth, liquidity heatmap, venue breakdown and bands,
dominance strip, volume profile, and the blank "waiting…" figure). Callbacks read the latest
snapshot, call one builder and return its figure; the heatmap callback may instead append
the new seconds with ``heatmap_patch`` (a ``dash.Patch``) built from the same rows as the
full figure (``heatmap_rows``), so both always agree.

Conventions, all here:

* Themes: ``opts.theme`` "dark" uses the "plotly_dark" template, "light" "plotly_white";
  paper and plot backgrounds are transparent so the chart sits on the Bootstrap card.
* ``uirevision`` is ``"<chart>:<symbol>"``: zoom and legend clicks survive refreshes, and
  switching the symbol resets them (a BTC zoom must not stay on an ETH chart).
* One colour per venue (``VENUE_COLORS``, Okabe-Ito, colour-blind safe) in every chart;
  bid/buy ``BID_COLOR`` (green), ask/sell ``ASK_COLOR`` (red).
* Trace names are fixed (``DEPTH_TOTALS``, ``HEAT_TRACES``, venue names…); every trace has
  a stable ``uid``. Venues not in ``opts.venues`` are never drawn.
* Display buckets are the provider's grid buckets grouped by ``opts.bucket_mult``
  (``dashboard.tables.display_buckets``); sizes in base units, notionals in the quote.
* Arrays that a ``Patch`` may extend (the heatmap's) go to the browser as plain JSON lists:
  plotly sends float numpy arrays as base64 typed arrays, which a ``Patch`` cannot extend.
  Other arrays go as float32 where every value reads the same at the hover's decimals
  (``_wire``: half the bytes), else float64.
* Figures are assembled as plain dicts (``_Fig``). A builder (``FigureBuilder``) called
  returns a ``go.Figure`` made once, unvalidated (plotly's per-call validation costs tens
  of ms per chart); the page's refreshes take ``builder.wire(...)``, the dict Dash sends,
  with no ``go.Figure`` at all (its deep copies cost 5x the chart). The template sent is
  the theme's, trimmed to the trace types drawn.

What it must not do: no Dash callbacks, no clock (times come from the data), no I/O, no
globals that change, no mutation of its inputs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, ParamSpec

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import is_skipped_key, to_typed_array_spec
from dash import Patch
from numpy.typing import ArrayLike, NDArray

from dashboard.tables import (
    display_buckets,
    display_index,
    fmt_notional,
    fmt_price,
    fmt_size,
    price_decimals,
    selected_books,
)
from dashboard.view import ViewOptions
from provider.consolidate import VenueBook
from provider.grid import Grid
from provider.history import HeatmapWindow, TradeSeries
from provider.models import Venue
from provider.profile import ProfileView, bucket_index, bucket_price, point_of_control, value_area
from provider.state import Snapshot

FloatArray = NDArray[np.float64]
Props = dict[str, Any]

__all__ = [
    "ASK_COLOR",
    "BID_COLOR",
    "DEPTH_TOTALS",
    "HEAT_ASK",
    "HEAT_BID",
    "HEAT_GAPS",
    "HEAT_TRACES",
    "HEAT_TRADES",
    "HEAT_Z",
    "VENUE_COLORS",
    "HeatmapData",
    "bands_figure",
    "breakdown_figure",
    "depth_figure",
    "dominance_figure",
    "empty_figure",
    "heatmap_data",
    "heatmap_figure",
    "heatmap_patch",
    "heatmap_rows",
    "heatmap_span",
    "profile_figure",
    "touch_points",
    "trade_marker_px",
    "trade_points",
]

# =============================================================================== style

#: one colour per venue, the same in every chart (Okabe-Ito; grey instead of black)
VENUE_COLORS: dict[Venue, str] = {
    Venue.BINANCE: "#F0E442",  # yellow
    Venue.COINBASE: "#0072B2",  # blue
    Venue.KRAKEN: "#CC79A7",  # reddish purple
    Venue.HUOBI: "#56B4E9",  # sky blue
    Venue.BITFINEX: "#009E73",  # bluish green
    Venue.OKX: "#999999",  # grey
    Venue.BYBIT: "#E69F00",  # orange
}
BID_COLOR = "#26A69A"  # bids, taker buys
ASK_COLOR = "#EF5350"  # asks, taker sells
GAP_COLOR = "rgba(150,150,150,0.30)"  # seconds not recorded
TEMPLATES = {"dark": "plotly_dark", "light": "plotly_white"}
FOREGROUND = {"dark": "#E0E0E0", "light": "#212529"}
TRANSPARENT = "rgba(0,0,0,0)"
MARGIN = {"l": 64, "r": 24, "t": 40, "b": 48}
#: legend above the plot area (plotly pushes the margin), so it never covers data
LEGEND = {
    "orientation": "h",
    "x": 0.0,
    "xanchor": "left",
    "y": 1.02,
    "yanchor": "bottom",
    "bgcolor": TRANSPARENT,
    "traceorder": "normal",  # Venue order everywhere (plotly reverses some stacks)
}
HEAT_COLORSCALE = "Cividis"  # colour-blind safe, dark (little) to yellow (much)
#: the provider's value area (``VolumeProfile`` default), used when the figure recomputes it
VALUE_AREA = 0.70
#: at most this many display buckets per chart (the range is narrowed around the mid)
MAX_DISPLAY_BUCKETS = 2000
#: at most this many prices per side on the depth chart
DEPTH_POINTS = 120

#: trade bubbles: diameter = MIN + K * sqrt(notional in quote), capped at MAX (pixels)
TRADE_MIN_PX = 4.0
TRADE_MAX_PX = 36.0
TRADE_PX_PER_SQRT_QUOTE = 0.1

#: trace names
DEPTH_TOTALS = ("bids", "asks")
HEAT_TRACES = ("liquidity", "best bid", "best ask", "trades", "not recorded")
HEAT_Z, HEAT_BID, HEAT_ASK, HEAT_TRADES, HEAT_GAPS = range(5)
PROFILE_SIDES = ("buy", "sell")


def _theme(opts: ViewOptions) -> str:
    return opts.theme if opts.theme in TEMPLATES else "dark"


def _fg(opts: ViewOptions) -> str:
    return FOREGROUND[_theme(opts)]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


#: template parts for subplot kinds no chart here uses (3-D scenes, polar, maps, menus)
_UNUSED_TEMPLATE_LAYOUT = frozenset(
    {"geo", "map", "mapbox", "polar", "scene", "smith", "ternary"}
    | {"sliderdefaults", "updatemenudefaults"}
)

#: trace types here that draw with a colour scale
_COLORSCALE_KINDS = frozenset({"heatmap"})


@functools.cache
def _template(theme: str, kinds: frozenset[str]) -> dict[str, Any]:
    """The plotly template of ``theme`` as a plain dict, trimmed to what the figure can use:
    the trace defaults of its trace ``kinds`` and the layout without unused subplot kinds
    (nor colour scales when no trace uses one): what it draws is unchanged, the bytes sent
    on every refresh are a quarter.

    Cached, never mutated: ``go.Figure`` deep-copies its layout when built."""
    t = pio.templates[TEMPLATES[theme]].to_plotly_json()
    data = {k: v for k, v in t.get("data", {}).items() if k in kinds}
    unused = _UNUSED_TEMPLATE_LAYOUT
    if not kinds & _COLORSCALE_KINDS:  # bars and lines in fixed colours: no colour scale
        unused = unused | {"colorscale", "coloraxis"}
    layout = {k: v for k, v in t["layout"].items() if k not in unused}
    return {"data": data, "layout": layout}


@functools.cache
def _colorscale(name: str) -> list[list[Any]]:
    """A named colour scale as plotly's own validator expands it (``[[pos, colour], …]``),
    so the browser gets the same colours a validated figure would send."""
    scale = go.Heatmap(colorscale=name).colorscale
    return [list(stop) for stop in scale]


def _merge(dst: Props, src: Props) -> Props:
    """Deep-merge ``src`` into ``dst`` (nested dicts merged key by key, anything else
    replaced); ``src``'s dicts are copied, never shared."""
    for k, v in src.items():
        if isinstance(v, dict):
            old = dst.get(k)
            dst[k] = _merge(old if isinstance(old, dict) else {}, v)
        else:
            dst[k] = v
    return dst


class _Fig:
    """A figure assembled as plain dicts: traces, one layout (pieces deep-merged), shapes and
    annotations; ``build`` makes the ``go.Figure`` once, without validation.

    (``go.Figure.add_trace`` / ``update_layout`` / ``add_shape`` validate and copy the whole
    figure on every call: 1-2 ms each, tens of ms per chart. Nothing checks the property
    names here any more when a figure is built: the tests re-validate every figure with
    ``go.Figure(fig.to_plotly_json())``, as the image export does.)

    Theme, margins, legend and ``uirevision`` are those shared by every chart."""

    __slots__ = ("annotations", "data", "layout", "opts", "shapes")

    def __init__(
        self,
        opts: ViewOptions,
        chart: str,
        x_title: str | None = None,
        y_title: str | None = None,
    ) -> None:
        self.opts = opts
        self.data: list[Props] = []
        self.shapes: list[Props] = []
        self.annotations: list[Props] = []
        self.layout: Props = {
            "paper_bgcolor": TRANSPARENT,
            "plot_bgcolor": TRANSPARENT,
            "margin": dict(MARGIN),
            "legend": dict(LEGEND),
            "uirevision": f"{chart}:{opts.symbol}",
            "hoverlabel": {"namelength": -1},
        }
        if x_title is not None:
            self.update(xaxis={"title": {"text": x_title}})
        if y_title is not None:
            self.update(yaxis={"title": {"text": y_title}})

    def trace(self, kind: str, **props: Any) -> None:
        self.data.append({"type": kind, **props})

    def update(self, **pieces: Any) -> None:
        _merge(self.layout, pieces)

    def note(self, text: str) -> None:
        """A centred message over the plot area (no data to show)."""
        self.annotations.append(
            {
                "name": "note",
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": _fg(self.opts)},
            }
        )

    def price_line(self, name: str, price: float, label: str, vertical: bool) -> None:
        """A dotted line across the plot at ``price`` with a small label (the mid)."""
        fg = _fg(self.opts)
        line = {"color": fg, "width": 1, "dash": "dot"}
        font = {"size": 11, "color": fg}
        if vertical:
            self.shapes.append(
                {
                    "name": name,
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": price,
                    "x1": price,
                    "y0": 0,
                    "y1": 1,
                    "line": line,
                }
            )
            self.annotations.append(
                {
                    "name": name,
                    "text": label,
                    "xref": "x",
                    "yref": "paper",
                    "x": price,
                    "y": 1.0,
                    "xanchor": "left",
                    "yanchor": "top",
                    "showarrow": False,
                    "font": font,
                }
            )
        else:
            self.shapes.append(
                {
                    "name": name,
                    "type": "line",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": price,
                    "y1": price,
                    "line": line,
                }
            )
            self.annotations.append(
                {
                    "name": name,
                    "text": label,
                    "xref": "paper",
                    "yref": "y",
                    "x": 1.0,
                    "y": price,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": font,
                }
            )

    def build(self) -> Props:
        """The figure as a plain dict (``{"data": [...], "layout": {...}}``)."""
        layout = dict(self.layout)
        kinds = frozenset(t["type"] for t in self.data)
        layout["template"] = _template(_theme(self.opts), kinds)
        if self.shapes:
            layout["shapes"] = self.shapes
        if self.annotations:
            layout["annotations"] = self.annotations
        return {"data": self.data, "layout": layout}


P = ParamSpec("P")


class FigureBuilder(Generic[P]):
    """A figure builder (a function that returns ``_Fig.build()``'s dict).

    Called, it returns a ``go.Figure`` (for tests, exports and the heatmap, which a
    ``Patch`` later extends); ``.wire(...)`` returns the very same figure as the dict Dash
    sends, numpy arrays turned into plotly.js base64 typed arrays exactly as
    ``go.Figure.to_dict`` turns them (``to_typed_array_spec``), without building a
    ``go.Figure``: its constructor and ``to_dict`` deep-copy the figure, which costs 5x
    the figure itself on the page's every refresh."""

    def __init__(self, fn: Callable[P, Props]) -> None:
        self.spec = fn
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> go.Figure:
        return go.Figure(self.spec(*args, **kwargs), _validate=False)

    def wire(self, *args: P.args, **kwargs: P.kwargs) -> Props:
        fig = self.spec(*args, **kwargs)
        fig["data"] = [_typed_arrays(t) for t in fig["data"]]
        return fig


def _typed_arrays(props: Props) -> Props:
    """``props`` (a trace, or one of its dicts such as ``marker``) with numpy arrays as
    base64 typed-array specs; plotly's keys that are never converted are left alone."""
    out: Props = {}
    for k, v in props.items():
        if isinstance(v, np.ndarray) and not is_skipped_key(k):
            out[k] = to_typed_array_spec(v)
        elif isinstance(v, dict):
            out[k] = _typed_arrays(v)
        else:
            out[k] = v
    return out


#: 1-D arrays up to this long go as plain JSON numbers (cheaper to encode than base64)
WIRE_LIST_MAX = 32


def _wire(a: ArrayLike, decimals: int | Sequence[int]) -> NDArray[np.floating[Any]] | list[float]:
    """``a`` as float32 (half the bytes of float64 once base64-encoded for the browser)
    when every value still reads the same rounded to ``decimals`` decimals (what the hover
    shows; NaN stays NaN), else as float64. 2-D: ``decimals`` per column. A short 1-D
    array (``WIRE_LIST_MAX``) goes as a plain list, values unchanged."""
    a64 = np.asarray(a, dtype=np.float64)
    if a64.ndim == 1 and a64.size <= WIRE_LIST_MAX:
        out: list[float] = a64.tolist()
        return out
    with np.errstate(over="ignore", invalid="ignore"):
        a32 = a64.astype(np.float32)
        back = a32.astype(np.float64)
    if isinstance(decimals, int):
        same = _same(back, a64, decimals)
    else:
        cols = zip(decimals, back.T, a64.T, strict=True)
        same = all(_same(b, x, d) for d, b, x in cols)
    return a32 if same else a64


def _same(a: FloatArray, b: FloatArray, decimals: int) -> bool:
    return bool(np.array_equal(np.round(a, decimals), np.round(b, decimals), equal_nan=True))


def _shown(a: ArrayLike, decimals: int) -> FloatArray:
    """``a`` rounded to ``decimals`` decimals as the hover shows it (half away from zero,
    like the browser's ``toFixed``): for values only read in the hover (and sizes far below
    a pixel), so that ``_wire`` can send them as float32."""
    x = np.asarray(a, dtype=np.float64)
    scale = 10.0**decimals
    out: FloatArray = np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale + 0.0
    return out


def _venue_order(books: Sequence[VenueBook]) -> list[VenueBook]:
    order = {v: i for i, v in enumerate(Venue)}
    return sorted(books, key=lambda b: order[b.venue])


def _reference(snap: Snapshot) -> float:
    """The mid, or the touch of the only side there is; NaN for an empty book."""
    c = snap.consolidated
    for p in (c.mid, c.best_bid, c.best_ask):
        if math.isfinite(p):
            return p
    return math.nan


def _clean(a: FloatArray, sig: int = 12) -> FloatArray:
    """Round to ``sig`` significant digits (``3 * 0.1`` -> ``0.3``); NaN stays NaN."""
    out = np.array(a, dtype=np.float64)
    ok = np.isfinite(out) & (out != 0)
    if ok.any():
        mag = np.floor(np.log10(np.abs(out[ok])))
        scale = 10.0 ** (sig - 1 - mag)
        out[ok] = np.round(out[ok] * scale) / scale
    return out


# =============================================================================== empty


@FigureBuilder
def empty_figure(message: str, opts: ViewOptions) -> Props:
    """A blank themed figure with ``message`` centred (nothing can be drawn yet)."""
    fig = _Fig(opts, "empty")
    fig.update(xaxis={"visible": False}, yaxis={"visible": False})
    fig.note(message)
    return fig.build()


# =============================================================================== depth


def _cum_at(px: FloatArray, sz: FloatArray, x: FloatArray, bid: bool) -> FloatArray:
    """Cumulative ``sz`` of the levels at or better than each ``x`` (bids: ``px >= x``,
    asks: ``px <= x``); ``px`` best first."""
    cum = np.concatenate(([0.0], np.cumsum(sz)))
    if bid:  # descending: count of px >= x
        count = px.size - np.searchsorted(px[::-1], x, side="left")
    else:  # ascending: count of px <= x
        count = np.searchsorted(px, x, side="right")
    out: FloatArray = cum[count]
    return out


def _depth_side(
    books: Sequence[VenueBook], bid: bool, lo: float, hi: float, decimals: int = 8
) -> tuple[FloatArray, FloatArray, FloatArray, float | None]:
    """Union of the books' prices within ``[lo, hi]`` (ascending), each venue's cumulative
    size and notional at those prices (``[venue, price]``), and the step of the prices when
    they are evenly spaced (else None).

    Beyond ``DEPTH_POINTS`` prices the curves are sampled at ``DEPTH_POINTS`` evenly spaced
    prices from the touch outwards, one step (a whole number of display decimals) apart,
    so that each sampled price is the price the hover shows and the size read there is
    the size at that very price; the figure then sends the prices as ``x0`` and ``dx``."""
    sides = []
    for b in books:
        px, sz = (b.bid_px, b.bid_sz) if bid else (b.ask_px, b.ask_sz)
        keep = (px >= lo) & (px <= hi)
        sides.append((px[keep], sz[keep]))
    x = np.unique(np.concatenate([p for p, _ in sides])) if sides else np.empty(0)
    step: float | None = None
    if x.size > DEPTH_POINTS:
        # thousands of levels: sample (bytes per refresh stay small; the shape does not
        # change); the first point is the touch, the last at or just beyond the deepest
        unit = 10.0**-decimals
        step = round(max(unit, math.ceil((x[-1] - x[0]) / (DEPTH_POINTS - 1) / unit) * unit), 12)
        k = np.arange(DEPTH_POINTS, dtype=np.float64)
        if bid:
            touch = float(x[-1])
            x = np.round(touch - step * k[::-1], decimals)
            x[-1] = touch
        else:
            touch = float(x[0])
            x = np.round(touch + step * k, decimals)
            x[0] = touch
    size = np.zeros((len(books), x.size))
    notional = np.zeros((len(books), x.size))
    for i, (px, sz) in enumerate(sides):
        if px.size and x.size:
            size[i] = _cum_at(px, sz, x, bid)
            notional[i] = _cum_at(px, px * sz, x, bid)
    return x, size, notional, step


@FigureBuilder
def depth_figure(snap: Snapshot, opts: ViewOptions) -> Props:
    """Cumulative bid and ask depth within ±``opts.range_pct`` % of the mid: per venue
    stacked areas (venue colours, ``Venue`` order from the bottom), the consolidated total of
    the selected venues as a line per side (``"bids"``, ``"asks"``), the mid marked.

    Bids are drawn from the lowest price in range up to the best bid (a bid's cumulative
    size at price p is everything bid at p or higher); asks from the best ask up. Without a
    mid the range is taken around the touch of the side that exists.

    The hover is unified along x: each venue's cumulative size, then the total's size and
    notional (``customdata``, on the total traces only). Arrays go to the browser as
    float32 where that reads the same at the hover's decimals (``_wire``); all traces of
    a side share one x array, or ``x0``/``dx`` when the side was sampled.
    """
    base, quote = snap.symbol, snap.quote
    fig = _Fig(opts, "depth", f"price ({quote})", f"cumulative size ({base})")
    fig.update(hovermode="x unified")
    books = _venue_order(selected_books(snap, opts))
    ref = _reference(snap)
    r = opts.range_pct / 100.0
    lo, hi = (ref - ref * r, ref + ref * r) if math.isfinite(ref) else (math.nan, math.nan)
    d = price_decimals(ref)
    any_level = False
    for bid, total_name, color in ((True, "bids", BID_COLOR), (False, "asks", ASK_COLOR)):
        x, size, notional, step = (
            _depth_side(books, bid, lo, hi, d)
            if math.isfinite(ref)
            else (np.empty(0), np.zeros((len(books), 0)), np.zeros((len(books), 0)), None)
        )
        any_level = any_level or x.size > 0
        shape = "vh" if bid else "hv"
        word = "bids ≥" if bid else "asks ≤"
        # evenly spaced (sampled) prices go as x0 + dx: 16 traces need no price array each
        xw: dict[str, Any] = {"x": _wire(x, d)} if step is None else {"x0": float(x[0]), "dx": step}
        for i, b in enumerate(books):
            v = str(b.venue)
            fig.trace(
                "scatter",
                name=v,
                uid=f"depth-{total_name}-{v}",
                legendgroup=v,
                showlegend=bid,
                **xw,
                y=_wire(_shown(size[i], 4), 4),
                stackgroup=total_name,
                mode="lines",
                line={"shape": shape, "width": 0.5, "color": VENUE_COLORS[b.venue]},
                fillcolor=_rgba(VENUE_COLORS[b.venue], 0.6),
                hovertemplate=f"{v} {word} %{{x:,.{d}f}}: %{{y:,.4f}} {base}<extra></extra>",
            )
        fig.trace(
            "scatter",
            name=total_name,
            uid=f"depth-{total_name}",
            **xw,
            y=_wire(_shown(size.sum(axis=0), 4), 4),
            customdata=_wire(notional.sum(axis=0), 0),
            mode="lines",
            line={"shape": shape, "width": 2, "color": color},
            hovertemplate=f"<b>all {word} %{{x:,.{d}f}}</b>: %{{y:,.4f}} {base}"
            f" · %{{customdata:,.0f}} {quote}<extra></extra>",
        )
    if math.isfinite(ref):
        fig.update(xaxis={"range": [lo, hi]})
    if math.isfinite(snap.consolidated.mid):
        mid = snap.consolidated.mid
        fig.price_line("mid", mid, f"mid {fmt_price(mid, mid)}", vertical=True)
    if not any_level:
        fig.note("no liquidity from the selected venues in range")
    return fig.build()


# =============================================================================== heatmap


def _grid(grid_step: float | Grid) -> Grid:
    return grid_step if isinstance(grid_step, Grid) else Grid.fixed(grid_step)


def _time_text(t: float) -> str:
    """Epoch seconds as a UTC date string plotly reads (millisecond precision)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _display_range(lo_index: int, n_buckets: int, mult: int) -> tuple[int, int]:
    """Display buckets wholly inside grid buckets ``lo_index .. lo_index + n - 1``:
    ``(first, count)``."""
    first = -(-lo_index // mult)  # ceil
    end = (lo_index + n_buckets) // mult
    return first, max(0, end - first)


def heatmap_span(mid: float, opts: ViewOptions, grid_step: float | Grid) -> tuple[int, int]:
    """``(lo_index, n_buckets)`` of grid buckets to ask the history for: ±``range_pct`` %
    around ``mid``, widened to whole display buckets (so ``heatmap_rows`` keeps them all),
    at most ``MAX_DISPLAY_BUCKETS`` display buckets. ``(0, 0)`` without a mid."""
    if not (math.isfinite(mid) and mid > 0):
        return 0, 0
    grid, m = _grid(grid_step), opts.bucket_mult
    r = opts.range_pct / 100.0
    d_lo = display_index(grid, mid - mid * r, m)
    d_hi = display_index(grid, mid + mid * r, m)
    if d_hi - d_lo + 1 > MAX_DISPLAY_BUCKETS:
        d_mid = display_index(grid, mid, m)
        d_lo = d_mid - MAX_DISPLAY_BUCKETS // 2
        d_hi = d_lo + MAX_DISPLAY_BUCKETS - 1
    return d_lo * m, (d_hi - d_lo + 1) * m


def _display_z(window: HeatmapWindow, opts: ViewOptions) -> tuple[int, FloatArray]:
    """Window rows summed into display buckets (NaN if any part is NaN); colour values
    (``log10(1 + size)`` when ``opts.heat_log``), rounded to 7 significant digits."""
    m = opts.bucket_mult
    first, nd = _display_range(window.lo_index, window.n_buckets, m)
    r = window.z.shape[0]
    a = first * m - window.lo_index
    sub = np.asarray(window.z[:, a : a + nd * m], dtype=np.float64)
    z = sub.reshape(r, nd, m).sum(axis=2)  # NaN propagates: a part unknown is unknown
    if opts.heat_log:
        z = np.log10(1.0 + z)
    return first, _clean(z, 7)


def heatmap_rows(
    window: HeatmapWindow, opts: ViewOptions, grid_step: float | Grid
) -> tuple[list[str], list[list[float]], list[float]]:
    """The heatmap's data exactly as the figure holds it: ``times`` (UTC strings of each
    second's middle, so a cell spans its second), ``z_rows`` (one row per second, one value
    per display bucket, NaN = not known) and ``y_prices`` (display bucket centres).

    Display bucket ``d`` sums grid buckets ``d*mult .. d*mult + mult - 1``; only display
    buckets wholly inside the window are kept (``heatmap_span`` asks for whole ones). A
    display bucket with any unknown part is unknown (NaN). ``opts.heat_log`` gives
    ``log10(1 + size)``.
    """
    grid, m = _grid(grid_step), opts.bucket_mult
    first, z = _display_z(window, opts)
    nd = z.shape[1]
    idx = np.arange(first, first + nd, dtype=np.float64)
    y = _clean((grid.lower(idx * m) + grid.lower((idx + 1) * m)) / 2.0)
    half = window.step / 2  # rows are drawn at the middle of their seconds
    times = [_time_text(float(t) + half) for t in window.times]
    return times, z.tolist(), y.tolist()


def trade_marker_px(notional: FloatArray) -> FloatArray:
    """Bubble diameters (px) of trades of ``notional`` quote: area ∝ notional (sqrt
    scale), at least ``TRADE_MIN_PX``, capped at ``TRADE_MAX_PX``; rounded to 0.01 px.

    Notional rather than base size, so one scale suits BTC and a $0.50 coin alike."""
    q: FloatArray = np.asarray(notional, dtype=np.float64)
    px: FloatArray = TRADE_MIN_PX + TRADE_PX_PER_SQRT_QUOTE * np.sqrt(q)
    out: FloatArray = np.minimum(px, np.float64(TRADE_MAX_PX)).round(2)
    return out


def touch_points(window: HeatmapWindow) -> tuple[list[float], list[float]]:
    """The best bid and best ask of each second of ``window`` (NaN where not recorded), as
    the "best bid" / "best ask" traces hold them."""
    bid = np.asarray(window.best_bid, dtype=np.float64).tolist()
    ask = np.asarray(window.best_ask, dtype=np.float64).tolist()
    return bid, ask


def trade_points(
    trades: TradeSeries, opts: ViewOptions, *, quote: str = ""
) -> tuple[list[str], list[float], list[float], list[str], list[str]]:
    """The "trades" trace's data for the trades of the selected venues:
    ``(x, y, size, color, text)``: UTC time strings, prices, bubble diameters
    (``trade_marker_px``), ``BID_COLOR`` for a taker buy / ``ASK_COLOR`` for a taker sell,
    and hover text.

    Trades of one second, one taker side and one price (5 significant digits) are one
    bubble: its size the sum, its price the volume-weighted price, its text the count and
    the venues. A busy market prints hundreds of trades a second; one bubble each would make
    every refresh heavy and the chart unreadable."""
    chosen = set(opts.venues)
    ok_venue = np.array([v in chosen for v in trades.venues], dtype=np.bool_)
    venue_idx = np.asarray(trades.venue, dtype=np.int64)
    keep = ok_venue[venue_idx] if venue_idx.size else np.zeros(0, dtype=np.bool_)
    price = np.asarray(trades.price, dtype=np.float64)[keep]
    if not price.size:
        return [], [], [], [], []
    size = np.asarray(trades.size, dtype=np.float64)[keep]
    side = np.asarray(trades.side)[keep].astype(np.int64)
    sec = np.floor(np.asarray(trades.time, dtype=np.float64)[keep]).astype(np.int64)
    venue_idx = venue_idx[keep]
    mag = np.floor(np.log10(price))
    rounded = np.round(price / 10.0 ** (mag - 4)) * 10.0 ** (mag - 4)
    keys = np.stack([sec, side, rounded.view(np.int64)], axis=1)
    uniq, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    n = uniq.shape[0]
    tot = np.zeros(n)
    notional = np.zeros(n)
    count = np.zeros(n, dtype=np.int64)
    np.add.at(tot, group, size)
    np.add.at(notional, group, price * size)
    np.add.at(count, group, 1)
    first = np.full(n, np.inf)
    np.minimum.at(first, group, np.asarray(trades.time, dtype=np.float64)[keep])
    vwap = notional / tot
    venues_of: list[set[int]] = [set() for _ in range(n)]
    for g, v in zip(group.tolist(), venue_idx.tolist()):
        venues_of[g].add(v)
    order = np.argsort(first, kind="stable")  # in time order
    uniq, tot, notional, count, first, vwap = (
        a[order] for a in (uniq, tot, notional, count, first, vwap)
    )
    venues_of = [venues_of[i] for i in order]
    base = opts.symbol
    ref = float(vwap[0])
    x = [_time_text(float(t)) for t in first]  # the group's first trade
    buys = uniq[:, 1] > 0
    color = [BID_COLOR if b else ASK_COLOR for b in buys]
    text = [
        f"{', '.join(str(trades.venues[v]) for v in sorted(vs))} taker {'buy' if b else 'sell'}"
        f"{f' x{c}' if c > 1 else ''} {fmt_size(float(z), base)}"
        f" @ {fmt_price(float(p), ref)} = {fmt_notional(float(q), quote)}"
        for c, b, z, p, q, vs in zip(count.tolist(), buys, tot, vwap, notional, venues_of)
    ]
    return x, vwap.tolist(), trade_marker_px(notional).tolist(), color, text


@dataclass(frozen=True, slots=True)
class HeatmapData:
    """Everything the heatmap figure holds that grows with time, as plain lists.

    ``gap_rows`` feeds the "not recorded" band: ``[1.0]`` for a second nobody recorded,
    ``[nan]`` otherwise; ``y_edges`` are the display range's outer price edges. The
    ``trade_*`` lists are ``trade_points``.
    """

    times: list[str]
    z_rows: list[list[float]]
    y_prices: list[float]
    y_edges: tuple[float, float] | None
    gap_rows: list[list[float]]
    best_bid: list[float]
    best_ask: list[float]
    trade_x: list[str]
    trade_y: list[float]
    trade_size: list[float]
    trade_color: list[str]
    trade_text: list[str]


def heatmap_data(
    window: HeatmapWindow,
    trades: TradeSeries,
    opts: ViewOptions,
    grid_step: float | Grid,
    *,
    quote: str = "",
) -> HeatmapData:
    """The rows, lines, gaps and trade bubbles of ``window`` and ``trades`` (see
    ``heatmap_figure``); the full figure and ``heatmap_patch`` are both built from this."""
    grid, m = _grid(grid_step), opts.bucket_mult
    times, z_rows, y = heatmap_rows(window, opts, grid)
    edges: tuple[float, float] | None = None
    if y:
        first, nd = _display_range(window.lo_index, window.n_buckets, m)
        lo_hi = _clean(grid.lower(np.array([first * m, (first + nd) * m], dtype=np.float64)))
        edges = (float(lo_hi[0]), float(lo_hi[1]))
    bid, ask = touch_points(window)
    tx, ty, ts, tc, tt = trade_points(trades, opts, quote=quote)
    return HeatmapData(
        times=times,
        z_rows=z_rows,
        y_prices=y,
        y_edges=edges,
        gap_rows=[[1.0] if not rec else [math.nan] for rec in window.recorded],
        best_bid=bid,
        best_ask=ask,
        trade_x=tx,
        trade_y=ty,
        trade_size=ts,
        trade_color=tc,
        trade_text=tt,
    )


def _check_window_venues(window: HeatmapWindow, opts: ViewOptions) -> None:
    extra = [v for v in window.venues if v not in opts.venues]
    if extra:
        raise ValueError(
            "the heatmap window sums venues that are not selected "
            f"({', '.join(map(str, extra))}): ask the history for the selected venues only"
        )


def _log_ticks(zmax: float) -> tuple[list[float], list[str]]:
    """Colour-bar ticks of a log10(1 + size) scale, labelled in sizes: 0 and the 1-2-5
    sizes up to the scale's top, at least a tenth of the bar apart."""
    ticks = [(0.0, 0.0)]
    for s in (k * 10.0**e for e in range(-6, 13) for k in (1, 2, 5)):
        pos = math.log10(1.0 + s)
        if pos > zmax * (1 + 1e-9):
            break
        if pos - ticks[-1][1] >= zmax / 10:
            ticks.append((s, pos))
    return [round(pos, 6) for _, pos in ticks], [f"{s:,g}" for s, _ in ticks]


@FigureBuilder
def heatmap_figure(
    window: HeatmapWindow,
    trades: TradeSeries,
    opts: ViewOptions,
    grid_step: float | Grid,
    *,
    quote: str = "",
) -> Props:
    """Liquidity over time: time on x, display buckets on y, colour = resting size.

    Traces, in this order (``HEAT_TRACES``; ``HEAT_Z``… name the indexes a ``Patch`` uses):

    0. "liquidity": a heatmap with ``transpose=True``, z one row per second (NaN cells left
       transparent); colour max = 99th percentile of the finite values /
       ``opts.heat_intensity``; ``opts.heat_log`` colours ``log10(1 + size)`` with a colour
       bar ticked in sizes.
    1. "best bid", 2. "best ask": the consolidated touch each second (of every venue the
       provider included then: the history keeps no per-venue touch).
    3. "trades": trades of the selected venues as bubbles, area ∝ notional
       (``trade_marker_px``), coloured by taker side (``trade_points``).
    4. "not recorded": a light band over every second nobody recorded. (A second recorded
       while none of the selected venues was live is all NaN: transparent, not banded.)

    ``window`` must have been asked for with the selected venues (its cells are sums over
    its venues and cannot be split here): a window holding a venue not in ``opts.venues``
    is a ``ValueError``. ``grid_step`` is the provider's grid (a fixed step, or the
    ``Grid``). ``quote`` only labels prices and notionals.
    """
    _check_window_venues(window, opts)
    grid = _grid(grid_step)
    data = heatmap_data(window, trades, opts, grid, quote=quote)
    base = opts.symbol
    fig = _Fig(opts, "heatmap", "time (UTC)", f"price ({quote})" if quote else "price")
    z = np.array(data.z_rows, dtype=np.float64).reshape(len(data.times), len(data.y_prices))
    finite = z[np.isfinite(z)]
    p99 = float(np.percentile(finite, 99)) if finite.size else 0.0
    zmax = float(_clean(np.array([p99 / opts.heat_intensity]), 7)[0]) if p99 > 0 else 1.0
    mid_ref = data.y_prices[len(data.y_prices) // 2] if data.y_prices else math.nan
    d = price_decimals(mid_ref)
    half = ""
    if len(data.y_prices) > 1:
        half = f" ± {fmt_price(abs(data.y_prices[1] - data.y_prices[0]) / 2, mid_ref)}"
    colorbar: dict[str, object] = {"title": {"text": f"size ({base})"}, "thickness": 12}
    z_hover = f"size %{{z:,.4f}} {base}"
    if opts.heat_log:
        tickvals, ticktext = _log_ticks(zmax)
        colorbar = {
            "title": {"text": f"size ({base})<br>log₁₀(1+size)"},
            "thickness": 12,
            "tickmode": "array",
            "tickvals": tickvals,
            "ticktext": ticktext,
        }
        z_hover = "log₁₀(1+size) %{z:.3f}"
    fig.trace(
        "heatmap",
        name="liquidity",
        uid="heat-liquidity",
        x=data.times,
        y=data.y_prices,
        z=data.z_rows,  # plain lists, not a base64 typed array: a Patch extends them
        transpose=True,
        zmin=0.0,
        zmax=zmax,
        zauto=False,
        colorscale=_colorscale(HEAT_COLORSCALE),
        colorbar=colorbar,
        hoverongaps=False,
        hovertemplate=f"%{{x|%H:%M:%S}} UTC<br>price %{{y:,.{d}f}}{half}<br>{z_hover}"
        "<extra></extra>",
    )
    for name, ys, color in (
        ("best bid", data.best_bid, BID_COLOR),
        ("best ask", data.best_ask, ASK_COLOR),
    ):
        fig.trace(
            "scatter",
            name=name,
            uid=f"heat-{name.replace(' ', '-')}",
            x=data.times,
            y=ys,
            mode="lines+markers",  # a second alone between gaps still shows
            connectgaps=False,
            line={"color": color, "width": 1.5, "shape": "hvh"},  # steps between seconds
            marker={"color": color, "size": 3},
            hovertemplate=f"{name} %{{y:,.{d}f}}<extra></extra>",
        )
    fig.trace(
        "scatter",
        name="trades",
        uid="heat-trades",
        x=data.trade_x,
        y=data.trade_y,
        text=data.trade_text,
        mode="markers",
        marker={
            "size": data.trade_size,
            "sizemode": "diameter",
            "color": data.trade_color,
            "opacity": 0.8,
            "line": {"width": 1, "color": _fg(opts)},
        },
        hovertemplate="%{x|%H:%M:%S.%L} UTC<br>%{text}<extra></extra>",
    )
    fig.trace(
        "heatmap",
        name="not recorded",
        uid="heat-gaps",
        x=data.times,
        y=list(data.y_edges) if data.y_edges else [],
        z=data.gap_rows,
        transpose=True,
        zmin=0.0,
        zmax=1.0,
        colorscale=[[0.0, GAP_COLOR], [1.0, GAP_COLOR]],
        showscale=False,
        showlegend=True,
        hoverongaps=False,
        hovertemplate="%{x|%H:%M:%S} UTC: not recorded<extra></extra>",
    )
    fig.update(xaxis={"type": "date"})
    if data.y_edges:
        fig.update(yaxis={"range": list(data.y_edges)})
    if not data.times or not data.y_prices:
        fig.note("no liquidity history yet")
    return fig.build()


def heatmap_patch(
    window: HeatmapWindow,
    trades: TradeSeries,
    opts: ViewOptions,
    grid_step: float | Grid,
    *,
    drop: int = 0,
    quote: str = "",
) -> Patch:
    """A ``dash.Patch`` appending ``window``'s seconds and ``trades`` to a figure made by
    ``heatmap_figure`` with the same ``opts`` and the same bucket range (``lo_index``,
    ``n_buckets``): the rows are exactly those ``heatmap_figure`` would draw. Then the
    ``drop`` oldest seconds are removed from the per-second traces (trades are kept). The
    colour scale is not touched."""
    _check_window_venues(window, opts)
    data = heatmap_data(window, trades, opts, grid_step, quote=quote)
    p = Patch()
    per_second = (
        (HEAT_Z, "z", data.z_rows),
        (HEAT_BID, "y", data.best_bid),
        (HEAT_ASK, "y", data.best_ask),
        (HEAT_GAPS, "z", data.gap_rows),
    )
    if data.times:
        for i, key, values in per_second:
            p["data"][i]["x"].extend(data.times)
            p["data"][i][key].extend(values)
    if data.trade_x:
        t = p["data"][HEAT_TRADES]
        t["x"].extend(data.trade_x)
        t["y"].extend(data.trade_y)
        t["text"].extend(data.trade_text)
        t["marker"]["size"].extend(data.trade_size)
        t["marker"]["color"].extend(data.trade_color)
    for _ in range(max(0, drop)):
        for i, key, _values in per_second:
            del p["data"][i]["x"][0]
            del p["data"][i][key][0]
    return p


# =============================================================================== breakdown


def _selected_rows(snap: Snapshot, opts: ViewOptions) -> list[tuple[Venue, int]]:
    """(venue, row in the consolidated per-venue arrays) of the selected included venues,
    in ``Venue`` order."""
    rows = {v: i for i, v in enumerate(snap.consolidated.venues)}
    return [(v, rows[v]) for v in Venue if v in rows and v in opts.venues]


def _shares(values: FloatArray) -> FloatArray:
    total = float(np.nansum(values))
    if not total > 0:
        return np.full(values.shape, math.nan)
    out: FloatArray = values / total * 100.0
    return out


@FigureBuilder
def breakdown_figure(snap: Snapshot, opts: ViewOptions) -> Props:
    """Liquidity share by venue, bids vs asks: one horizontal bar per side (y "bids",
    "asks"), stacked by venue (venue colours, ``Venue`` order), x = notional within the
    consolidation window (``window_pct`` of the mid), labelled with each venue's share of
    the selected venues' total on that side."""
    c = snap.consolidated
    base, quote = snap.symbol, snap.quote
    fig = _Fig(opts, "breakdown", f"notional within ±{c.window_pct:g} % of mid ({quote})", "side")
    rows = _selected_rows(snap, opts)
    idx = [i for _, i in rows]
    bid_not = np.asarray(c.venue_bid_notional, np.float64)[idx]
    ask_not = np.asarray(c.venue_ask_notional, np.float64)[idx]
    bid_sz = np.asarray(c.venue_bid_size, np.float64)[idx]
    ask_sz = np.asarray(c.venue_ask_size, np.float64)[idx]
    bid_share, ask_share = _shares(bid_not), _shares(ask_not)
    for k, (v, _) in enumerate(rows):
        shares = [float(bid_share[k]), float(ask_share[k])]
        fig.trace(
            "bar",
            name=str(v),
            uid=f"breakdown-{v}",
            orientation="h",
            y=["bids", "asks"],
            x=[float(bid_not[k]), float(ask_not[k])],
            marker={"color": VENUE_COLORS[v]},
            text=[f"{s:.1f} %" if math.isfinite(s) else "" for s in shares],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            customdata=[[shares[0], float(bid_sz[k])], [shares[1], float(ask_sz[k])]],
            hovertemplate=f"{v} %{{y}}: %{{x:,.0f}} {quote} · %{{customdata[1]:,.4f}} {base}"
            " · %{customdata[0]:.1f} %<extra></extra>",
        )
    fig.update(
        barmode="stack",
        yaxis={"categoryorder": "array", "categoryarray": ["bids", "asks"]},
        # a share whose label does not fit its segment at 10 px is not labelled (the hover
        # still has it), rather than squeezed or turned on its side
        uniformtext={"minsize": 10, "mode": "hide"},
    )
    if not rows or not (np.nansum(bid_not) > 0 or np.nansum(ask_not) > 0):
        fig.note("no liquidity from the selected venues")
    return fig.build()


#: the two panels of the bands chart (what ``make_subplots(1, 2, shared_yaxes=True,
#: horizontal_spacing=0.04)`` lays out): bids left on x/y, asks right on x2/y2 (y2 follows y)
_BANDS_AXES: Props = {
    "xaxis": {"anchor": "y", "domain": [0.0, 0.48]},
    "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
    "xaxis2": {"anchor": "y2", "domain": [0.52, 1.0]},
    "yaxis2": {"anchor": "x2", "domain": [0.0, 1.0], "matches": "y", "showticklabels": False},
}


@FigureBuilder
def bands_figure(snap: Snapshot, opts: ViewOptions) -> Props:
    """Depth within ±x % of the mid per venue (``snap.consolidated.bands``; cumulative, the
    1 % band includes the 0.5 % band): two panels, bids (left) and asks (right), x = band,
    y = notional stacked by venue."""
    c = snap.consolidated
    bands = c.bands
    base, quote = snap.symbol, snap.quote
    fig = _Fig(opts, "bands")
    fig.update(**_BANDS_AXES)
    labels = [f"±{p:g} %" for p in bands.pct]
    rows = _selected_rows(snap, opts)
    for col, (side, notional, size) in enumerate(
        (
            ("bids", bands.bid_notional, bands.bid_size),
            ("asks", bands.ask_notional, bands.ask_size),
        ),
        start=1,
    ):
        axis = "" if col == 1 else str(col)
        for v, i in rows:
            fig.trace(
                "bar",
                name=str(v),
                uid=f"bands-{side}-{v}",
                legendgroup=str(v),
                showlegend=col == 1,
                x=labels,
                y=_wire(notional[i], 0),
                customdata=_wire(_shown(size[i], 4), 4),
                marker={"color": VENUE_COLORS[v]},
                hovertemplate=f"{v} {side} within %{{x}}: %{{y:,.0f}} {quote}"
                f" · %{{customdata:,.4f}} {base}<extra></extra>",
                xaxis=f"x{axis}",
                yaxis=f"y{axis}",
            )
    fig.update(
        barmode="stack",
        xaxis={"title": {"text": "bids within the band around the mid"}},
        xaxis2={"title": {"text": "asks within the band around the mid"}},
        yaxis={"title": {"text": f"notional ({quote})"}},
    )
    if not math.isfinite(c.mid):
        fig.note("no mid: bands need both sides of the book")
    return fig.build()


@FigureBuilder
def dominance_figure(snap: Snapshot, opts: ViewOptions) -> Props:
    """The dominant venue across the book: per display bucket within ±``range_pct`` % of
    the mid, a bar in the colour of the selected venue with the largest bid+ask notional
    there (ties: the first venue of the snapshot), as high as its share of the bucket's
    notional; one trace per selected venue (``Venue`` order), x = bucket centre.

    Bar width is one number when every bucket is as wide (a fixed grid), else per bar;
    prices and notionals go as float32 where that reads the same (``_wire``)."""
    base, quote = snap.symbol, snap.quote
    fig = _Fig(opts, "dominance", f"price ({quote})", "dominant venue's share (%)")
    fig.update(barmode="overlay", bargap=0, yaxis={"range": [0, 100]})
    books = selected_books(snap, opts)
    ref = _reference(snap)
    grid, m = snap.consolidated.buckets.grid, opts.bucket_mult
    if math.isfinite(ref):
        r = opts.range_pct / 100.0
        d_lo = display_index(grid, ref - ref * r, m)
        d_hi = display_index(grid, ref + ref * r, m)
        if d_hi - d_lo + 1 > MAX_DISPLAY_BUCKETS:
            d_lo = display_index(grid, ref, m) - MAX_DISPLAY_BUCKETS // 2
            d_hi = d_lo + MAX_DISPLAY_BUCKETS - 1
        db = display_buckets(books, grid, m, d_lo, d_hi - d_lo + 1)
    else:
        db = display_buckets(books, grid, m, 0, 0)
    dom = db.dominant()
    notional = db.bid_notional + db.ask_notional
    total = notional.sum(axis=0)
    centre, lower, upper = _clean(db.center), _clean(db.lower), _clean(db.upper)
    width = upper - lower
    shown, shown_total = _shown(notional, 0), _shown(total, 0)  # hover: whole quote units
    d = price_decimals(ref)
    for v in Venue:
        if v not in db.venues:
            continue
        row = db.venues.index(v)
        sel = np.flatnonzero(dom == row)
        # one decimal, as the hover shows it (0.1 % of the axis is below a pixel)
        share = np.round(notional[row, sel] / total[sel] * 100.0, 1) + 0.0
        w = width[sel]
        fig.trace(
            "bar",
            name=str(v),
            uid=f"dominance-{v}",
            x=_wire(centre[sel], d),
            y=share.tolist(),  # shorter as JSON numbers than base64
            width=float(w[0]) if w.size and (w == w[0]).all() else w,
            marker={"color": VENUE_COLORS[v], "line": {"width": 0}},
            customdata=_wire(
                np.column_stack((lower[sel], upper[sel], shown[row, sel], shown_total[sel])),
                (d, d, 0, 0),
            ),
            hovertemplate=f"%{{customdata[0]:,.{d}f}}–%{{customdata[1]:,.{d}f}}: {v}"
            f" %{{y:.1f}} %<br>%{{customdata[2]:,.0f}} of %{{customdata[3]:,.0f}} {quote}"
            "<extra></extra>",
        )
    if math.isfinite(snap.consolidated.mid):
        mid = snap.consolidated.mid
        fig.price_line("mid", mid, f"mid {fmt_price(mid, mid)}", vertical=True)
    if not (dom >= 0).any():
        fig.note(f"no {base} liquidity from the selected venues in range")
    return fig.build()


# =============================================================================== profile


@FigureBuilder
def profile_figure(
    profile: ProfileView, opts: ViewOptions, mid: float | None = None, *, quote: str = ""
) -> Props:
    """The session volume profile of the selected venues: horizontal bars, y = price
    bucket (bars span the bucket), x = volume (base units), taker buys to the right and
    taker sells to the left (negative x). ``opts.profile_split``: one trace pair per venue
    that traded this session (venue colours, stacked outwards in ``Venue`` order) instead
    of "buy"/"sell".

    Point of control (shape "POC <price>", a line through the bucket's middle) and value
    area ("VA 70 %", shaded ``value_area_low .. value_area_high``) are the
    profile's own when every venue of the profile is selected; otherwise they are
    recomputed over the selected venues with the provider's rules (``VALUE_AREA`` = 70 %).
    Both are labelled in the legend (a legend group would put each on its own row).
    The mid (shape "mid") is marked and labelled on the plot when given.
    """
    base = opts.symbol
    fig = _Fig(
        opts,
        "profile",
        f"volume ({base}): ← taker sells | taker buys →",
        f"price ({quote})" if quote else "price",
    )
    fig.update(barmode="relative", bargap=0.05)
    rows = [i for i, v in enumerate(profile.venues) if v in opts.venues]
    buy_v = np.asarray(profile.buy_by_venue, np.float64)[rows]
    sell_v = np.asarray(profile.sell_by_venue, np.float64)[rows]
    count_v = np.asarray(profile.count_by_venue, np.float64)[rows]
    notional_v = np.asarray(profile.notional_by_venue, np.float64)[rows]
    buy, sell = buy_v.sum(axis=0), sell_v.sum(axis=0)
    keep = (buy + sell) > 0
    w = profile.bucket_size
    index = np.asarray(profile.index)[keep]
    lower = np.asarray(profile.prices, np.float64)[keep]
    upper = np.array([bucket_price(int(k) + 1, w) for k in index], dtype=np.float64)
    centre = _clean((lower + upper) / 2.0)
    buy_v, sell_v = buy_v[:, keep], sell_v[:, keep]
    count_v, notional_v = count_v[:, keep], notional_v[:, keep]
    ref = mid if mid is not None and math.isfinite(mid) else profile.last_price
    d = price_decimals(ref)
    hover = (
        f"%{{customdata[0]:,.{d}f}}–%{{customdata[1]:,.{d}f}}<br>"
        f"buy %{{customdata[2]:,.4f}} · sell %{{customdata[3]:,.4f}} {base}<br>"
        f"%{{customdata[4]:,.0f}} trades · %{{customdata[5]:,.0f}} {quote}"
    )

    def custom(b: FloatArray, s: FloatArray, n: FloatArray, q: FloatArray) -> FloatArray:
        out: FloatArray = np.column_stack((lower, upper, b, s, n, q))
        return out

    if opts.profile_split:
        order = {v: i for i, v in enumerate(Venue)}
        traded = [k for k in range(len(rows)) if (buy_v[k] + sell_v[k]).any()]
        chosen = sorted(traded, key=lambda k: order[profile.venues[rows[k]]])
        for side, sign in (("buy", 1.0), ("sell", -1.0)):
            for k in chosen:
                v = profile.venues[rows[k]]
                vals = (buy_v[k] if sign > 0 else sell_v[k]) * sign + 0.0  # no -0.0
                fig.trace(
                    "bar",
                    name=str(v),
                    uid=f"profile-{side}-{v}",
                    legendgroup=str(v),
                    showlegend=side == "buy",
                    orientation="h",
                    y=centre,
                    x=vals,
                    width=w,
                    marker={"color": VENUE_COLORS[v], "line": {"width": 0}},
                    customdata=custom(buy_v[k], sell_v[k], count_v[k], notional_v[k]),
                    hovertemplate=f"{v}<br>{hover}<extra></extra>",
                )
    else:
        cd = custom(buy_v.sum(0), sell_v.sum(0), count_v.sum(0), notional_v.sum(0))
        for side, sign, vals, color in (
            ("buy", 1.0, buy_v.sum(0), BID_COLOR),
            ("sell", -1.0, sell_v.sum(0), ASK_COLOR),
        ):
            fig.trace(
                "bar",
                name=side,
                uid=f"profile-{side}",
                orientation="h",
                y=centre,
                x=sign * vals + 0.0,  # + 0.0: no -0.0
                width=w,
                marker={"color": color, "line": {"width": 0}},
                customdata=cd,
                hovertemplate=f"{hover}<extra></extra>",
            )
    poc, va_low, va_high = _poc_and_va(profile, rows, index, lower, buy_v, sell_v)
    if poc is not None and va_low is not None and va_high is not None:
        # labelled in the legend, not on the plot: labels at the lines collide with each
        # other and with the mid's whenever the three are close, which is most of the time
        fig.shapes.append(
            {
                "name": f"VA {VALUE_AREA * 100:.0f} %",
                "showlegend": True,
                "type": "rect",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": va_low,
                "y1": va_high,
                "fillcolor": _rgba("#9E9E9E", 0.25),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        poc_mid = float(_clean(np.array([poc + w / 2.0]))[0])
        fig.shapes.append(
            {
                "name": f"POC {fmt_price(poc, ref)}",
                "showlegend": True,
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": poc_mid,
                "y1": poc_mid,
                "line": {"color": "#FFB000", "width": 2, "dash": "dash"},
            }
        )
    if mid is not None and math.isfinite(mid):
        fig.price_line("mid", mid, f"mid {fmt_price(mid, mid)}", vertical=False)
    if not keep.any():
        fig.note("no trades from the selected venues this session")
    return fig.build()


def _poc_and_va(
    profile: ProfileView,
    rows: list[int],
    index: NDArray[np.int64],
    lower: FloatArray,
    buy_v: FloatArray,
    sell_v: FloatArray,
) -> tuple[float | None, float | None, float | None]:
    """POC price (lower edge), value area low (lower edge) and high (upper edge)."""
    if index.size == 0:
        return None, None, None
    if len(rows) == len(profile.venues):  # nothing filtered: the provider's own figures
        return profile.poc_price, profile.value_area_low, profile.value_area_high
    w = profile.bucket_size
    volume = buy_v.sum(axis=0) + sell_v.sum(axis=0)
    last = bucket_index(profile.last_price, w) if profile.last_price is not None else 0
    poc = point_of_control(volume, index, last)
    lo, hi, _ = value_area(volume, index, poc, VALUE_AREA)
    return float(lower[poc]), float(lower[lo]), bucket_price(int(index[hi]) + 1, w)
