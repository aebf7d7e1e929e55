"""Callbacks as functions, on a provider double that serves the literal fixtures."""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go
import pytest
from dash import Patch

from dashboard import export
from dashboard.callbacks import heatmap_update, waiting_message
from dashboard.safety import InputError, parse_number
from dashboard.view import ViewOptions, from_query, to_query
from provider.config import ProviderConfig, SymbolConfig
from provider.history import LiquidityHistory
from provider.models import Venue
from provider.state import ProviderStats, Snapshot
from tests.dashboard import fixtures as F


@dataclass
class FakeProvider:
    """The provider's read API over fixed values (what callbacks may use, nothing else)."""

    snap: Snapshot | None
    history: LiquidityHistory = field(default_factory=F.history)
    reset: list[str] = field(default_factory=list)

    @property
    def symbols(self) -> tuple[str, ...]:
        return ("BTC",)

    @property
    def config(self) -> ProviderConfig:
        markets = tuple((v, F.MARKETS[v].symbol) for v in F.VENUES3)
        return ProviderConfig((SymbolConfig("BTC", F.GRID, markets),), F.VENUES3)

    def snapshot(self, symbol: str) -> Snapshot | None:
        return self.snap

    def history_latest(self, symbol: str) -> int | None:
        return self.history.latest

    def history_venues(self, symbol: str) -> tuple[Venue, ...]:
        return self.history.venues

    def history_window(self, symbol, t0, t1, lo, n, venues=None):  # type: ignore[no-untyped-def]
        return self.history.window(t0, t1, lo, n, venues)

    def history_since(self, symbol, t, lo, n, venues=None):  # type: ignore[no-untyped-def]
        return self.history.since(t, lo, n, venues)

    def trades(self, symbol, t0, t1):  # type: ignore[no-untyped-def]
        return self.history.trades_between(t0, t1)

    def reset_profile(self, symbol: str, session_start: float | None = None) -> None:
        self.reset.append(symbol)

    def statistics(self) -> ProviderStats:
        return ProviderStats(((Venue.BINANCE, 10),), 5, 0.5, 0.9, 0, 0, 60.0)


OPTS = ViewOptions(symbol="BTC", venues=F.VENUES3, range_pct=0.3, heat_minutes=1)


def figure(fig: object) -> go.Figure:
    """A full heatmap draw is the dict Dash sends; read it back as a figure."""
    assert isinstance(fig, dict) and not isinstance(fig, go.Figure)
    return go.Figure(fig)


