"""Verify and sign Stripe webhooks (``Stripe-Signature: t=<unix>,v1=<hex>``)."""

from __future__ import annotations

from .timestamped_header import TimestampedHeaderScheme


class StripeScheme(TimestampedHeaderScheme):
    """Verify Stripe's HMAC-SHA256 of ``<t>.<body>``; v0 test-mode signatures are ignored."""

    name = "stripe"
    header = "Stripe-Signature"
    timestamp_key = "t"
    signature_key = "v1"
    item_separator = ","
    message_joiner = "."
