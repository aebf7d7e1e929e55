"""The project's small exception tree.

Every failure we expect has its own type so that callers catch exactly what they can act on,
and counters can name what went wrong (per venue, shown in the UI).
"""

from __future__ import annotations


class CobError(Exception):
    """Base of every error raised by this project."""


class ParseError(CobError):
    """A frame that the venue adapter cannot turn into events.

    Malformed JSON, truncated or gzip-broken bytes, a known message with missing or mistyped
    fields, or a message kind the adapter does not know. The only error an adapter's
    ``parse`` may raise. ``market`` is set when the frame was a *book* message of a known
    market: that market's update is lost, so its book must be resynchronised.
    """

    def __init__(self, message: str, market: object | None = None) -> None:
        super().__init__(message)
        self.market = market


class BookOutOfSync(CobError):
    """A book can no longer be trusted and must be resynchronised."""

    reason = "out of sync"


class SequenceGap(BookOutOfSync):
    """A sequence chain broke: a message was lost or arrived out of order."""

    reason = "gap"


class StaleSnapshot(SequenceGap):
    """The snapshot is older than the first buffered update, so nothing can bridge it."""

    reason = "stale snapshot"


class ChecksumMismatch(BookOutOfSync):
    """The venue's checksum disagrees with the local book."""

    reason = "checksum"


class CrossedBook(BookOutOfSync):
    """Best bid at or above best ask after an update: the book is wrong."""

    reason = "crossed"


class FeedError(CobError):
    """A connection-level failure (connect refused, closed, silent, HTTP error)."""


class ConfigError(CobError):
    """A configuration the program cannot run with; the message says how to fix it."""


class CaptureError(CobError):
    """A capture file that cannot be read or whose venue cannot be recognised."""
