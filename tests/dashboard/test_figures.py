"""Figure builders on literal snapshots: trace names, values, stack order, colours, axes.

Every expected number is worked out by hand from the book in ``fixtures`` (mid 1000, $1 grid):

    binance   bids 999.5 x 2, 999 x 1, 995 x 3, 980 x 5
              asks 1000.5 x 1, 1001 x 2, 1004 x 4, 1020 x 6
    coinbase  bids 999 x 0.5, 998 x 1.5      asks 1000.5 x 0.5, 1002 x 1
    kraken    bids 999.5 x 1, 990 x 2        asks 1001.5 x 3, 1010 x 1
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
from dash._utils import to_json

from dashboard import figures as F
from dashboard.view import ViewOptions
from provider.grid import Grid
from provider.models import Venue
from tests.dashboard import fixtures as fx

BIN, CB, KR = fx.BIN, fx.CB, fx.KR
NAN = math.nan
OPTS = ViewOptions()  # every venue, bucket x1, range 1 %, dark
NO_CB = OPTS.with_(venues=(BIN, KR))


def eq(actual: Any, expected: Any) -> None:
    """Arrays equal, NaN in the same places."""
    np.testing.assert_array_equal(np.asarray(actual, dtype=np.float64), np.asarray(expected))


def nan_rows(rows: Any) -> list[list[float | None]]:
    return [[None if math.isnan(x) else x for x in r] for r in rows]


def by_name(fig: go.Figure) -> dict[str, Any]:
    return {t.uid: t for t in fig.data}


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def shapes(fig: go.Figure) -> dict[str, Any]:
    """Shapes by name; the profile's POC ("POC <price>") and value area ("VA 70 %") by
    "poc" and "value area"."""
    out = {}
    for s in fig.layout.shapes:
        key = s.name
        if key.startswith("POC "):
            key = "poc"
        elif key.startswith("VA "):
            key = "value area"
        out[key] = s
    return out


def notes(fig: go.Figure) -> dict[str, str]:
    return {a.name: a.text for a in fig.layout.annotations if a.name}


def as_json(fig: go.Figure) -> dict[str, Any]:
    return json.loads(fig.to_json())


# =============================================================================== theme


@pytest.mark.parametrize(
    ("theme", "template"), [("dark", "plotly_dark"), ("light", "plotly_white")]
)
def test_theme_margins_legend_uirevision(theme: str, template: str) -> None:
    opts = OPTS.with_(theme=theme)
    snap = fx.snapshot()
    figs = {
        "depth": F.depth_figure(snap, opts),
        "breakdown": F.breakdown_figure(snap, opts),
        "bands": F.bands_figure(snap, opts),
        "dominance": F.dominance_figure(snap, opts),
        "profile": F.profile_figure(snap.profile, opts, 1000.0),
        "heatmap": F.heatmap_figure(fx.window(), fx.trades(), opts, 1.0),
        "empty": F.empty_figure("x", opts),
    }
    dark_bg = go.layout.Template(pio_template(template)).layout.paper_bgcolor
    for chart, fig in figs.items():
        go.Figure(fig.to_plotly_json())  # valid properties (built unvalidated)
        lay = fig.layout
        assert lay.template.layout.paper_bgcolor == dark_bg, chart
        assert lay.paper_bgcolor == "rgba(0,0,0,0)" and lay.plot_bgcolor == "rgba(0,0,0,0)"
        assert lay.uirevision == f"{chart}:BTC"
        assert (lay.margin.l, lay.margin.r, lay.margin.t, lay.margin.b) == (64, 24, 40, 48)
        # legend above the plot area, never over the data
        assert lay.legend.orientation == "h" and lay.legend.y > 1 and lay.legend.yanchor == "bottom"
        assert lay.legend.traceorder == "normal"
        assert lay.title.text is None  # title-free: the card has the title


def pio_template(name: str) -> Any:
    import plotly.io as pio

    return pio.templates[name]


def test_uirevision_follows_the_symbol_only() -> None:
    snap = fx.snapshot()
    a = F.depth_figure(snap, OPTS)
    b = F.depth_figure(snap, OPTS.with_(range_pct=2.0, bucket_mult=5))
    c = F.depth_figure(snap, OPTS.with_(symbol="ETH"))
    assert a.layout.uirevision == b.layout.uirevision == "depth:BTC"
    assert c.layout.uirevision == "depth:ETH"


def test_venue_colours_fixed_distinct_and_side_colours() -> None:
    assert set(F.VENUE_COLORS) == set(Venue)
    assert len(set(F.VENUE_COLORS.values())) == len(Venue)
    assert F.BID_COLOR not in F.VENUE_COLORS.values()
    assert F.ASK_COLOR not in F.VENUE_COLORS.values()
    assert F.VENUE_COLORS[BIN] == "#F0E442" and F.VENUE_COLORS[CB] == "#0072B2"


def test_each_venue_has_its_colour_in_every_chart() -> None:
    snap = fx.snapshot()
    split = OPTS.with_(profile_split=True)
    figs = [
        F.breakdown_figure(snap, OPTS),
        F.bands_figure(snap, OPTS),
        F.dominance_figure(snap, OPTS),
        F.profile_figure(snap.profile, split),
    ]
    for fig in figs:
        for t in fig.data:
            assert t.marker.color == F.VENUE_COLORS[Venue(t.name)], (t.uid, t.marker.color)
    for t in F.depth_figure(snap, OPTS).data:
        if t.stackgroup:
            assert t.line.color == F.VENUE_COLORS[Venue(t.name)]
            assert t.fillcolor.startswith("rgba(")


# =============================================================================== depth


def test_depth_traces_stack_order_and_values() -> None:
    fig = F.depth_figure(fx.snapshot(), OPTS)
    # Venue order from the bottom of each stack (the snapshot lists kraken first)
    assert [(t.name, t.stackgroup) for t in fig.data] == [
        ("binance", "bids"), ("coinbase", "bids"), ("kraken", "bids"), ("bids", None),
        ("binance", "asks"), ("coinbase", "asks"), ("kraken", "asks"), ("asks", None),
    ]  # fmt: skip
    t = by_name(fig)
    # bids within 1 % (>= 990), x ascending; cumulative = size bid at x or higher
    bid_x = [990.0, 995.0, 998.0, 999.0, 999.5]
    for uid in ("depth-bids-binance", "depth-bids-coinbase", "depth-bids-kraken", "depth-bids"):
        eq(t[uid].x, bid_x)
        assert t[uid].line.shape == "vh"
    eq(t["depth-bids-binance"].y, [6, 6, 3, 3, 2])
    eq(t["depth-bids-coinbase"].y, [2, 2, 2, 0.5, 0])
    eq(t["depth-bids-kraken"].y, [3, 1, 1, 1, 1])
    eq(t["depth-bids"].y, [11, 9, 6, 4.5, 3])
    # the unified hover reads each venue's size, then the total's size and notional
    # (no per-venue notional: bytes per refresh); binance 999.5*2 + 999 + 995*3 = 5983
    assert all(x.customdata is None for x in fig.data if x.stackgroup)
    assert "customdata" not in t["depth-bids-binance"].hovertemplate
    eq(
        t["depth-bids"].customdata,
        [5983 + 1996.5 + 2979.5, 5983 + 1996.5 + 999.5, 2998 + 1996.5 + 999.5,
         2998 + 499.5 + 999.5, 1999 + 999.5],
    )  # fmt: skip
    # asks within 1 % (<= 1010); 1020 is out of range
    ask_x = [1000.5, 1001.0, 1001.5, 1002.0, 1004.0, 1010.0]
    for uid in ("depth-asks-binance", "depth-asks-coinbase", "depth-asks-kraken", "depth-asks"):
        eq(t[uid].x, ask_x)
        assert t[uid].line.shape == "hv"
    eq(t["depth-asks-binance"].y, [1, 3, 3, 3, 7, 7])
    eq(t["depth-asks-coinbase"].y, [0.5, 0.5, 0.5, 1.5, 1.5, 1.5])
    eq(t["depth-asks-kraken"].y, [0, 0, 3, 3, 3, 4])
    eq(t["depth-asks"].y, [1.5, 3.5, 6.5, 7.5, 11.5, 12.5])
    # the totals are lines in side colours, on top of the venue stacks
    assert t["depth-bids"].line.color == F.BID_COLOR and t["depth-bids"].fill is None
    assert t["depth-asks"].line.color == F.ASK_COLOR
    # one legend entry per venue (the bid trace), both sides toggled together
    assert [x.showlegend for x in fig.data] == [True] * 3 + [None] + [False] * 3 + [None]
    assert {x.legendgroup for x in fig.data if x.stackgroup} == {"binance", "coinbase", "kraken"}


def test_depth_samples_a_deep_book_at_evenly_spaced_prices_from_the_touch() -> None:
    """200 bids 0.05 apart (990.00 .. 999.95) and 200 asks (1000.05 .. 1010.00), size 1
    each: more than DEPTH_POINTS (120) prices in the ±1 % range, so each side is sampled
    at 120 prices one step apart from the touch outwards, the step being the span / 119
    rounded up to whole cents (9.95 / 119 = 0.0836 -> 0.09), and sent as x0 + dx."""
    bids = [(round(999.95 - 0.05 * i, 2), 1.0) for i in range(200)]
    asks = [(round(1000.05 + 0.05 * i, 2), 1.0) for i in range(200)]
    snap = fx.snapshot((fx.book(BIN, bids, asks),))
    t = by_name(F.depth_figure(snap, OPTS.with_(venues=(BIN,))))
    assert F.DEPTH_POINTS == 120
    for uid in ("depth-bids-binance", "depth-bids"):
        assert t[uid].x is None and t[uid].dx == 0.09
        assert t[uid].x0 == pytest.approx(999.95 - 0.09 * 119, abs=1e-9)  # 989.24
        y = np.asarray(t[uid].y)
        # bids >= 989.24: all 200; >= 999.86: 999.90 and 999.95; >= 999.95: the touch
        assert y.size == 120 and (y[0], y[-2], y[-1]) == (200.0, 2.0, 1.0)
    for uid in ("depth-asks-binance", "depth-asks"):
        assert t[uid].x is None and (t[uid].x0, t[uid].dx) == (1000.05, 0.09)
        y = np.asarray(t[uid].y)
        # asks <= 1000.05: the touch; <= 1000.14: two; <= 1010.76 (the last point): all
        assert y.size == 120 and (y[0], y[1], y[-1]) == (1.0, 2.0, 200.0)


def test_depth_axes_range_and_mid() -> None:
    fig = F.depth_figure(fx.snapshot(), OPTS.with_(range_pct=0.5))
    assert fig.layout.xaxis.title.text == "price (USD)"
    assert fig.layout.yaxis.title.text == "cumulative size (BTC)"
    assert tuple(fig.layout.xaxis.range) == (995.0, 1005.0)
    mid = shapes(fig)["mid"]
    assert (mid.type, mid.x0, mid.x1, mid.yref) == ("line", 1000.0, 1000.0, "paper")
    assert notes(fig) == {"mid": "mid 1,000.00"}
    t = by_name(fig)
    eq(t["depth-bids"].x, [995, 998, 999, 999.5])  # 990 is now out of range
    eq(t["depth-asks"].x, [1000.5, 1001, 1001.5, 1002, 1004])
    assert fig.layout.hovermode == "x unified"


def test_depth_only_selected_venues() -> None:
    fig = F.depth_figure(fx.snapshot(), NO_CB)
    assert names(fig) == ["binance", "kraken", "bids", "binance", "kraken", "asks"]
    t = by_name(fig)
    eq(t["depth-bids"].x, [990, 995, 999, 999.5])  # coinbase's 998 is gone
    eq(t["depth-bids"].y, [9, 7, 4, 3])
    eq(t["depth-asks"].x, [1000.5, 1001, 1001.5, 1004, 1010])
    eq(t["depth-asks"].y, [1, 3, 6, 10, 11])


def test_depth_one_sided_and_empty() -> None:
    fig = F.depth_figure(fx.one_sided(), OPTS)
    t = by_name(fig)
    eq(t["depth-bids"].y, [11, 9, 6, 4.5, 3])  # range ±1 % around the best bid 999.5
    eq(t["depth-asks"].x, [])
    assert tuple(fig.layout.xaxis.range) == (999.5 - 9.995, 999.5 + 9.995)
    assert "mid" not in shapes(fig)
    fig = F.depth_figure(fx.empty(), OPTS)
    assert names(fig) == ["bids", "asks"]
    assert notes(fig)["note"] == "no liquidity from the selected venues in range"
    fig = F.depth_figure(fx.snapshot(), OPTS.with_(venues=()))
    assert names(fig) == ["bids", "asks"] and "note" in notes(fig)


# =============================================================================== heatmap


def test_heatmap_rows_by_second_with_gaps() -> None:
    times, z, y = F.heatmap_rows(fx.window(), OPTS, 1.0)
    assert times == [
        "1970-01-01 00:01:40.500",  # the middle of each second: a cell spans its second
        "1970-01-01 00:01:41.500",
        "1970-01-01 00:01:42.500",
        "1970-01-01 00:01:43.500",
    ]
    assert y == [996.5, 997.5, 998.5, 999.5, 1000.5, 1001.5, 1002.5, 1003.5]
    assert nan_rows(z) == [
        [1.5, 2.5, 4.5, 5.5, 5.5, 6.5, 9.5, 10.5],
        [1, 1, 1, 1, 1, 1, 1, 1],  # kraken excluded that second
        [None] * 8,  # not recorded
        [None, None, 2, 2, 2, 2, None, None],  # the row covered 998..1001 only
    ]
    assert all(type(r) is list for r in z)  # plain lists: a Patch can extend them


def test_heatmap_rows_aggregated_by_bucket_mult() -> None:
    _, z, y = F.heatmap_rows(fx.window(), OPTS.with_(bucket_mult=2), 1.0)
    assert y == [997.0, 999.0, 1001.0, 1003.0]  # display buckets 996-997 ... 1002-1003
    # a display bucket with an unknown part is unknown
    assert nan_rows(z) == [[4, 10, 12, 20], [2, 2, 2, 2], [None] * 4, [None, 4, 4, None]]
    # a window not aligned on the multiple keeps only whole display buckets: 998..1003
    _, z, y = F.heatmap_rows(fx.window(lo=997, n=8), OPTS.with_(bucket_mult=2), 1.0)
    assert y == [999.0, 1001.0, 1003.0]
    assert nan_rows(z)[0] == [10, 12, 20]


def test_heatmap_rows_log_and_bps_grid() -> None:
    _, z, _ = F.heatmap_rows(fx.window(), OPTS.with_(heat_log=True), 1.0)
    assert z[1] == [round(math.log10(2.0), 6)] * 8 or z[1] == [0.30103] * 8
    assert z[0][7] == pytest.approx(math.log10(11.5), abs=1e-6)
    g = Grid.bps(10.0, anchor=1.0)
    _, _, y = F.heatmap_rows(fx.window(lo=6900, n=2), OPTS, g)
    expected = [(g.lower(6900) + g.upper(6900)) / 2, (g.lower(6901) + g.upper(6901)) / 2]
    np.testing.assert_allclose(y, expected, rtol=1e-11)  # rounded to 12 significant digits


def test_heatmap_figure_traces_and_colour_scale() -> None:
    fig = F.heatmap_figure(fx.window(), fx.trades(), OPTS, 1.0, quote="USD")
    assert names(fig) == list(F.HEAT_TRACES) == [
        "liquidity", "best bid", "best ask", "trades", "not recorded",
    ]  # fmt: skip
    assert (F.HEAT_Z, F.HEAT_BID, F.HEAT_ASK, F.HEAT_TRADES, F.HEAT_GAPS) == (0, 1, 2, 3, 4)
    h = fig.data[F.HEAT_Z]
    assert h.transpose is True and h.hoverongaps is False
    times, z, y = F.heatmap_rows(fx.window(), OPTS, 1.0)
    assert list(h.x) == times and list(h.y) == y
    assert nan_rows(h.z) == nan_rows(z)
    finite = [v for r in z for v in r if not math.isnan(v)]
    assert float(np.percentile(finite, 99)) == pytest.approx(10.31, rel=1e-12)
    assert h.zmin == 0 and h.zmax == 10.31  # rounded to 7 significant digits
    assert h.colorbar.title.text == "size (BTC)"
    assert fig.layout.xaxis.title.text == "time (UTC)" and fig.layout.xaxis.type == "date"
    assert fig.layout.yaxis.title.text == "price (USD)"
    assert tuple(fig.layout.yaxis.range) == (996.0, 1004.0)
    # intensity 2: the colour scale tops out at half the 99th percentile
    assert F.heatmap_figure(fx.window(), fx.trades(), OPTS.with_(heat_intensity=2.0), 1.0)\
        .data[0].zmax == 5.155  # fmt: skip


def test_heatmap_log_colour_bar() -> None:
    fig = F.heatmap_figure(fx.window(), fx.trades(), OPTS.with_(heat_log=True), 1.0)
    h = fig.data[0]
    assert h.colorbar.title.text == "size (BTC)<br>log₁₀(1+size)"
    assert h.zmax == pytest.approx(np.percentile(np.log10(1 + np.array(
        [1.5, 2.5, 4.5, 5.5, 5.5, 6.5, 9.5, 10.5] + [1] * 8 + [2] * 4)), 99), rel=1e-6)  # fmt: skip
    # ticks at least a tenth of the bar apart (0.2 would sit at 0.079 < 0.105)
    assert list(h.colorbar.ticktext) == ["0", "0.5", "1", "2", "5", "10"]
    eq(h.colorbar.tickvals, [0, 0.176091, 0.30103, 0.477121, 0.778151, 1.041393])


def test_heatmap_touch_gaps_and_trade_bubbles() -> None:
    fig = F.heatmap_figure(fx.window(), fx.trades(), OPTS, 1.0, quote="USD")
    bid, ask, tr, gaps = fig.data[1], fig.data[2], fig.data[3], fig.data[4]
    assert nan_rows([bid.y, ask.y]) == [
        [999.5, 999.0, None, 1000.5],
        [1000.5, 1001.0, None, 1001.5],
    ]
    assert bid.line.color == F.BID_COLOR and ask.line.color == F.ASK_COLOR
    assert bid.connectgaps is False and bid.line.shape == "hvh"  # steps between seconds
    # the "not recorded" band: one brick over the whole price range, only at 00:01:42
    assert list(gaps.y) == [996.0, 1004.0]
    assert nan_rows(gaps.z) == [[None], [None], [1.0], [None]]
    assert gaps.showscale is False and gaps.showlegend is True
    # trades: time, price, bubble diameter 4 + 0.1 * sqrt(notional) capped at 36
    assert list(tr.x) == [
        "1970-01-01 00:01:40.250",
        "1970-01-01 00:01:41.750",
        "1970-01-01 00:01:43.500",
        "1970-01-01 00:01:43.750",
    ]
    assert list(tr.y) == [1000.0] * 4
    assert list(tr.marker.size) == [5.0, 9.0, 14.0, 36.0]  # notional 100, 2500, 10000, 200000
    assert list(tr.marker.color) == [F.BID_COLOR, F.ASK_COLOR, F.BID_COLOR, F.ASK_COLOR]
    assert list(tr.text) == [
        "binance taker buy 0.1000 BTC @ 1,000.00 = 100.00 USD",
        "coinbase taker sell 2.500 BTC @ 1,000.00 = 2,500 USD",
        "kraken taker buy 10.00 BTC @ 1,000.00 = 10,000 USD",
        "binance taker sell 200.0 BTC @ 1,000.00 = 200,000 USD",
    ]


def test_trade_marker_px() -> None:
    eq(F.trade_marker_px(np.array([0.0, 100.0, 2500.0, 1e4, 1.024e5, 1e9])),
       [4.0, 5.0, 9.0, 14.0, 36.0, 36.0])  # fmt: skip


def test_heatmap_selected_venues_only() -> None:
    win = fx.window(venues=(BIN, KR))
    fig = F.heatmap_figure(win, fx.trades(), NO_CB, 1.0)
    assert nan_rows(fig.data[0].z)[0] == [1, 2, 4, 5, 5, 6, 9, 10]  # binance + kraken
    assert nan_rows(fig.data[0].z)[1] == [1] * 8  # kraken excluded: binance alone
    assert [t.split()[0] for t in fig.data[3].text] == ["binance", "kraken", "binance"]
    assert "coinbase" not in fig.to_json()
    # a window summed over a venue that is not selected cannot be split: refused
    with pytest.raises(ValueError, match="coinbase"):
        F.heatmap_figure(fx.window(), fx.trades(), NO_CB, 1.0)


def test_heatmap_json_is_plain_lists_with_nulls() -> None:
    fig = as_json(F.heatmap_figure(fx.window(), fx.trades(), OPTS, 1.0))
    for trace in fig["data"]:
        for key in ("x", "y", "z"):
            assert isinstance(trace.get(key, []), list), (trace["name"], key)
    assert fig["data"][0]["z"][2] == [None] * 8
    assert fig["data"][1]["y"][2] is None
    assert isinstance(fig["data"][3]["marker"]["size"], list)


def test_heatmap_empty_window_survives() -> None:
    for win in (fx.window(n=0), fx.history().window(500.0, 499.0, 996, 8)):
        fig = F.heatmap_figure(win, fx.trades(), OPTS, 1.0)
        assert names(fig) == list(F.HEAT_TRACES)
        assert notes(fig)["note"] == "no liquidity history yet"
        assert fig.data[0].zmax == 1.0
    empty_trades = fx.history().trades_between(0.0, 1.0)
    fig = F.heatmap_figure(fx.window(), empty_trades, OPTS, 1.0)
    assert list(fig.data[3].x) == []


def test_heatmap_span_whole_display_buckets() -> None:
    assert F.heatmap_span(1000.0, OPTS, 1.0) == (990, 21)  # buckets 990..1010
    assert F.heatmap_span(1000.0, OPTS.with_(bucket_mult=25), 1.0) == (975, 50)
    assert F.heatmap_span(1000.0, OPTS.with_(range_pct=5.0), 0.01) == (99000, 2000)  # capped
    assert F.heatmap_span(NAN, OPTS, 1.0) == (0, 0)


def apply_patch(fig: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a Patch's Extend/Delete operations to a figure dict (as the browser does)."""
    ops = json.loads(to_json(patch.to_plotly_json()))["operations"]
    for op in ops:
        *path, last = op["location"]
        node: Any = fig
        for key in path:
            node = node[key]
        if op["operation"] == "Extend":
            node[last].extend(op["params"]["value"])
        elif op["operation"] == "Delete":
            del node[last]
        else:  # pragma: no cover - the builder uses no other operation
            raise AssertionError(op)
    return fig


