"""Verify and sign Calendly webhooks (``Calendly-Webhook-Signature: t=<unix>,v1=<hex>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

HEADER = "Calendly-Webhook-Signature"


def parse_calendly_header(value: str) -> tuple[str, bytes]:
    """Split a Calendly-Webhook-Signature value into its timestamp text and v1 digest."""
    items: dict[str, str] = {}
    for item in value.split(",", 2):
        key, separator, text = (part.strip() for part in item.partition("="))
        if not separator or key not in ("t", "v1") or key in items:
            raise MalformedSignature(f"{HEADER} header is not t=<unix>,v1=<hex>")
        items[key] = text
    if set(items) != {"t", "v1"}:
        raise MalformedSignature(f"{HEADER} header is not t=<unix>,v1=<hex>")
    return items["t"], decode_hex_sha256(items["v1"], what=f"{HEADER} v1 signature")


class CalendlyScheme(Scheme):
    """Verify Calendly's HMAC-SHA256 of ``<t>.<body>`` with the webhook signing key."""

    name = "calendly"

    def signs_timestamp(self) -> bool:
        """Return True: the ``t=`` in Calendly-Webhook-Signature is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check Calendly-Webhook-Signature against every configured signing key."""
        timestamp_text, digest = parse_calendly_header(
            require_header(lowercase_headers(headers), HEADER)
        )
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{HEADER} timestamp")
        message = timestamp_text.encode("ascii") + b"." + body
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return a Calendly-Webhook-Signature header for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"{timestamp}.".encode() + body)
        return {HEADER: f"t={timestamp},v1={digest.hex()}"}
