"""Verify and sign Calendly webhooks (``Calendly-Webhook-Signature: t=<unix>,v1=<hex>``)."""

from __future__ import annotations

from .encoding import decode_hex_sha256
from .exceptions import MalformedSignature
from .timestamped_header import TimestampedHeaderScheme

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


class CalendlyScheme(TimestampedHeaderScheme):
    """Verify Calendly's HMAC-SHA256 of ``<t>.<body>`` with the webhook signing key."""

    name = "calendly"
    header = HEADER
    timestamp_key = "t"
    signature_key = "v1"
    item_separator = ","
    message_joiner = "."

    def parse_header(self, value: str) -> tuple[str, list[bytes]]:
        """Return the timestamp text and digest, refusing anything but exactly t= and v1=."""
        # Calendly sends exactly one of each, so a stricter parse than Stripe's is kept.
        timestamp_text, digest = parse_calendly_header(value)
        return timestamp_text, [digest]
