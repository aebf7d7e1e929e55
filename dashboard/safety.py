"""Safe defaults: where the dashboard may listen, who may see it, where files may go, and
which user inputs are accepted. Pure checks (plus a Flask hook for basic auth).

* The dashboard binds 127.0.0.1 unless told otherwise; any other address requires HTTP basic
  credentials (``--auth USER:PASS`` or ``COB_AUTH``), checked on every route (Dash's own
  ``/_dash-*`` routes included), and the app refuses to start without them.
* Recording and export paths are resolved inside their configured folder; a path that
  would leave it (``..``, an absolute path elsewhere, a symlink out) is refused.
* User inputs (sizes, bucket multiples, ranges, refresh periods) are parsed by ``parse_*``
  functions that return a value or raise ``InputError`` with a message for the page.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import math
import os
from pathlib import Path
from typing import Any

from provider.errors import ConfigError

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class InputError(ValueError):
    """A value typed in the page that cannot be used; the message is shown as is."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: str | None) -> tuple[str, str] | None:
    """Credentials to enforce, or None on loopback without --auth; ConfigError when a
    non-loopback address is asked for without credentials."""
    creds = parse_auth(auth) if auth else None
    if not is_loopback(host) and creds is None:
        raise ConfigError(
            f"refusing to serve on {host} without credentials: anyone on the network could"
            " see it. Give --auth USER:PASS (or set COB_AUTH), or use --host 127.0.0.1"
        )
    return creds


def parse_auth(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user or len(password) < 8:
        raise ConfigError("--auth must be USER:PASS with a password of at least 8 characters")
    return user, password


def install_basic_auth(server: Any, creds: tuple[str, str], realm: str = "COB dashboard") -> None:
    """Require HTTP basic auth on every request of a Flask ``server``."""
    from flask import Response, request

    expected = "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()

    def check() -> Response | None:
        got = request.headers.get("Authorization", "")
        if hmac.compare_digest(got.encode(), expected.encode()):
            return None
        return Response(
            "authentication required\n",
            401,
            {"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'},
        )

    server.before_request(check)


def safe_folder(path: str, root_env: str, default_root: str | None = None) -> Path:
    """``path`` resolved inside the folder configured by env var ``COB_<ROOT_ENV>_ROOT``
    (default: ``./<root_env>``); created if missing; ConfigError if it would leave it."""
    root = Path(os.environ.get(f"COB_{root_env.upper()}_ROOT", default_root or root_env))
    target = _inside(root, path, "folder")
    target.mkdir(parents=True, exist_ok=True)
    return target


def safe_file(path: str, root: str | os.PathLike[str]) -> Path:
    """A file path inside ``root`` (its folder is created); ConfigError if it leaves it."""
    target = _inside(Path(root), path, "file")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _inside(root: Path, path: str, what: str) -> Path:
    root = root.resolve()
    if not path or "\x00" in path:
        raise ConfigError(f"empty or invalid {what} name")
    target = (root / path).resolve()
    if target != root and root not in target.parents:
        raise ConfigError(f"{what} {path!r} is outside {root}: give a path inside it")
    return target


# ----------------------------------------------------------------------------- page inputs


def parse_number(value: Any, name: str, lo: float, hi: float, integer: bool = False) -> float:
    """A number typed in the page, within [lo, hi]; InputError with a clear message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{name}: enter a number")
    try:
        x = float(value) if isinstance(value, int | float) else float(str(value).strip())
    except ValueError:
        raise InputError(f"{name}: {str(value)[:20]!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError(f"{name}: must be a finite number")
    if integer and x != int(x):
        raise InputError(f"{name}: must be a whole number")
    if not lo <= x <= hi:
        raise InputError(f"{name}: must be between {lo:g} and {hi:g}")
    return int(x) if integer else x
