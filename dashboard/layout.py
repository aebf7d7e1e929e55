"""The page: header (symbol, venues, bucket, range, refresh, theme, source banner, export),
statistics, heatmap, ladder, depth, breakdown, profile, execution cost.

Only structure lives here; every value shown is filled in by callbacks.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.figures import empty_figure
from dashboard.view import BUCKET_MULTS, HEAT_MINUTES, RANGES_PCT, REFRESH_MS, ViewOptions
from provider.models import Venue

GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "filename": "cob", "scale": 2},
}

SOURCE_COLOURS = {"LIVE": "success", "SIMULATED MARKET": "warning", "REPLAY": "info"}


def _graph(gid: str, height: int) -> html.Div:
    # the wrapper carries the chart name for download file names (assets/cob.js); until the
    # first answer the chart says it is loading (not a blank white plot on a dark page)
    graph = dcc.Graph(
        id=gid,
        config=GRAPH_CONFIG,
        style={"height": f"{height}px"},
        className="cob-graph",
        figure=empty_figure("loading…", ViewOptions()),
    )
    return html.Div(graph, **{"data-chart": gid})


def _card(title: str, body: Any, tools: Any = None, cid: str | None = None) -> dbc.Card:
    header = html.Div(
        [html.Span(title, className="cob-card-title"), html.Div(tools, className="cob-tools")],
        className="d-flex justify-content-between align-items-center gap-2 flex-wrap",
    )
    return dbc.Card(
        [dbc.CardHeader(header, className="py-1 px-2"), dbc.CardBody(body, className="p-1")],
        className="cob-card h-100",
        id=cid or f"card-{title.lower().replace(' ', '-')}",
    )


def _select(
    cid: str, options: list[dict[str, Any]], value: Any, width: str = "6.5rem"
) -> dbc.Select:
    return dbc.Select(id=cid, options=options, value=value, size="sm", style={"width": width})


def venue_toggle(v: Venue) -> html.Span:
    key = {"type": ids.VENUE_TOGGLE, "venue": v.value}
    return html.Span(
        [
            dbc.Button(
                [
                    html.Span(className="cob-dot"),
                    html.Span(v.value, className="cob-venue-name"),
                    html.Small("…", className="cob-venue-meta"),
                ],
                id=key,
                size="sm",
                color=None,
                className="cob-venue me-1 mb-1",
                n_clicks=0,
            ),
            dbc.Tooltip(
                "connecting…",
                id={"type": ids.VENUE_TIP, "venue": v.value},
                target=key,  # type: ignore[arg-type]
                placement="bottom",
                className="cob-tip",
            ),
        ]
    )


def build_layout(
    symbols: tuple[str, ...], venues: tuple[Venue, ...], source: str, grid_label: dict[str, str]
) -> html.Div:
    default = ViewOptions(symbol=symbols[0], venues=venues)
    sym_opts = [{"label": s, "value": s} for s in symbols]
    bucket_opts = [{"label": f"×{m}", "value": str(m)} for m in BUCKET_MULTS]
    range_opts = [{"label": f"±{r:g} %", "value": f"{r:g}"} for r in RANGES_PCT]
    refresh_opts = [{"label": f"{ms / 1000:g} s", "value": str(ms)} for ms in REFRESH_MS]
    chart_opts = [{"label": t, "value": k} for k, t in ids.CHARTS.items()]
    fmt_opts = [{"label": x, "value": x.lower()} for x in ("PNG", "SVG", "PDF", "HTML")] + [
        {"label": f"CSV {x}", "value": f"csv-{x}"} for x in ("buckets", "profile", "stats")
    ]

    header = html.Nav(
        dbc.Container(
            [
                html.Div(
                    [
                        html.Span("COB", className="cob-brand me-2"),
                        dbc.Badge(
                            source,
                            color=SOURCE_COLOURS.get(source, "secondary"),
                            id=ids.SOURCE_BANNER,
                            className="cob-source me-3",
                        ),
                    ],
                    className="d-flex align-items-center",
                ),
                html.Div(
                    [
                        _labelled("Symbol", _select(ids.SYMBOL, sym_opts, default.symbol, "6rem")),
                        _labelled(
                            "Bucket",
                            html.Div(
                                [
                                    _select(ids.BUCKET, bucket_opts, "1", "5rem"),
                                    html.Small(
                                        id="bucket-label", className="ms-1 text-body-secondary"
                                    ),
                                ],
                                className="d-flex align-items-center",
                            ),
                        ),
                        _labelled(
                            "Range",
                            _select(ids.RANGE, range_opts, f"{default.range_pct:g}", "6.5rem"),
                        ),
                        _labelled(
                            "Refresh",
                            _select(ids.REFRESH, refresh_opts, str(default.refresh_ms), "5.5rem"),
                        ),
                        _labelled(
                            "Theme",
                            _select(
                                ids.THEME,
                                [
                                    {"label": "Dark", "value": "dark"},
                                    {"label": "Light", "value": "light"},
                                ],
                                default.theme,
                                "5.5rem",
                            ),
                        ),
                        _labelled(
                            "Export",
                            html.Div(
                                [
                                    _select(ids.EXPORT_CHART, chart_opts, ids.HEATMAP, "12.5rem"),
                                    _select(ids.EXPORT_FORMAT, fmt_opts, "png", "8rem"),
                                    dbc.Button(
                                        "Export", id=ids.EXPORT_BUTTON, size="sm", color="primary"
                                    ),
                                ],
                                className="d-flex gap-1",
                            ),
                        ),
                    ],
                    className="d-flex flex-wrap gap-3 align-items-end",
                ),
            ],
            fluid=True,
            className="flex-wrap gap-2",
        ),
        className="cob-navbar py-1 border-bottom",
    )
    venues_row = html.Div(
        [html.Span("Venues", className="cob-label me-2")] + [venue_toggle(v) for v in venues],
        className="d-flex flex-wrap align-items-center px-3 pt-2",
        id="venues-row",
    )
    heat_tools = html.Div(
        [
            _select(
                ids.HEAT_MINUTES,
                [{"label": f"{m} min", "value": str(m)} for m in HEAT_MINUTES],
                str(default.heat_minutes),
                "6rem",
            ),
            _select(
                ids.HEAT_INTENSITY,
                [{"label": f"intensity {x:g}×", "value": f"{x:g}"} for x in (0.5, 1, 2, 4)],
                "1",
                "8rem",
            ),
            dbc.Checkbox(id=ids.HEAT_LOG, label="log", value=False, className="ms-1"),
        ],
        className="d-flex gap-1 align-items-center",
    )
    profile_tools = html.Div(
        [
            dbc.Checkbox(id=ids.PROFILE_SPLIT, label="by venue", value=False),
            dbc.Button(
                "reset session", id=ids.PROFILE_RESET, size="sm", color="link", className="p-0 ms-2"
            ),
        ],
        className="d-flex align-items-center",
    )
    exec_tools = html.Div(
        [
            dbc.Input(
                id=ids.EXEC_SIZE,
                type="text",
                value="1",
                size="sm",
                style={"width": "6rem"},
                debounce=True,
            ),
            _select(
                ids.EXEC_UNIT,
                [{"label": "base", "value": "base"}, {"label": "quote", "value": "quote"}],
                "base",
                "5.5rem",
            ),
            _select(
                ids.EXEC_SIDE,
                [{"label": "buy", "value": "buy"}, {"label": "sell", "value": "sell"}],
                "buy",
                "5rem",
            ),
        ],
        className="d-flex gap-1",
    )
    body = dbc.Container(
        [
            dbc.Alert(
                id=ids.CONNECTING, color="warning", is_open=False, className="my-1 py-1 px-2 small"
            ),
            dbc.Alert(
                id=ids.EXPORT_ERROR,
                color="danger",
                is_open=False,
                dismissable=True,
                className="my-2 py-2",
            ),
            html.Div(id=ids.STATS, className="cob-stats my-2"),
            dbc.Row(
                [
                    dbc.Col(
                        _card("Liquidity heatmap", _graph(ids.HEATMAP, 440), heat_tools),
                        lg=9,
                        className="mb-2",
                    ),
                    dbc.Col(
                        _card("Ladder", html.Div(id=ids.LADDER, className="cob-ladder")),
                        lg=3,
                        className="mb-2",
                    ),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(_card("Depth", _graph(ids.DEPTH, 320)), lg=5, className="mb-2"),
                    dbc.Col(
                        _card("Volume profile", _graph(ids.PROFILE, 320), profile_tools),
                        lg=3,
                        className="mb-2",
                    ),
                    dbc.Col(
                        _card("Liquidity by venue", _graph(ids.BREAKDOWN, 320)),
                        lg=4,
                        className="mb-2",
                    ),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _card("Depth bands by venue", _graph(ids.BANDS, 260)),
                        lg=5,
                        className="mb-2",
                    ),
                    dbc.Col(
                        _card("Dominant venue", _graph(ids.DOMINANCE, 260)), lg=3, className="mb-2"
                    ),
                    dbc.Col(
                        _card(
                            "Execution cost",
                            html.Div(
                                [
                                    html.Div(id=ids.EXEC_ERROR, className="text-danger small px-1"),
                                    html.Div(id=ids.EXEC_TABLE),
                                ]
                            ),
                            exec_tools,
                        ),
                        lg=4,
                        className="mb-2",
                    ),
                ],
                className="g-2",
            ),
            html.Div(id=ids.FOOTER, className="cob-footer small text-body-secondary px-1 pb-2"),
        ],
        fluid=True,
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.VIEW),
            dcc.Store(id=ids.HEAT_STATE),
            dcc.Store(id=ids.VENUES, data=[v.value for v in venues]),
            dcc.Interval(id=ids.TICK, interval=default.refresh_ms, n_intervals=0),
            dcc.Download(id=ids.EXPORT_DOWNLOAD),
            header,
            venues_row,
            body,
        ],
        id=ids.ROOT,
        className="cob-root min-vh-100 bg-body text-body",
        **{
            "data-bs-theme": default.theme,
            "data-symbol": default.symbol,
            "data-grids": ";".join(f"{k}={v}" for k, v in grid_label.items()),
        },
    )


def _labelled(label: str, control: Any) -> html.Div:
    return html.Div([html.Div(label, className="cob-label"), control])