def test_heatmap_full_then_nothing_then_a_patch_then_rebuild_on_view_change() -> None:
    p = FakeProvider(F.snapshot())
    fig, state = heatmap_update(p, OPTS, None, now=200.0)
    fig = figure(fig)
    assert [t.name for t in fig.data][:4] == ["liquidity", "best bid", "best ask", "trades"]
    assert state is not None and state["last"] == 103 and state["n"] > 0
    # the same second again: nothing to send
    again, same = heatmap_update(p, OPTS, state, now=200.5)
    assert again is None and same == state
    # a new second: only it is sent, as a Patch
    p.history.record(104.0, 996, F.ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
    patch, state2 = heatmap_update(p, OPTS, state, now=201.0)
    assert isinstance(patch, Patch)
    assert state2 is not None and state2["last"] == 104 and state2["lo"] == state["lo"]
    ops = {tuple(op["location"]): op for op in patch.to_plotly_json()["operations"]}
    # second 104 (drawn at its middle), buckets 997..1003 summed over the three venues
    assert ops[("data", 0, "x")]["params"]["value"] == ["1970-01-01 00:01:44.500"]
    assert ops[("data", 0, "z")]["params"]["value"] == [[2.5, 4.5, 5.5, 5.5, 6.5, 9.5, 10.5]]
    assert ops[("data", 1, "y")]["params"]["value"] == [999.5]  # best bid
    assert ops[("data", 2, "y")]["params"]["value"] == [1000.5]  # best ask
    # another view (log colour scale): a full figure again
    fig3, _ = heatmap_update(p, OPTS.with_(heat_log=True), state2, now=202.0)
    assert figure(fig3).data[0].name == "liquidity"


def test_heatmap_drops_the_oldest_seconds_beyond_the_window() -> None:
    p = FakeProvider(F.snapshot())
    _fig, state = heatmap_update(p, OPTS, None, now=200.0)
    assert state is not None
    state = dict(state, first=int(state["last"]) - 59)  # the window is full (1 minute)
    p.history.record(104.0, 996, F.ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
    patch, state2 = heatmap_update(p, OPTS, state, now=201.0)
    ops = patch.to_plotly_json()["operations"]
    deletes = [
        op for op in ops if op["operation"] == "Delete" and op["location"][:3] == ["data", 0, "x"]
    ]
    assert len(deletes) == 1 and state2["first"] == state["first"] + 1


def test_heatmap_of_a_young_provider_starts_shortly_before_its_first_second() -> None:
    """Recording began at second 100 of a 60 s window ending at 103: the draw starts 10 s
    (the minimum lead) before it, not at second 44 with 56 s of "not recorded"."""
    p = FakeProvider(F.snapshot())
    fig, state = heatmap_update(p, OPTS, None, now=200.0)
    fig = figure(fig)
    heat = fig.data[0]
    assert len(heat.x) == 14  # seconds 90 .. 103
    assert heat.x[0] == "1970-01-01 00:01:30.500" and heat.x[-1] == "1970-01-01 00:01:43.500"
    gaps = fig.data[4]  # "not recorded": 90 .. 99 and 102
    assert [row[0] == 1.0 for row in gaps.z] == [True] * 10 + [False, False, True, False]
    assert state is not None and state["first"] == 90
    # once the history reaches back past the window, the draw covers the whole window
    for t in range(104, 170):
        p.history.record(float(t), 996, F.ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
    fig2, state2 = heatmap_update(p, OPTS, None, now=300.0)
    assert len(figure(fig2).data[0].x) == 60 and state2 is not None and state2["first"] == 110


def test_a_long_heatmap_drawn_in_coarse_rows_loses_a_row_per_row_of_seconds() -> None:
    """A 20-minute view of 1,200 recorded seconds (1000 .. 2199) is drawn in 600 rows of
    2 s; as new seconds arrive one at a time, a 2 s row goes only when both its seconds
    have left the window (every other second), never one row per second."""
    h = LiquidityHistory(F.VENUES3, seconds=1300, width=8, max_trades=10)
    for t in range(1000, 2200):
        h.record(float(t), 996, F.ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
    p = FakeProvider(F.snapshot(), history=h)
    opts = OPTS.with_(heat_minutes=20)
    fig, state = heatmap_update(p, opts, None, now=3000.0)
    assert len(figure(fig).data[0].x) == 600
    assert state is not None and (state["first"], state["step"], state["coarse"]) == (1000, 2, 600)
    deleted = []
    for t in range(2200, 2206):  # the window now needs 1001, 1002, ... 1006
        h.record(float(t), 996, F.ROW_100, 999.5, 1000.5, 1000.0, centre=1000)
        patch, state = heatmap_update(p, opts, state, now=3000.0 + t - 2199)
        ops = patch.to_plotly_json()["operations"]
        deleted.append(sum(op["operation"] == "Delete" and op["location"][:3] == ["data", 0, "x"]
                           for op in ops))  # fmt: skip
    assert deleted == [0, 1, 0, 1, 0, 1]
    assert (state["first"], state["coarse"]) == (1006, 597)


def test_waiting_states_say_what_is_happening() -> None:
    assert waiting_message(None) == "Connecting to venues…"
    msg = waiting_message(F.snapshot())
    assert msg == "Not in the consolidated view: okx (sequence gap 5 -> 7)"
    p = FakeProvider(None)
    fig, state = heatmap_update(p, OPTS, None, now=1.0)
    assert state == {"empty": "Connecting to venues…"}
    assert figure(fig).layout.annotations[0].text == "Connecting to venues…"
    assert heatmap_update(p, OPTS, state, now=2.0) == (None, state)


def test_view_round_trips_through_the_url_and_clamps_bad_values() -> None:
    v = ViewOptions(symbol="BTC", venues=(Venue.KRAKEN, Venue.OKX), bucket_mult=5, range_pct=2.0,
                    refresh_ms=500, theme="light", heat_minutes=30, heat_intensity=2.0,
                    heat_log=True, profile_split=True)  # fmt: skip
    q = to_query(v)
    assert q.startswith("?symbol=BTC&venues=kraken,okx&bucket=5&range=2&refresh=500&theme=light")
    assert from_query(q, ("BTC", "ETH")) == v
    bad = from_query("?symbol=DOGE&bucket=7&range=99&refresh=1&theme=pink&heat=9999", ("BTC",))
    assert bad == ViewOptions(symbol="BTC")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "order size: 'abc' is not a number"),
        ("-5", "order size: must be between 1e-09 and 1e+12"),
        ("1e99", "order size: must be between 1e-09 and 1e+12"),
        ("nan", "order size: must be a finite number"),
        ("", "order size: enter a number"),
    ],
)
def test_bad_sizes_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse_number(text, "order size", 1e-9, 1e12)
    assert str(e.value) == message
    assert parse_number(" 2.5 ", "order size", 1e-9, 1e12) == 2.5


def test_csv_exports_hold_the_consolidated_numbers() -> None:
    p = FakeProvider(F.snapshot())
    name, data = export.render(p, OPTS, "csv-buckets", "csv")
    assert name.startswith("BTC_buckets_") and name.endswith(".csv")
    lines = data.decode().splitlines()
    assert lines[0].startswith("bucket_lower,bucket_upper,bid_size,ask_size")
    rows = {float(r.split(",")[0]): r.split(",") for r in lines[1:]}
    # bucket [999, 1000): bids 999.5 (binance 2 + kraken 1) and 999 (binance 1 + coinbase 0.5)
    assert float(rows[999.0][2]) == 4.5 and float(rows[999.0][3]) == 0.0
    # bucket [1000, 1001): asks 1000.5 (binance 1 + coinbase 0.5)
    assert float(rows[1000.0][3]) == 1.5
    _, stats = export.render(p, OPTS, "csv-stats", "csv")
    assert "VW mid" in stats.decode() and "venue okx,resyncing" in stats.decode()


def test_html_export_is_one_interactive_page() -> None:
    p = FakeProvider(F.snapshot())
    name, data = export.render(p, OPTS, "all", "html")
    html = data.decode()
    assert name.endswith(".html") and html.startswith("<!doctype html>")
    assert html.count("<section>") == 6 and "Plotly.newPlot" in html
    with pytest.raises(InputError):
        export.render(p, OPTS, "nope", "png")


def test_footer_says_when_the_data_is_old() -> None:
    from dashboard import render

    snap, st = F.snapshot(), FakeProvider(None).statistics()
    fresh = render.footer(snap, st, now=snap.ts + 0.4)
    assert fresh[0] == "data 0.4 s old · " and "source SIMULATED MARKET" in fresh[1]
    old = render.footer(snap, st, now=snap.ts + 7.0)
    assert old[0].children == "data 7.0 s old: the provider is falling behind · "
    assert render.footer(None, None, now=1.0) == "starting…"


def test_numbers_follow_the_venue_selection() -> None:
    from dashboard.callbacks import view_snapshot

    p = FakeProvider(F.snapshot())
    snap = p.snap
    assert snap is not None
    same = view_snapshot(snap, OPTS, p.config)
    assert same is snap  # every included venue shown: nothing recomputed
    no_binance = view_snapshot(snap, OPTS.with_(venues=(Venue.COINBASE, Venue.KRAKEN)), p.config)
    c = no_binance.consolidated
    assert set(c.venues) == {Venue.COINBASE, Venue.KRAKEN}
    # without binance: best bid 999.5 kraken, best ask 1000.5 coinbase; window bids
    # coinbase 0.5 + 1.5 and kraken 1 + 2 = 5 (all within 5 % of the mid)
    assert (c.best_bid, c.best_bid_venue, c.best_ask, c.best_ask_venue) == (
        999.5, Venue.KRAKEN, 1000.5, Venue.COINBASE,
    )  # fmt: skip
    assert c.bid_size == 5.0
    assert no_binance.venues == snap.venues  # health of every venue still shown
