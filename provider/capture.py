"""Reading and writing recorded venue traffic.

Three formats are read (see ``../shared/captures/MANIFEST.md``), told apart by their first
bytes, and yield the same ``Record``s:

* **A** - cryptofeed raw text: ``<ts>: <frame>``, ``<url> <-> <ts>``, ``<url> <- <ts>: <sent>``,
  ``<http-url> -> <ts>: <body>``; gzip frames stored as Python bytes literals.
* **B** - cryptofeed "format 2": zstd-compressed JSON lines with ``t`` in header/http/connect/
  send/recv. This project writes its own recordings in this format too (``RecordingWriter``),
  adding ``"b64": true`` on frames that were binary.
* **C** - hftbacktest collector: gzip text lines ``<local ns> <frame>``; REST depth snapshots
  inline as bare bodies.

Several files given together are one session: ``read_session`` merges them by receive time.
Readers are generators (files can be large); nothing here knows any venue.
"""

from __future__ import annotations

import ast
import base64
import gzip
import heapq
import io
import os
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import orjson
import zstandard

from provider.errors import CaptureError

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"


class RecordKind(StrEnum):
    CONNECT = "connect"  # data: the URL
    SEND = "send"  # data: text the client sent
    RECV = "recv"  # data: frame received (str, or bytes for binary frames)
    HTTP = "http"  # data: response body; url: the request (None when not recorded)


@dataclass(frozen=True, slots=True)
class Record:
    ts: float  # local receive time, epoch seconds
    kind: RecordKind
    conn: str  # connection id, unique within a session
    data: str | bytes
    url: str | None = None


# ----------------------------------------------------------------------------- detection


def detect_format(path: Path) -> str:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith(_ZSTD_MAGIC):
        return "B"
    if magic.startswith(_GZIP_MAGIC):
        return "C"
    return "A"


FORMATS_TEXT = (
    "cryptofeed raw text (<EXCH>.ws.N.0), cryptofeed JSON lines + zstd (*.jsonl.zst, also"
    " this app's --record files) or hftbacktest gzip (*.gz)"
)


def read_capture(path: str | os.PathLike[str]) -> Iterator[Record]:
    """Records of one capture file, in file order, whatever its format."""
    p = Path(path)
    if not p.is_file():
        raise CaptureError(f"{p}: no such capture file (expected {FORMATS_TEXT})")
    fmt = detect_format(p)
    reader = _read_b if fmt == "B" else _read_c if fmt == "C" else _read_a
    return _guarded(p, reader(p))


def _guarded(p: Path, records: Iterator[Record]) -> Iterator[Record]:
    """Decompression and I/O failures of a damaged file become one CaptureError."""
    try:
        yield from records
    except (OSError, EOFError, zlib.error, zstandard.ZstdError, UnicodeDecodeError) as exc:
        raise CaptureError(
            f"{p}: damaged or not a capture ({type(exc).__name__}: {exc}); expected {FORMATS_TEXT}"
        ) from None


def read_session(paths: list[str | os.PathLike[str]]) -> Iterator[Record]:
    """Records of several files merged by receive time (one continuous session)."""
    if len(paths) == 1:
        return read_capture(paths[0])
    return heapq.merge(*(read_capture(p) for p in paths), key=lambda r: r.ts)


# ----------------------------------------------------------------------------- format A

_ROTATION = re.compile(r"\.\d+$")


def _conn_id_a(p: Path) -> str:
    # cryptofeed rotates files of one connection as .0, .1, ...: one connection id for all
    return _ROTATION.sub("", p.name)


