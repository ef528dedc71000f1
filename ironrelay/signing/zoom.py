"""Verify and sign Zoom webhooks (``x-zm-signature: v0=<hex>``) and answer URL validation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import Handshake, Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
PREFIX = "v0="
URL_VALIDATION = "endpoint.url_validation"


class ZoomScheme(Scheme):
    """Verify Zoom's timestamped HMAC-SHA256 signatures made with the app's secret token."""

    name = "zoom"

    def signed_headers(self) -> frozenset[str]:
        """Return the request timestamp header, which is signed with the body."""
        return frozenset({TIMESTAMP_HEADER})

    def signs_timestamp(self) -> bool:
        """Return True: x-zm-request-timestamp is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check x-zm-signature against every configured secret token."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, SIGNATURE_HEADER)
        timestamp_text = require_header(lowered, TIMESTAMP_HEADER)
        if not value.startswith(PREFIX):
            raise MalformedSignature(f"{SIGNATURE_HEADER} header does not start with {PREFIX!r}")
        digest = decode_hex_sha256(value[len(PREFIX) :], what=f"{SIGNATURE_HEADER} header")
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{TIMESTAMP_HEADER} header")
        message = b"v0:" + timestamp_text.encode("ascii") + b":" + body
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Answer endpoint.url_validation with the plain token and its HMAC, as Zoom expects."""
        if not isinstance(payload, dict) or payload.get("event") != URL_VALIDATION:
            return None
        inner = payload.get("payload")
        token = inner.get("plainToken") if isinstance(inner, dict) else None
        if not isinstance(token, str) or not token:
            return Handshake({"error": f"{URL_VALIDATION} without payload.plainToken"}, 400)
        # Answer with the secret that verified, so the check passes mid-rotation too.
        key = self._keys[verified.secret_index or 0]
        encrypted = hmac_sha256(key, token.encode("utf-8")).hex()
        return Handshake({"plainToken": token, "encryptedToken": encrypted})

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return Zoom's signature and timestamp headers for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"v0:{timestamp}:".encode() + body)
        return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: PREFIX + digest.hex()}
