"""What every venue adapter provides (Sans-I/O).

An adapter turns raw frames (text or bytes) of one connection into normalized events, and
builds the messages and requests the venue needs. It never awaits, never opens a socket and
never mutates its input; the only exception its ``parse`` may raise is ``ParseError``. An
adapter instance belongs to one connection (some venues number channels or messages per
connection), so the feed layer creates a new one on every (re)connect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import orjson

from provider.errors import ParseError
from provider.models import Event, Kind, Market, RestRequest, Venue
from provider.symbols import split_pair
from provider.sync import Guard


class Adapter(ABC):
    """Base class of the seven venue adapters."""

    venue: ClassVar[Venue]
    #: live WebSocket endpoint
    ws_url: ClassVar[str]
    #: what the feed does to resync one book: "rest" (fetch a snapshot), "resubscribe"
    #: (unsubscribe + subscribe that market) or "reconnect" (the whole connection)
    resync: ClassVar[str] = "reconnect"
    #: most client messages per second the venue accepts on one connection
    max_messages_per_s: ClassVar[float] = 5.0
    #: most new connections per minute (the feed reconnects at once after a connection
    #: that worked: this keeps a venue that keeps dropping us from being hammered)
    max_connects_per_min: ClassVar[float | None] = 30.0
    #: the venue cuts connections after this many seconds; reconnect before (None: never)
    max_connection_s: ClassVar[float | None] = None
    #: an application-level keep-alive the client must send, and how often (seconds)
    ping_text: ClassVar[str | None] = None
    ping_interval_s: ClassVar[float] = 20.0

    def __init__(self, url: str | None = None) -> None:
        self.url = url  # the connection's URL (some venues serve several products per host)
        self._markets: dict[str, Market] = {}

    def on_sent(self, text: str) -> None:  # noqa: B027 - optional hook, no-op by default
        """Told of every message sent on this connection (e.g. Bitfinex ``conf`` flags)."""

    # ------------------------------------------------------------------------- parsing

    @abstractmethod
    def parse(self, frame: str | bytes) -> list[Event]:
        """Turn one received frame into events. Raises only ``ParseError``."""

    def parse_rest(self, body: str | bytes, market: Market) -> list[Event]:
        """Turn the body of a REST snapshot (see ``snapshot_request``) into events."""
        raise ParseError(f"{self.venue} has no REST snapshots")

    def rest_market(self, url: str) -> Market | None:
        """The market a recorded REST snapshot URL asks for, or None if it is not one."""
        return None

    @classmethod
    @abstractmethod
    def recognizes(cls, frame: str | bytes) -> bool:
        """Whether a received frame is in this venue's protocol (for capture detection)."""

    # ------------------------------------------------------------------------- requests

    @abstractmethod
    def subscribe_messages(self, markets: Sequence[Market]) -> list[str]:
        """Messages to send after connecting, for book and trade channels of ``markets``."""

    def connect_url(self, markets: Sequence[Market], base: str | None = None) -> str:
        """The URL to connect to (``base`` replaces the live host, e.g. for the emulator)."""
        return base or self.ws_url

    def snapshot_request(self, market: Market, base: str | None = None) -> RestRequest | None:
        """The REST request that fetches a snapshot, for venues that need one."""
        return None

    def resubscribe_messages(self, market: Market) -> list[str]:
        """Messages that make the venue send a fresh snapshot of one market."""
        return []

    def guard(self, market: Market) -> Guard:
        """A new sync guard for one market's book."""
        return Guard()

    # ------------------------------------------------------------------------- symbols

    def market(self, native: str) -> Market:
        """The market of a venue symbol as it appears on the wire (cached)."""
        m = self._markets.get(native)
        if m is None:
            m = self._markets[native] = self.make_market(native)
        return m

    def make_market(self, native: str) -> Market:
        """Venue symbol -> Market. Default: a concatenated spot pair (``BTCUSDT``)."""
        base, quote = split_pair(native)
        return Market(self.venue, native, f"{base}/{quote}", base, quote, Kind.SPOT)

    @abstractmethod
    def native_symbol(self, symbol: str) -> str:
        """Normalized ``BASE/QUOTE`` -> the venue's spelling (for subscribing)."""

    def market_for(self, symbol: str) -> Market:
        return self.market(self.native_symbol(symbol))


def loads(frame: str | bytes) -> Any:
    """orjson.loads with the one error type adapters may raise."""
    try:
        return orjson.loads(frame)
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise ParseError(f"not JSON: {exc}") from None


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def head(frame: str | bytes, n: int = 200) -> str:
    """The start of a frame as text, for error messages and sniffing."""
    if isinstance(frame, bytes | bytearray | memoryview):
        return bytes(frame[:n]).decode("utf-8", "replace")
    return frame[:n]
