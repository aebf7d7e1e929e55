"""``python app.py ...`` as a user runs it: a configuration it cannot run with exits with
code 2 and ONE line on stderr, starting with ``error:``, that names the problem and what
would fix it - never a traceback, never a log line first.

Each case runs the real command in a subprocess (``COB_AUTH`` removed from its environment,
recordings and exports pointed at a temporary folder).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

APP = str(REPO / "app.py")


def run_app(
    args: list[str], tmp: Path, timeout: float = 120, cwd: Path = REPO, **env: str
) -> tuple[int, str]:
    """Exit code and stderr of ``python app.py ARGS`` run from ``cwd`` (the repository, as
    the README says; port 0: never the user's 8050)."""
    e = {k: v for k, v in os.environ.items() if k not in ("COB_AUTH",)}
    e["COB_RECORDINGS_ROOT"] = str(tmp / "recordings")
    e["COB_EXPORTS_ROOT"] = str(tmp / "exports")
    e.update(env)
    extra = [] if args[:1] == ["export"] else ["--port", "0"]
    r = subprocess.run(
        [sys.executable, APP, *args, *extra],
        cwd=cwd,
        env=e,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return r.returncode, r.stderr


def one_error_line(code: int, stderr: str) -> str:
    """The single ``error:`` line, after checking the exit code and that nothing else was
    written to stderr."""
    lines = stderr.strip().splitlines()
    assert code == 2, f"exit code {code}, stderr:\n{stderr[-3000:]}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr, not one:\n{stderr[-3000:]}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in stderr
    return line


def assert_names(line: str, *words: str) -> None:
    for w in words:
        assert w in line, f"{w!r} not in {line!r}"


# =============================================================================== venues, symbols


def test_unknown_venue(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--venues", "binanse"], tmp_path))
    # the problem (the name typed) and the fix (the names that exist)
    assert_names(line, "unknown venue", "'binanse'", "binance", "coinbase", "bybit")


def test_unknown_venue_among_good_ones(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--venues", "binance,krakn"], tmp_path))
    assert_names(line, "'krakn'", "kraken")


@pytest.mark.parametrize("symbol", ["BTC$", "BTC ETH", "../etc", "A" * 13])
def test_malformed_symbol(tmp_path: Path, symbol: str) -> None:
    line = one_error_line(*run_app(["--symbols", symbol], tmp_path))
    assert_names(line, "bad symbol", repr(symbol.strip()), "BTC,ETH")


def test_no_symbol(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--symbols", " , "], tmp_path))
    assert_names(line, "no symbol", "--symbols BTC,ETH")


def test_a_symbol_the_demo_venues_do_not_list(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--source", "demo", "--symbols", "DOGE"], tmp_path))
    # names the venue, the market it lacks, what it lists, and both ways out
    assert_names(line, "does not list DOGE/", "BTC/", "--venues", "DOGE from --symbols")


def test_the_demo_source_works_from_another_folder(tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    code, err = run_app(["--source", "demo", "--symbols", "DOGE"], tmp_path, cwd=work)
    line = one_error_line(code, err)  # the same answer as from the repository
    assert_names(line, "does not list DOGE/")


def test_a_symbol_one_chosen_venue_does_not_list(tmp_path: Path) -> None:
    code, err = run_app(
        ["--source", "demo", "--venues", "kraken,okx", "--symbols", "BTC,DOGE"], tmp_path
    )
    line = one_error_line(code, err)
    assert_names(line, "kraken does not list DOGE/USD", "drop kraken from --venues")


# =============================================================================== buckets


@pytest.mark.parametrize(
    ("bucket", "words"),
    [
        ("BTC", ["bad --bucket 'BTC'", "BASE=SIZE"]),
        ("DOGE=1", ["--bucket DOGE=", "not in --symbols"]),
        ("BTC=-1", ["bad bucket size '-1'", "price step from 1e-8 to 1e7"]),
        ("BTC=abc", ["bad bucket size 'abc'", "5bps"]),
        ("ETH=5000bps", ["bad bucket size '5000bps'"]),
    ],
)
def test_bad_bucket(tmp_path: Path, bucket: str, words: list[str]) -> None:
    line = one_error_line(*run_app(["--source", "demo", "--bucket", bucket], tmp_path))
    assert_names(line, *words)


def test_a_bucket_too_small_to_index_is_refused(tmp_path: Path) -> None:
    args = ["--source", "demo", "--symbols", "BTC", "--bucket", "BTC=1e-300"]
    one_error_line(*_run_briefly(args, tmp_path))


def _run_briefly(args: list[str], tmp: Path, seconds: float = 10) -> tuple[int, str]:
    """Like ``run_app`` for a command that may start serving: stopped after ``seconds``."""
    try:
        return run_app(args, tmp, timeout=seconds)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return -1, err


# =============================================================================== replay files


def test_replay_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope" / "capture.jsonl.zst")
    line = one_error_line(*run_app(["--source", "replay", "--replay", missing], tmp_path))
    assert_names(line, missing, "no such capture file")


def test_replay_without_files(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--source", "replay"], tmp_path))
    assert_names(line, "--source replay needs capture files", "--replay PATH")


def test_replay_of_a_folder(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--source", "replay", "--replay", str(tmp_path)], tmp_path))
    assert_names(line, str(tmp_path), "no such capture file")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"hello\nworld\n"),
        ("data.json", b'{"a": 1}\n'),
        ("binary.bin", bytes(range(256)) * 4),
        ("text.gz", gzip.compress(b"not an hftbacktest line\n")),
    ],
    ids=["text", "json", "binary", "gzip-text"],
)
def test_replay_of_a_file_that_is_not_a_capture(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    line = one_error_line(*run_app(["--source", "replay", "--replay", str(path)], tmp_path))
    assert_names(line, str(path), "capture" if not name.endswith(".gz") else "hftbacktest")


def test_replay_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    line = one_error_line(*run_app(["--source", "replay", "--replay", str(path)], tmp_path))
    assert_names(line, "no venue frames recognised", str(path))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt.gz", b"\x1f\x8b\x08\x00" + bytes(range(200))),
        ("truncated.gz", gzip.compress(b"1 {}\n" * 1000)[:40]),
        ("corrupt.jsonl.zst", b"\x28\xb5\x2f\xfd" + bytes(range(200))),
    ],
    ids=["corrupt-gzip", "truncated-gzip", "corrupt-zstd"],
)
def test_replay_of_a_corrupt_compressed_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    line = one_error_line(*run_app(["--source", "replay", "--replay", str(path)], tmp_path))
    assert_names(line, str(path))


# =============================================================================== binding


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_a_non_loopback_host_without_credentials(tmp_path: Path, host: str) -> None:
    line = one_error_line(*run_app(["--host", host], tmp_path))
    assert_names(line, f"refusing to serve on {host} without credentials")
    assert_names(line, "--auth USER:PASS", "COB_AUTH", "--host 127.0.0.1")


def test_an_empty_cob_auth_is_no_credentials(tmp_path: Path) -> None:
    line = one_error_line(*run_app(["--host", "0.0.0.0"], tmp_path, COB_AUTH=""))
    assert_names(line, "refusing to serve on 0.0.0.0")


@pytest.mark.parametrize("auth", ["alice", "alice:short", ":password123"])
def test_malformed_credentials(tmp_path: Path, auth: str) -> None:
    line = one_error_line(*run_app(["--host", "0.0.0.0", "--auth", auth], tmp_path))
    assert_names(line, "--auth must be USER:PASS", "at least 8 characters")


# =============================================================================== record path


@pytest.mark.parametrize("folder", ["../outside", "/etc", "a/../../outside"])
def test_record_folder_outside_the_recordings_root(tmp_path: Path, folder: str) -> None:
    line = one_error_line(*run_app(["--source", "demo", "--record", folder], tmp_path))
    assert_names(line, f"folder {folder!r} is outside", str((tmp_path / "recordings").resolve()))
    assert not (tmp_path / "outside").exists()


# =============================================================================== export


def test_export_choice_that_cannot_be_made(tmp_path: Path) -> None:
    code, err = run_app(
        ["export", "--source", "demo", "--chart", "all", "--format", "png", "--seconds", "0",
         "--out", "x.png"],
        tmp_path,
    )  # fmt: skip
    line = one_error_line(code, err)
    assert_names(line, "HTML only")


def test_export_of_a_symbol_not_configured(tmp_path: Path) -> None:
    code, err = run_app(
        ["export", "--source", "demo", "--chart", "depth", "--format", "csv", "--symbol",
         "SOL", "--seconds", "0", "--out", "x.csv"],
        tmp_path,
    )  # fmt: skip
    line = one_error_line(code, err)
    assert_names(line, "--symbol SOL is not one of BTC,ETH")
