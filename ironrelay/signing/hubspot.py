"""Verify and sign HubSpot v3 requests (``X-HubSpot-Signature-v3``: method, URI, body, time)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime

from .base import TimestampHeaderMixin, Verified
from .encoding import SHA256_SIZE, content_digest, decode_base64, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .request_url import UrlSignedScheme
from .timestamps import check_tolerance, resolve_now

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
_MILLISECONDS = re.compile(r"[0-9]{1,18}")
# HubSpot decodes these escapes in the URI before signing it (its v3 validation guide).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ESCAPE = re.compile("|".join(_DECODED), re.IGNORECASE)


def signed_uri(url: str) -> str:
    """Return ``url`` with the escapes HubSpot decodes before signing decoded."""
    return _ESCAPE.sub(lambda match: _DECODED[match.group().upper()], url)


def signed_content(method: str, url: str, body: bytes, timestamp: str) -> bytes:
    """Return what HubSpot v3 signs: method, decoded URI, body and the millisecond timestamp."""
    return (method.upper() + signed_uri(url)).encode("utf-8") + body + timestamp.encode("ascii")


class HubSpotScheme(TimestampHeaderMixin, UrlSignedScheme):
    """Verify HubSpot's v3 base64 HMAC-SHA256 with a millisecond timestamp."""

    name = "hubspot"
    signature_header = SIGNATURE_HEADER
    timestamp_header = TIMESTAMP_HEADER

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check X-HubSpot-Signature-v3 against every configured client secret."""
        value, timestamp_text = self.signature_and_timestamp(headers)
        digest = decode_base64(value, what=f"{SIGNATURE_HEADER} header", size=SHA256_SIZE)
        if _MILLISECONDS.fullmatch(timestamp_text) is None:
            raise MalformedSignature(f"{TIMESTAMP_HEADER} header is not integer milliseconds")
        message = signed_content(method, self.target_url(url), body, timestamp_text)
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(int(timestamp_text) // 1000, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self,
        body: bytes,
        *,
        now: datetime | None = None,
        msg_id: str | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Return HubSpot's v3 signature and timestamp headers for ``body`` sent to ``url``."""
        timestamp = str(int(resolve_now(now).timestamp() * 1000))
        message = signed_content(method, self.target_url(url), body, timestamp)
        digest = base64.b64encode(hmac_sha256(self._keys[0], message)).decode("ascii")
        return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: digest}
