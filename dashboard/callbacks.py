"""Thin callbacks: read the latest snapshot, call a pure builder, return.

The view (symbol, venues, bucket, range, refresh, theme, heatmap and profile options) lives
in the URL and in one store; every panel is redrawn from the provider's latest immutable
snapshot on each tick. The heatmap is the exception: after its first draw it is extended by
``dash.Patch`` with only the seconds recorded since, and trimmed at the other end.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Any
from urllib.parse import urlencode

import numpy as np
from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import figures, ids, render, tables
from dashboard.export import export_bytes
from dashboard.safety import InputError, parse_number
from dashboard.view import ViewOptions, from_query, to_query
from provider.consolidate import consolidate, execution_cost
from provider.history import coarsen
from provider.models import Side, Venue
from provider.state import Snapshot

log = logging.getLogger(__name__)

#: a heatmap drawn while the provider is younger than its window starts this share of the
#: window before the first recorded second
HEAT_LEAD = 0.05
#: the first draw of the heatmap has at most this many time rows (60 min -> 6 s rows)
HEAT_MAX_ROWS = 600
#: seconds between full heatmap draws of an unchanged view (they drop old trades and go
#: back to coarse rows); in between, patches
HEAT_REDRAW_S = 300.0


def view_from_store(data: dict[str, Any] | None, symbols: tuple[str, ...]) -> ViewOptions:
    return from_query((data or {}).get("q"), symbols)


def waiting_message(snap: Snapshot | None) -> str:
    """What the page says about venues that cannot be drawn (yet)."""
    if snap is None:
        return "Connecting to venues…"
    waiting = [f"{v.venue.value} ({v.reason or v.state})" for v in snap.venues if not v.included]
    if not waiting:
        return "Waiting for data…"
    if not any(v.included for v in snap.venues):
        return "Waiting for venues: " + ", ".join(waiting)
    return "Not in the consolidated view: " + ", ".join(waiting)


def register(app: Dash, provider: Any) -> None:
    symbols: tuple[str, ...] = provider.symbols
    venues: tuple[Venue, ...] = provider.config.venues

    def snapshot(opts: ViewOptions) -> Snapshot | None:
        snap = provider.snapshot(opts.symbol)
        return None if snap is None else view_snapshot(snap, opts, provider.config)

    # ------------------------------------------------------------------ URL <-> controls

    @app.callback(
        Output(ids.SYMBOL, "value"),
        Output(ids.BUCKET, "value"),
        Output(ids.RANGE, "value"),
        Output(ids.REFRESH, "value"),
        Output(ids.THEME, "value"),
        Output(ids.HEAT_MINUTES, "value"),
        Output(ids.HEAT_INTENSITY, "value"),
        Output(ids.HEAT_LOG, "value"),
        Output(ids.PROFILE_SPLIT, "value"),
        Output(ids.VENUES, "data"),
        Output(ids.VIEW, "data"),
        Output(ids.URL, "search"),
        Input(ids.URL, "search"),
        Input(ids.SYMBOL, "value"),
        Input(ids.BUCKET, "value"),
        Input(ids.RANGE, "value"),
        Input(ids.REFRESH, "value"),
        Input(ids.THEME, "value"),
        Input(ids.HEAT_MINUTES, "value"),
        Input(ids.HEAT_INTENSITY, "value"),
        Input(ids.HEAT_LOG, "value"),
        Input(ids.PROFILE_SPLIT, "value"),
        Input({"type": ids.VENUE_TOGGLE, "venue": ALL}, "n_clicks"),
        State(ids.VENUES, "data"),
    )
    def sync_view(
        search, sym, bucket, rng, refresh, theme, heat, intensity, log_, split, _clicks, shown
    ):  # type: ignore[no-untyped-def]
        trig = ctx.triggered_id
        if trig is None or trig == ids.URL:
            v = from_query(search, symbols, ViewOptions(symbol=symbols[0], venues=venues))
        else:
            names = list(shown or [])
            if isinstance(trig, dict) and trig.get("type") == ids.VENUE_TOGGLE:
                name = trig["venue"]
                names = [n for n in names if n != name] if name in names else [*names, name]
            # raw control values go through from_query, which clamps what it cannot use
            q = "?" + urlencode(
                {
                    "symbol": str(sym), "venues": ",".join(names), "bucket": str(bucket),
                    "range": str(rng), "refresh": str(refresh), "theme": str(theme),
                    "heat": str(heat), "intensity": str(intensity), "log": int(bool(log_)),
                    "split": int(bool(split)),
                },
                safe=",",
            )  # fmt: skip
            v = from_query(q, symbols, ViewOptions(symbol=symbols[0], venues=venues))
        q = to_query(v)
        return (
            v.symbol,
            str(v.bucket_mult),
            f"{v.range_pct:g}",
            str(v.refresh_ms),
            v.theme,
            str(v.heat_minutes),
            f"{v.heat_intensity:g}",
            v.heat_log,
            v.profile_split,
            [x.value for x in v.venues],
            {"q": q},
            q if q != search else no_update,
        )

    @app.callback(
        Output(ids.TICK, "interval"),
        Output(ids.ROOT, "data-bs-theme"),
        Output(ids.ROOT, "data-symbol"),
        Output("bucket-label", "children"),
        Input(ids.VIEW, "data"),
    )
    def apply_view(data):  # type: ignore[no-untyped-def]
        v = view_from_store(data, symbols)
        grid = provider.config.symbol(v.symbol).grid
        step = f"= {_grid_text(grid, v.bucket_mult)}"
        return v.refresh_ms, v.theme, v.symbol, step

    # ------------------------------------------------------------------ panels

    @app.callback(
        Output(ids.STATS, "children"),
        Output(ids.LADDER, "children"),
        Output(ids.DEPTH, "figure"),
        Output(ids.BREAKDOWN, "figure"),
        Output(ids.BANDS, "figure"),
        Output(ids.DOMINANCE, "figure"),
        Output(ids.PROFILE, "figure"),
        Output(ids.CONNECTING, "children"),
        Output(ids.CONNECTING, "is_open"),
        Output(ids.FOOTER, "children"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.VIEW, "data"),
    )
    def panels(_n, data):  # type: ignore[no-untyped-def]
        opts = view_from_store(data, symbols)
        snap = snapshot(opts)
        footer = render.footer(snap, provider.statistics() if snap else None, time.time())
        if snap is None or not snap.consolidated.venues:
            live = snap is not None and any(v.included for v in snap.venues)
            msg = (
                "No venue shown: click a venue chip above to show its liquidity"
                if live and not opts.venues
                else waiting_message(snap)
            )
            empty = figures.empty_figure.wire(msg, opts)
            stats = render.stats(tables.stats_items(snap)) if snap else None
            return stats, None, empty, empty, empty, empty, empty, msg, True, footer
        cons = snap.consolidated
        return (
            render.stats(tables.stats_items(snap)),
            render.ladder(tables.ladder_rows(snap, opts, n=10), opts),
            # (the figures as the dicts Dash sends: no go.Figure built every refresh)
            figures.depth_figure.wire(snap, opts),
            figures.breakdown_figure.wire(snap, opts),
            figures.bands_figure.wire(snap, opts),
            figures.dominance_figure.wire(snap, opts),
            figures.profile_figure.wire(snap.profile, opts, cons.mid, quote=snap.quote),
            waiting_message(snap) if any(not v.included for v in snap.venues) else "",
            any(not v.included for v in snap.venues),
            footer,
        )

    @app.callback(
        Output({"type": ids.VENUE_TOGGLE, "venue": ALL}, "children"),
        Output({"type": ids.VENUE_TOGGLE, "venue": ALL}, "className"),
        Output({"type": ids.VENUE_TIP, "venue": ALL}, "children"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.VIEW, "data"),
    )
    def chips(_n, data):  # type: ignore[no-untyped-def]
        opts = view_from_store(data, symbols)
        snap = snapshot(opts)
        chips_ = {c.venue: c for c in tables.venue_chips(snap)} if snap else {}
        children, classes, tips = [], [], []
        for v in venues:
            c = chips_.get(v)
            on = v in opts.venues
            children.append(render.chip_children(v, c))
            classes.append(render.chip_class(c, on))
            tips.append(render.chip_tip(v, c, on))
        return children, classes, tips

    @app.callback(
        Output(ids.EXEC_TABLE, "children"),
        Output(ids.EXEC_ERROR, "children"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.EXEC_SIZE, "value"),
        Input(ids.EXEC_SIDE, "value"),
        Input(ids.EXEC_UNIT, "value"),
        State(ids.VIEW, "data"),
    )
    def execution(_n, size, side, unit, data):  # type: ignore[no-untyped-def]
        opts = view_from_store(data, symbols)
        snap = snapshot(opts)
        try:
            qty = parse_number(size, "order size", 1e-9, 1e12)
        except InputError as exc:
            return no_update, str(exc)
        if snap is None or not snap.books:
            return None, ""
        books = [b for b in snap.books if b.venue in opts.venues]
        if not books:
            return None, "no venue selected"
        cost = execution_cost(books, Side(side), qty, in_quote=unit == "quote")
        rows = tables.execution_rows(cost, base=snap.symbol, quote=snap.quote)
        return render.execution(rows, snap.quote), ""

    @app.callback(
        Output(ids.PROFILE_RESET, "n_clicks"),
        Input(ids.PROFILE_RESET, "n_clicks"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def reset_profile(n, data):  # type: ignore[no-untyped-def]
        provider.reset_profile(view_from_store(data, symbols).symbol)
        return no_update

    # ------------------------------------------------------------------ heatmap

    @app.callback(
        Output(ids.HEATMAP, "figure"),
        Output(ids.HEAT_STATE, "data"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.VIEW, "data"),
        State(ids.HEAT_STATE, "data"),
    )
    def heatmap(_n, data, state):  # type: ignore[no-untyped-def]
        opts = view_from_store(data, symbols)
        fig, new_state = heatmap_update(provider, opts, state, time.time())
        if fig is None:
            raise PreventUpdate
        return fig, new_state

    # ------------------------------------------------------------------ export

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.EXPORT_ERROR, "children"),
        Output(ids.EXPORT_ERROR, "is_open"),
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        State(ids.EXPORT_CHART, "value"),
        State(ids.EXPORT_FORMAT, "value"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def export(_n, chart, fmt, data):  # type: ignore[no-untyped-def]
        opts = view_from_store(data, symbols)
        try:
            name, content = export_bytes(provider, opts, chart, fmt)
        except InputError as exc:
            return no_update, str(exc), True
        return {"content": content, "filename": name, "base64": True}, "", False


def view_snapshot(snap: Snapshot, opts: ViewOptions, config: Any) -> Snapshot:
    """The snapshot as the trader's venue selection sees it: the consolidated numbers
    (best bid/ask, mid, spread, liquidity, bands, buckets) recomputed over the shown venues
    only, so that every panel agrees with the charts. Venue health is kept for all."""
    chosen = tuple(b for b in snap.books if b.venue in opts.venues)
    if len(chosen) == len(snap.books):
        return snap
    cons = consolidate(
        chosen,
        config.symbol(snap.symbol).grid,
        config.window_pct,
        buckets_each_side=config.buckets_each_side,
    )
    return dataclasses.replace(snap, consolidated=cons, books=chosen)


def _grid_text(grid: Any, mult: int) -> str:
    if grid.kind == "fixed":
        return f"${grid.step * mult:g}"
    return f"{grid.step * mult:g} bps"


def heatmap_update(
    provider: Any, opts: ViewOptions, state: dict[str, Any] | None, now: float
) -> tuple[Any, dict[str, Any] | None]:
    """The heatmap's next value: a full figure, or a ``Patch`` with the new seconds.

    The full figure is rebuilt when the view changed, when the mid has moved out of the
    middle half of the drawn price range, and every few minutes (to drop old trades);
    otherwise only the seconds recorded since the last draw are sent, and as many of the
    oldest are removed. Returns (None, state) when there is nothing new.

    A full figure is the dict Dash sends (``FigureBuilder.wire``), never a ``go.Figure``:
    a figure object holds reference cycles (traces <-> figure), so each draw's megabytes of
    rows stayed alive until the cyclic collector's rare full pass, and RSS crept up with
    every draw (3x more than with dicts, freed at once).
    """
    snap = provider.snapshot(opts.symbol)
    grid = provider.config.symbol(opts.symbol).grid
    latest = provider.history_latest(opts.symbol)
    if snap is None or latest is None or math.isnan(snap.consolidated.mid):
        msg = waiting_message(snap)
        if state and state.get("empty") == msg:
            return None, state
        return figures.empty_figure.wire(msg, opts), {"empty": msg}
    held = provider.history_venues(opts.symbol)
    venues = [v for v in opts.venues if v in held]
    if not venues:
        msg = "no selected venue lists " + opts.symbol
        return figures.empty_figure.wire(msg, opts), {"empty": msg}
    mid = snap.consolidated.mid
    key = [
        opts.symbol,
        [v.value for v in venues],
        opts.bucket_mult,
        opts.range_pct,
        opts.heat_minutes,
        opts.heat_intensity,
        opts.heat_log,
        opts.theme,
    ]
    if state and state.get("key") == key and state.get("lo") is not None:
        lo, n = state["lo"], state["n"]
        centre = int(grid.index([mid])[0])
        inside = lo + n // 4 <= centre <= lo + n - n // 4
        if inside and now - state.get("built", 0) < HEAT_REDRAW_S:
            if latest <= state["last"]:
                return None, state
            return _patch(provider, opts, grid, venues, state, latest, snap.quote)
    lo, n = figures.heatmap_span(mid, opts, grid)
    t1 = float(latest)
    t0 = t1 - opts.heat_minutes * 60 + 1
    window = provider.history_window(opts.symbol, t0, t1, lo, n, venues)
    t_start = recording_start(window)
    if t_start > t0:  # the provider started within the window: draw from then, not from
        t0 = t_start  # minutes of blank (a strip of "not recorded" stays in front)
        window = provider.history_window(opts.symbol, t0, t1, lo, n, venues)
    # a long history is drawn with coarser rows (new seconds are then appended one by one)
    step = math.ceil(window.times.size / HEAT_MAX_ROWS)
    window = coarsen(window, step)
    trades = provider.trades(opts.symbol, t0, t1 + 1)
    fig = figures.heatmap_figure.wire(window, trades, opts, grid, quote=snap.quote)
    state = {
        "key": key,
        "lo": lo,
        "n": n,
        "last": latest,
        "first": int(t0),  # the first second of the first row drawn
        "step": max(1, step),  # seconds per row of the rows of this draw
        "coarse": int(window.times.size) if step > 1 else 0,  # of those rows, still drawn
        "built": now,
    }
    return fig, state


def recording_start(window: Any) -> float:
    """Where a full heatmap draw starts: ``LEAD`` of the window's seconds (at least 10 s)
    before its first recorded second, so a window that mostly predates the provider is not
    drawn as minutes of "not recorded" with a sliver of data at its end."""
    rec = np.flatnonzero(window.recorded)
    if rec.size == 0 or window.times.size == 0:
        return float(window.times[0]) if window.times.size else 0.0
    lead = max(10.0, HEAT_LEAD * (float(window.times[-1]) - float(window.times[0])))
    return max(float(window.times[0]), float(window.times[rec[0]]) - lead)


def _patch(
    provider: Any,
    opts: ViewOptions,
    grid: Any,
    venues: list[Venue],
    state: dict[str, Any],
    latest: int,
    quote: str,
) -> tuple[Any, dict[str, Any]]:
    lo, n, last = state["lo"], state["n"], state["last"]
    window = provider.history_since(opts.symbol, last, lo, n, venues)
    trades = provider.trades(opts.symbol, last + 1, latest + 1)
    first, drop = _aged_rows(state, latest - opts.heat_minutes * 60 + 1)
    patch = figures.heatmap_patch(window, trades, opts, grid, drop=drop, quote=quote)
    coarse = max(0, state.get("coarse", 0) - drop)
    return patch, dict(state, last=latest, first=first, coarse=coarse)


def _aged_rows(state: dict[str, Any], need: int) -> tuple[int, int]:
    """(new first second, rows to delete) so that the drawn rows start at ``need``: a
    full draw of a long window has rows of ``state["step"]`` seconds (``coarse`` of them
    still drawn), each deleted once all its seconds are older than ``need``; the seconds
    appended since are one row each."""
    first, step, coarse = state["first"], state.get("step", 1), state.get("coarse", 0)
    drop = 0
    while coarse > 0 and first + step <= need:
        first += step
        coarse -= 1
        drop += 1
    if coarse == 0 and need > first:
        drop += need - first
        first = need
    return first, drop
