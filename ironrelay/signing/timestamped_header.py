"""Verify and sign one header carrying a timestamp and hex HMAC-SHA256 items (Stripe's family)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

# Providers send one or two signatures (two while a secret is rotated); a cap keeps hostile
# headers from costing many HMACs.
MAX_ITEMS = 16


def parse_keyed_items(
    value: str, *, header: str, separator: str, timestamp_key: str, signature_key: str
) -> tuple[str, list[bytes]]:
    """Split a ``<ts>=<unix><sep><sig>=<hex>...`` value into timestamp text and digests."""
    items = value.split(separator)
    if len(items) > MAX_ITEMS:
        raise MalformedSignature(f"{header} header has more than {MAX_ITEMS} items")
    timestamp: str | None = None
    digests: list[bytes] = []
    for item in items:
        key, equals, text = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise MalformedSignature(f"{header} header has an item that is not key=value")
        if key == timestamp_key:
            if timestamp is not None:
                raise MalformedSignature(f"{header} header has more than one timestamp")
            timestamp = text
        elif key == signature_key:
            digests.append(decode_hex_sha256(text, what=f"{header} {signature_key} signature"))
        # Other keys (test-mode signatures, newer versions) are ignored, as the providers advise.
    if timestamp is None:
        raise MalformedSignature(f"{header} header has no timestamp ({timestamp_key}=)")
    if not digests:
        raise MalformedSignature(f"{header} header has no {signature_key} signature")
    return timestamp, digests


class TimestampedHeaderScheme(Scheme):
    """Verify an HMAC-SHA256 of ``<timestamp><joiner><body>`` sent in one keyed header."""

    header: ClassVar[str]
    # Item syntax: "t=<unix>,v1=<hex>" is timestamp_key "t", signature_key "v1", separator ",".
    timestamp_key: ClassVar[str]
    signature_key: ClassVar[str]
    item_separator: ClassVar[str]
    # What the provider puts between the timestamp and the body in the signed message.
    message_joiner: ClassVar[str]

    def signs_timestamp(self) -> bool:
        """Return True: the header's timestamp is signed with the body."""
        return True

    def parse_header(self, value: str) -> tuple[str, list[bytes]]:
        """Return the header's timestamp text and its decoded digests."""
        return parse_keyed_items(
            value,
            header=self.header,
            separator=self.item_separator,
            timestamp_key=self.timestamp_key,
            signature_key=self.signature_key,
        )

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature header against every configured secret."""
        timestamp_text, digests = self.parse_header(
            require_header(lowercase_headers(headers), self.header)
        )
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{self.header} timestamp")
        message = timestamp_text.encode("ascii") + self.message_joiner.encode("ascii") + body
        index = find_hmac_match(self._keys, message, digests)
        if index is None:
            raise InvalidSignature(f"{self.header} matches none of the configured secrets")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the signature header for ``body`` signed at ``now``."""
        timestamp = unix_seconds(now)
        digest = hmac_sha256(self._keys[0], f"{timestamp}{self.message_joiner}".encode() + body)
        value = (
            f"{self.timestamp_key}={timestamp}{self.item_separator}"
            f"{self.signature_key}={digest.hex()}"
        )
        return {self.header: value}
