"""The trader's view settings: one frozen value, read from and written to the page URL.

Every control of the header maps to a field; ``from_query``/``to_query`` make a view
bookmarkable and shareable (and survive a reload). Values from the URL are clamped to what
the page offers; anything unreadable falls back to the default, never to an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from provider.models import Side, Venue

BUCKET_MULTS = (1, 2, 5, 10, 25, 50, 100)
RANGES_PCT = (0.25, 0.5, 1.0, 2.0, 5.0)
REFRESH_MS = (250, 500, 1000, 2000, 5000)
HEAT_MINUTES = (1, 5, 10, 30, 60)
THEMES = ("dark", "light")


@dataclass(frozen=True, slots=True)
class ViewOptions:
    symbol: str = "BTC"
    venues: tuple[Venue, ...] = tuple(Venue)  # venues whose liquidity is drawn
    bucket_mult: int = 1  # display bucket = the provider's grid step x this
    range_pct: float = 1.0  # price range around the mid drawn by depth/ladder/heatmap
    refresh_ms: int = 1000
    theme: str = "dark"
    heat_minutes: int = 10
    heat_intensity: float = 1.0  # colour scale: 1 = up to the 99th percentile; 2 = half of it
    heat_log: bool = False
    profile_split: bool = False  # volume profile per venue
    exec_size: float = 1.0
    exec_side: Side = Side.BUY
    exec_in_quote: bool = False

    def with_(self, **kw: object) -> ViewOptions:
        return replace(self, **kw)  # type: ignore[arg-type]


def _pick(value: str | None, allowed: tuple, cast: type, default: object) -> object:
    try:
        v = cast(value)  # type: ignore[call-arg]
    except (TypeError, ValueError):
        return default
    return v if v in allowed else default


def from_query(
    search: str | None, symbols: tuple[str, ...], base: ViewOptions | None = None
) -> ViewOptions:
    """The view described by a URL query string (``?symbol=BTC&venues=binance,okx...``)."""
    d = base or ViewOptions(symbol=symbols[0] if symbols else "BTC")
    q = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()}
    sym = q.get("symbol", d.symbol).upper()
    venues = d.venues
    if "venues" in q:
        names = [n for n in q["venues"].split(",") if n]
        chosen = tuple(v for v in Venue if v.value in names)
        # an empty list is a choice (every venue toggled off); only unknown names fall back
        venues = chosen if chosen or not names else d.venues
    return ViewOptions(
        symbol=sym if sym in symbols else d.symbol,
        venues=venues,
        bucket_mult=_pick(q.get("bucket"), BUCKET_MULTS, int, d.bucket_mult),  # type: ignore[arg-type]
        range_pct=_pick(q.get("range"), RANGES_PCT, float, d.range_pct),  # type: ignore[arg-type]
        refresh_ms=_pick(q.get("refresh"), REFRESH_MS, int, d.refresh_ms),  # type: ignore[arg-type]
        theme=q.get("theme", d.theme) if q.get("theme") in THEMES else d.theme,
        heat_minutes=_pick(q.get("heat"), HEAT_MINUTES, int, d.heat_minutes),  # type: ignore[arg-type]
        heat_intensity=_pick(q.get("intensity"), (0.5, 1.0, 2.0, 4.0), float, d.heat_intensity),  # type: ignore[arg-type]
        heat_log=q.get("log", "1" if d.heat_log else "0") == "1",
        profile_split=q.get("split", "1" if d.profile_split else "0") == "1",
        exec_size=d.exec_size,
        exec_side=d.exec_side,
        exec_in_quote=d.exec_in_quote,
    )


def to_query(v: ViewOptions) -> str:
    """The URL query string of a view (without the execution-cost inputs)."""
    return "?" + urlencode(
        {
            "symbol": v.symbol,
            "venues": ",".join(x.value for x in v.venues),
            "bucket": v.bucket_mult,
            "range": f"{v.range_pct:g}",
            "refresh": v.refresh_ms,
            "theme": v.theme,
            "heat": v.heat_minutes,
            "intensity": f"{v.heat_intensity:g}",
            "log": int(v.heat_log),
            "split": int(v.profile_split),
        },
        safe=",",
    )