def test_heatmap_patch_appends_exactly_what_the_full_figure_draws() -> None:
    h = fx.history()
    for opts in (OPTS, OPTS.with_(bucket_mult=2, heat_log=True)):
        first = F.heatmap_figure(
            h.window(100.0, 101.0, 996, 8, fx.VENUES3), h.trades_between(100, 101.999), opts, 1.0
        )
        patch = F.heatmap_patch(
            h.since(101.0, 996, 8, fx.VENUES3), h.trades_between(102, 104), opts, 1.0
        )
        got = apply_patch(as_json(first), patch)
        full = as_json(F.heatmap_figure(fx.window(), fx.trades(), opts, 1.0))
        for i in range(len(F.HEAT_TRACES)):
            for key in ("x", "y", "z", "text"):
                assert got["data"][i].get(key) == full["data"][i].get(key), (i, key)
            assert got["data"][i].get("marker") == full["data"][i].get("marker"), i


def test_heatmap_patch_drops_old_seconds_and_keeps_trades() -> None:
    h = fx.history()
    first = F.heatmap_figure(
        h.window(100.0, 101.0, 996, 8, fx.VENUES3), h.trades_between(100, 101.999), OPTS, 1.0
    )
    patch = F.heatmap_patch(
        h.since(101.0, 996, 8, fx.VENUES3), h.trades_between(102, 104), OPTS, 1.0, drop=2
    )
    got = apply_patch(as_json(first), patch)
    times = ["1970-01-01 00:01:42.500", "1970-01-01 00:01:43.500"]
    for i, key in ((0, "z"), (1, "y"), (2, "y"), (4, "z")):
        assert got["data"][i]["x"] == times
        assert len(got["data"][i][key]) == 2
    assert got["data"][1]["y"] == [None, 1000.5]
    assert len(got["data"][3]["x"]) == 4  # trades are not trimmed here


