"""Fuzzing every adapter: only ParseError may escape ``parse``; nothing escapes ``feed``.

Inputs: random bytes, random JSON documents, and the project's own doc-written frames
(``samples_<venue>.py``) mutated structurally (a key dropped, a value replaced by random
JSON, a list truncated) and byte-wise (truncated, bytes flipped). Gzip frames (Huobi) are
mutated inside the gzip as well.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provider.errors import ParseError
from provider.exchanges import adapter_class
from provider.models import Venue
from provider.sync import SyncState
from tests.helpers import connection

VENUES = list(Venue)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["0", "1.5", "-1", "nan", "1e999", "BTCUSDT", "book", "snapshot"]),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


def samples(venue: Venue) -> list[str | bytes]:
    mod = importlib.import_module(f"tests.exchanges.samples_{venue.value}")
    return list(mod.FRAMES)


def _parse_only_parse_error(venue: Venue, frame: str | bytes, url: str | None = None) -> None:
    adapter = adapter_class(venue)(url)
    with contextlib.suppress(ParseError):
        adapter.parse(frame)


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One structural mutation somewhere inside a JSON document."""
    if isinstance(doc, dict) and doc:
        key = data.draw(st.sampled_from(sorted(doc)))
        action = data.draw(st.sampled_from(["drop", "replace", "recurse", "recurse"]))
        out = dict(doc)
        if action == "drop":
            del out[key]
        elif action == "replace":
            out[key] = data.draw(json_values)
        else:
            out[key] = _mutate(doc[key], data)
        return out
    if isinstance(doc, list) and doc:
        i = data.draw(st.integers(0, len(doc) - 1))
        action = data.draw(st.sampled_from(["truncate", "replace", "recurse", "recurse"]))
        if action == "truncate":
            return doc[:i]
        out = list(doc)
        out[i] = data.draw(json_values) if action == "replace" else _mutate(doc[i], data)
        return out
    return data.draw(json_values)


def _json_or_none(text: str) -> Any:
    """The JSON document of a frame, or None for plain-text frames (OKX ``pong``)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _as_text(frame: str | bytes) -> tuple[str, bool]:
    if isinstance(frame, bytes) and frame[:2] == b"\x1f\x8b":
        return gzip.decompress(frame).decode(), True
    return (frame.decode() if isinstance(frame, bytes) else frame), False


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("venue", VENUES, ids=str)
@FUZZ
@given(blob=st.binary(max_size=300))
def test_random_bytes(venue: Venue, blob: bytes) -> None:
    _parse_only_parse_error(venue, blob)
    _parse_only_parse_error(venue, gzip.compress(blob))


@pytest.mark.parametrize("venue", VENUES, ids=str)
@FUZZ
@given(doc=json_values)
def test_random_json(venue: Venue, doc: Any) -> None:
    _parse_only_parse_error(venue, json.dumps(doc))


@pytest.mark.parametrize("venue", VENUES, ids=str)
@FUZZ
@given(data=st.data())
def test_mutated_doc_frames(venue: Venue, data: st.DataObject) -> None:
    frames = samples(venue)
    frame = data.draw(st.sampled_from(frames))
    text, zipped = _as_text(frame)
    doc = _json_or_none(text)
    if doc is not None:
        mutated = json.dumps(_mutate(doc, data))
        _parse_only_parse_error(venue, gzip.compress(mutated.encode()) if zipped else mutated)
    cut = data.draw(st.integers(0, max(0, len(text) - 1)))
    _parse_only_parse_error(venue, text[:cut])
    raw = bytearray(frame.encode() if isinstance(frame, str) else frame)
    if raw:
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
        _parse_only_parse_error(venue, bytes(raw))


@pytest.mark.parametrize("venue", VENUES, ids=str)
@FUZZ
@given(data=st.data())
def test_feed_survives_garbage_between_good_frames(venue: Venue, data: st.DataObject) -> None:
    """A stream with mutated frames mixed in never raises, and an in-sync book is sane."""
    conn = connection(venue)
    now = 0.0
    for frame in samples(venue):
        text, zipped = _as_text(frame)
        doc = _json_or_none(text)
        if doc is not None and data.draw(st.booleans()):
            bad = json.dumps(_mutate(doc, data))
            conn.feed(gzip.compress(bad.encode()) if zipped else bad, now)
        conn.feed(frame, now)
        now += 0.001
    for t in conn.books.trackers.values():
        if t.state is SyncState.IN_SYNC:
            assert not t.book.is_crossed()
        else:
            assert len(t.book) == 0  # a book out of sync is never shown
