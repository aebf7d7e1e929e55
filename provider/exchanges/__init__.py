"""The venue adapters and their registry.

Each venue module defines ``ADAPTER`` (its ``Adapter`` subclass). Modules are imported on
first use, so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
from functools import cache

from provider.exchanges.base import Adapter
from provider.models import Venue

_MODULES = {v: f"provider.exchanges.{v.value}" for v in Venue}


@cache
def adapter_class(venue: Venue) -> type[Adapter]:
    cls: type[Adapter] = importlib.import_module(_MODULES[venue]).ADAPTER
    return cls


def all_adapters() -> list[type[Adapter]]:
    return [adapter_class(v) for v in Venue]


def detect(frame: str | bytes) -> type[Adapter] | None:
    """The adapter whose protocol a received frame (or REST body) is in, if any."""
    for cls in all_adapters():
        if cls.recognizes(frame):
            return cls
    return None
