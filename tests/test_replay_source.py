"""Replay as a source: a capture served on 127.0.0.1 and read by the live feed path ends
with the same book as the offline replay of the same file."""

from __future__ import annotations

import pytest

from provider.config import build_config
from provider.emulator.replay_server import start_replay
from provider.feed import FeedConfig
from provider.models import Venue
from provider.replay import replay
from provider.service import Provider
from tests.conftest import capture_path
from tests.test_service import wait

pytestmark = pytest.mark.slow


def test_replayed_capture_through_the_feed_ends_like_the_offline_replay() -> None:
    path = str(capture_path("hftbacktest/spot/btcusdt_20240808.gz"))
    offline = replay([path])
    want = offline.venues[Venue.BINANCE]
    (m,) = want.trackers
    source = start_replay([path], (Venue.BINANCE,), speed=100.0)
    assert source.label == "REPLAY" and source.listings == {Venue.BINANCE: {"BTC/USDT"}}
    cfg = build_config(("BTC",), source.venues, source="REPLAY", listings=source.listings)
    p = Provider(cfg, endpoints=source.endpoints, feed_config=FeedConfig(silence_reconnect_s=60))
    p.start()
    try:
        t = p.books[Venue.BINANCE].trackers
        wait(lambda: m in t and t[m].counters.deltas >= want.trackers[m].counters.deltas, 30,
             "the whole tape")  # fmt: skip
        got = t[m]
        assert got.in_sync and got.counters.gaps == 0
        assert got.book.top_bids(50) == want.trackers[m].book.top_bids(50)
        assert got.book.top_asks(50) == want.trackers[m].book.top_asks(50)
        assert p.books[Venue.BINANCE].trades[m].buys == want.trades[m].buys
    finally:
        p.stop()
        source.stop()
