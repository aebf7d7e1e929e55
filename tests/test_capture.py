"""Capture readers (three formats + our own recordings) on files written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from provider.capture import (
    Record,
    RecordingWriter,
    RecordKind,
    detect_format,
    read_capture,
    read_session,
)
from provider.errors import CaptureError


def test_format_a_lines(tmp_path: Path) -> None:
    p = tmp_path / "KRAKEN.ws.3.0"
    p.write_text(
        "wss://ws.kraken.com <-> 1618678132.5\n"
        'wss://ws.kraken.com <- 1618678132.8: {"event":"subscribe"}\n'
        '1618678134.25: [992,{"b":[["354.1","5.0","1.0"]],"c":"258"},"book-10","XMR/USD"]\n'
        "1618678135.0: b'\\x1f\\x8b\\x08'\n"
        "configuration: {}\n"
    )
    recs = list(read_capture(p))
    assert [r.kind for r in recs] == [
        RecordKind.CONNECT,
        RecordKind.SEND,
        RecordKind.RECV,
        RecordKind.RECV,
    ]
    assert recs[0] == Record(
        1618678132.5,
        RecordKind.CONNECT,
        "KRAKEN.ws.3",
        "wss://ws.kraken.com",
        "wss://ws.kraken.com",
    )
    assert recs[2].data.startswith("[992,") and recs[2].ts == 1618678134.25
    assert recs[3].data == b"\x1f\x8b\x08"


def test_format_a_http(tmp_path: Path) -> None:
    p = tmp_path / "BINANCE.http.0.0"
    p.write_text('https://api.binance.com/api/v3/depth?symbol=X&limit=10 -> 12.5: {"a": ": b"}\n')
    (rec,) = read_capture(p)
    assert rec.kind is RecordKind.HTTP and rec.ts == 12.5
    assert rec.url == "https://api.binance.com/api/v3/depth?symbol=X&limit=10"
    assert rec.data == '{"a": ": b"}'


def test_format_c(tmp_path: Path) -> None:
    p = tmp_path / "btcusdt_20240808.gz"
    with gzip.open(p, "wt") as f:
        f.write('1723161253937085768 {"stream":"btcusdt@trade","data":{}}\n')
        f.write('1723161254206652067 {"lastUpdateId":5,"bids":[],"asks":[]}\n')
    a, b = read_capture(p)
    assert detect_format(p) == "C"
    assert (
        a.kind is RecordKind.RECV and a.conn == "hft:btcusdt" and a.ts == 1723161253937085768 / 1e9
    )
    assert b.kind is RecordKind.HTTP and b.data == b'{"lastUpdateId":5,"bids":[],"asks":[]}'


def test_format_b_and_recording_roundtrip(tmp_path: Path) -> None:
    w = RecordingWriter(tmp_path / "rec")
    recs = [
        Record(1.0, RecordKind.CONNECT, "c1", "ws://127.0.0.1:1/ws", "ws://127.0.0.1:1/ws"),
        Record(1.1, RecordKind.SEND, "c1", '{"op":"subscribe"}', "ws://127.0.0.1:1/ws"),
        Record(1.2, RecordKind.RECV, "c1", '{"a":1}'),
        Record(1.3, RecordKind.RECV, "c1", b"\x1f\x8b\x00binary"),
        Record(1.4, RecordKind.HTTP, "c1:http", '{"lastUpdateId":1}', "http://x/api/v3/depth"),
    ]
    for r in recs:
        w.write(r)
    w.close()
    (path,) = w.files
    assert detect_format(path) == "B"
    assert list(read_capture(path)) == recs


def test_recording_rotates_and_bounds_total_size(tmp_path: Path) -> None:
    w = RecordingWriter(tmp_path, file_bytes=2_000, total_bytes=6_000)
    rnd = bytes(range(256)) * 8  # incompressible enough
    for i in range(200):
        w.write(Record(float(i), RecordKind.RECV, "c", rnd))
    w.close()
    files = sorted(tmp_path.glob("*.jsonl.zst"))
    assert len(files) >= 2
    assert sum(f.stat().st_size for f in files) <= 6_000 + 2_500  # plus the file being written


def test_session_merges_by_time(tmp_path: Path) -> None:
    a = tmp_path / "A.ws.1.0"
    b = tmp_path / "A.http.0.0"
    a.write_text("1.0: x\n3.0: z\n")
    b.write_text("https://h/p -> 2.0: y\n")
    assert [r.data for r in read_session([a, b])] == ["x", "y", "z"]


def test_bad_files_raise_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        list(read_capture(tmp_path / "missing"))
    p = tmp_path / "junk"
    p.write_text("hello world\n")
    with pytest.raises(CaptureError):
        list(read_capture(p))
    z = tmp_path / "bad.zst"
    z.write_bytes(zstandard.ZstdCompressor().compress(json.dumps({"t": "recv"}).encode() + b"\n"))
    with pytest.raises(CaptureError):
        list(read_capture(z))
