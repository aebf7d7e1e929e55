"""Exports of the current view: PNG/SVG/PDF (server-side, kaleido with Debian's chromium,
kept warm), a standalone interactive HTML page, and CSV tables (consolidated buckets, the
volume profile, the statistics). The same builders draw the page and the exports, so an
export is what the trader sees.

Used by the page's Export control (``export_bytes``) and by ``python app.py export``
(``export_to_file``). File names are ``<symbol>_<chart>_<UTC time>.<ext>``.
"""

from __future__ import annotations

import base64
import csv
import io
import math
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from dashboard import figures, ids, tables
from dashboard.safety import InputError
from dashboard.view import ViewOptions
from provider.models import Venue
from provider.state import Snapshot

#: chart names for the command line -> component ids
CHART_IDS = {
    "heatmap": ids.HEATMAP,
    "depth": ids.DEPTH,
    "breakdown": ids.BREAKDOWN,
    "bands": ids.BANDS,
    "dominance": ids.DOMINANCE,
    "profile": ids.PROFILE,
}
TABLES = ("buckets", "profile", "stats")
CHARTS = (*CHART_IDS, "all", *(f"csv-{t}" for t in TABLES))
FORMATS = ("png", "svg", "pdf", "html", "csv")
IMAGE_FORMATS = ("png", "svg", "pdf")

_kaleido_lock = threading.Lock()
_kaleido_started = False


def utc_stamp(t: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if t is None else t))


def file_name(symbol: str, chart: str, ext: str, t: float | None = None) -> str:
    return f"{symbol}_{chart}_{utc_stamp(t)}.{ext}"


def _warm_kaleido() -> None:
    """Start kaleido's Chromium once (0.2 s per image afterwards instead of 2-3 s)."""
    global _kaleido_started
    with _kaleido_lock:
        if _kaleido_started:
            return
        import kaleido

        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        try:
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        except Exception as exc:
            raise InputError(
                "image export needs Chromium (Debian package 'chromium'); HTML and CSV work"
                f" without it ({type(exc).__name__}: {exc})"
            ) from None
        _kaleido_started = True


def figure_for(
    provider: Any, opts: ViewOptions, chart_id: str, now: float | None = None
) -> go.Figure:
    """The figure of one chart for the current view (the same builders the page uses)."""
    snap: Snapshot | None = provider.snapshot(opts.symbol)
    if snap is None or not snap.consolidated.venues:
        return figures.empty_figure("no data yet", opts)
    if chart_id == ids.HEATMAP:
        from dashboard.callbacks import heatmap_update

        fig, _ = heatmap_update(provider, opts, None, time.time() if now is None else now)
        return go.Figure(fig)  # (the page gets the dict; an export edits a figure)
    if chart_id == ids.DEPTH:
        return figures.depth_figure(snap, opts)
    if chart_id == ids.BREAKDOWN:
        return figures.breakdown_figure(snap, opts)
    if chart_id == ids.BANDS:
        return figures.bands_figure(snap, opts)
    if chart_id == ids.DOMINANCE:
        return figures.dominance_figure(snap, opts)
    if chart_id == ids.PROFILE:
        return figures.profile_figure(snap.profile, opts, snap.consolidated.mid, quote=snap.quote)
    raise InputError(f"unknown chart {chart_id!r}")


#: an image file has no page behind it: its background must be painted
PAPER = {"dark": "#0f1419", "light": "#ffffff"}


def _image(fig: go.Figure, fmt: str, title: str, theme: str) -> bytes:
    _warm_kaleido()
    fig = go.Figure(fig)
    margin_top = (fig.layout.margin.t or 30) + 40  # room for the title above the legend
    fig.update_layout(
        title={"text": title, "x": 0.01, "y": 0.99, "yanchor": "top", "font": {"size": 14}},
        margin={"t": margin_top},
        paper_bgcolor=PAPER.get(theme, "#ffffff"),
        plot_bgcolor=PAPER.get(theme, "#ffffff"),
    )
    data: bytes = pio.to_image(fig, format=fmt, width=1400, height=700, scale=1)
    return data


def standalone_html(provider: Any, opts: ViewOptions) -> str:
    """Every chart of the view in one interactive page that works offline."""
    parts = []
    first = True
    for chart_id, title in ids.CHARTS.items():
        fig = figure_for(provider, opts, chart_id)
        fig.update_layout(height=480)
        body = fig.to_html(full_html=False, include_plotlyjs=bool(first))
        parts.append(f"<section><h2>{title}</h2>{body}</section>")
        first = False
    bg = "#0f1419" if opts.theme == "dark" else "#ffffff"
    fg = "#dee2e6" if opts.theme == "dark" else "#212529"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{opts.symbol} consolidated order book {utc_stamp()}</title>"
        f"<style>body{{background:{bg};color:{fg};font-family:sans-serif;margin:1rem}}"
        "h2{font-size:1rem;text-transform:uppercase;letter-spacing:.05em}</style></head><body>"
        f"<h1>{opts.symbol} consolidated order book - {utc_stamp()}</h1>"
        + "".join(parts)
        + "</body></html>"
    )


