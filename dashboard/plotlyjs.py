"""Which plotly.js the page loads, and fetching the smaller one.

Dash loads plotly.js only when the first graph mounts: the whole library (4.8 MB, every
trace type) is fetched and compiled after the page's layout has arrived, on the path to the
first chart. The page draws three trace types (``scatter``, ``bar``, ``heatmap``), all in
plotly's own cartesian partial bundle
(``plotly.js-cartesian-dist-min`` on npm, 1.5 MB, built from the same sources and versioned
with them). So:

* ``python -m dashboard.plotlyjs fetch`` (run by ``make`` after ``pip``) downloads that
  bundle from the npm registry for exactly the plotly.js version the installed ``plotly``
  package bundles, checks the tarball against the registry's sha512 ``integrity``, and keeps
  the script in ``.cache/plotly/`` (``COB_PLOTLY_DIR`` overrides);
* ``install(server)`` answers the path Dash's graph component loads plotly.js from with the
  chosen script, so the page loads exactly as Dash means it to (the layout and the first
  callbacks go ahead while plotly.js downloads), only with a third of the bytes to compile.
  Without a fetched bundle of the right version, the full bundle from the ``plotly`` package
  is served: the page works either way, only its first paint differs (``bench_dashboard``:
  median 2.71 s with the partial bundle, 4.36 s with the full one). Loading plotly.js from a
  script tag of the page instead was measured slower (the whole page waits for it).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import plotly
from flask import Flask, send_file
from plotly.offline import get_plotlyjs_version

REGISTRY = "https://registry.npmjs.org"
PACKAGE = "plotly.js-cartesian-dist-min"
MEMBER = "package/plotly-cartesian.min.js"
FULL = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
REPO = Path(__file__).resolve().parent.parent


class FetchError(Exception):
    """The partial bundle could not be fetched or did not match the registry's checksum."""


def cache_dir() -> Path:
    return Path(os.environ.get("COB_PLOTLY_DIR") or REPO / ".cache" / "plotly")


def partial_path(version: str | None = None) -> Path:
    return cache_dir() / f"plotly-cartesian-{version or get_plotlyjs_version()}.min.js"


def bundle_version(path: Path) -> str | None:
    """The version in a plotly.js bundle's banner (``* plotly.js (...) v4.1.1``), if any."""
    try:
        with path.open("rb") as f:
            head = f.read(200).decode("ascii", "replace")
    except OSError:
        return None
    for line in head.splitlines():
        if line.startswith("* plotly.js") and " v" in line:
            return line.rsplit(" v", 1)[1].strip()
    return None


def chosen() -> Path:
    """The partial bundle if it is there and of the installed version, else the full one."""
    p = partial_path()
    return p if bundle_version(p) == get_plotlyjs_version() else FULL


#: where Dash's graph component fetches plotly.js (dash-renderer sets ``window._dashPlotlyJSURL``
#: to this path when it serves locally, and the graph loads it once ``window.Plotly`` is needed)
DASH_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def install(server: Flask) -> Path:
    """Answer Dash's plotly.js path with the chosen bundle (a route of its own, which
    werkzeug matches before Dash's generic component-suites route); returns the file served.

    The path carries no version, so browsers revalidate it (a 304 when unchanged)."""
    path = chosen()

    @server.route(DASH_URL, endpoint="cob_plotlyjs")
    def _plotlyjs() -> Any:
        return send_file(path, mimetype="text/javascript", max_age=0)

    return path


# --------------------------------------------------------------------------- fetching


def _get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body: bytes = r.read()
        return body


def check_integrity(data: bytes, integrity: str) -> None:
    """``integrity`` is npm's subresource-integrity string, ``sha512-<base64 digest>``."""
    algo, _, want = integrity.partition("-")
    if algo != "sha512" or not want:
        raise FetchError(f"unsupported integrity {integrity[:40]!r} (sha512 expected)")
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != want:
        raise FetchError(
            f"tarball sha512 {got[:16]}... does not match the registry's {want[:16]}..."
        )


def extract(tarball: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        try:
            member = tar.getmember(MEMBER)
        except KeyError:
            raise FetchError(f"{MEMBER} not in the tarball") from None
        f = tar.extractfile(member)
        if f is None:
            raise FetchError(f"{MEMBER} is not a file")
        return f.read()


def fetch(version: str | None = None, timeout: float = 60.0) -> Path:
    """Download, check and store the partial bundle of ``version`` (the installed one)."""
    version = version or get_plotlyjs_version()
    dest = partial_path(version)
    if bundle_version(dest) == version:
        return dest
    try:
        dist = json.loads(_get(f"{REGISTRY}/{PACKAGE}/{version}", timeout))["dist"]
        integrity = dist["integrity"]
        tarball = _get(dist["tarball"], timeout)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{PACKAGE}@{version} from {REGISTRY}: {exc!r}") from None
    check_integrity(tarball, integrity)
    script = extract(tarball)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    tmp.write_bytes(script)
    if bundle_version(tmp) != version:
        tmp.unlink()
        raise FetchError(f"the fetched script is not plotly.js v{version}")
    tmp.replace(dest)
    return dest


def main(argv: list[str]) -> int:
    if argv != ["fetch"]:
        print("usage: python -m dashboard.plotlyjs fetch", file=sys.stderr)
        return 2
    try:
        path = fetch()
    except FetchError as exc:
        print(
            f"plotly.js partial bundle not fetched ({exc}); the page will load the full "
            f"bundle ({FULL.stat().st_size / 2**20:.1f} MB) instead"
        )
        return 0
    print(f"plotly.js partial bundle: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
