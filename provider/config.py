"""What the provider runs with: symbols, venues, grids, quotes. Pure; errors are ConfigError.

A consolidated "symbol" is a base asset (``BTC``). Each venue contributes its book of that
base against the venue's usual dollar quote (USD on Coinbase, Kraken and Bitfinex; USDT
elsewhere); quotes are put on one axis either 1:1 (the default, each venue's quote labelled)
or converted by a live USDT/USD (USDC/USD) book of a venue that lists one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from provider.errors import ConfigError
from provider.grid import Grid
from provider.models import Venue
from provider.symbols import USD_LIKE

#: the dollar quote each venue's main books use
DEFAULT_QUOTE: dict[Venue, str] = {
    Venue.BINANCE: "USDT",
    Venue.COINBASE: "USD",
    Venue.KRAKEN: "USD",
    Venue.HUOBI: "USDT",
    Venue.BITFINEX: "USD",
    Venue.OKX: "USDT",
    Venue.BYBIT: "USDT",
}

#: fixed bucket sizes in quote units (the seed's defaults); other bases use basis points
DEFAULT_BUCKET: dict[str, float] = {"BTC": 10.0, "ETH": 1.0}
DEFAULT_BUCKET_BPS = 2.0

#: where a live USDT/USD or USDC/USD price can come from, in order of preference
FX_SOURCES: dict[str, tuple[tuple[Venue, str], ...]] = {
    "USDT": (
        (Venue.KRAKEN, "USDT/USD"),
        (Venue.COINBASE, "USDT/USD"),
        (Venue.BITFINEX, "USDT/USD"),
    ),
    "USDC": ((Venue.KRAKEN, "USDC/USD"), (Venue.COINBASE, "USDC/USD")),
}

FX_MODES = ("1:1", "live")


@dataclass(frozen=True, slots=True)
class SymbolConfig:
    """One consolidated instrument: a base asset, its grid, and each venue's market."""

    base: str
    grid: Grid
    markets: tuple[tuple[Venue, str], ...]  # (venue, normalized market symbol "BTC/USDT")

    def market_of(self, venue: Venue) -> str | None:
        for v, m in self.markets:
            if v is venue:
                return m
        return None


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    symbols: tuple[SymbolConfig, ...]
    venues: tuple[Venue, ...]
    fx_mode: str = "1:1"
    quote: str = "USD"  # the axis the consolidated view is drawn in
    interval_s: float = 0.1  # consolidation period
    max_age_s: float = 5.0  # a venue silent longer than this is excluded
    window_pct: float = 5.0
    buckets_each_side: int = 200
    history_seconds: int = 3600
    history_width: int = 400
    source: str = "LIVE"  # LIVE | SIMULATED MARKET | REPLAY
    fx_markets: tuple[tuple[str, Venue, str], ...] = field(default=())  # (quote, venue, market)

    def symbol(self, base: str) -> SymbolConfig:
        for s in self.symbols:
            if s.base == base:
                return s
        raise ConfigError(f"unknown symbol {base!r}: configured are {', '.join(self.bases)}")

    @property
    def bases(self) -> tuple[str, ...]:
        return tuple(s.base for s in self.symbols)


def parse_venues(text: str | Iterable[str] | None) -> tuple[Venue, ...]:
    """``"binance,kraken"`` -> venues; None or ``"all"`` -> every venue."""
    if text is None or text == "all":
        return tuple(Venue)
    names = text.split(",") if isinstance(text, str) else list(text)
    out: list[Venue] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name in ("htx",):
            name = "huobi"
        try:
            v = Venue(name)
        except ValueError:
            known = ", ".join(v.value for v in Venue)
            raise ConfigError(f"unknown venue {raw.strip()!r}: choose from {known}") from None
        if v not in out:
            out.append(v)
    if not out:
        raise ConfigError("no venue given: use e.g. --venues binance,coinbase (or all)")
    return tuple(out)


