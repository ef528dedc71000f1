"""Verify and sign Slack requests (``X-Slack-Signature: v0=<hex>`` plus a timestamp header)."""

from __future__ import annotations

from typing import Any

from .base import Handshake, Verified
from .v0_signature import V0SignatureScheme


class SlackScheme(V0SignatureScheme):
    """Verify Slack's timestamped HMAC-SHA256 request signatures."""

    name = "slack"
    signature_header = "X-Slack-Signature"
    timestamp_header = "X-Slack-Request-Timestamp"

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Echo the challenge Slack sends to check a new Events URL; that is not an event."""
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return Handshake({"challenge": str(payload.get("challenge", ""))})
        return None
