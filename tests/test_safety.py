"""Safe defaults: where the dashboard listens, who may see it, debug mode, where files may go,
and how user inputs are refused.

* binding: 127.0.0.1 by default; any other address needs credentials (``--auth`` or
  ``COB_AUTH``) or the app refuses to start (the exit itself is in ``test_app_cli``);
* basic auth on every route, Dash's ``/_dash-*`` routes included: 401 without or with wrong
  credentials, 200 with them (in-process through Flask's test client, and on a real server
  started by ``python app.py``);
* Dash debug mode off unless asked for; an error in a callback request never shows a
  traceback;
* recording and export paths cannot leave their configured folders;
* bad page inputs are refused with a clear message (execution size through the callback
  function and through ``/_dash-update-component``), URL query values out of range fall
  back to the defaults.

"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.soak import PageModel, callback_name
from dashboard import plotlyjs
from dashboard.app import create_app
from dashboard.safety import (
    InputError,
    check_bind,
    parse_auth,
    parse_number,
    safe_file,
    safe_folder,
)
from dashboard.view import ViewOptions, from_query
from provider.config import build_config
from provider.errors import ConfigError
from provider.models import Venue
from provider.service import Provider
from tests.helpers import REPO, running_app

USER, PASSWORD = "alice", "correct-horse-battery"
GOOD = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
WRONG = "Basic " + base64.b64encode(f"{USER}:wrong-password".encode()).decode()


def provider() -> Provider:
    """A real provider, not started: the read API answers "no data yet"."""
    return Provider(build_config(("BTC", "ETH"), tuple(Venue), source="SIMULATED MARKET"))


@pytest.fixture(scope="module")
def secured() -> Any:
    return create_app(provider(), auth=(USER, PASSWORD))


@pytest.fixture(scope="module")
def open_app() -> Any:
    return create_app(provider())


def exec_payload(size: Any) -> dict[str, Any]:
    """What the page posts when the execution-cost size is typed (as in the browser)."""
    return {
        "output": "..exec-table.children...exec-error.children..",
        "outputs": [
            {"id": "exec-table", "property": "children"},
            {"id": "exec-error", "property": "children"},
        ],
        "inputs": [
            {"id": "tick", "property": "n_intervals", "value": 3},
            {"id": "exec-size", "property": "value", "value": size},
            {"id": "exec-side", "property": "value", "value": "buy"},
            {"id": "exec-unit", "property": "value", "value": "base"},
        ],
        "state": [{"id": "view-store", "property": "data", "value": None}],
        "changedPropIds": ["exec-size.value"],
    }


# =============================================================================== binding


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.9"])
def test_loopback_needs_no_credentials(host: str) -> None:
    assert check_bind(host, None) is None


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "0", ""]
)
@pytest.mark.parametrize("auth", [None, ""])
def test_any_other_address_is_refused_without_credentials(host: str, auth: str | None) -> None:
    with pytest.raises(ConfigError, match="--auth USER:PASS") as e:
        check_bind(host, auth)
    assert "COB_AUTH" in str(e.value) and "127.0.0.1" in str(e.value)


def test_other_addresses_are_served_with_credentials() -> None:
    assert check_bind("0.0.0.0", f"{USER}:{PASSWORD}") == (USER, PASSWORD)
    assert check_bind("127.0.0.1", f"{USER}:{PASSWORD}") == (USER, PASSWORD)  # honoured too


@pytest.mark.parametrize("text", ["alice", "alice:", ":secret-password", "alice:short"])
def test_weak_or_malformed_credentials_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="USER:PASS"):
        parse_auth(text)


def test_cli_defaults_are_loopback_no_auth_no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    import app as cli

    monkeypatch.delenv("COB_AUTH", raising=False)
    args = cli.run_parser().parse_args([])
    assert args.host == "127.0.0.1"
    assert args.auth is None
    assert args.debug is False


def test_cob_auth_env_gives_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    import app as cli

    monkeypatch.setenv("COB_AUTH", f"{USER}:{PASSWORD}")
    args = cli.run_parser().parse_args(["--host", "0.0.0.0"])
    assert check_bind(args.host, args.auth) == (USER, PASSWORD)


# =============================================================================== basic auth

ROUTES = [
    "/",
    "/_dash-layout",
    "/_dash-dependencies",
    "/api/snapshot/BTC",
    "/assets/cob.css",
    "/vendor/bootstrap5/css/bootstrap.min.css",
    plotlyjs.DASH_URL,
    "/_favicon.ico",
    "/no-such-page",
]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("header", [None, WRONG, "Bearer x", GOOD.lower()])
def test_every_route_answers_401_without_the_right_credentials(
    secured: Any, path: str, header: str | None
) -> None:
    c = secured.server.test_client()
    r = c.get(path, headers={"Authorization": header} if header else {})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic ")
    assert b"<html" not in r.data.lower()  # nothing of the page leaks


@pytest.mark.parametrize("header", [None, WRONG])
def test_the_callback_route_answers_401_without_the_right_credentials(
    secured: Any, header: str | None
) -> None:
    c = secured.server.test_client()
    r = c.post(
        "/_dash-update-component",
        json=exec_payload("1"),
        headers={"Authorization": header} if header else {},
    )
    assert r.status_code == 401


@pytest.mark.parametrize("path", ROUTES[:-1])
def test_every_route_answers_200_with_the_credentials(secured: Any, path: str) -> None:
    r = secured.server.test_client().get(path, headers={"Authorization": GOOD})
    assert r.status_code == 200, path


def test_callbacks_answer_200_with_the_credentials(secured: Any) -> None:
    c = secured.server.test_client()
    r = c.post("/_dash-update-component", json=exec_payload("2"), headers={"Authorization": GOOD})
    assert r.status_code == 200
    assert r.get_json()["response"]["exec-error"]["children"] == ""


def test_without_auth_configured_the_page_is_open_on_loopback(open_app: Any) -> None:
    c = open_app.server.test_client()
    assert c.get("/").status_code == 200
    assert c.get("/_dash-layout").status_code == 200


def _status(url: str, header: str | None, data: bytes | None = None) -> int:
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if header:
        req.add_header("Authorization", header)
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture(params=["flag", "env"])
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    """``python app.py`` with credentials from --auth, or from COB_AUTH."""
    env = {k: v for k, v in os.environ.items() if k != "COB_AUTH"}
    env["PYTHONUNBUFFERED"] = "1"
    extra: list[str] = []
    if request.param == "flag":
        extra = ["--auth", f"{USER}:{PASSWORD}"]
    else:
        env["COB_AUTH"] = f"{USER}:{PASSWORD}"
    with running_app("--source", "demo", *extra, env=env) as app:
        yield app.url.rstrip("/")


def test_a_real_server_enforces_basic_auth_on_every_route(served: str) -> None:
    import json

    body = json.dumps(exec_payload("1")).encode()
    for path in ("/", "/_dash-layout", "/_dash-dependencies"):
        assert _status(served + path, None) == 401, path
        assert _status(served + path, WRONG) == 401, path
        assert _status(served + path, GOOD) == 200, path
    cb = served + "/_dash-update-component"
    assert _status(cb, None, body) == 401
    assert _status(cb, WRONG, body) == 401
    assert _status(cb, GOOD, body) == 200


# =============================================================================== debug


def test_dash_debug_is_off_by_default(open_app: Any) -> None:
    tools = open_app._dev_tools
    assert not tools["ui"] and not tools["props_check"] and not tools["serve_dev_bundles"]
    assert not tools["hot_reload"]
    assert open_app.server.debug is False


def test_a_failing_callback_request_shows_no_traceback(open_app: Any) -> None:
    c = open_app.server.test_client()
    bad = {"output": "nope.children", "outputs": {"id": "nope", "property": "children"}}
    for r in (
        c.post("/_dash-update-component", json={**bad, "inputs": [], "changedPropIds": []}),
        c.post("/_dash-update-component", data="{not json", content_type="application/json"),
    ):
        assert r.status_code in (400, 500)
        text = r.get_data(as_text=True)
        assert "Traceback" not in text and 'File "' not in text and "site-packages" not in text


class _Stop(Exception):
    pass


def _debug_passed(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> Any:
    """What ``cmd_run`` passes to ``create_app`` as ``debug`` (nothing started)."""
    import app as cli
    import dashboard.app as dapp

    seen: dict[str, Any] = {}

    class Source:
        label, detail = "SIMULATED MARKET", ""

        def stop(self) -> None:
            pass

    class Prov:
        def stop(self) -> None:
            pass

    def fake_create_app(p: Any, auth: Any = None, debug: Any = "default") -> Any:
        seen["debug"] = debug
        raise _Stop

    monkeypatch.delenv("COB_AUTH", raising=False)
    monkeypatch.setattr(cli, "start_provider", lambda args: (Prov(), Source()))
    monkeypatch.setattr(dapp, "create_app", fake_create_app)
    with pytest.raises(_Stop):
        cli.cmd_run(argv)
    return seen["debug"]


def test_the_app_runs_without_debug_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _debug_passed(monkeypatch, []) in (False, "default")


def test_debug_is_on_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _debug_passed(monkeypatch, ["--debug"]) is True


# =============================================================================== paths


@pytest.fixture()
def rec_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "recordings"
    monkeypatch.setenv("COB_RECORDINGS_ROOT", str(root))
    return root


@pytest.mark.parametrize(
    "path", ["..", "../elsewhere", "a/../../elsewhere", "/etc", "/tmp", "", "bad\x00name"]
)
def test_record_folder_cannot_escape_its_root(rec_root: Path, path: str) -> None:
    with pytest.raises(ConfigError) as e:
        safe_folder(path, "recordings")
    assert "outside" in str(e.value) or "invalid" in str(e.value)
    assert not (rec_root.parent / "elsewhere").exists()


def test_record_folder_through_a_symlink_out_is_refused(rec_root: Path, tmp_path: Path) -> None:
    rec_root.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (rec_root / "link").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside"):
        safe_folder("link/session", "recordings")
    assert not (outside / "session").exists()


def test_record_folder_inside_its_root_is_created(rec_root: Path) -> None:
    got = safe_folder("2026/run-1", "recordings")
    assert got == (rec_root / "2026" / "run-1").resolve() and got.is_dir()
    assert safe_folder(str(rec_root / "abs-inside"), "recordings").is_dir()


def test_export_file_cannot_escape_its_root(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    for bad in ("../x.png", "/etc/x.png", "a/../../x.png"):
        with pytest.raises(ConfigError, match="outside"):
            safe_file(bad, root)
    assert safe_file("charts/x.png", root) == (root / "charts" / "x.png").resolve()


@pytest.mark.slow
def test_export_out_cannot_escape_the_exports_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COB_AUTH"}
    env["COB_EXPORTS_ROOT"] = str(tmp_path / "exports")
    outside = tmp_path / "escaped.csv"  # next to the exports folder, not in it
    r = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "export", "--source", "demo", "--chart",
         "csv-stats", "--format", "csv", "--seconds", "3", "--out", str(outside)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert not outside.exists(), "export wrote outside COB_EXPORTS_ROOT"
    assert r.returncode == 2 and r.stderr.startswith("error:")


# =============================================================================== page inputs


def _execution(app: Any) -> Any:
    """The execution-cost callback function itself (under Dash's context wrapper)."""
    return app.callback_map["..exec-table.children...exec-error.children.."]["callback"].__wrapped__


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("abc", "order size: 'abc' is not a number"),
        ("-5", "order size: must be between 1e-09 and 1e+12"),
        ("1e99", "order size: must be between 1e-09 and 1e+12"),
        ("0", "order size: must be between 1e-09 and 1e+12"),
        ("1e-12", "order size: must be between 1e-09 and 1e+12"),
        ("nan", "order size: must be a finite number"),
        ("-inf", "order size: must be a finite number"),
        ("9" * 400, "order size: must be a finite number"),
        ("", "order size: enter a number"),
        ("   ", "order size: enter a number"),
        (None, "order size: enter a number"),
        ("1,5", "order size: '1,5' is not a number"),
        ("<script>alert(1)</script>", "order size: '<script>alert(1)</sc' is not a number"),
    ],
)
def test_bad_execution_sizes_get_a_clear_message(open_app: Any, size: Any, message: str) -> None:
    from dash import no_update

    table, error = _execution(open_app)(7, size, "buy", "base", None)
    assert table is no_update  # the last good table stays
    assert error == message


