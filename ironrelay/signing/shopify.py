"""Verify and sign Shopify webhooks (``X-Shopify-Hmac-Sha256: <base64>``)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import (
    SHA256_SIZE,
    content_digest,
    decode_base64,
    find_hmac_match,
    hmac_sha256,
)
from .exceptions import InvalidSignature

HEADER = "X-Shopify-Hmac-Sha256"


class ShopifyScheme(Scheme):
    """Verify Shopify's base64 HMAC-SHA256 body signatures."""

    name = "shopify"

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the X-Shopify-Hmac-Sha256 header against every configured secret."""
        value = require_header(lowercase_headers(headers), HEADER)
        digest = decode_base64(value, what=f"{HEADER} header", size=SHA256_SIZE)
        index = find_hmac_match(self._keys, body, [digest])
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        # Only the body is signed: X-Shopify-Topic, -Webhook-Id and -Event-Id are not.
        return Verified(self.name, index, content_digest=content_digest(body))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return an X-Shopify-Hmac-Sha256 header for ``body``."""
        digest = hmac_sha256(self._keys[0], body)
        return {HEADER: base64.b64encode(digest).decode("ascii")}