def test_heatmap_patch_nothing_new_is_empty() -> None:
    h = fx.history()
    p = F.heatmap_patch(h.since(103.0, 996, 8, fx.VENUES3), h.trades_between(104, 105), OPTS, 1.0)
    assert p.to_plotly_json()["operations"] == []


# =============================================================================== breakdown


def test_breakdown_shares_by_venue_and_side() -> None:
    fig = F.breakdown_figure(fx.snapshot(), OPTS)
    assert names(fig) == ["binance", "coinbase", "kraken"]
    assert fig.layout.barmode == "stack"
    assert fig.layout.xaxis.title.text == "notional within ±5 % of mid (USD)"
    assert fig.layout.yaxis.title.text == "side"
    # labels that do not fit their segment are hidden, never turned sideways
    assert fig.layout.uniformtext.mode == "hide" and fig.data[0].textangle == 0
    # bid notional within 5 %: binance 999.5*2 + 999 + 995*3 + 980*5 = 10883 of 15859
    expected = {
        "binance": ((10883.0, 13138.5), ("68.6 %", "70.4 %")),
        "coinbase": ((1996.5, 1502.25), ("12.6 %", "8.1 %")),
        "kraken": ((2979.5, 4014.5), ("18.8 %", "21.5 %")),
    }
    for t in fig.data:
        assert t.orientation == "h" and tuple(t.y) == ("bids", "asks")
        assert (tuple(t.x), tuple(t.text)) == expected[t.name]
    assert fig.data[0].customdata[0] == pytest.approx([10883 / 15859 * 100, 11.0])


