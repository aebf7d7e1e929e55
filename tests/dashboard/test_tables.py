"""Table builders on literal snapshots: formats, stats, ladder, execution rows, venue chips.

The book is the one in ``fixtures`` (mid 1000, $1 grid, books listed kraken, binance,
coinbase); every expected number is worked out by hand there or here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard import tables as T
from dashboard.view import ViewOptions
from provider.consolidate import consolidate, execution_cost
from provider.models import Side, Venue
from provider.state import CONNECTING, DISCONNECTED, LIVE, STALE
from provider.stats import RollingStats
from tests.dashboard import fixtures as fx

BIN, CB, KR, OKX = fx.BIN, fx.CB, fx.KR, fx.OKX
NAN = math.nan
OPTS = ViewOptions()
DASH = "—"


def same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN."""
    nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    return nan or a == b


# =============================================================================== formats


@pytest.mark.parametrize(
    ("ref", "decimals"),
    [(50_000.0, 2), (3_000.0, 2), (150.0, 3), (15.0, 4), (1.5, 5), (0.5, 6), (1e-5, 8),
     (NAN, 2), (0.0, 2), (None, 2)],
)  # fmt: skip
def test_price_decimals_from_magnitude(ref: float | None, decimals: int) -> None:
    assert T.price_decimals(ref) == decimals


def test_number_formats() -> None:
    assert T.fmt_price(50_123.456) == "50,123.46"
    assert T.fmt_price(0.51234567) == "0.512346"
    assert T.fmt_price(999.5, 1000.0) == "999.50"  # decimals of the reference
    assert T.fmt_price(NAN) == DASH
    assert T.fmt_size(1.5, "BTC") == "1.500 BTC"
    assert T.fmt_size(1234.5, "BTC") == "1,234 BTC"  # round half to even
    assert T.fmt_size(12_345.6, "ETH") == "12,346 ETH"
    assert T.fmt_size(0.0123, "BTC") == "0.01230 BTC"
    assert T.fmt_size(0.0, "BTC") == "0 BTC"
    assert T.fmt_size(NAN, "BTC") == DASH
    assert T.fmt_notional(1_234_567.8, "USD") == "1,234,568 USD"
    assert T.fmt_notional(999.5) == "999.50"
    assert T.fmt_notional(math.inf) == DASH
    assert T.fmt_bps(1.249375) == "1.25 bps"
    assert T.fmt_bps(-0.5) == "-0.50 bps"
    assert T.fmt_bps(NAN) == DASH
    assert T.fmt_pct(-8.1017, signed=True) == "-8.10 %"
    assert T.fmt_pct(12.5) == "12.50 %"


# =============================================================================== stats


def test_stats_items_values() -> None:
    items = T.stats_items(fx.snapshot())
    assert [(i.label, i.value) for i in items] == [
        ("VW mid", "999.17"),
        ("best bid", "999.50 (kraken)"),
        ("best ask", "1,000.50 (binance)"),
        ("spread", "10.00 bps"),
        # (15859 - 18655.25) / (15859 + 18655.25)
        ("imbalance (+ = bids)", "-8.10 %"),
        ("liquidity ±5 % bid / ask", "15,859 / 18,655 USD"),
        ("depth ±1 % bid / ask", "11.00 / 12.50 BTC"),
        ("mid 1 s", "1,000.00 / 1,001.00 / 1,002.00"),
        ("spread 1 s", "10.00 / 11.00 / 12.00 bps"),
        ("updates 1 s", "2.00/s"),
        ("mid 5 s", "998.00 / 1,000.00 / 1,002.00"),
        ("spread 5 s", "8.00 / 10.00 / 12.00 bps"),
        ("updates 5 s", "0.60/s"),
        ("mid 60 s", "998.00 / 1,000.00 / 1,002.00"),
        ("spread 60 s", "8.00 / 10.00 / 12.00 bps"),
        ("updates 60 s", "0.05/s"),
    ]
    hints = {i.label: i.hint for i in items}
    assert hints["VW mid"] == "volume-weighted mid of the best 5 levels per side; mid 1,000.00"
    assert hints["spread"] == "best ask − best bid = 1.00 USD, in bps of the mid"
    assert hints["liquidity ±5 % bid / ask"].endswith("sizes 16.00 / 18.50 BTC")
    assert hints["depth ±1 % bid / ask"].endswith("notional 10,959 / 12,535 USD")
    assert hints["mid 1 s"] == "min / avg / max of the mid over the last 1 s (2 samples)"
    assert hints["updates 1 s"].endswith(
        "venue book updates: binance 10.00/s · coinbase 3.00/s · kraken 0.00/s"
    )


