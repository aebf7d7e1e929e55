"""The Dash app factory: ``create_app(provider)`` builds the page and registers callbacks.

``provider`` is anything with the provider's read API (``provider.service.Provider``, or a
test double serving fixed snapshots): callbacks only read from it. Bootstrap's CSS is served
by our own Flask server from the ``bootstrap-flask`` package data, so the page looks right
offline (no CDN); plotly.js (the cartesian partial bundle when fetched) by
``dashboard.plotlyjs``, at the path Dash's graphs load it from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_bootstrap
from dash import Dash
from flask import jsonify, send_from_directory

from dashboard import plotlyjs
from dashboard.callbacks import register
from dashboard.layout import build_layout
from dashboard.safety import install_basic_auth

ASSETS = Path(__file__).resolve().parent.parent / "assets"
BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"
VENDOR_ROUTE = "/vendor/bootstrap5"


def create_app(provider: Any, auth: tuple[str, str] | None = None, debug: bool = False) -> Dash:
    app = Dash(
        __name__,
        title="COB - consolidated order book",
        assets_folder=str(ASSETS),
        external_stylesheets=[f"{VENDOR_ROUTE}/css/bootstrap.min.css"],
        suppress_callback_exceptions=False,
        update_title=None,
        serve_locally=True,
    )
    server = app.server
    plotlyjs.install(server)

    @server.route(f"{VENDOR_ROUTE}/<path:path>")
    def _bootstrap(path: str) -> Any:
        return send_from_directory(BOOTSTRAP_DIR, path, max_age=86400)

    @server.route("/api/snapshot/<symbol>")
    def _snapshot(symbol: str) -> Any:
        """A small JSON summary of the latest snapshot (scripts, health checks, tests)."""
        return jsonify(snapshot_summary(provider, symbol))

    if auth is not None:
        install_basic_auth(server, auth)
    grids = {s: provider.config.symbol(s).grid.label for s in provider.symbols}
    app.layout = build_layout(
        provider.symbols, provider.config.venues, provider.config.source, grids
    )
    register(app, provider)
    app.enable_dev_tools(debug=debug, dev_tools_ui=debug, dev_tools_props_check=debug)
    return app


def _num(x: float) -> float | None:
    return None if x != x else float(x)  # NaN -> null


def snapshot_summary(provider: Any, symbol: str) -> dict[str, Any]:
    snap = provider.snapshot(symbol) if symbol.upper() in provider.symbols else None
    if snap is None:
        return {"symbol": symbol.upper(), "ready": False, "symbols": list(provider.symbols)}
    c = snap.consolidated
    return {
        "symbol": snap.symbol,
        "ready": bool(c.venues),
        "source": snap.source,
        "ts": snap.ts,
        "seq": snap.seq,
        "mid": _num(c.mid),
        "vw_mid": _num(c.vw_mid),
        "best_bid": [_num(c.best_bid), c.best_bid_venue.value if c.best_bid_venue else None],
        "best_ask": [_num(c.best_ask), c.best_ask_venue.value if c.best_ask_venue else None],
        "spread_bps": _num(c.spread_bps),
        "included": [v.value for v in c.venues],
        "venues": {
            v.venue.value: {
                "state": v.state,
                "included": v.included,
                "reason": v.reason,
                "age_s": _num(v.age_s),
                "msgs_per_s": v.msgs_per_s,
                "resyncs": v.resyncs,
                "gaps": v.gaps,
                "checksums_failed": v.checksums_failed,
                "parse_errors": v.parse_errors,
            }
            for v in snap.venues
        },
        "levels": {b.venue.value: [int(b.bid_px.size), int(b.ask_px.size)] for b in snap.books},
    }
