"""Verify and sign Mandrill webhooks (``X-Mandrill-Signature``: URL + sorted POST params)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from .base import Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_base64, find_hmac_match, hmac_digest
from .exceptions import InvalidSignature
from .request_url import UrlSignedScheme, form_params, sorted_params_text

HEADER = "X-Mandrill-Signature"
SHA1_SIZE = 20


class MandrillScheme(UrlSignedScheme):
    """Verify Mandrill's base64 HMAC-SHA1 of the webhook URL and its sorted form fields."""

    name = "mandrill"
    # Mandrill checks a new webhook URL with a HEAD request and wants a 200 (its webhook guide).
    answers_head = True

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check X-Mandrill-Signature against every configured webhook key."""
        value = require_header(lowercase_headers(headers), HEADER)
        digest = decode_base64(value, what=f"{HEADER} header", size=SHA1_SIZE)
        message = sorted_params_text(self.target_url(url), form_params(body, what="the body"))
        index = find_hmac_match(self._keys, message, [digest], algorithm="sha1")
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        # Mandrill signs no time: a captured batch stays valid, so dedupe on content.
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
        """Return X-Mandrill-Signature for a form ``body`` posted to ``url``."""
        message = sorted_params_text(self.target_url(url), form_params(body, what="the body"))
        digest = hmac_digest(self._keys[0], message, "sha1")
        return {HEADER: base64.b64encode(digest).decode("ascii")}
