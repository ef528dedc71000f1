"""Verify and sign Mandrill webhooks (``X-Mandrill-Signature``: URL + sorted POST params)."""

from __future__ import annotations

from .request_url import UrlHmacScheme, form_params, sorted_params_text


class MandrillScheme(UrlHmacScheme):
    """Verify Mandrill's base64 HMAC-SHA1 of the webhook URL and its sorted form fields."""

    name = "mandrill"
    header = "X-Mandrill-Signature"
    algorithm = "sha1"
    # Mandrill checks a new webhook URL with a HEAD request and wants a 200 (its webhook guide).
    answers_head = True

    def signed_message(self, url: str, body: bytes) -> bytes:
        """Return the URL followed by every form field name and value, sorted."""
        # Mandrill signs no time: a captured batch stays valid, so dedupe on content.
        return sorted_params_text(url, form_params(body, what="the body"))