def test_breakdown_shares_of_the_selected_venues_only() -> None:
    fig = F.breakdown_figure(fx.snapshot(), NO_CB)
    assert names(fig) == ["binance", "kraken"]
    assert tuple(fig.data[0].text) == (f"{10883 / 13862.5 * 100:.1f} %", "76.6 %")
    assert tuple(fig.data[1].text) == ("21.5 %", "23.4 %")


def test_bands_per_venue_in_two_panels() -> None:
    fig = F.bands_figure(fx.snapshot(), OPTS)
    assert names(fig) == ["binance", "coinbase", "kraken"] * 2
    labels = ("±0.1 %", "±0.5 %", "±1 %", "±2 %", "±5 %")
    bids = {t.name: t for t in fig.data if t.xaxis == "x"}
    asks = {t.name: t for t in fig.data if t.xaxis == "x2"}
    assert all(tuple(t.x) == labels for t in fig.data)
    eq(bids["binance"].y, [2998, 5983, 5983, 10883, 10883])
    eq(bids["binance"].customdata, [3, 6, 6, 11, 11])
    eq(bids["coinbase"].y, [499.5, 1996.5, 1996.5, 1996.5, 1996.5])
    eq(bids["kraken"].y, [999.5, 999.5, 2979.5, 2979.5, 2979.5])
    eq(asks["binance"].y, [3002.5, 7018.5, 7018.5, 13138.5, 13138.5])
    eq(asks["kraken"].y, [0, 3004.5, 4014.5, 4014.5, 4014.5])
    assert [t.showlegend for t in fig.data] == [True] * 3 + [False] * 3
    assert fig.layout.xaxis.title.text == "bids within the band around the mid"
    assert fig.layout.xaxis2.title.text == "asks within the band around the mid"
    assert fig.layout.yaxis.title.text == "notional (USD)"
    assert names(F.bands_figure(fx.snapshot(), NO_CB)) == ["binance", "kraken"] * 2


