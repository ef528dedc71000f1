"""Verify and sign Linear webhooks (``Linear-Signature: <hex>``, time in the signed body)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .base import Verified
from .body_hmac import BodyHmacScheme
from .encoding import hmac_sha256
from .exceptions import MalformedSignature
from .timestamps import check_tolerance, resolve_now

HEADER = "Linear-Signature"
TIMESTAMP_KEY = "webhookTimestamp"
# Milliseconds up to year 33658: int() of anything longer is refused before any arithmetic.
MAX_DIGITS = 15


def body_timestamp(body: bytes) -> int:
    """Return the body's ``webhookTimestamp`` (Unix milliseconds) as whole seconds."""
    try:
        payload: Any = json.loads(body, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        raise MalformedSignature(f"signed body is not JSON, so it has no {TIMESTAMP_KEY}") from None
    value = payload.get(TIMESTAMP_KEY) if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedSignature(f"signed body has no integer {TIMESTAMP_KEY} (Unix milliseconds)")
    return value // 1000


def _bounded_int(text: str) -> int | float:
    # A huge number elsewhere in the body is not our concern; keep it cheap to parse.
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else math.inf


class LinearScheme(BodyHmacScheme):
    """Verify Linear's hex HMAC-SHA256 of the body, then its signed ``webhookTimestamp``."""

    name = "linear"
    header = HEADER
    prefix = ""
    encoding = "hex"
    digestmod = hashlib.sha256

    def signs_timestamp(self) -> bool:
        """Return True: ``webhookTimestamp`` lies inside the signed body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check Linear-Signature, then that ``webhookTimestamp`` is within tolerance."""
        verified = super().verify(body, headers, now=now)
        signed_at = check_tolerance(body_timestamp(body), now=now, tolerance=self.tolerance)
        return Verified(self.name, verified.secret_index, signed_at, verified.content_digest)

    def sign_request(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Stamp ``webhookTimestamp`` into a JSON object body, then sign it."""
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("linear signs a JSON object body")
        payload[TIMESTAMP_KEY] = math.floor(resolve_now(now).timestamp() * 1000)
        stamped = json.dumps(payload).encode()
        return stamped, {HEADER: hmac_sha256(self._keys[0], stamped).hex()}