def _read_a(p: Path) -> Iterator[Record]:
    conn = _conn_id_a(p)
    with open(p, encoding="utf-8", errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("configuration: "):
                continue
            try:
                yield _parse_a_line(line, conn)
            except (ValueError, SyntaxError) as exc:
                raise CaptureError(
                    f"{p}:{lineno}: not a capture line ({exc}); expected {FORMATS_TEXT}"
                ) from None


def _parse_a_line(line: str, conn: str) -> Record:
    first, _, rest = line.partition(" ")
    if first[:1].isdigit():  # "<ts>: <frame>"
        ts_s, sep, payload = line.partition(": ")
        if not sep:
            raise ValueError("missing ': '")
        return Record(float(ts_s), RecordKind.RECV, conn, _frame_a(payload), None)
    arrow, _, tail = rest.partition(" ")
    if arrow == "<->":
        return Record(float(tail), RecordKind.CONNECT, conn, first, first)
    ts_s, sep, payload = tail.partition(": ")
    if not sep:
        raise ValueError("missing ': '")
    if arrow == "<-":
        return Record(float(ts_s), RecordKind.SEND, conn, payload, first)
    if arrow == "->":
        return Record(float(ts_s), RecordKind.HTTP, conn + ":http", payload, first)
    raise ValueError(f"unknown line kind {arrow!r}")


def _frame_a(payload: str) -> str | bytes:
    if payload.startswith(("b'", 'b"')):
        value = ast.literal_eval(payload)
        if not isinstance(value, bytes):
            raise ValueError("bad bytes literal")
        return value
    return payload


# ----------------------------------------------------------------------------- format B


def _read_b(p: Path) -> Iterator[Record]:
    with open(p, "rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        text = io.TextIOWrapper(reader, encoding="utf-8")
        for lineno, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                rec = _record_b(obj)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CaptureError(f"{p}:{lineno}: not a format-2 capture line ({exc})") from None
            if rec is not None:
                yield rec


def _record_b(obj: dict) -> Record | None:
    t = obj["t"]
    if t == "header":
        return None
    ts = float(obj["ts"])
    conn = str(obj["conn"])
    if t == "connect":
        return Record(ts, RecordKind.CONNECT, conn, obj["addr"], obj["addr"])
    data = obj["data"]
    if obj.get("b64"):
        data = base64.b64decode(data)
    if t == "recv":
        return Record(ts, RecordKind.RECV, conn, data, None)
    if t == "send":
        return Record(ts, RecordKind.SEND, conn, data, obj.get("addr"))
    if t == "http":
        return Record(ts, RecordKind.HTTP, conn, data, obj.get("url"))
    raise ValueError(f"unknown record type {t!r}")


# ----------------------------------------------------------------------------- format C

_DATE_SUFFIX = re.compile(r"_\d{8}$")


def _read_c(p: Path) -> Iterator[Record]:
    # one collector connection per symbol, continuing across the daily files
    stem = p.name.split(".")[0]
    conn = "hft:" + _DATE_SUFFIX.sub("", stem)
    with gzip.open(p, "rb") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if not line:
                continue
            ts_s, sep, msg = line.partition(b" ")
            if not sep or not ts_s.isdigit():
                raise CaptureError(f"{p}:{lineno}: not an hftbacktest line")
            ts = int(ts_s) / 1e9
            if msg.startswith(b'{"lastUpdateId"'):
                yield Record(ts, RecordKind.HTTP, conn + ":http", msg, None)
            else:
                yield Record(ts, RecordKind.RECV, conn, msg, None)


# ----------------------------------------------------------------------------- recording


class RecordingWriter:
    """Writes records in format B to rotating zstd files under ``folder``.

    A file is closed and a new one started after ``file_bytes`` of uncompressed input; the
    oldest files are deleted while the folder holds more than ``total_bytes`` of them.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        file_bytes: int = 64 * 2**20,
        total_bytes: int = 1024 * 2**20,
        prefix: str = "cob",
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file_bytes = file_bytes
        self.total_bytes = total_bytes
        self.prefix = prefix
        self._raw: IO[bytes] | None = None
        self._z: zstandard.ZstdCompressionWriter | None = None
        self._written = 0
        self._seq = 0
        self.files: list[Path] = []

    def _open(self) -> None:
        self._seq += 1
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.folder / f"{self.prefix}-{stamp}-{self._seq:04d}.jsonl.zst"
        self._raw = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._z = zstandard.ZstdCompressor(level=3).stream_writer(self._raw)
        self._written = 0
        self.files.append(path)
        self._write_obj({"t": "header", "format": 2, "exchange": "cob", "recorded": time.time()})
        self._enforce_total()

    def _write_obj(self, obj: dict) -> None:
        assert self._z is not None
        line = orjson.dumps(obj) + b"\n"
        self._z.write(line)
        self._written += len(line)

    def write(self, rec: Record) -> None:
        if self._z is None or self._written >= self.file_bytes:
            self.close()
            self._open()
        obj: dict = {"t": rec.kind.value, "conn": rec.conn, "ts": rec.ts}
        if rec.kind is RecordKind.CONNECT:
            obj["addr"] = rec.data
        else:
            if isinstance(rec.data, bytes):
                obj["data"] = base64.b64encode(rec.data).decode()
                obj["b64"] = True
            else:
                obj["data"] = rec.data
            if rec.url is not None:
                obj["url" if rec.kind is RecordKind.HTTP else "addr"] = rec.url
        self._write_obj(obj)

    def flush(self) -> None:
        if self._z is not None:
            self._z.flush()

    def close(self) -> None:
        if self._z is not None:
            self._z.close()  # also closes the raw file
            self._z = None
            self._raw = None

    def _enforce_total(self) -> None:
        # sizes on disk of closed files; the file being written counts as its bytes so far
        while len(self.files) > 1:
            total = sum(f.stat().st_size for f in self.files if f.exists())
            if total <= self.total_bytes:
                break
            oldest = self.files.pop(0)
            oldest.unlink(missing_ok=True)
