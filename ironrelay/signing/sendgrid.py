"""Verify and sign SendGrid Event Webhooks (ECDSA P-256 over timestamp + body)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature as EcdsaMismatch
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .asymmetric import PublicKeyScheme
from .base import Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_base64
from .exceptions import InvalidSignature, MalformedSignature
from .provider_keys import load_p256_private_key, load_p256_public_key
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# A DER ECDSA P-256 signature is at most 72 bytes; anything much larger is not one.
MAX_SIGNATURE_SIZE = 80


class SendGridScheme(PublicKeyScheme):
    """Verify SendGrid's signed Event Webhook with the account's verification key."""

    name = "sendgrid"
    key_kind = "ECDSA P-256"

    def load_public(self, text: str, *, label: str) -> Any:
        """Return the P-256 key SendGrid shows as base64 DER (PEM also accepted)."""
        return load_p256_public_key(text, label=label)

    def load_private(self, text: str, *, label: str) -> Any:
        """Return a P-256 private key from PEM or base64 PKCS#8 DER."""
        return load_p256_private_key(text, label=label)

    def signed_headers(self) -> frozenset[str]:
        """Return the timestamp header, which is signed with the body."""
        return frozenset({TIMESTAMP_HEADER.lower()})

    def signs_timestamp(self) -> bool:
        """Return True: the event webhook timestamp is signed."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the ECDSA signature of timestamp + body against each public key."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, SIGNATURE_HEADER)
        timestamp_text = require_header(lowered, TIMESTAMP_HEADER)
        signature = decode_base64(value, what=f"{SIGNATURE_HEADER} header")
        if not 8 <= len(signature) <= MAX_SIGNATURE_SIZE:
            raise MalformedSignature(f"{SIGNATURE_HEADER} header is not a DER ECDSA signature")
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{TIMESTAMP_HEADER} header")
        message = timestamp_text.encode("ascii") + body

        def matches(key: ec.EllipticCurvePublicKey) -> bool:
            try:
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            except (EcdsaMismatch, ValueError):  # ValueError: not a DER signature at all
                return False
            return True

        index = self.check_each(matches)
        if index is None:
            raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured keys")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return SendGrid's signature headers, signed with the test source's private key."""
        key = self.signing_key()
        timestamp = str(unix_seconds(now))
        # RFC 6979 nonces: no randomness to get wrong, and the same request signs the same.
        algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        signature = key.sign(timestamp.encode("ascii") + body, algorithm)
        return {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
        }