def test_dominance_strip() -> None:
    snap = fx.snapshot()
    fig = F.dominance_figure(snap, OPTS)
    assert names(fig) == ["binance", "coinbase", "kraken"]
    assert fig.layout.xaxis.title.text == "price (USD)"
    assert fig.layout.yaxis.title.text == "dominant venue's share (%)"
    t = {x.name: x for x in fig.data}
    # buckets 990..1010 ($1); centre = lower + 0.5
    eq(t["binance"].x, [995.5, 999.5, 1000.5, 1004.5])
    eq(t["coinbase"].x, [998.5, 1002.5])
    eq(t["kraken"].x, [990.5, 1001.5, 1010.5])
    # bucket 999: binance 2998 of 2998 + 499.5 + 999.5; bucket 1000: 1000.5 of 1500.75;
    # bucket 1001: kraken 3004.5 of 3004.5 + 2002 (shares rounded to 0.1 %, as hovered)
    eq(t["binance"].y, [100.0, 66.7, 66.7, 100.0])
    eq(t["kraken"].y, [100.0, 60.0, 100.0])
    eq(t["binance"].width, [1, 1, 1, 1])
    assert t["binance"].customdata[1].tolist() == [999.0, 1000.0, 2998.0, 4497.0]
    # with every venue and x1 it is the provider's own dominant venue per bucket
    b = snap.consolidated.buckets
    prov = {
        float(b.lower[j]) + 0.5: snap.consolidated.venues[d]
        for j, d in enumerate(b.dominant)
        if d >= 0 and 990 <= b.lower[j] <= 1010
    }
    mine = {float(x): Venue(tr.name) for tr in fig.data for x in tr.x}
    assert mine == prov
    assert shapes(fig)["mid"].x0 == 1000.0


