"""The Dash app factory: ``create_app(provider)`` builds the page and registers callbacks.

``provider`` is anything with the provider's read API (``provider.service.Provider``, or a
test double serving fixed snapshots): callbacks only read from it. Bootstrap's CSS is served
by our own Flask server from the ``bootstrap-flask`` package data, so the page looks right
offline (no CDN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_bootstrap
from dash import Dash
from flask import send_from_directory

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

    @server.route(f"{VENDOR_ROUTE}/<path:path>")
    def _bootstrap(path: str) -> Any:
        return send_from_directory(BOOTSTRAP_DIR, path, max_age=86400)

    if auth is not None:
        install_basic_auth(server, auth)
    grids = {s: provider.config.symbol(s).grid.label for s in provider.symbols}
    app.layout = build_layout(
        provider.symbols, provider.config.venues, provider.config.source, grids
    )
    register(app, provider)
    app.enable_dev_tools(debug=debug, dev_tools_ui=debug, dev_tools_props_check=debug)
    return app
