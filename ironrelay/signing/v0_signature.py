"""Verify and sign ``v0=<hex>`` HMAC-SHA256s of ``v0:<timestamp>:<body>`` (Slack's family)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, TimestampHeaderMixin, Verified
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

PREFIX = "v0="


class V0SignatureScheme(TimestampHeaderMixin, Scheme):
    """Verify a ``v0=`` hex HMAC-SHA256 with the Unix timestamp sent in its own header."""

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature header against every configured secret."""
        value, timestamp_text = self.signature_and_timestamp(headers)
        if not value.startswith(PREFIX):
            raise MalformedSignature(
                f"{self.signature_header} header does not start with {PREFIX!r}"
            )
        digest = decode_hex_sha256(value[len(PREFIX) :], what=f"{self.signature_header} header")
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{self.timestamp_header} header")
        message = b"v0:" + timestamp_text.encode("ascii") + b":" + body
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(
                f"{self.signature_header} matches none of the configured secrets"
            )
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the signature and timestamp headers for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"v0:{timestamp}:".encode() + body)
        return {self.timestamp_header: str(timestamp), self.signature_header: PREFIX + digest.hex()}