def test_dominance_by_display_bucket_and_selection() -> None:
    fig = F.dominance_figure(fx.snapshot(), NO_CB.with_(bucket_mult=2))
    assert names(fig) == ["binance", "kraken"]
    t = {x.name: x for x in fig.data}
    # display buckets of $2: 998-999 binance 2998 (coinbase not counted) vs kraken 999.5
    eq(t["binance"].x, [995, 999, 1005])
    eq(t["binance"].y, [100.0, 75.0, 100.0])
    eq(t["kraken"].x, [991, 1001, 1011])
    eq(t["kraken"].width, [2, 2, 2])


def test_dominance_one_sided_and_empty() -> None:
    fig = F.dominance_figure(fx.one_sided(), OPTS)
    assert "mid" not in shapes(fig)
    # bid buckets within 1 % of the best bid: 990 (kraken), 995, 998 (coinbase), 999
    assert [(t.name, list(t.x)) for t in fig.data] == [
        ("binance", [995.5, 999.5]), ("coinbase", [998.5]), ("kraken", [990.5]),
    ]  # fmt: skip
    fig = F.dominance_figure(fx.empty(), OPTS)
    assert names(fig) == []
    assert "note" in notes(fig)


# =============================================================================== profile


def test_profile_buy_right_sell_left_poc_value_area_mid() -> None:
    fig = F.profile_figure(fx.profile_view(), OPTS, 1000.25, quote="USD")
    assert names(fig) == ["buy", "sell"]
    buy, sell = fig.data
    for t in (buy, sell):
        assert t.orientation == "h"
        eq(t.y, [998.5, 999.5, 1000.5, 1001.5])  # bars span their $1 bucket
        assert t.width == 1.0
    eq(buy.x, [0.5, 0, 2, 5])
    eq(sell.x, [0, -1, -3, 0])
    assert not np.signbit(sell.x[[0, 3]]).any()  # zero, not -0.0
    assert buy.marker.color == F.BID_COLOR and sell.marker.color == F.ASK_COLOR
    assert fig.layout.barmode == "relative"
    assert fig.layout.xaxis.title.text == "volume (BTC): ← taker sells | taker buys →"
    assert fig.layout.yaxis.title.text == "price (USD)"
    s = shapes(fig)
    # POC: 1000 and 1001 tie at 5; 1001 is nearer to the last trade (kraken 1001.3)
    assert (s["poc"].y0, s["poc"].y1) == (1001.5, 1001.5)
    assert (s["value area"].y0, s["value area"].y1) == (1000.0, 1002.0)
    assert (s["mid"].y0, s["mid"].x0, s["mid"].x1) == (1000.25, 0, 1)
    assert notes(fig) == {"mid": "mid 1,000.25"}  # POC and value area: in the legend
    assert (s["poc"].name, s["value area"].name) == ("POC 1,001.00", "VA 70 %")
    assert s["poc"].showlegend and s["value area"].showlegend
    cd = buy.customdata[2].tolist()  # bucket 1000: lower, upper, buy, sell, trades, notional
    assert cd == [1000.0, 1001.0, 2.0, 3.0, 2.0, 1000.2 * 2 + 1000.7 * 3]


