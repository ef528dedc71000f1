"""Verify and sign Zoom webhooks (``x-zm-signature: v0=<hex>``) and answer URL validation."""

from __future__ import annotations

from typing import Any

from .base import Handshake, Verified
from .encoding import hmac_sha256
from .v0_signature import V0SignatureScheme

URL_VALIDATION = "endpoint.url_validation"


class ZoomScheme(V0SignatureScheme):
    """Verify Zoom's timestamped HMAC-SHA256 signatures made with the app's secret token."""

    name = "zoom"
    signature_header = "x-zm-signature"
    timestamp_header = "x-zm-request-timestamp"

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Answer endpoint.url_validation with the plain token and its HMAC, as Zoom expects."""
        if not isinstance(payload, dict) or payload.get("event") != URL_VALIDATION:
            return None
        inner = payload.get("payload")
        token = inner.get("plainToken") if isinstance(inner, dict) else None
        if not isinstance(token, str) or not token:
            return Handshake({"error": f"{URL_VALIDATION} without payload.plainToken"}, 400)
        # Answer with the secret that verified, so the check passes mid-rotation too.
        key = self._keys[verified.secret_index or 0]
        encrypted = hmac_sha256(key, token.encode("utf-8")).hex()
        return Handshake({"plainToken": token, "encryptedToken": encrypted})
