"""The normalized events: frozen, slotted dataclasses built by ``models.event``."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from provider.models import (
    BookDelta,
    BookSnapshot,
    Heartbeat,
    Market,
    Reply,
    Side,
    Status,
    Trade,
    Venue,
    event,
)

M = Market(Venue.BINANCE, "BTCUSDT", "BTC/USDT", "BTC", "USDT")

EVENTS = [
    BookDelta(M, [["1.5", "2"]], [], 10, 12, None, None, 1.25),
    BookSnapshot(M, [["1.5", "2"]], [["1.6", "3"]], seq=7),
    Trade(M, 100.5, 0.25, Side.SELL, "t1", 3.0),
    Heartbeat(Venue.KRAKEN),
    Status(Venue.OKX, "error", "bad", ok=False),
    Reply(Venue.HUOBI, '{"pong": 1}'),
]


@pytest.mark.parametrize("ev", EVENTS, ids=lambda e: type(e).__name__)
def test_events_are_frozen_slotted_dataclasses(ev: object) -> None:
    cls = type(ev)
    assert dataclasses.is_dataclass(ev)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert not hasattr(ev, "__dict__")  # slotted
    name = dataclasses.fields(ev)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(ev, name, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(ev, name)
    # no other attribute either (Python 3.11's frozen slotted dataclasses raise TypeError from
    # their __setattr__ here, later versions AttributeError)
    with pytest.raises((AttributeError, TypeError)):
        ev.other = 1  # type: ignore[attr-defined]
    # copies, pickles and replace() give equal instances of the same class
    for other in (copy.copy(ev), copy.deepcopy(ev), pickle.loads(pickle.dumps(ev))):
        assert type(other) is cls and other == ev
    assert type(dataclasses.replace(ev)) is cls  # type: ignore[type-var]


def test_fields_defaults_eq_and_repr_are_the_dataclass_ones() -> None:
    d = BookDelta(M, [], [["2", "0"]], last_seq=5)
    assert (d.first_seq, d.last_seq, d.prev_seq, d.checksum, d.exchange_ts) == (
        None,
        5,
        None,
        None,
        None,
    )
    assert d == BookDelta(market=M, bids=[], asks=[["2", "0"]], first_seq=None, last_seq=5)
    assert d != BookDelta(M, [], [["2", "0"]], last_seq=6)
    assert repr(d) == (
        f"BookDelta(market={M!r}, bids=[], asks=[['2', '0']], first_seq=None, last_seq=5,"
        " prev_seq=None, checksum=None, exchange_ts=None)"
    )
    s = Status(Venue.BYBIT, "subscribed")
    assert (s.detail, s.ok, s.market) == ("", True, None)
    assert hash(Status(Venue.BYBIT, "subscribed")) == hash(s)
    with pytest.raises(TypeError):
        BookDelta(M, [])  # type: ignore[call-arg]  # asks is required
    with pytest.raises(TypeError):
        Trade(M, 1.0, 1.0, Side.BUY, "x", 1.0, "extra")  # type: ignore[call-arg]


def test_subclasses_keep_their_class_and_stay_frozen() -> None:
    @event
    class Base:
        a: int
        b: str = "x"

    @event
    class Derived(Base):  # an event derived from another: the dataclass __init__
        c: float = 0.5

    class Plain(Base):  # inherits Base's __init__ (which must not make it a Base)
        __slots__ = ()

    for obj, cls in ((Base(1), Base), (Derived(1, "y", 2.0), Derived), (Plain(3), Plain)):
        assert type(obj) is cls
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.a = 2  # type: ignore[misc]
    assert Derived(1, "y", 2.0) == Derived(a=1, b="y", c=2.0) and Derived(1).c == 0.5
    assert (Plain(3).a, Plain(3).b) == (3, "x") and Base(1) == Base(1, "x")
