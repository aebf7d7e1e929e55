"""Replay recorded captures through the live code path and report every book.

    python -m provider.replay PATH [PATH ...] [--json]

Every received frame (and every recorded REST snapshot) goes through the venue's adapter,
guard and book exactly as it would live (``session.Connection``). The venue of each
connection is recognised from its frames, never from the file name or host. Several paths
are one continuous session, merged by receive time (e.g. a REST file and its WebSocket
file, or a day's file and its continuation).

The ``--json`` keys are a stable interface other scripts read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from provider.capture import Record, RecordKind, read_session
from provider.errors import CaptureError, ParseError
from provider.exchanges import adapter_class, all_adapters, detect
from provider.exchanges.base import Adapter
from provider.models import Market, Venue
from provider.session import Connection, VenueBooks
from provider.sync import SyncState

TOP_N = 5


@dataclass
class _ConnState:
    url: str | None = None
    conn: Connection | None = None
    pending_sent: list[str] = field(default_factory=list)
    unrecognized: int = 0


class Replayer:
    """Feeds records to per-venue books; one instance is one session."""

    def __init__(self) -> None:
        self.venues: dict[Venue, VenueBooks] = {}
        self._conns: dict[str, _ConnState] = {}
        self._rest: dict[Venue, Connection] = {}
        self.unrecognized_frames = 0
        self.http_ignored = 0
        self.records = 0

    def books(self, venue: Venue) -> VenueBooks:
        vb = self.venues.get(venue)
        if vb is None:
            vb = self.venues[venue] = VenueBooks(venue, adapter_class(venue))
        return vb

    def feed_all(self, records: Iterable[Record]) -> Replayer:
        for rec in records:
            self.feed(rec)
        return self

    def feed(self, rec: Record) -> None:
        self.records += 1
        kind = rec.kind
        if kind is RecordKind.RECV:
            st = self._conns.get(rec.conn)
            if st is None:
                st = self._conns[rec.conn] = _ConnState()
            if st.conn is None:
                cls = detect(rec.data)
                if cls is None:
                    st.unrecognized += 1
                    self.unrecognized_frames += 1
                    return
                st.conn = self.books(cls.venue).connect(st.url)
                for text in st.pending_sent:
                    st.conn.adapter.on_sent(text)
                st.pending_sent.clear()
            st.conn.feed(rec.data, rec.ts)
        elif kind is RecordKind.HTTP:
            self._http(rec)
        elif kind is RecordKind.CONNECT:
            old = self._conns.get(rec.conn)
            if old is not None and old.conn is not None:
                old.conn.lost("reconnected", rec.ts)
            self._conns[rec.conn] = _ConnState(url=str(rec.data))
        elif kind is RecordKind.SEND:
            st = self._conns.setdefault(rec.conn, _ConnState(url=rec.url))
            text = rec.data if isinstance(rec.data, str) else rec.data.decode("utf-8", "replace")
            if st.conn is None:
                st.pending_sent.append(text)
            else:
                st.conn.adapter.on_sent(text)

    def _rest_conn(self, cls: type[Adapter]) -> Connection:
        conn = self._rest.get(cls.venue)
        if conn is None:
            conn = self._rest[cls.venue] = self.books(cls.venue).connect(None)
        return conn

    def _http(self, rec: Record) -> None:
        if rec.url:
            for cls in all_adapters():
                conn = self._rest_conn(cls) if cls.venue in self._rest else None
                adapter = conn.adapter if conn else cls(None)
                try:
                    market = adapter.rest_market(rec.url)
                except ParseError:
                    market = None
                if market is not None:
                    self._rest_conn(cls).feed_rest(rec.data, market, rec.ts)
                    return
            self.http_ignored += 1
            return
        # an inline snapshot without its URL: it belongs to the one book waiting for it
        owner = detect(rec.data)
        if owner is None:
            self.http_ignored += 1
            return
        vb = self.books(owner.venue)
        waiting = [t for t in vb.trackers.values() if t.state is not SyncState.IN_SYNC]
        candidates = waiting or list(vb.trackers.values())
        if len(candidates) != 1:
            vb.count_parse_error(
                ParseError("REST snapshot without URL for an unknown market"), None
            )
            return
        self._rest_conn(owner).feed_rest(rec.data, candidates[0].market, rec.ts)

    # ------------------------------------------------------------------------- report

    def report(self) -> dict[str, Any]:
        markets = []
        venues = []
        for venue, vb in sorted(self.venues.items(), key=lambda kv: kv[0].value):
            venues.append(
                {
                    "venue": venue.value,
                    "frames": vb.counters.frames,
                    "parse_errors": vb.counters.parse_errors,
                    "venue_errors": vb.counters.venue_errors,
                    "connection_gaps": vb.counters.connection_gaps,
                    "heartbeats": vb.counters.heartbeats,
                    "last_error": vb.counters.last_error,
                }
            )
            all_markets: set[Market] = set(vb.trackers) | set(vb.trades)
            for m in sorted(all_markets, key=lambda m: (m.native, m.kind.value)):
                markets.append(_market_report(vb, m))
        return {
            "markets": markets,
            "venues": venues,
            "records": self.records,
            "unrecognized_frames": self.unrecognized_frames,
            "http_ignored": self.http_ignored,
        }


def _market_report(vb: VenueBooks, m: Market) -> dict[str, Any]:
    t = vb.trackers.get(m)
    tc = vb.trades.get(m)
    out: dict[str, Any] = {
        "venue": m.venue.value,
        "symbol": m.native,
        "market": m.symbol,
        "kind": m.kind.value,
        "state": t.state.value if t else "no book",
        "best_bid": None,
        "best_ask": None,
        "bid_levels": 0,
        "ask_levels": 0,
        "top_bids": [],
        "top_asks": [],
        "frames": tc.frames if tc else 0,
        "snapshots": 0,
        "deltas": 0,
        "stale_deltas": 0,
        "trades_buy": tc.buys if tc else 0,
        "trades_sell": tc.sells if tc else 0,
        "volume_buy": tc.buy_volume if tc else 0.0,
        "volume_sell": tc.sell_volume if tc else 0.0,
        "checksums_ok": 0,
        "checksums_failed": 0,
        "gaps": 0,
        "stale_snapshots": 0,
        "resyncs": 0,
        "crossed": 0,
        "parse_errors": vb.parse_errors_by_market.get(m, 0),
        "last_problem": "",
    }
    if t is not None:
        c = t.counters
        bids = t.book.top_bids(TOP_N)
        asks = t.book.top_asks(TOP_N)
        out.update(
            best_bid=list(bids[0]) if bids else None,
            best_ask=list(asks[0]) if asks else None,
            bid_levels=len(t.book.bids),
            ask_levels=len(t.book.asks),
            top_bids=[list(x) for x in bids],
            top_asks=[list(x) for x in asks],
            # a frame carries either book or trade messages of a market, never both
            frames=c.frames + (tc.frames if tc else 0),
            snapshots=c.snapshots,
            deltas=c.deltas,
            stale_deltas=c.stale,
            checksums_ok=c.checksums_ok,
            checksums_failed=c.checksums_failed,
            gaps=c.gaps,
            stale_snapshots=c.stale_snapshots,
            resyncs=c.resyncs,
            crossed=c.crossed,
            parse_errors=out["parse_errors"] + c.bad_levels,
            last_problem=t.last_reason,
        )
    return out


def replay(paths: list[str]) -> Replayer:
    """Replay the capture files at ``paths`` as one session."""
    return Replayer().feed_all(read_session(list(paths)))


def _fmt_level(lv: list[float] | None) -> str:
    return "-" if lv is None else f"{lv[0]:.10g} x {lv[1]:.10g}"


def format_text(rep: dict[str, Any]) -> str:
    lines = []
    for m in rep["markets"]:
        lines.append(f"{m['venue']} {m['symbol']} ({m['market']}, {m['kind']}): {m['state']}")
        lines.append(
            f"  frames {m['frames']}  snapshots {m['snapshots']}  deltas {m['deltas']}"
            f" (stale {m['stale_deltas']})  trades buy {m['trades_buy']} / sell {m['trades_sell']}"
            f" (volume {m['volume_buy']:.8g} / {m['volume_sell']:.8g})"
        )
        lines.append(
            f"  checksums ok {m['checksums_ok']} failed {m['checksums_failed']}  gaps {m['gaps']}"
            f"  stale snapshots {m['stale_snapshots']}  resyncs {m['resyncs']}"
            f"  crossed {m['crossed']}  parse errors {m['parse_errors']}"
        )
        lines.append(
            f"  best bid {_fmt_level(m['best_bid'])}  best ask {_fmt_level(m['best_ask'])}"
            f"  levels {m['bid_levels']} bids / {m['ask_levels']} asks"
        )
        for side in ("top_bids", "top_asks"):
            lines.append(f"  {side[4:]}: " + ", ".join(_fmt_level(x) for x in m[side]))
        if m["last_problem"]:
            lines.append(f"  last problem: {m['last_problem']}")
    for v in rep["venues"]:
        lines.append(
            f"[{v['venue']}] frames {v['frames']}  parse errors {v['parse_errors']}"
            f"  venue errors {v['venue_errors']}  connection gaps {v['connection_gaps']}"
        )
    lines.append(
        f"records {rep['records']}  unrecognized frames {rep['unrecognized_frames']}"
        f"  other HTTP {rep['http_ignored']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m provider.replay",
        description="Rebuild books from recorded venue traffic and report them.",
    )
    ap.add_argument("paths", nargs="+", metavar="PATH", help="capture files (one session)")
    ap.add_argument("--json", action="store_true", help='print {"markets": [...]} as JSON')
    args = ap.parse_args(argv)
    try:
        rep = replay(args.paths).report()
    except CaptureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rep, indent=1))
    else:
        print(format_text(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
