"""Verify and sign Slack requests (``X-Slack-Signature: v0=<hex>`` plus a timestamp header)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import Handshake, Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
PREFIX = "v0="


class SlackScheme(Scheme):
    """Verify Slack's timestamped HMAC-SHA256 request signatures."""

    name = "slack"

    def signed_headers(self) -> frozenset[str]:
        """Return the request timestamp header, which is signed with the body."""
        return frozenset({TIMESTAMP_HEADER.lower()})

    def signs_timestamp(self) -> bool:
        """Return True: X-Slack-Request-Timestamp is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the X-Slack-Signature header against every configured signing secret."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, SIGNATURE_HEADER)
        timestamp_text = require_header(lowered, TIMESTAMP_HEADER)
        if not value.startswith(PREFIX):
            raise MalformedSignature(f"{SIGNATURE_HEADER} header does not start with {PREFIX!r}")
        digest = decode_hex_sha256(value[len(PREFIX) :], what=f"{SIGNATURE_HEADER} header")
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{TIMESTAMP_HEADER} header")
        base = b"v0:" + timestamp_text.encode("ascii") + b":" + body
        index = find_hmac_match(self._keys, base, [digest])
        if index is None:
            raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(base))

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Echo the challenge Slack sends to check a new Events URL; that is not an event."""
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return Handshake({"challenge": str(payload.get("challenge", ""))})
        return None

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return Slack's signature and timestamp headers for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"v0:{timestamp}:".encode() + body)
        return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: PREFIX + digest.hex()}
