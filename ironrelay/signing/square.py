"""Verify and sign Square webhooks (``x-square-hmacsha256-signature``: URL + body)."""

from __future__ import annotations

from .request_url import UrlHmacScheme


class SquareScheme(UrlHmacScheme):
    """Verify Square's base64 HMAC-SHA256 of the notification URL followed by the body."""

    name = "square"
    header = "x-square-hmacsha256-signature"
    algorithm = "sha256"

    def signed_message(self, url: str, body: bytes) -> bytes:
        """Return the notification URL followed by the raw body."""
        # The body holds event_id and created_at, but Square signs no time to bound replays.
        return url.encode("utf-8") + body
