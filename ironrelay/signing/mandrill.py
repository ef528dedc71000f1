"""Verify and sign Mandrill webhooks (``X-Mandrill-Signature``: URL + sorted POST params)."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from datetime import datetime

from .base import Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_base64
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
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(hmac.new(key, message, "sha1").digest(), digest):
                # Mandrill signs no time: a captured batch stays valid, so dedupe on content.
                return Verified(self.name, index, content_digest=content_digest(message))
        raise InvalidSignature(f"{HEADER} matches none of the configured secrets")

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
        digest = hmac.new(self._keys[0], message, "sha1").digest()
        return {HEADER: base64.b64encode(digest).decode("ascii")}
