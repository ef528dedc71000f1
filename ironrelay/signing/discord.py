"""Verify and sign Discord interactions and webhook events (Ed25519 over timestamp + body)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature as Ed25519Mismatch
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .asymmetric import PublicKeyScheme
from .base import Handshake, Verified, lowercase_headers, require_header
from .encoding import content_digest
from .exceptions import InvalidSignature, MalformedSignature
from .provider_keys import load_ed25519_private_key, load_ed25519_public_key
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_SIZE = 64
# Interactions: a PING (type 1) is answered with a PONG (type 1).
INTERACTION_PING = 1
# Webhook events: a PING (type 0, no "event") is answered with 204 No Content.
EVENT_PING = 0


class DiscordScheme(PublicKeyScheme):
    """Verify Discord's Ed25519 signatures with the application's public key."""

    name = "discord"
    key_kind = "Ed25519"

    def load_public(self, text: str, *, label: str) -> Any:
        """Return the Ed25519 key Discord shows as hex (base64 also accepted)."""
        return load_ed25519_public_key(text, label=label)

    def load_private(self, text: str, *, label: str) -> Any:
        """Return an Ed25519 private key from its 32-byte seed in hex or base64."""
        return load_ed25519_private_key(text, label=label)

    def signed_headers(self) -> frozenset[str]:
        """Return the timestamp header, which is signed with the body."""
        return frozenset({TIMESTAMP_HEADER.lower()})

    def signs_timestamp(self) -> bool:
        """Return True: X-Signature-Timestamp is signed with the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check X-Signature-Ed25519 over timestamp + body against each public key."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, SIGNATURE_HEADER)
        timestamp_text = require_header(lowered, TIMESTAMP_HEADER)
        try:
            signature = bytes.fromhex(value)
        except ValueError:
            raise MalformedSignature(f"{SIGNATURE_HEADER} header is not hex") from None
        if len(signature) != SIGNATURE_SIZE:
            raise MalformedSignature(f"{SIGNATURE_HEADER} header is not {SIGNATURE_SIZE} bytes")
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{TIMESTAMP_HEADER} header")
        message = timestamp_text.encode("ascii") + body

        def matches(key: Ed25519PublicKey) -> bool:
            try:
                key.verify(signature, message)
            except Ed25519Mismatch:
                return False
            return True

        index = self.check_each(matches)
        if index is None:
            raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured keys")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Answer an interaction PING with a PONG, and a webhook-event PING with 204."""
        if not isinstance(payload, dict):
            return None
        kind = payload.get("type")
        if "event" in payload:  # a webhook event (type 1) carries one; a PING never does
            return None
        if kind == INTERACTION_PING and not isinstance(kind, bool):
            return Handshake({"type": INTERACTION_PING})
        if kind == EVENT_PING and not isinstance(kind, bool):
            return Handshake(None, 204)
        return None

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return Discord's signature headers, signed with the test source's private key."""
        timestamp = str(unix_seconds(now))
        signature = self.signing_key().sign(timestamp.encode("ascii") + body)
        return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature.hex()}
