"""The soak's own records (``bench/soak.py`` ``Spill``, ``HitLog``) live in a temporary
file, not in the memory of the process whose RSS the soak measures; what is read back is
exactly what was written."""

from __future__ import annotations

from bench.soak import Hit, HitLog, SoakOptions, Spill


def _hits(n: int) -> list[Hit]:
    names = ("panels", "chips", "heatmap")
    return [
        Hit(
            t=i * 0.5,
            name=names[i % 3],
            status=204 if i % 7 == 0 else 200,
            ms=10.0 + i / 3,
            size=1000 + i,
            error="timeout" if i == 42 else "",
        )
        for i in range(n)
    ]


def test_hits_read_back_exactly_and_only_the_last_minute_stays_in_memory() -> None:
    log = HitLog()
    hits = _hits(400)  # 200 s of hits, 2 a second
    for h in hits:
        log.append(h)
    assert len(log) == 400
    assert list(log) == hits
    assert [h.t for h in log._recent] == [h.t for h in hits if h.t >= 199.5 - HitLog.KEEP_S]
    assert log.since(190.0) == hits[380:]  # from memory
    assert log.since(5.0) == hits[10:]  # older than the last minute: from the file
    assert log.since(0.0) == hits


def test_spill_lines_round_trip_and_appending_goes_on_after_a_read() -> None:
    sp = Spill()
    sp.add_line({"t": 0.0, "rss_mb": 217.7})
    sp.add_line([1.5, "okx", "BTC-USDT", "checksum", "crc 123 != 456"])
    assert sp.lines() == [
        {"t": 0.0, "rss_mb": 217.7},
        [1.5, "okx", "BTC-USDT", "checksum", "crc 123 != 456"],
    ]
    sp.add_line({"t": 5.0})
    assert sp.count == 3
    assert sp.lines()[2] == {"t": 5.0}


def test_default_warmup_is_a_third_of_the_run_between_30_s_and_10_min() -> None:
    assert SoakOptions(minutes=1).warmup == 30.0
    assert SoakOptions(minutes=2).warmup == 40.0
    assert SoakOptions(minutes=30).warmup == 600.0
    assert SoakOptions(minutes=60).warmup == 600.0
    assert SoakOptions(minutes=60, warmup_s=900.0).warmup == 900.0
