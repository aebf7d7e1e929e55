"""Parse + apply throughput per venue on the real captures, against two floors.

    python -m bench.bench_books [--rounds 7] [--captures DIR]

For each venue, the same book frames go through three loops in one run:

* ``loads``: ``orjson.loads`` of every frame (gzip inflate first for Huobi) and nothing else;
* ``bare``: orjson plus plain-dict updates - ``float(price)``, ``float(size)``, set or pop -
  with no sequence, checksum, crossing or validity checks (the floor any Python book pays);
* ``ours``: ``Connection.feed`` - the adapter, the sync guard with checksums on, the book.

Each loop runs ``--rounds`` times interleaved; the best time of each is kept and reported as a
ratio to ``bare`` measured in the same run (machines here swing 2x in raw speed from minute
to minute; ratios measured together hold). Also printed: frames/s, level updates/s, µs per
frame, and the book's apply rate alone on pre-parsed Binance levels.

Reference: cryptofeed 2.4.1 measured the same way on this machine kind is 3.7x the bare loop
on Binance btcusdt_20240808.gz, 11x on Kraken KRAKEN.ws.50.0, 6.0x on OKX OKX.ws.1.0.
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from provider.book import OrderBook
from provider.capture import RecordKind, read_capture
from provider.exchanges import adapter_class
from provider.models import Venue
from provider.session import VenueBooks

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = Path(os.environ.get("COB_CAPTURES", ROOT.parent / "shared" / "captures"))
PEER = {Venue.BINANCE: 3.7, Venue.KRAKEN: 11.0, Venue.OKX: 6.0}
TARGET = {Venue.BINANCE: 1.25, Venue.KRAKEN: 3.7, Venue.OKX: 2.0}


@dataclass
class Case:
    venue: Venue
    file: str
    is_book: Callable[[str | bytes], bool]
    bare: Callable[[list[Any]], int]  # returns level updates done
    url: str | None = None
    #: the venue numbers messages per connection across channels (Coinbase, Bitfinex): feed
    #: every received frame in order (book frames alone would look like lost messages)
    in_order: bool = False


# Each bare loop is as tight as we can write it: inlined float() and dict set/pop, direct
# key access for the venue's book frame shape, no function call per level.


def bare_binance(frames: list[Any]) -> int:
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    n = 0
    for f in frames:
        d = orjson.loads(f)["data"]
        b = d["b"]
        a = d["a"]
        for p, q in b:
            q = float(q)
            if q == 0:
                bids.pop(float(p), None)
            else:
                bids[float(p)] = q
        for p, q in a:
            q = float(q)
            if q == 0:
                asks.pop(float(p), None)
            else:
                asks[float(p)] = q
        n += len(b) + len(a)
    return n


def bare_kraken(frames: list[Any]) -> int:
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(f)
        bids, asks = books.setdefault(m[-1], ({}, {}))
        for part in m[1:-2]:
            for key, side in (("as", asks), ("bs", bids), ("a", asks), ("b", bids)):
                levels = part.get(key)
                if levels:
                    for lv in levels:
                        q = float(lv[1])
                        if q == 0:
                            side.pop(float(lv[0]), None)
                        else:
                            side[float(lv[0])] = q
                    n += len(levels)
    return n


def bare_okx(frames: list[Any]) -> int:
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(f)
        bids, asks = books.setdefault(m["arg"]["instId"], ({}, {}))
        for d in m["data"]:
            for levels, side in ((d["bids"], bids), (d["asks"], asks)):
                for lv in levels:
                    q = float(lv[1])
                    if q == 0:
                        side.pop(float(lv[0]), None)
                    else:
                        side[float(lv[0])] = q
                n += len(levels)
    return n


def bare_coinbase(frames: list[Any]) -> int:
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(f)
        if m.get("channel") != "l2_data":
            continue
        for ev in m["events"]:
            bids, asks = books.setdefault(ev["product_id"], ({}, {}))
            for u in ev["updates"]:
                side = bids if u["side"] == "bid" else asks
                q = float(u["new_quantity"])
                if q == 0:
                    side.pop(float(u["price_level"]), None)
                else:
                    side[float(u["price_level"])] = q
            n += len(ev["updates"])
    return n


def bare_bybit(frames: list[Any]) -> int:
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(f)
        bids, asks = books.setdefault(m["topic"], ({}, {}))
        d = m["data"]
        if m["type"] == "snapshot":
            bids.clear()
            asks.clear()
        for levels, side in ((d["b"], bids), (d["a"], asks)):
            for p, q in levels:
                q = float(q)
                if q == 0:
                    side.pop(float(p), None)
                else:
                    side[float(p)] = q
            n += len(levels)
    return n


def bare_huobi(frames: list[Any]) -> int:
    books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(zlib.decompress(f, 16 + zlib.MAX_WBITS))
        bids, asks = books.setdefault(m["ch"], ({}, {}))
        bids.clear()
        asks.clear()
        t = m["tick"]
        for p, q in t["bids"]:
            bids[float(p)] = float(q)
        for p, q in t["asks"]:
            asks[float(p)] = float(q)
        n += len(t["bids"]) + len(t["asks"])
    return n


def bare_bitfinex(frames: list[Any]) -> int:
    books: dict[int, tuple[dict[float, float], dict[float, float]]] = {}
    n = 0
    for f in frames:
        m = orjson.loads(f)
        if type(m) is not list or m[0] not in BITFINEX_BOOK_CHANNELS or type(m[1]) is not list:
            continue  # events, heartbeats, checksums, other channels
        bids, asks = books.setdefault(m[0], ({}, {}))
        body = m[1]
        levels = body if body and isinstance(body[0], list) else [body]
        for p, c, a in levels:
            side = bids if a > 0 else asks
            if c == 0:
                side.pop(float(p), None)
            else:
                side[float(p)] = abs(float(a))
        n += len(levels)
    return n


BITFINEX_BOOK_CHANNELS: set[int] = set()


def _starts(*prefixes: str) -> Callable[[str | bytes], bool]:
    bp = tuple(p.encode() for p in prefixes)
    return lambda f: f.startswith(bp) if isinstance(f, bytes) else f.startswith(prefixes)


def _has(text: str) -> Callable[[str | bytes], bool]:
    b = text.encode()
    return lambda f: (b in f[:300]) if isinstance(f, bytes) else (text in f[:300])


def _huobi_book(f: str | bytes) -> bool:
    return (
        isinstance(f, bytes)
        and zlib.decompress(f, 16 + zlib.MAX_WBITS).startswith(b'{"ch":"market.')
        and b"depth" in zlib.decompress(f, 16 + zlib.MAX_WBITS)[:60]
    )


def _bitfinex_book(chan: set[int]) -> Callable[[str | bytes], bool]:
    def is_book(f: str | bytes) -> bool:
        if not isinstance(f, str) or not f.startswith("["):
            return False
        head = f[1 : f.index(",")] if "," in f else ""
        return (
            head.isdigit() and int(head) in chan and '"hb"' not in f[:20] and '"cs"' not in f[:20]
        )

    return is_book


CASES = [
    Case(
        Venue.BINANCE,
        "hftbacktest/spot/btcusdt_20240808.gz",
        _starts('{"stream":"btcusdt@depth'),
        bare_binance,
    ),
    Case(
        Venue.KRAKEN,
        "cryptofeed/KRAKEN.ws.50.0",
        lambda f: f[:1] == "[" and '"book-' in f,
        bare_kraken,
    ),
    Case(
        Venue.OKX,
        "cryptofeed/OKX.ws.1.0",
        lambda f: f.startswith('{"arg":{"channel":"books"') and '"data"' in f,
        bare_okx,
    ),
    Case(
        Venue.COINBASE,
        "cryptofeed-v3/COINBASE.jsonl.zst",
        _has('"channel":"l2_data"'),
        bare_coinbase,
        in_order=True,
    ),
    Case(Venue.BYBIT, "cryptofeed-v3/BYBIT.jsonl.zst", _has('"topic":"orderbook'), bare_bybit),
    Case(Venue.HUOBI, "cryptofeed/HUOBI.ws.44.0", _huobi_book, bare_huobi),
    Case(
        Venue.BITFINEX, "cryptofeed/BITFINEX.ws.11.0", lambda f: False, bare_bitfinex, in_order=True
    ),
]


def load(case: Case) -> tuple[list[Any], list[tuple[str, Any]], dict[str, str | None]]:
    """Book frames of the case's file; also every record needed to set up ``ours``."""
    path = CAPTURES / case.file
    records = list(read_capture(path))
    urls: dict[str, str | None] = {}
    if case.venue is Venue.BITFINEX:  # book channel ids from the subscribe acks
        chans: set[int] = set()
        for r in records:
            if (
                r.kind is RecordKind.RECV
                and isinstance(r.data, str)
                and '"channel":"book"' in r.data
            ):
                chans.add(orjson.loads(r.data)["chanId"])
        case.is_book = _bitfinex_book(chans)
        BITFINEX_BOOK_CHANNELS.update(chans)
    frames = []
    setup: list[tuple[str, Any]] = []  # ("recv"|"sent"|"rest", data) not book frames, in order
    for r in records:
        if r.kind is RecordKind.CONNECT:
            urls[r.conn] = str(r.data)
        if r.kind is RecordKind.RECV and (case.in_order or case.is_book(r.data)):
            frames.append((r.conn, r.data))
        elif r.kind is RecordKind.RECV:
            setup.append(("recv", (r.conn, r.data)))
        elif r.kind is RecordKind.SEND:
            setup.append(("sent", (r.conn, r.data)))
        elif r.kind is RecordKind.HTTP and case.venue is Venue.BINANCE:
            setup.append(("rest", r.data))
    return frames, setup, urls