@pytest.mark.parametrize("size", ["1", "0.5", " 2 ", "1e3", 3])
def test_good_execution_sizes_show_no_error(open_app: Any, size: Any) -> None:
    _, error = _execution(open_app)(7, size, "sell", "quote", None)
    assert error == ""


@pytest.mark.parametrize("size", ["abc", "-5", "1e99"])
def test_bad_sizes_reach_the_pages_exec_error(open_app: Any, size: str) -> None:
    r = open_app.server.test_client().post("/_dash-update-component", json=exec_payload(size))
    assert r.status_code == 200
    out = r.get_json()["response"]
    assert out["exec-error"]["children"].startswith("order size: ")
    assert "exec-table" not in out  # no_update: the table is left as it was


def test_parse_number_refuses_what_it_should() -> None:
    assert parse_number("12", "x", 1, 100, integer=True) == 12
    for bad in ("12.5", "0", "101", "1e400", "x"):
        with pytest.raises(InputError, match=r"^x: "):
            parse_number(bad, "x", 1, 100, integer=True)


JUNK_QUERY = (
    "?symbol=DOGE&bucket=999&range=1e99&refresh=1&heat=-1&intensity=nan"
    "&theme=%3Cscript%3E&log=2&split=yes"
)


def test_url_query_values_out_of_range_fall_back_to_defaults() -> None:
    d = ViewOptions(symbol="BTC")
    got = from_query(JUNK_QUERY, ("BTC", "ETH"), d)
    assert got == d
    assert from_query("?bucket=abc&range=&refresh=1e9&heat=5.5", ("BTC",), d) == d
    assert from_query("?" + "x" * 100_000, ("BTC",), d) == d
    assert from_query("?venues=binance,nope&symbol=eth", ("BTC", "ETH"), d) == d.with_(
        symbol="ETH", venues=(Venue.BINANCE,)
    )


