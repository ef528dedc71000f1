"""Verify and sign Stripe webhooks (``Stripe-Signature: t=<unix>,v1=<hex>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

HEADER = "Stripe-Signature"
# Stripe sends one or two v1 entries; a cap keeps hostile headers from costing many HMACs.
MAX_ITEMS = 16


def parse_stripe_header(value: str) -> tuple[str, list[bytes]]:
    """Split a Stripe-Signature value into its timestamp text and decoded v1 digests."""
    items = value.split(",")
    if len(items) > MAX_ITEMS:
        raise MalformedSignature(f"{HEADER} header has more than {MAX_ITEMS} items")
    timestamp: str | None = None
    digests: list[bytes] = []
    for item in items:
        key, separator, text = (part.strip() for part in item.partition("="))
        if not separator or not key:
            raise MalformedSignature(f"{HEADER} header has an item that is not key=value")
        if key == "t":
            if timestamp is not None:
                raise MalformedSignature(f"{HEADER} header has more than one timestamp")
            timestamp = text
        elif key == "v1":
            digests.append(decode_hex_sha256(text, what=f"{HEADER} v1 signature"))
        # Other keys (v0 test-mode signatures, future versions) are ignored, as Stripe advises.
    if timestamp is None:
        raise MalformedSignature(f"{HEADER} header has no timestamp (t=)")
    if not digests:
        raise MalformedSignature(f"{HEADER} header has no v1 signature")
    return timestamp, digests


class StripeScheme(Scheme):
    """Verify Stripe's timestamped HMAC-SHA256 signatures."""

    name = "stripe"

    def signs_timestamp(self) -> bool:
        """Return True: the ``t=`` in Stripe-Signature is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the Stripe-Signature header against every configured secret."""
        timestamp_text, digests = parse_stripe_header(
            require_header(lowercase_headers(headers), HEADER)
        )
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{HEADER} timestamp")
        message = timestamp_text.encode("ascii") + b"." + body
        index = find_hmac_match(self._keys, message, digests)
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return a Stripe-Signature header for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"{timestamp}.".encode() + body)
        return {HEADER: f"t={timestamp},v1={digest.hex()}"}
