"""Verify and sign Discord interactions and webhook events (Ed25519 over timestamp + body)."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature as Ed25519Mismatch

from .base import Handshake, Verified
from .exceptions import MalformedSignature
from .provider_keys import load_ed25519_private_key, load_ed25519_public_key
from .timestamped_public_key import TimestampedPublicKeyScheme

SIGNATURE_SIZE = 64
# Interactions: a PING (type 1) is answered with a PONG (type 1).
INTERACTION_PING = 1
# Webhook events: a PING (type 0, no "event") is answered with 204 No Content.
EVENT_PING = 0


class DiscordScheme(TimestampedPublicKeyScheme):
    """Verify Discord's Ed25519 signatures with the application's public key."""

    name = "discord"
    key_kind = "Ed25519"
    signature_header = "X-Signature-Ed25519"
    timestamp_header = "X-Signature-Timestamp"

    def load_public(self, text: str, *, label: str) -> Any:
        """Return the Ed25519 key Discord shows as hex (base64 also accepted)."""
        return load_ed25519_public_key(text, label=label)

    def load_private(self, text: str, *, label: str) -> Any:
        """Return an Ed25519 private key from its 32-byte seed in hex or base64."""
        return load_ed25519_private_key(text, label=label)

    def decode_signature(self, value: str) -> bytes:
        """Return the 64-byte Ed25519 signature Discord sends as hex."""
        try:
            signature = bytes.fromhex(value)
        except ValueError:
            raise MalformedSignature(f"{self.signature_header} header is not hex") from None
        if len(signature) != SIGNATURE_SIZE:
            raise MalformedSignature(
                f"{self.signature_header} header is not {SIGNATURE_SIZE} bytes"
            )
        return signature

    def signature_matches(self, key: Any, signature: bytes, message: bytes) -> bool:
        """Return whether the Ed25519 ``signature`` of ``message`` verifies with ``key``."""
        try:
            key.verify(signature, message)
        except Ed25519Mismatch:
            return False
        return True

    def encode_signature(self, key: Any, message: bytes) -> str:
        """Return the hex Ed25519 signature of ``message``."""
        return str(key.sign(message).hex())

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
