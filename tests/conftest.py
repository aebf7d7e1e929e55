"""Shared fixtures: where the real captures are, and skipping cleanly without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import REPO

#: real venue captures (not part of this repository); override with COB_CAPTURES
CAPTURES = Path(os.environ.get("COB_CAPTURES", REPO.parent / "shared" / "captures"))


def capture_path(rel: str) -> Path:
    """Path of a file under the captures folder; skips the test when it is absent."""
    p = CAPTURES / rel
    if not p.is_file():
        pytest.skip(f"capture {rel} not found under {CAPTURES} (set COB_CAPTURES to its folder)")
    return p
