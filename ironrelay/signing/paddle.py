"""Verify and sign Paddle Billing webhooks (``Paddle-Signature: ts=<unix>;h1=<hex>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

HEADER = "Paddle-Signature"
# Paddle sends one h1 per active secret while a secret is rotated; a cap bounds hostile headers.
MAX_ITEMS = 16


def parse_paddle_header(value: str) -> tuple[str, list[bytes]]:
    """Split a Paddle-Signature value into its timestamp text and decoded h1 digests."""
    items = value.split(";")
    if len(items) > MAX_ITEMS:
        raise MalformedSignature(f"{HEADER} header has more than {MAX_ITEMS} items")
    timestamp: str | None = None
    digests: list[bytes] = []
    for item in items:
        key, separator, text = (part.strip() for part in item.partition("="))
        if not separator or not key:
            raise MalformedSignature(f"{HEADER} header has an item that is not key=value")
        if key == "ts":
            if timestamp is not None:
                raise MalformedSignature(f"{HEADER} header has more than one timestamp")
            timestamp = text
        elif key == "h1":
            digests.append(decode_hex_sha256(text, what=f"{HEADER} h1 signature"))
        # Other keys are skipped so Paddle can add newer hash versions alongside h1.
    if timestamp is None:
        raise MalformedSignature(f"{HEADER} header has no timestamp (ts=)")
    if not digests:
        raise MalformedSignature(f"{HEADER} header has no h1 signature")
    return timestamp, digests


class PaddleScheme(Scheme):
    """Verify Paddle's HMAC-SHA256 of ``<ts>:<body>`` with the notification secret key."""

    name = "paddle"

    def signs_timestamp(self) -> bool:
        """Return True: the ``ts=`` in Paddle-Signature is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check every h1 in Paddle-Signature against every configured secret key."""
        timestamp_text, digests = parse_paddle_header(
            require_header(lowercase_headers(headers), HEADER)
        )
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{HEADER} timestamp")
        message = timestamp_text.encode("ascii") + b":" + body
        index = find_hmac_match(self._keys, message, digests)
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return a Paddle-Signature header for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"{timestamp}:".encode() + body)
        return {HEADER: f"ts={timestamp};h1={digest.hex()}"}