def test_stats_depth_without_a_1pct_band_is_computed_from_the_books() -> None:
    snap = fx.snapshot()
    cons = consolidate(snap.books, fx.GRID, bands_pct=(0.5, 2.0), buckets_each_side=2)
    items = {i.label: i.value for i in T.stats_items(fx.replace(snap, consolidated=cons))}
    assert items["depth ±1 % bid / ask"] == "11.00 / 12.50 BTC"


def test_stats_crossed_and_undefined() -> None:
    crossed = fx.snapshot(
        (
            fx.book(BIN, [(1001.0, 1.0)], [(1002.0, 1.0)]),
            fx.book(KR, [(999.0, 1.0)], [(1000.0, 1.0)]),
        )
    )
    items = {i.label: i for i in T.stats_items(crossed)}
    assert items["spread"].value == "-10.00 bps crossed"  # (1000 - 1001) / 1000.5 = -9.995 bps
    assert "CROSSED" in items["spread"].hint
    empty = {i.label: i.value for i in T.stats_items(fx.empty())}
    for label in ("VW mid", "best bid", "best ask", "spread", "imbalance (+ = bids)"):
        assert empty[label] == DASH
    assert empty["liquidity ±5 % bid / ask"] == DASH and empty["depth ±1 % bid / ask"] == DASH
    one = {i.label: i.value for i in T.stats_items(fx.one_sided())}
    assert one["best bid"] == "999.500 (kraken)" and one["best ask"] == DASH
    assert one["VW mid"] == DASH


def test_stats_windows_without_samples() -> None:
    snap = fx.snapshot()
    view = RollingStats(venues=fx.VENUES3).view(100.0)
    items = {i.label: i.value for i in T.stats_items(fx.replace(snap, stats=view))}
    assert items["mid 1 s"] == DASH and items["spread 5 s"] == DASH
    assert items["updates 60 s"] == "0.00/s"


# =============================================================================== ladder


def ladder(rows: list[T.LadderRow]) -> list[tuple[object, ...]]:
    return [(r.price, r.bid, r.ask, r.dominant, r.cum_bid, r.cum_ask, r.is_mid) for r in rows]


def test_ladder_rows_asks_on_top() -> None:
    rows = T.ladder_rows(fx.snapshot(), OPTS, n=3)
    got = ladder(rows)
    expected = [
        (1003.0, 0.0, 0.0, None, NAN, 7.5, False),
        (1002.0, 0.0, 1.0, CB, NAN, 7.5, False),
        (1001.0, 0.0, 5.0, KR, NAN, 6.5, False),  # kraken 3004.5 > binance 2002
        (1000.0, 0.0, 1.5, BIN, 0.0, 1.5, True),  # the mid's bucket: asks 1 + 0.5
        (999.0, 4.5, 0.0, BIN, 4.5, NAN, False),  # binance 3 of 4.5
        (998.0, 1.5, 0.0, CB, 6.0, NAN, False),
        (997.0, 0.0, 0.0, None, 6.0, NAN, False),
    ]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g[:4] == e[:4] and same(g[4], e[4]) and same(g[5], e[5]) and g[6] == e[6], g
    assert [r.upper for r in rows] == [1004.0, 1003.0, 1002.0, 1001.0, 1000.0, 999.0, 998.0]
    # per-venue columns: the selected configured venues, Venue order; okx not included: NaN
    assert [v for v, _ in rows[2].venues] == [BIN, CB, KR, OKX]
    assert [s for _, s in rows[2].venues][:3] == [2.0, 0.0, 3.0]
    assert math.isnan(rows[2].venues[3][1])
    assert [s for _, s in rows[4].venues][:3] == [3.0, 0.5, 1.0]


