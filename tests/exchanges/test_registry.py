"""Venue detection from content: every adapter claims its own frames and nobody else's."""

from __future__ import annotations

import importlib

import pytest

from provider.capture import RecordKind, read_capture
from provider.exchanges import adapter_class, all_adapters, detect
from provider.models import Venue
from tests.conftest import capture_path

CAPTURE_VENUE = {
    "cryptofeed/BINANCE.ws.1.0": Venue.BINANCE,
    "cryptofeed/COINBASE.ws.28.0": Venue.COINBASE,
    "cryptofeed-v3/COINBASE.jsonl.zst": Venue.COINBASE,
    "cryptofeed/KRAKEN.ws.50.0": Venue.KRAKEN,
    "cryptofeed/HUOBI.ws.44.0": Venue.HUOBI,
    "cryptofeed/BITFINEX.ws.11.0": Venue.BITFINEX,
    "cryptofeed/OKX.ws.1.0": Venue.OKX,
    "cryptofeed-v3/BYBIT.jsonl.zst": Venue.BYBIT,
    "hftbacktest/spot/btcusdt_20240808.gz": Venue.BINANCE,
}


@pytest.mark.parametrize("venue", list(Venue), ids=str)
def test_doc_frames_are_claimed_by_their_venue_only(venue: Venue) -> None:
    frames = importlib.import_module(f"tests.exchanges.samples_{venue.value}").FRAMES
    claimed = 0
    for frame in frames:
        owners = [cls.venue for cls in all_adapters() if cls.recognizes(frame)]
        assert owners in ([], [venue]), (venue, owners, frame[:80])
        claimed += bool(owners)
    assert claimed >= len(frames) // 2  # the sniff really recognises the protocol


@pytest.mark.parametrize("rel", sorted(CAPTURE_VENUE), ids=lambda r: r.split("/")[-1])
def test_captures_are_detected_from_their_frames(rel: str) -> None:
    want = CAPTURE_VENUE[rel]
    seen = 0
    for rec in read_capture(capture_path(rel)):
        if rec.kind is not RecordKind.RECV:
            continue
        cls = detect(rec.data)
        assert cls is None or cls.venue is want, (rel, cls, rec.data[:80])
        seen += cls is not None
        if seen >= 200:
            break
    assert seen > 0


def test_registry_knows_every_venue() -> None:
    assert {cls.venue for cls in all_adapters()} == set(Venue)
    assert all(adapter_class(v).venue is v for v in Venue)