def test_profile_split_by_venue() -> None:
    fig = F.profile_figure(fx.profile_view(), OPTS.with_(profile_split=True))
    assert [t.uid for t in fig.data] == [
        "profile-buy-binance", "profile-buy-coinbase", "profile-buy-kraken",
        "profile-sell-binance", "profile-sell-coinbase", "profile-sell-kraken",
    ]  # fmt: skip
    t = by_name(fig)
    eq(t["profile-buy-binance"].x, [0, 0, 2, 1])
    eq(t["profile-buy-coinbase"].x, [0.5, 0, 0, 0])
    eq(t["profile-buy-kraken"].x, [0, 0, 0, 4])
    eq(t["profile-sell-binance"].x, [0, -1, 0, 0])
    eq(t["profile-sell-coinbase"].x, [0, 0, -3, 0])
    assert [x.showlegend for x in fig.data] == [True] * 3 + [False] * 3
    for x in fig.data[3:]:  # no -0.0 on the sell side (it would print as "-0")
        assert not (np.signbit(x.x) & (x.x == 0)).any()
    assert shapes(fig)["poc"].y0 == 1001.5  # the same POC: every venue is selected


def test_profile_split_skips_venues_that_did_not_trade() -> None:
    view = fx.profile_view([t for t in fx.PROFILE_TRADES if t[0] != CB])
    fig = F.profile_figure(view, OPTS.with_(profile_split=True))
    assert names(fig) == ["binance", "kraken", "binance", "kraken"]


def test_profile_recomputes_poc_and_value_area_for_the_selection() -> None:
    fig = F.profile_figure(fx.profile_view(), OPTS.with_(venues=(BIN, CB)))
    eq(fig.data[0].x, [0.5, 0, 2, 1])  # kraken's 4 at 1001 is gone
    s = shapes(fig)
    # volumes 998: 0.5, 999: 1, 1000: 5, 1001: 1 -> POC 1000; 70 % of 7.5 = 5.25:
    # 1000 (5), then 999 or 1001 (1 each, equally near: the lower) -> 999..1001
    assert s["poc"].y0 == 1000.5
    assert (s["value area"].y0, s["value area"].y1) == (999.0, 1001.0)
    fig = F.profile_figure(fx.profile_view(), OPTS.with_(venues=(KR,), profile_split=True))
    assert names(fig) == ["kraken", "kraken"]
    eq(fig.data[0].y, [1001.5])
    assert (shapes(fig)["value area"].y0, shapes(fig)["value area"].y1) == (1001.0, 1002.0)


def test_profile_empty_and_no_mid() -> None:
    fig = F.profile_figure(fx.profile_view([]), OPTS, None)
    assert names(fig) == ["buy", "sell"] and list(fig.data[0].x) == []
    assert set(shapes(fig)) == set()
    assert notes(fig)["note"] == "no trades from the selected venues this session"
    fig = F.profile_figure(fx.profile_view(), OPTS, NAN)
    assert "mid" not in shapes(fig)