def setup_ours(
    case: Case, frames: list[Any], setup: list[tuple[str, Any]], urls: dict[str, str | None]
) -> tuple[VenueBooks, dict[str, Any]]:
    """A venue session that has seen every non-book record (acks, channel ids, REST)."""
    vb = VenueBooks(case.venue, adapter_class(case.venue))
    conns: dict[str, Any] = {}

    def conn(cid: str) -> Any:
        c = conns.get(cid)
        if c is None:
            c = conns[cid] = vb.connect(urls.get(cid))
        return c

    for kind, data in setup:
        if kind == "sent":
            conn(data[0]).adapter.on_sent(data[1])
        elif kind == "recv":
            conn(data[0]).feed(data[1], 0.0)
        elif kind == "rest":
            c = conn(frames[0][0])
            c.feed_rest(data, c.adapter.market("BTCUSDT"), 0.0)
    for cid, _ in frames:
        conn(cid)
    return vb, conns


def bench_case(case: Case, rounds: int) -> dict[str, Any] | None:
    if not (CAPTURES / case.file).is_file():
        return None
    frames, setup, urls = load(case)
    raw = [f for _, f in frames]
    huobi = case.venue is Venue.HUOBI

    def loads_only() -> None:
        for f in raw:
            orjson.loads(zlib.decompress(f, 16 + zlib.MAX_WBITS) if huobi else f)

    def ours() -> tuple[float, VenueBooks]:
        vb, conns = setup_ours(case, frames, setup, urls)
        pairs = [(conns[cid].feed, f) for cid, f in frames]
        t = time.perf_counter()
        for feed, f in pairs:
            feed(f, 1.0)
        return time.perf_counter() - t, vb

    best = {"loads": 1e9, "bare": 1e9, "ours": 1e9}
    levels = case.bare(raw)
    vb = None
    for _ in range(rounds):
        best["loads"] = min(best["loads"], _time(loads_only))
        best["bare"] = min(best["bare"], _time(lambda: case.bare(raw)))
        dt, vb = ours()
        best["ours"] = min(best["ours"], dt)
    assert vb is not None
    ok = sum(t.counters.checksums_ok for t in vb.trackers.values())
    bad = sum(t.counters.checksums_failed for t in vb.trackers.values())
    gaps = sum(t.counters.gaps for t in vb.trackers.values())
    applied = sum(t.counters.deltas + t.counters.snapshots for t in vb.trackers.values())
    n = len(raw)
    return {
        "venue": case.venue.value,
        "file": case.file,
        "frames": n,
        "levels": levels,
        "loads_x": best["loads"] / best["bare"],
        "ours_x": best["ours"] / best["bare"],
        "us_frame": best["ours"] / n * 1e6,
        "frames_s": n / best["ours"],
        "levels_s": levels / best["ours"],
        "bare_us": best["bare"] / n * 1e6,
        "checksums": f"{ok}/{ok + bad}" if ok + bad else "-",
        "gaps": gaps,
        "applied": applied,
    }