def _view_model(app: Any) -> tuple[PageModel, dict[str, Any]]:
    c = app.server.test_client()
    m = PageModel(c.get("/_dash-layout").get_json(), c.get("/_dash-dependencies").get_json())
    return m, {callback_name(d): d for d in m.deps}


def test_a_junk_url_gives_the_default_view_in_the_page(open_app: Any) -> None:
    m, deps = _view_model(open_app)
    m.props[("url", "search")] = JUNK_QUERY
    r = open_app.server.test_client().post(
        "/_dash-update-component", json=m.payload(deps["view"], [])
    )
    assert r.status_code == 200
    out = r.get_json()["response"]
    assert out["symbol"]["value"] == "BTC"
    assert out["bucket"]["value"] == "1"
    assert out["range"]["value"] == "1"
    assert out["refresh"]["value"] == "1000"
    assert out["theme"]["value"] == "dark"
    assert out["heat-minutes"]["value"] == "10"
    assert out["heat-intensity"]["value"] == "1"
    assert out["heat-log"]["value"] is False
    # the address bar is rewritten to the view actually shown
    assert out["url"]["search"].startswith("?symbol=BTC&")


def _set_control(app: Any, control: str, value: str) -> Any:
    """POST the view callback as the page does when ``control`` is set to ``value``."""
    m, deps = _view_model(app)
    m.props[("url", "search")] = ""
    m.props[(control, "value")] = value
    return app.server.test_client().post(
        "/_dash-update-component", json=m.payload(deps["view"], [f"{control}.value"])
    )


