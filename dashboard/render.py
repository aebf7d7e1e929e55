"""Plain rows (from ``tables.py``) into Dash components. No data logic here."""

from __future__ import annotations

import math
from typing import Any

from dash import html

from dashboard import tables
from dashboard.figures import VENUE_COLORS
from dashboard.view import ViewOptions
from provider.models import Venue
from provider.state import ProviderStats, Snapshot

DOT = {
    "success": "st-live",
    "warning": "st-resyncing",
    "danger": "st-stale",
    "secondary": "st-connecting",
}


def stats(items: list[tables.StatItem]) -> list[Any]:
    """Headline tiles (explanations on hover), then the rolling windows as one small table."""
    head = [it for it in items if not _window_of(it.label)]
    rolling = [it for it in items if _window_of(it.label)]
    tiles = [
        html.Div(
            [html.Div(it.label, className="l"), html.Div(it.value, className="v")],
            className="cob-stat",
            title=it.hint or None,
        )
        for it in head
    ]
    if rolling:
        spans = sorted({_window_of(it.label) for it in rolling}, key=lambda x: float(x.split()[0]))
        metrics = list(dict.fromkeys(it.label.rsplit(" ", 2)[0] for it in rolling))
        by = {it.label: it for it in rolling}
        header = html.Tr([html.Th("rolling")] + [html.Th(m) for m in metrics])
        rows = [
            html.Tr(
                [html.Th(span)]
                + [
                    html.Td(by[f"{m} {span}"].value, title=by[f"{m} {span}"].hint)
                    if f"{m} {span}" in by
                    else html.Td("")
                    for m in metrics
                ]
            )
            for span in spans
        ]
        tiles.append(
            html.Div(
                html.Table([html.Thead(header), html.Tbody(rows)]), className="cob-stat cob-rolling"
            )
        )
    return tiles


def _window_of(label: str) -> str:
    parts = label.rsplit(" ", 2)
    return (
        f"{parts[1]} s"
        if len(parts) == 3 and parts[2] == "s" and parts[1].replace(".", "").isdigit()
        else ""
    )