def test_ladder_rows_by_display_bucket_and_selected_venues() -> None:
    rows = T.ladder_rows(fx.snapshot(), OPTS.with_(bucket_mult=2, venues=(BIN, KR)), n=1)
    assert [(r.price, r.upper) for r in rows] == [
        (1002.0, 1004.0),
        (1000.0, 1002.0),
        (998.0, 1000.0),
    ]
    assert [(r.bid, r.ask) for r in rows] == [(0.0, 0.0), (0.0, 6.0), (4.0, 0.0)]
    assert [r.dominant for r in rows] == [None, KR, BIN]
    assert rows[1].venues == ((BIN, 3.0), (KR, 3.0))
    assert [r.is_mid for r in rows] == [False, True, False]
    assert all(v != CB for r in rows for v, _ in r.venues)


def test_ladder_rows_one_sided_and_empty() -> None:
    rows = T.ladder_rows(fx.one_sided(), OPTS, n=1)  # centred on the best bid 999.5
    assert [(r.price, r.bid, r.is_mid) for r in rows] == [
        (1000.0, 0.0, False), (999.0, 4.5, True), (998.0, 1.5, False),
    ]  # fmt: skip
    assert T.ladder_rows(fx.empty(), OPTS) == []
    assert len(T.ladder_rows(fx.snapshot(), OPTS)) == 31  # n = 15 above and below


def test_display_buckets_match_the_provider_buckets() -> None:
    snap = fx.snapshot()
    b = snap.consolidated.buckets
    db = T.display_buckets(snap.books, b.grid, 1, b.first, b.lower.size)
    pairs = [(db.bid_size, b.bid_size), (db.ask_size, b.ask_size),
             (db.bid_notional, b.bid_notional), (db.ask_notional, b.ask_notional)]  # fmt: skip
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine, theirs, rtol=1e-15)
    np.testing.assert_array_equal(db.dominant(), b.dominant)
    np.testing.assert_array_equal(db.lower, b.lower)
    with pytest.raises(ValueError):
        T.display_buckets(snap.books, b.grid, 0, 0, 1)


# =============================================================================== execution


def test_execution_rows_buy_in_base() -> None:
    rows = T.execution_rows(execution_cost(fx.books(), Side.BUY, 2.0), "BTC", "USD")
    # consolidated: 1 @ 1000.5 (binance), 0.5 @ 1000.5 (coinbase), 0.5 @ 1001 (binance)
    # = 2001.25 -> avg 1000.625; vs touch 1000.5: 1.2494 bps; vs mid 1000: 6.25 bps
    assert [
        (r.label, r.avg_text, r.touch_text, r.mid_text, r.fill_text, r.venues_text)
        for r in rows
    ] == [
        ("consolidated", "1,000.625", "1.25 bps", "6.25 bps", "2.000 / 2.000 BTC",
         "binance 75 % · coinbase 25 %"),
        ("binance", "1,000.750", "2.50 bps", "7.50 bps", "2.000 / 2.000 BTC", "binance"),
        ("coinbase", "1,001.500", "10.00 bps", "17.50 bps",
         "1.500 / 2.000 BTC (book ran out)", "coinbase"),
        # kraken alone: its own mid (999.5 + 1001.5) / 2 = 1000.5
        ("kraken", "1,001.500", "0.00 bps", "10.00 bps", "2.000 / 2.000 BTC", "kraken"),
    ]  # fmt: skip
    c = rows[0]
    assert (c.venue, c.avg_price, c.filled, c.notional, c.complete) == (
        None,
        1000.625,
        2.0,
        2001.25,
        True,
    )
    assert c.slippage_touch_bps == pytest.approx(0.125 / 1000.5 * 1e4)
    assert c.venues_used == (BIN, CB) and c.levels == 3
    assert (rows[2].complete, rows[2].filled, rows[2].venues_used) == (False, 1.5, (CB,))


