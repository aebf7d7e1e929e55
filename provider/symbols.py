"""Symbol spelling: venue aliases and splitting concatenated pairs.

Pure functions, no I/O. Venue modules hold their own separators and prefixes; the asset
aliases and the list of quote currencies live here once.
"""

from __future__ import annotations

from provider.errors import ParseError

#: venue asset codes -> common codes
ALIASES = {"XBT": "BTC", "XDG": "DOGE", "UST": "USDT", "USDTE": "USDT"}

#: quote currencies, longest first so that "USDT" wins over "USD"
QUOTES = tuple(
    sorted(
        (
            "USDT",
            "USDC",
            "FDUSD",
            "TUSD",
            "BUSD",
            "USDD",
            "HUSD",
            "DAI",
            "UST",
            "USD",
            "EUR",
            "GBP",
            "CHF",
            "JPY",
            "AUD",
            "CAD",
            "TRY",
            "BRL",
            "BTC",
            "XBT",
            "ETH",
            "BNB",
            "HT",
            "TRX",
            "DOGE",
        ),
        key=len,
        reverse=True,
    )
)

#: quote currencies counted as US dollars on the consolidated axis (1:1 by default)
USD_LIKE = ("USD", "USDT", "USDC")


def norm_asset(code: str) -> str:
    code = code.upper()
    return ALIASES.get(code, code)


def split_pair(native: str) -> tuple[str, str]:
    """``BTCUSDT`` / ``btcusdt`` -> (``BTC``, ``USDT``) using the known quote list."""
    up = native.upper()
    for q in QUOTES:
        if up.endswith(q) and len(up) > len(q):
            return norm_asset(up[: -len(q)]), norm_asset(q)
    raise ParseError(f"cannot split symbol {native!r} into base and quote")


def parse_symbol(symbol: str) -> tuple[str, str]:
    """A normalized ``BASE/QUOTE`` -> (base, quote); raises ValueError when malformed."""
    base, sep, quote = symbol.upper().partition("/")
    if not sep or not base or not quote or "/" in quote:
        raise ValueError(f"symbol {symbol!r} is not of the form BASE/QUOTE (e.g. BTC/USDT)")
    return base, quote.split(":")[0]
