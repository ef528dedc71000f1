"""Verify and sign SendGrid Event Webhooks (ECDSA P-256 over timestamp + body)."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature as EcdsaMismatch
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .encoding import decode_base64
from .exceptions import MalformedSignature
from .provider_keys import load_p256_private_key, load_p256_public_key
from .timestamped_public_key import TimestampedPublicKeyScheme

# A DER ECDSA P-256 signature is at most 72 bytes; anything much larger is not one.
MAX_SIGNATURE_SIZE = 80


class SendGridScheme(TimestampedPublicKeyScheme):
    """Verify SendGrid's signed Event Webhook with the account's verification key."""

    name = "sendgrid"
    key_kind = "ECDSA P-256"
    signature_header = "X-Twilio-Email-Event-Webhook-Signature"
    timestamp_header = "X-Twilio-Email-Event-Webhook-Timestamp"

    def load_public(self, text: str, *, label: str) -> Any:
        """Return the P-256 key SendGrid shows as base64 DER (PEM also accepted)."""
        return load_p256_public_key(text, label=label)

    def load_private(self, text: str, *, label: str) -> Any:
        """Return a P-256 private key from PEM or base64 PKCS#8 DER."""
        return load_p256_private_key(text, label=label)

    def decode_signature(self, value: str) -> bytes:
        """Return the DER ECDSA signature SendGrid sends as base64."""
        signature = decode_base64(value, what=f"{self.signature_header} header")
        if not 8 <= len(signature) <= MAX_SIGNATURE_SIZE:
            raise MalformedSignature(f"{self.signature_header} header is not a DER ECDSA signature")
        return signature

    def signature_matches(self, key: Any, signature: bytes, message: bytes) -> bool:
        """Return whether the ECDSA SHA-256 ``signature`` of ``message`` verifies with ``key``."""
        try:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (EcdsaMismatch, ValueError):  # ValueError: not a DER signature at all
            return False
        return True

    def encode_signature(self, key: Any, message: bytes) -> str:
        """Return the base64 DER ECDSA signature of ``message``."""
        # RFC 6979 nonces: no randomness to get wrong, and the same request signs the same.
        algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        return base64.b64encode(key.sign(message, algorithm)).decode("ascii")