def test_execution_rows_sell_in_quote_and_nothing_to_fill() -> None:
    rows = T.execution_rows(
        execution_cost(fx.books(), Side.SELL, 3000.0, in_quote=True), "BTC", "USD"
    )
    assert rows[0].fill_text == "3,000 / 3,000 USD"
    assert rows[0].venues_text == "kraken 33 % · binance 67 %"  # the sweep's order of venues
    assert [r.label for r in rows] == ["consolidated", "binance", "coinbase", "kraken"]
    assert rows[3].fill_text == "2,980 / 3,000 USD (book ran out)"  # kraken: 999.5 + 990*2
    rows = T.execution_rows(execution_cost(fx.one_sided().books, Side.BUY, 1.0), "BTC", "USD")
    for r in rows:
        assert (r.avg_text, r.touch_text, r.mid_text, r.venues_text) == (DASH,) * 4
        assert r.fill_text == "0 / 1.000 BTC (book ran out)" and r.venues_used == ()


# =============================================================================== chips


def test_venue_chips_states_colours_and_details() -> None:
    snap = fx.replace(
        fx.snapshot(),
        venues=(
            fx.status(KR, reason="", checksums_ok=120, checksums_failed=2, resyncs=3, gaps=4,
                      reconnects=1, parse_errors=5, venue_errors=6, crossed=7, task_crashes=8,
                      last_error="checksum mismatch", recovery_p50_s=0.35, recovery_p99_s=1.5),
            fx.status(BIN, fx=1.0003, included=False, reason="no live USDT/USD rate"),
            fx.status(Venue.BYBIT, CONNECTING, age_s=NAN, msgs_per_s=0.0),
            fx.status(Venue.HUOBI, STALE, included=False, reason="silent for 7.0 s", age_s=7.0),
            fx.status(Venue.BITFINEX, DISCONNECTED, included=False, reason="refused"),
            fx.status(OKX, "resyncing", reason="sequence gap 5 -> 7"),
        ),
    )  # fmt: skip
    chips = T.venue_chips(snap)
    assert [(c.name, c.state, c.color, c.included) for c in chips] == [
        ("binance", LIVE, "warning", False),  # live, yet excluded: no fx rate
        ("kraken", LIVE, "success", True),
        ("huobi", STALE, "danger", False),
        ("bitfinex", DISCONNECTED, "danger", False),
        ("okx", "resyncing", "warning", False),
        ("bybit", CONNECTING, "secondary", False),
    ]
    by = {c.venue: c for c in chips}
    assert by[KR].text == "0.4 s · 35 msg/s"
    assert by[Venue.BYBIT].text == "never · 0 msg/s"
    assert by[KR].details.split("\n") == [
        "XBT/USD (BTC/USD) · live · quote USD, fx 1 (1:1)",
        "gaps 4 · resyncs 3 · reconnects 1",
        "checksums 120 ok / 2 failed · crossed 7",
        "parse errors 5 · venue errors 6 · task crashes 8",
        "recovery p50 350 ms / p99 1.50 s",
        "last error: checksum mismatch",
    ]
    assert by[BIN].details.split("\n")[:2] == [
        "BTCUSDT (BTC/USDT) · live · quote USDT, fx 1.0003 (1:1)",
        "excluded: no live USDT/USD rate",
    ]
    assert "recovery p50 — / p99 —" in by[Venue.BYBIT].details


def test_venue_chips_empty_snapshot() -> None:
    chips = T.venue_chips(fx.empty())
    assert [(c.name, c.color, c.text) for c in chips] == [
        ("binance", "secondary", "never · 0 msg/s"),
        ("coinbase", "secondary", "never · 0 msg/s"),
        ("kraken", "secondary", "never · 0 msg/s"),
    ]