def parse_symbols(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"BTC,ETH"`` (or ``BTC/USDT``: the quote is chosen per venue) -> base assets."""
    if text is None:
        return ("BTC", "ETH")
    names = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in names:
        base = raw.strip().upper().split("/")[0].split("-")[0]
        if not base:
            continue
        if not base.isalnum() or len(base) > 12:
            raise ConfigError(f"bad symbol {raw.strip()!r}: use base assets like BTC,ETH")
        if base not in out:
            out.append(base)
    if not out:
        raise ConfigError("no symbol given: use e.g. --symbols BTC,ETH")
    return tuple(out)


def parse_bucket(text: str | None, base: str) -> Grid:
    """``"10"`` (quote units) or ``"5bps"`` -> a grid; None -> the default for ``base``."""
    if text is None:
        size = DEFAULT_BUCKET.get(base)
        return Grid.fixed(size) if size else Grid.bps(DEFAULT_BUCKET_BPS)
    t = text.strip().lower().replace(" ", "")
    try:
        if t.endswith("bps"):
            bps = float(t[:-3])
            if not (0.01 <= bps <= 1000):
                raise ValueError
            return Grid.bps(bps)
        size = float(t.lstrip("$"))
        if not (math.isfinite(size) and 1e-8 <= size <= 1e7):
            raise ValueError
        return Grid.fixed(size)
    except ValueError:
        raise ConfigError(
            f"bad bucket size {text!r}: give a price step from 1e-8 to 1e7 (e.g. 10)"
            " or basis points from 0.01 to 1000 (e.g. 5bps)"
        ) from None


def build_config(
    symbols: Iterable[str],
    venues: Iterable[Venue],
    buckets: dict[str, str] | None = None,
    fx_mode: str = "1:1",
    source: str = "LIVE",
    listings: dict[Venue, set[str]] | None = None,
    strict: bool = True,
    **kw: object,
) -> ProviderConfig:
    """The provider configuration; ``listings`` (venue -> normalized markets it lists), when
    known, lets a symbol a venue does not list be refused with a clear message (or, with
    ``strict`` off - replays - that venue is left out of that symbol)."""
    if fx_mode not in FX_MODES:
        raise ConfigError(f"bad quote conversion {fx_mode!r}: choose from {', '.join(FX_MODES)}")
    venues = tuple(venues)
    sym_cfgs = []
    for base in symbols:
        markets = []
        for v in venues:
            market = f"{base}/{DEFAULT_QUOTE[v]}"
            if listings is not None and market not in listings.get(v, set()):
                if not strict:
                    continue
                listed = sorted(m for m in listings.get(v, set()) if m.endswith(DEFAULT_QUOTE[v]))
                raise ConfigError(
                    f"{v} does not list {market}: it lists {', '.join(listed) or 'nothing'};"
                    f" drop {v} from --venues or {base} from --symbols"
                )
            markets.append((v, market))
        if not markets:
            raise ConfigError(f"no venue lists {base} against a dollar quote")
        grid = parse_bucket((buckets or {}).get(base), base)
        sym_cfgs.append(SymbolConfig(base, grid, tuple(markets)))
    fx_markets: list[tuple[str, Venue, str]] = []
    if fx_mode == "live":
        for quote in sorted({DEFAULT_QUOTE[v] for v in venues} - {"USD"}):
            for v, m in FX_SOURCES.get(quote, ()):
                if v in venues and (listings is None or m in listings.get(v, set())):
                    fx_markets.append((quote, v, m))
                    break
            else:
                raise ConfigError(
                    f"no venue in --venues lists a {quote}/USD book to convert {quote} quotes:"
                    f" add kraken or coinbase, or use --fx 1:1"
                )
    assert all(q in USD_LIKE for q in DEFAULT_QUOTE.values())
    return ProviderConfig(
        tuple(sym_cfgs),
        venues,
        fx_mode=fx_mode,
        source=source,
        fx_markets=tuple(fx_markets),
        **kw,  # type: ignore[arg-type]
    )