@pytest.mark.parametrize(
    ("control", "value"),
    [("range", "1e99"), ("refresh", "0"), ("symbol", "DOGE"), ("heat-intensity", "nan"),
     ("theme", "<b>x</b>")],
)  # fmt: skip
def test_out_of_range_control_values_fall_back_to_defaults(
    open_app: Any, control: str, value: str
) -> None:
    r = _set_control(open_app, control, value)
    assert r.status_code == 200
    assert r.get_json()["response"][control]["value"] != value


@pytest.mark.parametrize(("control", "value"), [("bucket", "abc"), ("heat-minutes", "x")])
def test_malformed_control_values_fall_back_instead_of_a_server_error(
    open_app: Any, control: str, value: str
) -> None:
    r = _set_control(open_app, control, value)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("chart", "fmt", "message"),
    [
        ("nope", "png", "unknown chart 'nope'"),
        ("depth", "exe", "unknown format 'exe'"),
        ("all", "png", "'all' charts export as HTML only"),
    ],
)
def test_bad_export_choices_get_a_clear_message(
    open_app: Any, chart: str, fmt: str, message: str
) -> None:
    key = "..export-download.data...export-error.children...export-error.is_open.."
    fn = open_app.callback_map[key]["callback"].__wrapped__
    _, error, shown = fn(1, chart, fmt, None)
    assert message in error and shown is True