# =============================================================================== empty


def test_empty_figure() -> None:
    msg = "waiting for venues: binance connecting, okx resyncing…"
    fig = F.empty_figure(msg, OPTS.with_(theme="light"))
    assert fig.data == ()
    assert [(a.text, a.x, a.y, a.xref, a.showarrow) for a in fig.layout.annotations] == [
        (msg, 0.5, 0.5, "paper", False)
    ]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert fig.layout.template.layout.paper_bgcolor == "white"


# =============================================================================== all charts


def all_figures(snap: Any, opts: ViewOptions) -> list[go.Figure]:
    return [
        F.depth_figure(snap, opts),
        F.breakdown_figure(snap, opts),
        F.bands_figure(snap, opts),
        F.dominance_figure(snap, opts),
        F.profile_figure(snap.profile, opts, snap.consolidated.mid),
    ]


def test_unselected_venues_absent_from_every_figure() -> None:
    snap = fx.snapshot()
    for opts in (NO_CB, NO_CB.with_(profile_split=True, bucket_mult=5)):
        figs = all_figures(snap, opts)
        figs.append(F.heatmap_figure(fx.window(venues=(BIN, KR)), fx.trades(), opts, 1.0))
        for fig in figs:
            text = fig.to_json()
            assert "coinbase" not in text, [t.uid for t in fig.data]


@pytest.mark.parametrize("make", [fx.one_sided, fx.empty])
def test_figures_survive_one_sided_and_empty_snapshots(make: Any) -> None:
    snap = make()
    for opts in (OPTS, OPTS.with_(bucket_mult=10, profile_split=True, theme="light")):
        for fig in all_figures(snap, opts):
            fig.to_json()  # serialises (no NaN/inf errors)
            go.Figure(fig.to_plotly_json())  # valid properties (built unvalidated)


def test_builders_do_not_mutate_their_inputs() -> None:
    snap = fx.snapshot()
    before = [b.bid_sz.copy() for b in snap.books]
    all_figures(snap, OPTS)
    for b, old in zip(snap.books, before):
        eq(b.bid_sz, old)
        assert not b.bid_sz.flags.writeable


def test_trades_of_one_second_side_and_price_are_one_bubble() -> None:
    h = fx.history()
    for v, size in ((BIN, 1.0), (KR, 3.0)):  # both taker buys at 1002 in second 104
        h.add_trade(fx.trade(v, 1002.0, size, fx.Side.BUY), 104.5 if v is BIN else 104.25)
    h.add_trade(fx.trade(BIN, 1002.0, 2.0, fx.Side.SELL), 104.6)  # other side: its own bubble
    x, y, px, color, text = F.trade_points(h.trades_between(104.0, 105.0), OPTS, quote="USD")
    assert x == ["1970-01-01 00:01:44.250", "1970-01-01 00:01:44.600"]
    assert y == [1002.0, 1002.0]
    # 4 BTC * 1002 = 4008 USD -> 4 + 0.1 * sqrt(4008) = 10.33 px
    assert px == [round(4 + 0.1 * 4008**0.5, 2), round(4 + 0.1 * 2004**0.5, 2)]
    assert color == [F.BID_COLOR, F.ASK_COLOR]
    assert text[0] == "binance, kraken taker buy x2 4.000 BTC @ 1,002.00 = 4,008 USD"


def test_wire_form_is_what_dash_would_send_for_the_figure() -> None:
    """``builder.wire(...)`` (what the page's refresh returns) encodes to the same JSON as
    the ``go.Figure`` the builder returns when called; numpy arrays go as typed arrays."""
    snap = fx.snapshot()
    cases = [
        (F.depth_figure, (snap, OPTS), {}),
        (F.breakdown_figure, (snap, OPTS), {}),
        (F.bands_figure, (snap, NO_CB), {}),
        (F.dominance_figure, (snap, OPTS), {}),
        (F.profile_figure, (fx.profile_view(), OPTS, 1000.25), {"quote": "USD"}),
        (F.empty_figure, ("waiting", OPTS), {}),
    ]
    for builder, args, kwargs in cases:
        wire = builder.wire(*args, **kwargs)
        assert isinstance(wire, dict)
        assert json.loads(to_json(wire)) == json.loads(to_json(builder(*args, **kwargs)))
    # a deep book: 120 sampled sizes per curve go as float32 typed arrays
    bids = [(round(999.95 - 0.05 * i, 2), 1.0) for i in range(200)]
    asks = [(round(1000.05 + 0.05 * i, 2), 1.0) for i in range(200)]
    deep = fx.snapshot((fx.book(BIN, bids, asks),))
    wire = F.depth_figure.wire(deep, OPTS.with_(venues=(BIN,)))
    y = wire["data"][0]["y"]
    assert y["dtype"] == "f4" and len(base64.b64decode(y["bdata"])) == 120 * 4
    assert json.loads(to_json(wire)) == json.loads(
        to_json(F.depth_figure(deep, OPTS.with_(venues=(BIN,))))
    )