def csv_text(provider: Any, opts: ViewOptions, table: str) -> str:
    snap: Snapshot | None = provider.snapshot(opts.symbol)
    if snap is None:
        raise InputError("no data yet: wait until venues are connected")
    buf = io.StringIO()
    w = csv.writer(buf)
    if table == "buckets":
        b = snap.consolidated.buckets
        venues = snap.consolidated.venues
        w.writerow(
            [
                "bucket_lower",
                "bucket_upper",
                "bid_size",
                "ask_size",
                "bid_notional",
                "ask_notional",
                "dominant_venue",
            ]
            + [f"{v.value}_bid_size" for v in venues]
            + [f"{v.value}_ask_size" for v in venues]
        )
        upper = b.grid.upper(b.first + _arange(b.lower.size))
        for j in range(b.lower.size):
            dom = int(b.dominant[j])
            w.writerow(
                [
                    _f(b.lower[j]),
                    _f(upper[j]),
                    _f(b.bid_size[:, j].sum()),
                    _f(b.ask_size[:, j].sum()),
                    _f(b.bid_notional[:, j].sum()),
                    _f(b.ask_notional[:, j].sum()),
                    venues[dom].value if dom >= 0 else "",
                ]
                + [_f(x) for x in b.bid_size[:, j]]
                + [_f(x) for x in b.ask_size[:, j]]
            )
    elif table == "profile":
        p = snap.profile
        names = [v.value for v in p.venues] if hasattr(p, "venues") else []
        w.writerow(
            ["price", "buy_volume", "sell_volume", "trades", "notional", "in_value_area"]
            + [f"{n}_buy" for n in names]
            + [f"{n}_sell" for n in names]
        )
        for j in range(len(p.prices)):
            row = [
                _f(p.prices[j]),
                _f(p.buy[j]),
                _f(p.sell[j]),
                int(p.count[j]),
                _f(p.notional[j]),
                int(bool(p.in_value_area[j])),
            ]
            if names:
                row += [_f(x) for x in p.buy_by_venue[:, j]] + [
                    _f(x) for x in p.sell_by_venue[:, j]
                ]
            w.writerow(row)
    elif table == "stats":
        w.writerow(["statistic", "value", "detail"])
        for item in tables.stats_items(snap):
            w.writerow([item.label, item.value, item.hint])
        for v in snap.venues:
            w.writerow(
                [
                    f"venue {v.venue.value}",
                    v.state,
                    f"age {v.age_text}, {v.msgs_per_s:.1f} msg/s,"
                    f" resyncs {v.resyncs}, gaps {v.gaps}, checksum failures {v.checksums_failed}",
                ]
            )
    else:
        raise InputError(f"unknown table {table!r}: choose from {', '.join(TABLES)}")
    return buf.getvalue()


def _arange(n: int) -> Any:
    import numpy as np

    return np.arange(n)


def _f(x: Any) -> str:
    x = float(x)
    return "" if math.isnan(x) else f"{x:.10g}"


def render(provider: Any, opts: ViewOptions, chart: str, fmt: str) -> tuple[str, bytes]:
    """(file name, content) of one export of the current view."""
    fmt = fmt.lower()
    if chart.startswith("csv-") or fmt.startswith("csv"):
        table = chart[4:] if chart.startswith("csv-") else fmt[4:]
        return file_name(opts.symbol, table, "csv"), csv_text(provider, opts, table).encode()
    if fmt == "html" or chart == "all":
        if fmt != "html":
            raise InputError("'all' charts export as HTML only")
        return file_name(opts.symbol, "view", "html"), standalone_html(provider, opts).encode()
    if fmt not in IMAGE_FORMATS:
        raise InputError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    chart_id = CHART_IDS.get(chart, chart)
    if chart_id not in ids.CHARTS:
        raise InputError(f"unknown chart {chart!r}: choose from {', '.join(CHART_IDS)}")
    name = next(k for k, v in CHART_IDS.items() if v == chart_id)
    fig = figure_for(provider, opts, chart_id)
    title = f"{opts.symbol} {ids.CHARTS[chart_id]} - {utc_stamp()}"
    return file_name(opts.symbol, name, fmt), _image(fig, fmt, title, opts.theme)


def export_bytes(provider: Any, opts: ViewOptions, chart: str, fmt: str) -> tuple[str, str]:
    """For the page's download: (file name, base64 content)."""
    if fmt.startswith("csv-"):
        chart, fmt = fmt, "csv"
    name, data = render(provider, opts, chart, fmt)
    return name, base64.b64encode(data).decode()


def export_to_file(provider: Any, symbol: str, chart: str, fmt: str, out: str) -> Path:
    """For ``python app.py export``: write one export to ``out``."""
    opts = ViewOptions(symbol=symbol, venues=tuple(provider.config.venues))
    if fmt == "csv" and not chart.startswith("csv-"):
        chart = f"csv-{chart}"
    _, data = render(provider, opts, chart, fmt)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


__all__ = ["CHARTS", "FORMATS", "Venue", "export_bytes", "export_to_file", "render"]