def _num(x: float, ref: float | None = None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x == 0:
        return ""
    return tables.fmt_size(x)


def ladder(rows: list[tables.LadderRow], opts: ViewOptions) -> html.Table | html.Div:
    """Price | bids | asks | each venue's share of the bucket as a stacked bar | top venue.

    Light on the wire (it is sent every refresh): the stacked bar is one cell whose inline
    style only holds each venue's cumulative end (``--m-<venue>``, % of the biggest
    bucket, ``Venue`` order); ``assets/cob.css`` (``.cob-mixg``) draws it as one gradient
    in the venue colours (``VENUE_COLORS``). The top venue's colour is a class
    (``vc-<venue>``)."""
    if not rows:
        return html.Div("no levels", className="text-body-secondary p-2")
    totals = [max(r.bid, 0.0) + max(r.ask, 0.0) for r in rows if not math.isnan(r.bid + r.ask)]
    biggest = max(totals or [1.0]) or 1.0
    ref = rows[len(rows) // 2].price
    head = html.Thead(
        html.Tr(
            [
                html.Th("price"),
                html.Th("bids"),
                html.Th("asks"),
                html.Th("by venue"),
                html.Th("top"),
            ]
        )
    )
    body = []
    for r in rows:
        side = "ask" if r.ask > 0 and not r.bid > 0 else ("bid" if r.bid > 0 else "")
        total = sum(s for _, s in r.venues if not math.isnan(s))
        mix: dict[str, str] = {}
        end = 0.0
        for v, s in r.venues:
            if s > 0 and total > 0:
                end += 100.0 * s / biggest
                mix[f"--m-{v.value}"] = f"{end:.1f}%"
        detail = " · ".join(f"{v.value} {tables.fmt_size(s)}" for v, s in r.venues if s > 0)
        top = (  # (its colour swatch is drawn by the stylesheet: .top.vb-<venue>::before)
            html.Td(r.dominant.value, className=f"top vb-{r.dominant.value}")
            if r.dominant
            else html.Td("")
        )
        body.append(
            html.Tr(
                [
                    html.Td(tables.fmt_price(r.price, ref), className="px"),
                    html.Td(_num(r.bid)),
                    html.Td(_num(r.ask)),
                    html.Td(className="mixcell cob-mixg", style=mix)
                    if mix
                    else html.Td(className="mixcell cob-mixg"),
                    top,
                ],
                className="mid" if r.is_mid else side,
                title=detail or None,
            )
        )
    return html.Table([head, html.Tbody(body)])


def execution(rows: list[tables.ExecRow], quote: str) -> html.Div:
    head = html.Thead(
        html.Tr([html.Th(x) for x in ("", "avg price", "vs touch", "vs mid", "filled")])
    )
    body = []
    for r in rows:
        style = {"textAlign": "left", "fontWeight": 600 if r.venue is None else 400}
        # a colour swatch, not coloured text: yellow or light blue text is unreadable on white
        label: Any = (
            r.label
            if r.venue is None
            else [
                html.Span(className="cob-swatch", style={"background": VENUE_COLORS[r.venue]}),
                r.label,
            ]
        )
        body.append(
            html.Tr(
                [
                    html.Td(label, style=style),
                    html.Td(r.avg_text),
                    html.Td(r.touch_text),
                    html.Td(r.mid_text),
                    html.Td(r.fill_text, className="" if r.complete else "text-warning"),
                ],
                title=r.venues_text or None,
            )
        )
    split = rows[0].venues_text if rows and rows[0].venue is None else ""
    return html.Div(
        [
            html.Table([head, html.Tbody(body)]),
            html.Div(
                f"consolidated sweep takes: {split}", className="small text-body-secondary px-1"
            )
            if split
            else None,
        ],
        className="cob-exec",
    )


def chip_children(v: Venue, chip: tables.Chip | None) -> list[Any]:
    text = chip.text if chip else "…"
    return [
        html.Span(className="cob-dot"),
        html.Span(v.value, className="cob-venue-name"),
        html.Small(text, className="cob-venue-meta"),
    ]


def chip_class(chip: tables.Chip | None, on: bool) -> str:
    """Classes of a venue chip: its status dot, and "off" when its liquidity is hidden
    (assets/cob.css draws both; no Bootstrap colour class, so nothing fights them)."""
    state = DOT.get(chip.color, "st-connecting") if chip else "st-connecting"
    return f"cob-venue me-1 mb-1 btn btn-sm {state}" + ("" if on else " off")


def chip_tip(v: Venue, chip: tables.Chip | None, on: bool) -> str:
    head = f"{v.value}: {'shown' if on else 'hidden'} (click to {'hide' if on else 'show'})"
    return head + ("\n" + chip.details if chip else "\nno data yet")


#: a snapshot older than this means the provider is falling behind: say so
LAG_WARN_S = 2.0


def footer(snap: Snapshot | None, st: ProviderStats | None, now: float) -> Any:
    if snap is None or st is None:
        return "starting…"
    age = now - snap.ts
    lag = (
        html.Span(
            f"data {age:.1f} s old: the provider is falling behind · ",
            className="text-warning fw-bold",
        )
        if age > LAG_WARN_S
        else f"data {age:.1f} s old · "
    )
    return [lag, _footer_text(snap, st)]


def _footer_text(snap: Snapshot, st: ProviderStats) -> str:
    return (
        f"source {snap.source} · quotes {snap.fx_mode}"
        + (
            " (" + ", ".join(f"{q}×{f:.5f}" for q, f in snap.fx if f != 1.0) + ")"
            if any(f != 1.0 for _, f in snap.fx)
            else ""
        )
        + f" · consolidation {st.consolidation_ms_avg:.2f} ms avg,"
        + f" {st.consolidation_ms_p99:.2f} ms p99"
        + f" · {st.consolidations:,} updates · uptime {st.uptime_s / 60:.0f} min"
    )