def _time(fn: Callable[[], Any], n: int = 1) -> float:
    best = 1e9
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_apply(rounds: int) -> float | None:
    """Book apply alone: level updates/s on pre-parsed Binance diff levels."""
    path = CAPTURES / CASES[0].file
    if not path.is_file():
        return None
    diffs = []
    snap = None
    with gzip.open(path, "rb") as f:
        for line in f:
            msg = line.split(b" ", 1)[1]
            if msg.startswith(b'{"lastUpdateId"'):
                snap = orjson.loads(msg)
            elif msg.startswith(b'{"stream":"btcusdt@depth'):
                d = orjson.loads(msg)["data"]
                diffs.append((d["b"], d["a"]))
    assert snap is not None
    n = sum(len(b) + len(a) for b, a in diffs)
    best = 1e9
    for _ in range(rounds):
        book = OrderBook()
        book.replace(snap["bids"], snap["asks"])
        t = time.perf_counter()
        for b, a in diffs:
            book.apply(b, a)
        best = min(best, time.perf_counter() - t)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    print(f"captures: {CAPTURES}")
    print(
        f"{'venue':9} {'frames':>6} {'levels':>7} {'loads':>6} {'ours':>7} {'target':>6} {'peer':>5}"
        f" {'µs/frame':>8} {'frames/s':>9} {'levels/s':>10} {'checksums':>10} gaps applied"
    )
    for case in CASES:
        r = bench_case(case, args.rounds)
        if r is None:
            print(f"{case.venue.value:9} skipped: {case.file} not found")
            continue
        tgt = TARGET.get(case.venue)
        peer = PEER.get(case.venue)
        print(
            f"{r['venue']:9} {r['frames']:>6} {r['levels']:>7} {r['loads_x']:>5.2f}x {r['ours_x']:>6.3f}x"
            f" {(f'{tgt:.2f}x' if tgt else '-'):>6} {(f'{peer:.1f}x' if peer else '-'):>5}"
            f" {r['us_frame']:>8.2f} {r['frames_s']:>9,.0f} {r['levels_s']:>10,.0f}"
            f" {r['checksums']:>10} {r['gaps']:>4} {r['applied']:>7}"
        )
    rate = bench_apply(args.rounds)
    if rate is not None:
        print(f"book apply alone (Binance diff levels, pre-parsed): {rate:,.0f} level updates/s")


if __name__ == "__main__":
    main()
