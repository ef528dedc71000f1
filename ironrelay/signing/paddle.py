"""Verify and sign Paddle Billing webhooks (``Paddle-Signature: ts=<unix>;h1=<hex>``)."""

from __future__ import annotations

from .timestamped_header import TimestampedHeaderScheme


class PaddleScheme(TimestampedHeaderScheme):
    """Verify Paddle's HMAC-SHA256 of ``<ts>:<body>`` with the notification secret key."""

    name = "paddle"
    header = "Paddle-Signature"
    timestamp_key = "ts"
    signature_key = "h1"
    item_separator = ";"
    message_joiner = ":"
