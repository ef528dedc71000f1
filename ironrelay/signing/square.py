"""Verify and sign Square webhooks (``x-square-hmacsha256-signature``: URL + body)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from .base import Verified, lowercase_headers, require_header
from .encoding import SHA256_SIZE, content_digest, decode_base64, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature
from .request_url import UrlSignedScheme

HEADER = "x-square-hmacsha256-signature"


class SquareScheme(UrlSignedScheme):
    """Verify Square's base64 HMAC-SHA256 of the notification URL followed by the body."""

    name = "square"

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check the signature header against every configured signature key."""
        value = require_header(lowercase_headers(headers), HEADER)
        digest = decode_base64(value, what=f"{HEADER} header", size=SHA256_SIZE)
        message = self.target_url(url).encode("utf-8") + body
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        # The body holds event_id and created_at, but Square signs no time to bound replays.
        return Verified(self.name, index, content_digest=content_digest(message))

    def sign(
        self,
        body: bytes,
        *,
        now: datetime | None = None,
        msg_id: str | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Return Square's signature header for ``body`` sent to ``url``."""
        digest = hmac_sha256(self._keys[0], self.target_url(url).encode("utf-8") + body)
        return {HEADER: base64.b64encode(digest).decode("ascii")}
