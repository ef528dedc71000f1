"""Parse signed Unix timestamps and enforce the replay tolerance window."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from .exceptions import MalformedSignature, TimestampOutOfTolerance

# Eighteen digits is far beyond any real clock yet keeps int() and datetime math cheap and safe.
_UNIX_SECONDS = re.compile(r"[0-9]{1,18}")


def resolve_now(now: datetime | None) -> datetime:
    """Return ``now`` as an aware datetime, defaulting to the current UTC time."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now


def unix_seconds(now: datetime | None) -> int:
    """Return ``now`` (default: the current time) as whole Unix seconds."""
    return math.floor(resolve_now(now).timestamp())


def parse_unix_timestamp(value: str, *, what: str) -> int:
    """Parse a non-negative integer count of Unix seconds."""
    if _UNIX_SECONDS.fullmatch(value) is None:
        raise MalformedSignature(f"{what} is not an integer Unix timestamp")
    return int(value)


def check_tolerance(timestamp: int, *, now: datetime | None, tolerance: int) -> datetime:
    """Return ``timestamp`` as aware UTC if it lies within ``tolerance`` seconds of ``now``."""
    offset = timestamp - unix_seconds(now)
    if offset < -tolerance:
        raise TimestampOutOfTolerance(
            f"timestamp {timestamp} is {-offset} s in the past (tolerance {tolerance} s)"
        )
    if offset > tolerance:
        raise TimestampOutOfTolerance(
            f"timestamp {timestamp} is {offset} s in the future (tolerance {tolerance} s)"
        )
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):  # only reachable with a huge tolerance
        raise MalformedSignature(f"timestamp {timestamp} is out of range") from None
