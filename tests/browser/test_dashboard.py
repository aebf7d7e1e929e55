"""The dashboard in a real headless Chromium against the real app on the emulator.

What a person would see: every panel drawn with data and moving; a venue toggled off takes
its liquidity out of the charts; the symbol switch moves every price axis and survives a
reload; a silenced venue's chip turns stale and comes back; every export downloads a file
of the right type that is not blank; no browser console errors.

Most tests use ``live_app`` (emulator + provider + Dash app in this process, so faults can
be injected); one smoke test runs ``python app.py --source demo`` in a subprocess.
Screenshots (dark and light theme, a hidden venue, a stale venue, ETH) and the image
exports are written to ``out/screenshots/`` for people to look at.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image

from dashboard import ids
from provider.emulator.faults import Fault
from provider.models import Venue
from tests.helpers import REPO

SHOTS = REPO / "out" / "screenshots"

GRAPHS = tuple(ids.CHARTS)  # heatmap, depth, breakdown, bands, dominance, profile
FIRST_DRAW_S = 40.0  # page load + 4.8 MB of plotly.js + six figures on 2 busy cores (P14)
UPDATE_S = 30.0  # a redraw that takes a tick or two, with room for a machine under load
SILENCE_S = 12.0  # how long the stale test silences a venue (the provider's max_age_s is 5)
LIVE_GREEN = "rgb(46, 204, 113)"  # .cob-venue.st-live .cob-dot (assets/cob.css)
# the emulator's markets start at 65,000 (BTC) and 3,200 (ETH) and walk slowly
BTC_RANGE = (40_000.0, 100_000.0)
ETH_RANGE = (1_500.0, 6_000.0)
STAMP = r"\d{8}T\d{6}Z"

T = TypeVar("T")

# A summary of each trace of a graph as plotly.js holds it after drawing (``_fullData``:
# base64 typed arrays decoded; x0/dx expanded): name, type, point count, min/max of the numeric x and y,
# how many non-zero values it draws, the last x, and the last row sum of a heatmap's z.
SUMMARY_JS = """
(gid) => {
  const gd = document.querySelector('#' + gid + ' .js-plotly-plot');
  if (!gd || !gd._fullData || !gd._fullLayout) return null;
  const flat = (a) => {
    const out = [];
    if (!a) return out;
    for (const v of a) {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        for (const w of v) if (typeof w === 'number' && isFinite(w)) out.push(w);
      } else if (typeof v === 'number' && isFinite(v)) out.push(v);
    }
    return out;
  };
  const range = (a) => {
    if (!a.length) return null;
    let lo = Infinity, hi = -Infinity;
    for (const v of a) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return [lo, hi];
  };
  const rowSum = (r) => r ? flat([r]).reduce((s, v) => s + v, 0) : 0;
  return gd._fullData.map((t) => {
    const y = t.y || [], z = t.z || [];
    // evenly spaced x sent as x0 + dx (the sampled depth curves): the prices drawn
    const x = t.x || (t.dx !== undefined && t.x0 !== undefined
      ? Array.from({length: y.length}, (_, i) => t.x0 + i * t.dx) : []);
    const xs = flat(x), ys = flat(y), zs = flat(z);
    const drawn = t.type === 'heatmap' ? zs : (t.orientation === 'h' ? xs : ys);
    return {
      name: t.name, type: t.type, n: x.length || 0, nz: z.length || 0,
      x: range(xs), y: range(ys), z: range(zs),
      nonzero: drawn.filter((v) => v !== 0).length,
      total: drawn.reduce((s, v) => s + Math.abs(v), 0),
      last_x: x.length ? String(x[x.length - 1]) : null,
      last_z_sum: z.length ? rowSum(z[z.length - 1]) : 0,
    };
  });
}
"""

#: True when every chart is drawn with data - ``SUMMARY_JS``'s ``nonzero > 0`` for each: some
#: trace holds a finite non-zero value as plotly.js decoded it (``_fullData``: z of a heatmap,
#: x of horizontal bars, y otherwise, so x0/dx curves count by their y). It stops at the first
#: such value, so probing it every 50 ms (bench_dashboard's first paint) does not hold up the
#: page's main thread as the summary, which flattens every array, would.
DRAWN_JS = """(ids) => ids.every((id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  if (!gd || !gd._fullData || !gd._fullLayout) return false;
  const nz = (v) => typeof v === 'number' && isFinite(v) && v !== 0;
  const any = (a) => {
    if (!a) return false;
    for (const v of a) {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) { for (const w of v) if (nz(w)) return true; }
      else if (nz(v)) return true;
    }
    return false;
  };
  return gd._fullData.some((t) =>
    any(t.type === 'heatmap' ? t.z : (t.orientation === 'h' ? t.x : t.y)));
})"""

CHIPS_JS = """
() => Array.from(document.querySelectorAll('button.cob-venue')).map((b) => ({
  venue: JSON.parse(b.id).venue,
  cls: b.className,
  text: b.innerText.replace(/\\s+/g, ' ').trim(),
  dot: getComputedStyle(b.querySelector('.cob-dot')).backgroundColor,
}))
"""


# ------------------------------------------------------------------------------- helpers


def eventually(fn: Callable[[], T], timeout: float = 20.0, what: str = "") -> T:
    """Poll ``fn`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = fn()
        except AssertionError as exc:  # a condition written as asserts
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what} (last: {last!r:.1500})")
        time.sleep(0.25)


def traces(page: Any, gid: str) -> list[dict[str, Any]]:
    return page.evaluate(SUMMARY_JS, gid) or []


def names(page: Any, gid: str) -> set[str]:
    return {t["name"] for t in traces(page, gid)}


def chips(page: Any) -> dict[str, dict[str, Any]]:
    return {c["venue"]: c for c in page.evaluate(CHIPS_JS)}


def chip(page: Any, venue: str) -> Any:
    return page.locator(f'button.cob-venue[id*=\'"venue":"{venue}"\']')


def query(page: Any) -> dict[str, str]:
    """The address bar's query. (Not ``page.url``: a plain property read pumps no Playwright
    events, so a polling loop would never see ``history.pushState`` changes.)"""
    href = page.evaluate("() => location.href")
    return {k: v[-1] for k, v in parse_qs(urlparse(href).query).items()}


def shown_venues(page: Any) -> list[str]:
    return [v for v in query(page).get("venues", "").split(",") if v]


def all_drawn(page: Any) -> bool:
    """Every graph holds traces with data, the stats and ladder are filled."""
    for gid in GRAPHS:
        ts = traces(page, gid)
        if not ts or not any(t["nonzero"] > 0 for t in ts):
            return False
    return (
        bool(page.inner_text(f"#{ids.STATS}").strip())
        and page.locator(f"#{ids.LADDER} tbody tr").count() > 5
    )


def open_dashboard(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(
        f"#{ids.DEPTH} .js-plotly-plot .scatterlayer .trace", timeout=FIRST_DRAW_S * 1000
    )
    eventually(lambda: all_drawn(page), FIRST_DRAW_S, "every panel drawn with data")


def series(page: Any, gid: str, name: str) -> dict[str, Any]:
    found = [t for t in traces(page, gid) if t["name"] == name]
    assert found, f"no trace {name!r} in #{gid}: {names(page, gid)}"
    return found[0]


def price_span(page: Any, gid: str) -> tuple[float, float]:
    """The price range a graph draws (the axis its prices are on)."""
    ts = traces(page, gid)
    if gid == ids.HEATMAP:
        vals = [t["y"] for t in ts if t["name"] == "liquidity"]
    elif gid == ids.PROFILE:
        vals = [t["y"] for t in ts if t["type"] == "bar"]
    else:  # depth, dominance: price on x
        vals = [t["x"] for t in ts if t["type"] in ("scatter", "bar") and t["name"] != "mid"]
    vals = [v for v in vals if v]
    assert vals, f"#{gid} draws no prices"
    return min(v[0] for v in vals), max(v[1] for v in vals)


def in_range(span: tuple[float, float], rng: tuple[float, float]) -> bool:
    return rng[0] <= span[0] <= span[1] <= rng[1]


def number(text: str) -> float:
    m = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert m, f"no number in {text!r}"
    return float(m.group(0).replace(",", ""))


def stat_value(page: Any, label: str) -> str:
    tile = page.locator(".cob-stat", has=page.locator(".l", has_text=label)).first
    return str(tile.locator(".v").inner_text())


def ladder_prices(page: Any) -> list[float]:
    return [number(t) for t in page.locator(f"#{ids.LADDER} td.px").all_inner_texts()]


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.mouse.move(1, 1)  # no hover tooltip over the page
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    assert_image_not_blank(path.read_bytes(), min_size=(1000, 800))
    return path


def assert_image_not_blank(png: bytes, min_size: tuple[int, int] = (100, 100)) -> None:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    im = Image.open(io.BytesIO(png))
    im.load()
    assert im.width > min_size[0] and im.height > min_size[1], im.size
    if im.mode in ("RGBA", "LA", "P"):  # as an image viewer shows it: over white
        im = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im)
    rgb = im.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) >= 8, f"only {len(colours or [])} colours"
    assert np.asarray(rgb.convert("L"), dtype=np.float64).std() >= 5, "flat image"


def assert_no_console_errors(page: Any) -> None:
    assert page.console_errors == [], page.console_errors


def assert_stamp_recent(filename: str) -> None:
    m = re.search(r"_(\d{8}T\d{6}Z)\.", filename)
    assert m, filename
    t = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - t).total_seconds()) < 120, f"{filename}: not UTC now"


# ------------------------------------------------------------------------------- tests


def test_app_py_demo_serves_the_page(app_url: str, page: Any) -> None:
    """``python app.py --source demo`` (a subprocess) serves a page that draws data."""
    open_dashboard(page, app_url)
    assert page.inner_text(f"#{ids.SOURCE_BANNER}") == "SIMULATED MARKET"
    assert page.title().startswith("COB")
    assert len(chips(page)) == len(Venue)
    assert_no_console_errors(page)


def test_every_panel_drawn_with_data_and_updating(live_app: Any, page: Any) -> None:
    open_dashboard(page, live_app.url)
    assert page.inner_text(f"#{ids.SOURCE_BANNER}") == "SIMULATED MARKET"

    # the charts: each holds the traces a trader reads, with numbers in the BTC range
    heat = series(page, ids.HEATMAP, "liquidity")
    assert heat["nz"] > 0 and heat["nonzero"] > 0 and in_range(heat["y"], BTC_RANGE), heat
    for side in ("best bid", "best ask"):
        assert in_range(series(page, ids.HEATMAP, side)["y"], BTC_RANGE)
    depth = {t["name"] for t in traces(page, ids.DEPTH) if t["nonzero"] > 0}
    assert {"bids", "asks", *(v.value for v in Venue)} <= depth
    for gid in (ids.DEPTH, ids.DOMINANCE, ids.PROFILE, ids.HEATMAP):
        assert in_range(price_span(page, gid), BTC_RANGE), (gid, price_span(page, gid))
    eventually(
        lambda: {"buy", "sell"} <= {t["name"] for t in traces(page, ids.PROFILE) if t["nonzero"]},
        UPDATE_S,
        "volume profile with taker buys and sells",
    )
    breakdown = {t["name"]: t for t in traces(page, ids.BREAKDOWN)}
    assert set(breakdown) == {v.value for v in Venue}
    assert all(t["nonzero"] == 2 for t in breakdown.values()), breakdown  # bids and asks
    bands = [t for t in traces(page, ids.BANDS) if t["nonzero"]]
    assert {t["name"] for t in bands} == {v.value for v in Venue}
    assert len(bands) == 2 * len(Venue)  # a bids panel and an asks panel
    assert {t["name"] for t in traces(page, ids.DOMINANCE) if t["nonzero"]}

    # the numbers: stats tiles, ladder, execution cost
    vw_mid = number(stat_value(page, "VW mid"))
    assert BTC_RANGE[0] < vw_mid < BTC_RANGE[1]
    for label in ("Best bid", "Best ask", "Spread", "Imbalance"):
        assert re.search(r"\d", stat_value(page, label)), label
    prices = ladder_prices(page)
    assert len(prices) > 10 and all(BTC_RANGE[0] < p < BTC_RANGE[1] for p in prices)
    assert prices == sorted(prices, reverse=True), "ladder not in price order"
    assert page.locator(f"#{ids.LADDER} tr.mid").count() == 1
    assert page.locator(f"#{ids.EXEC_TABLE} tbody tr").count() >= 2
    assert "consolidated" in page.inner_text(f"#{ids.EXEC_TABLE}")
    assert "SIMULATED MARKET" in page.inner_text(f"#{ids.FOOTER}")

    # the venue chips: all live (green dot), with an age and a message rate
    eventually(
        lambda: all("st-live" in c["cls"] for c in chips(page).values()), UPDATE_S, "all chips live"
    )
    for v, c in chips(page).items():
        assert c["dot"] == LIVE_GREEN, (v, c)
        assert re.fullmatch(rf"{v} \d+\.\d s · [\d,]+ msg/s", c["text"]), c

    # and it moves: new heatmap seconds, new stats and footer
    last_x = heat["last_x"]
    stats_text = page.inner_text(f"#{ids.STATS}")
    footer = page.inner_text(f"#{ids.FOOTER}")
    eventually(
        lambda: series(page, ids.HEATMAP, "liquidity")["last_x"] > last_x, UPDATE_S, "heatmap grows"
    )
    eventually(lambda: page.inner_text(f"#{ids.STATS}") != stats_text, UPDATE_S, "stats update")
    eventually(lambda: page.inner_text(f"#{ids.FOOTER}") != footer, UPDATE_S, "footer updates")

    screenshot(page, "dashboard_dark.png")
    assert_no_console_errors(page)


def test_venue_toggled_off_removes_its_liquidity(live_app: Any, page: Any) -> None:
    open_dashboard(page, live_app.url)
    eventually(lambda: "binance" in names(page, ids.BREAKDOWN), UPDATE_S, "binance in breakdown")
    assert "binance" in shown_venues(page)
    before = {t["name"]: t["total"] for t in traces(page, ids.BREAKDOWN)}
    heat_before = series(page, ids.HEATMAP, "liquidity")["last_z_sum"]

    chip(page, "binance").click()

    eventually(lambda: "binance" not in shown_venues(page), UPDATE_S, "venues= without binance")
    assert set(shown_venues(page)) == {v.value for v in Venue} - {"binance"}
    for gid in (ids.DEPTH, ids.BREAKDOWN, ids.BANDS, ids.DOMINANCE):
        eventually(
            lambda gid=gid: "binance" not in names(page, gid) and len(names(page, gid)) > 1,
            UPDATE_S,
            f"no binance trace in #{gid}",
        )
    eventually(lambda: "off" in chips(page)["binance"]["cls"], UPDATE_S, "binance chip shown off")
    # its share is gone from the totals, not just its colour: the rest adds up to less
    after = {t["name"]: t["total"] for t in traces(page, ids.BREAKDOWN)}
    assert sum(after.values()) < sum(before.values()) - 0.5 * before["binance"], (before, after)
    # the heatmap is redrawn from the other venues only: less resting size per second
    eventually(
        lambda: 0 < series(page, ids.HEATMAP, "liquidity")["last_z_sum"] < 0.9 * heat_before,
        UPDATE_S,
        "heatmap without binance's size",
    )
    # the ladder's per-venue detail and the execution table no longer name it
    eventually(
        lambda: page.locator(f"#{ids.LADDER} tr[title*='binance']").count() == 0,
        UPDATE_S,
        "ladder without binance",
    )
    eventually(
        lambda: "binance" not in page.inner_text(f"#{ids.EXEC_TABLE}"), UPDATE_S, "exec w/o binance"
    )
    screenshot(page, "dashboard_binance_hidden.png")

    chip(page, "binance").click()

    eventually(lambda: "binance" in shown_venues(page), UPDATE_S, "venues= lists binance again")
    for gid in (ids.DEPTH, ids.BREAKDOWN, ids.BANDS):
        eventually(lambda gid=gid: "binance" in names(page, gid), UPDATE_S, f"binance in #{gid}")
    eventually(lambda: "off" not in chips(page)["binance"]["cls"], UPDATE_S, "binance chip on")
    assert_no_console_errors(page)


def test_symbol_switch_moves_every_chart_and_survives_reload(live_app: Any, page: Any) -> None:
    open_dashboard(page, live_app.url)
    assert query(page)["symbol"] == "BTC"
    assert in_range(price_span(page, ids.DEPTH), BTC_RANGE)

    page.select_option(f"#{ids.SYMBOL}", "ETH")

    eventually(lambda: query(page).get("symbol") == "ETH", UPDATE_S, "symbol=ETH in the URL")
    eventually(lambda: page.get_attribute(f"#{ids.ROOT}", "data-symbol") == "ETH", UPDATE_S, "page")

    def on_eth() -> bool:
        for gid in (ids.DEPTH, ids.HEATMAP, ids.DOMINANCE, ids.PROFILE):
            assert in_range(price_span(page, gid), ETH_RANGE), (gid, price_span(page, gid))
        assert ETH_RANGE[0] < number(stat_value(page, "VW mid")) < ETH_RANGE[1]
        prices = ladder_prices(page)
        assert prices and all(ETH_RANGE[0] < p < ETH_RANGE[1] for p in prices), prices
        assert "ETH" in page.inner_text(f"#{ids.EXEC_TABLE}")
        return True

    eventually(on_eth, UPDATE_S, "every chart in the ETH price range")
    eventually(lambda: page.inner_text("#bucket-label") == "= $1", UPDATE_S, "ETH bucket")
    screenshot(page, "dashboard_eth.png")

    page.reload()
    page.wait_for_selector(f"#{ids.DEPTH} .js-plotly-plot .scatterlayer .trace")
    eventually(lambda: all_drawn(page), FIRST_DRAW_S, "redrawn after reload")
    assert query(page)["symbol"] == "ETH"
    assert page.input_value(f"#{ids.SYMBOL}") == "ETH"
    eventually(on_eth, UPDATE_S, "still ETH after a reload")
    assert_no_console_errors(page)


def test_silenced_venue_chip_turns_stale_then_live(live_app: Any, page: Any) -> None:
    venue = "okx"
    open_dashboard(page, live_app.url)
    eventually(lambda: "st-live" in chips(page)[venue]["cls"], UPDATE_S, f"{venue} live")
    eventually(lambda: venue in names(page, ids.BREAKDOWN), UPDATE_S, f"{venue} in the breakdown")

    # nothing at all from the venue for 12 s; the provider drops it after 5 s (max_age_s),
    # so it is stale from about 5 s to 12 s after this
    live_app.emulator.inject(Venue.OKX, Fault.SILENCE, SILENCE_S)

    def stale() -> dict[str, Any] | None:
        c = chips(page)[venue]
        age = number(c["text"].split(" ", 1)[1])
        return c if "st-live" not in c["cls"] and c["dot"] != LIVE_GREEN and age >= 5 else None

    c = eventually(stale, SILENCE_S, f"{venue} chip stale while the venue is silent")
    assert live_app.summary()["venues"][venue]["state"] == "stale"
    assert re.search(r" 0 msg/s$", c["text"]), c  # nothing arrives
    # its liquidity is excluded (not drawn with its last prices), and the page says why
    eventually(
        lambda: venue not in names(page, ids.DEPTH) and venue not in names(page, ids.BREAKDOWN),
        8,
        f"{venue} excluded from depth and breakdown",
    )
    eventually(
        lambda: venue not in page.inner_text(f"#{ids.EXEC_TABLE}"), 8, "no sweep on its book"
    )
    eventually(
        lambda: f"{venue} (silent for" in page.inner_text(f"#{ids.CONNECTING}"), 8, "stale alert"
    )
    screenshot(page, "dashboard_okx_stale.png")

    eventually(lambda: "st-live" in chips(page)[venue]["cls"], UPDATE_S, f"{venue} live again")
    assert chips(page)[venue]["dot"] == LIVE_GREEN
    eventually(lambda: venue in names(page, ids.BREAKDOWN), UPDATE_S, f"{venue} back in breakdown")
    eventually(lambda: not page.locator(f"#{ids.CONNECTING}").is_visible(), UPDATE_S, "alert gone")
    assert_no_console_errors(page)


EXPECTED_FORMATS = ["png", "svg", "pdf", "html", "csv-buckets", "csv-profile", "csv-stats"]
EXPORT_CHART_NAMES = {
    ids.HEATMAP: "heatmap",
    ids.DEPTH: "depth",
    ids.BREAKDOWN: "breakdown",
    ids.BANDS: "bands",
    ids.DOMINANCE: "dominance",
    ids.PROFILE: "profile",
}


def _export(page: Any, chart: str, fmt: str, tmp_path: Path) -> tuple[str, bytes]:
    page.select_option(f"#{ids.EXPORT_CHART}", chart)
    page.select_option(f"#{ids.EXPORT_FORMAT}", fmt)
    with page.expect_download(timeout=90_000) as info:
        page.click(f"#{ids.EXPORT_BUTTON}", timeout=90_000)
    d = info.value
    assert d.failure() is None, d.failure()
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    assert not page.locator(f"#{ids.EXPORT_ERROR}").is_visible()
    data = path.read_bytes()
    if fmt in ("png", "svg", "pdf"):  # kept for people to look at
        (SHOTS / "exports").mkdir(parents=True, exist_ok=True)
        (SHOTS / "exports" / f"{EXPORT_CHART_NAMES[chart]}.{fmt}").write_bytes(data)
    return d.suggested_filename, data


def _check_csv(data: bytes, header_word: str) -> list[list[str]]:
    import csv

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) >= 3, rows  # a header and at least two rows
    assert header_word in rows[0], rows[0]
    assert all(len(r) == len(rows[0]) for r in rows), "ragged CSV"
    return rows


def test_every_export_downloads_a_non_blank_file(live_app: Any, page: Any, tmp_path: Path) -> None:
    open_dashboard(page, live_app.url)
    # the choices a person can pick (dbc.Select adds a hidden, disabled placeholder)
    visible = "os => os.filter(o => !o.disabled && !o.hidden).map(o => o.value)"
    offered = page.eval_on_selector_all(f"#{ids.EXPORT_FORMAT} option", visible)
    assert offered == EXPECTED_FORMATS
    charts = page.eval_on_selector_all(f"#{ids.EXPORT_CHART} option", visible)
    assert charts == list(ids.CHARTS)
    eventually(
        lambda: any(t["nonzero"] for t in traces(page, ids.PROFILE)),
        UPDATE_S,
        "trades in the profile",
    )

    # every image format, of every chart, as PNG; the other formats once
    plan = [(c, "png") for c in charts] + [
        (ids.DEPTH, "svg"),
        (ids.BREAKDOWN, "pdf"),
        (ids.HEATMAP, "html"),
        (ids.HEATMAP, "csv-buckets"),
        (ids.HEATMAP, "csv-profile"),
        (ids.HEATMAP, "csv-stats"),
    ]
    seen_formats = set()
    for chart, fmt in plan:
        name, data = _export(page, chart, fmt, tmp_path)
        seen_formats.add(fmt)
        assert_stamp_recent(name)
        what = f"{chart}/{fmt}: {name}"
        if fmt in ("png", "svg", "pdf"):
            assert re.fullmatch(rf"BTC_{EXPORT_CHART_NAMES[chart]}_{STAMP}\.{fmt}", name), what
        if fmt == "png":
            assert_image_not_blank(data, min_size=(100, 100))
            w, h = Image.open(io.BytesIO(data)).size
            assert w >= 1000 and h >= 500, (what, w, h)
        elif fmt == "svg":
            text = data.decode("utf-8")
            assert text.lstrip().startswith("<svg") or "<svg" in text[:2000], what
            assert text.count("<path") > 20, f"{what}: an SVG with hardly any shapes"
            assert "BTC" in text and "binance" in text, what
        elif fmt == "pdf":
            assert data.startswith(b"%PDF"), what
            assert len(data) > 5_000 and b"%%EOF" in data[-1024:], (what, len(data))
        elif fmt == "html":
            assert re.fullmatch(rf"BTC_view_{STAMP}\.html", name), what
            text = data.decode("utf-8")
            assert "<html" in text.lower() and "plotly" in text.lower(), what
            assert text.count("js-plotly-plot") + text.count("Plotly.newPlot") >= len(ids.CHARTS)
            assert "<script src=" not in text.replace('<script src="data:', ""), "needs a CDN"
        else:
            table = fmt.removeprefix("csv-")
            assert re.fullmatch(rf"BTC_{table}_{STAMP}\.csv", name), what
            header = {"buckets": "bucket_lower", "profile": "price", "stats": "statistic"}
            rows = _check_csv(data, header[table])
            if table == "buckets":
                lower = [float(r[0]) for r in rows[1:]]
                assert all(BTC_RANGE[0] < p < BTC_RANGE[1] for p in lower)
                assert any(float(r[2] or 0) > 0 for r in rows[1:]), "no bid sizes"
            if table == "stats":
                assert {f"venue {v.value}" for v in Venue} <= {r[0] for r in rows}
    assert seen_formats == set(EXPECTED_FORMATS)

    # and the graph's own "Download plot" button (assets/cob.js names the file)
    plot = f"[data-chart='{ids.DEPTH}'] .js-plotly-plot"
    page.hover(f"{plot} .nsewdrag")
    with page.expect_download(timeout=60_000) as info:
        page.locator(f'{plot} .modebar-btn[data-title^="Download plot"]').click()
    d = info.value
    assert re.fullmatch(rf"BTC_depth_{STAMP}\.png", d.suggested_filename), d.suggested_filename
    assert_stamp_recent(d.suggested_filename)
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    assert_image_not_blank(path.read_bytes(), min_size=(300, 200))
    assert_no_console_errors(page)


def test_light_theme(live_app: Any, page: Any) -> None:
    open_dashboard(page, live_app.url)
    dark_font = page.evaluate(
        "() => document.querySelector('#depth .js-plotly-plot')._fullLayout.font.color"
    )

    page.select_option(f"#{ids.THEME}", "light")

    eventually(lambda: query(page).get("theme") == "light", UPDATE_S, "theme=light in the URL")
    eventually(
        lambda: page.get_attribute(f"#{ids.ROOT}", "data-bs-theme") == "light",
        UPDATE_S,
        "light page",
    )

    def luminance(css: str) -> float:
        r, g, b = (float(x) for x in re.findall(r"[\d.]+", css)[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    bg = page.evaluate(
        f"() => getComputedStyle(document.getElementById('{ids.ROOT}')).backgroundColor"
    )
    assert luminance(bg) > 200, bg
    for gid in GRAPHS:
        eventually(
            lambda gid=gid: (
                page.evaluate(
                    f"() => document.querySelector('#{gid} .js-plotly-plot')._fullLayout.font.color"
                )
                != dark_font
            ),
            15,
            f"#{gid} redrawn in the light theme",
        )
        font = page.evaluate(
            f"() => document.querySelector('#{gid} .js-plotly-plot')._fullLayout.font.color"
        )
        assert luminance(font) < 128, (gid, font)  # dark text on the light page
    eventually(lambda: all_drawn(page), UPDATE_S, "panels drawn in the light theme")
    shot = Image.open(screenshot(page, "dashboard_light.png")).convert("L")
    assert np.asarray(shot, dtype=np.float64).mean() > 150, "the light page is not light"
    assert_no_console_errors(page)


def test_image_export_has_an_opaque_background(live_app: Any) -> None:
    """The bytes the Export button downloads (``export_bytes``, what the page's callback
    sends): a PNG of the dark view must carry its own background, like the page has."""
    import base64

    from dashboard.export import export_bytes
    from dashboard.view import ViewOptions

    opts = ViewOptions(symbol="BTC", venues=tuple(Venue), theme="dark")
    name, content = export_bytes(live_app.provider, opts, ids.DEPTH, "png")
    png = base64.b64decode(content)
    assert_image_not_blank(png)
    im = Image.open(io.BytesIO(png))
    alpha = im.getchannel("A").getextrema() if "A" in im.getbands() else (255, 255)
    assert alpha[0] == 255, f"{name}: transparent pixels (alpha {alpha})"


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(...)`` colours (1 = identical, 21 = max)."""

    def lum(css: str) -> float:
        out = []
        for c in (float(x) / 255 for x in re.findall(r"[\d.]+", css)[:3]):
            out.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_hidden_venue_chip_stays_readable(live_app: Any, page: Any) -> None:
    open_dashboard(page, live_app.url)
    chip(page, "binance").click()
    eventually(lambda: "off" in chips(page)["binance"]["cls"], UPDATE_S, "binance chip off")
    page.mouse.move(1, 1)
    page.wait_for_timeout(600)  # Bootstrap's .btn colour transitions (0.15 s) are over
    colours = page.evaluate(
        """() => {
          const b = document.querySelector(`button.cob-venue[id*='"venue":"binance"']`);
          const name = b.querySelector('.cob-venue-name');
          return [getComputedStyle(name).color, getComputedStyle(b).backgroundColor];
        }"""
    )
    assert contrast(*colours) >= 3.0, f"venue name {colours[0]} on {colours[1]}"


def test_stats_tiles_follow_the_venue_selection(live_app: Any, page: Any) -> None:
    shown = [v.value for v in Venue if v is not Venue.BINANCE]
    open_dashboard(page, f"{live_app.url}?venues={','.join(shown)}")
    assert "binance" not in names(page, ids.BREAKDOWN)

    # the tile and the chart come from one callback answer (one snapshot): read both at once
    tile, chart_bids = page.evaluate(
        """() => {
          const tile = Array.from(document.querySelectorAll('.cob-stat'))
            .find((e) => (e.querySelector('.l') || {}).textContent?.startsWith('liquidity'));
          const gd = document.querySelector('#breakdown .js-plotly-plot');
          // each venue's bar: x = [bid notional, ask notional]
          const bids = gd._fullData.reduce((s, t) => s + Number(t.x[0] || 0), 0);
          return [tile.querySelector('.v').textContent, bids];
        }"""
    )
    tile_bids = number(tile)  # "bids / asks USD"
    assert tile_bids == pytest.approx(chart_bids, rel=0.02), (tile_bids, chart_bids)
    for label in ("Best bid", "Best ask"):
        assert "binance" not in stat_value(page, label), label
