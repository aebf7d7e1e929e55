"""Which plotly.js the page loads: the fetched partial bundle of the installed version, or
the full one; the route that serves it; the checks on a fetched tarball (no network here)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import dash
import pytest
from plotly.offline import get_plotlyjs_version

from dashboard import plotlyjs
from dashboard.app import create_app
from provider.config import build_config
from provider.models import Venue
from provider.service import Provider

VERSION = get_plotlyjs_version()
TARBALL = "https://registry.example/x.tgz"
BANNER = (
    f"/**\n* plotly.js (cartesian - minified) v{VERSION}\n* Copyright\n*/\nwindow.Plotly={{}};\n"
)


def _app() -> Any:
    return create_app(Provider(build_config(("BTC",), tuple(Venue), source="SIMULATED MARKET")))


def _tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _registry(
    monkeypatch: pytest.MonkeyPatch, script: str, dist: dict[str, str] | None = None
) -> list[str]:
    """The npm registry as ``fetch`` sees it: metadata whose ``dist`` is ``dist`` (by default
    the tarball's own URL and sha512) and a tarball holding ``script``. Returns the URLs
    asked for, in order."""
    tgz = _tarball({plotlyjs.MEMBER: script.encode()})
    meta = json.dumps(
        {"dist": dist if dist is not None else {"tarball": TARBALL, "integrity": _sri(tgz)}}
    ).encode()
    asked: list[str] = []

    def get(url: str, timeout: float) -> bytes:
        asked.append(url)
        return tgz if url == TARBALL else meta

    monkeypatch.setattr(plotlyjs, "_get", get)
    return asked


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COB_PLOTLY_DIR", str(tmp_path))
    return tmp_path


def test_without_a_partial_bundle_the_full_one_is_served(cache: Path) -> None:
    assert plotlyjs.chosen() == plotlyjs.FULL
    c = _app().server.test_client()
    r = c.get(plotlyjs.DASH_URL)
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.get_data() == plotlyjs.FULL.read_bytes()


def test_a_partial_bundle_of_the_installed_version_is_served(cache: Path) -> None:
    (cache / f"plotly-cartesian-{VERSION}.min.js").write_text(BANNER)
    assert plotlyjs.bundle_version(plotlyjs.partial_path()) == VERSION
    c = _app().server.test_client()
    r = c.get(plotlyjs.DASH_URL)
    assert r.status_code == 200 and r.get_data(as_text=True) == BANNER
    # (a browser that has it already is told so)
    again = c.get(plotlyjs.DASH_URL, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_the_page_loads_plotly_from_that_path(cache: Path) -> None:
    """dash-renderer loads plotly.js from ``_dash-component-suites/plotly/package_data/
    plotly.min.js`` when it serves locally; the page itself has no plotly script tag."""
    app = _app()
    assert app.config.serve_locally
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert "plotly.min.js" not in page and "plotly-cartesian" not in page
    renderer = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"
    assert '"_dash-component-suites/plotly/package_data/plotly.min.js"' in renderer.read_text()
    assert plotlyjs.DASH_URL == "/_dash-component-suites/plotly/package_data/plotly.min.js"


def test_a_partial_bundle_of_another_version_is_not_used(cache: Path) -> None:
    (cache / f"plotly-cartesian-{VERSION}.min.js").write_text(BANNER.replace(VERSION, "3.0.0"))
    assert plotlyjs.chosen() == plotlyjs.FULL


def test_bundle_version_reads_the_banner(tmp_path: Path) -> None:
    assert plotlyjs.bundle_version(plotlyjs.FULL) == VERSION
    (tmp_path / "x.js").write_text("/** not plotly */")
    assert plotlyjs.bundle_version(tmp_path / "x.js") is None
    assert plotlyjs.bundle_version(tmp_path / "missing.js") is None


def test_integrity_is_checked() -> None:
    data = b"tarball bytes"
    plotlyjs.check_integrity(data, _sri(data))
    with pytest.raises(plotlyjs.FetchError, match="does not match"):
        plotlyjs.check_integrity(data + b"!", _sri(data))
    with pytest.raises(plotlyjs.FetchError, match="sha512 expected"):
        plotlyjs.check_integrity(data, "sha1-" + base64.b64encode(b"x").decode())


def test_extract_takes_the_script_out_of_the_npm_tarball() -> None:
    tgz = _tarball({"package/README.md": b"readme", plotlyjs.MEMBER: BANNER.encode()})
    assert plotlyjs.extract(tgz) == BANNER.encode()
    with pytest.raises(plotlyjs.FetchError, match="not in the tarball"):
        plotlyjs.extract(_tarball({"package/README.md": b"readme"}))


def test_fetch_checks_stores_and_reuses(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _registry(monkeypatch, BANNER)
    path = plotlyjs.fetch()
    assert path == cache / f"plotly-cartesian-{VERSION}.min.js"
    assert path.read_text() == BANNER
    assert asked == [f"{plotlyjs.REGISTRY}/{plotlyjs.PACKAGE}/{VERSION}", TARBALL]
    assert plotlyjs.fetch() == path and len(asked) == 2  # already there: nothing asked
    assert plotlyjs.chosen() == path


def test_fetch_refuses_a_tarball_that_does_not_match(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _registry(monkeypatch, BANNER, {"tarball": TARBALL, "integrity": _sri(b"other")})
    with pytest.raises(plotlyjs.FetchError, match="does not match"):
        plotlyjs.fetch()
    assert list(cache.iterdir()) == []
    assert plotlyjs.chosen() == plotlyjs.FULL


def test_fetch_refuses_metadata_without_a_checksum(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _registry(monkeypatch, BANNER, {"tarball": TARBALL})
    with pytest.raises(plotlyjs.FetchError, match="integrity"):
        plotlyjs.fetch()
    assert list(cache.iterdir()) == []


def test_fetch_refuses_a_script_of_another_version(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _registry(monkeypatch, BANNER.replace(VERSION, "9.9.9"))
    with pytest.raises(plotlyjs.FetchError, match=r"not plotly\.js"):
        plotlyjs.fetch()
    assert list(cache.iterdir()) == []


def test_an_unreachable_registry_is_one_line_and_no_failure(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def get(url: str, timeout: float) -> bytes:
        raise OSError("network is unreachable")

    monkeypatch.setattr(plotlyjs, "_get", get)
    assert plotlyjs.main(["fetch"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "network is unreachable" in out[0] and "full bundle" in out[0]
    assert plotlyjs.main([]) == 2
