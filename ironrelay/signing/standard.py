"""Verify and sign Standard Webhooks (webhook-id/-timestamp/-signature; v1 HMAC, v1a Ed25519)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime

from cryptography.exceptions import InvalidSignature as Ed25519Mismatch
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base import Scheme, Verified, check_text_list, lowercase_headers, require_header
from .encoding import (
    SHA256_SIZE,
    content_digest,
    decode_base64,
    find_hmac_match,
    hmac_sha256,
    to_utf8,
)
from .exceptions import InvalidSignature, MalformedSignature, MissingSignature
from .standard_keys import decode_secret, generate_msg_id, load_private_key, load_public_key
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

ED25519_SIGNATURE_SIZE = 64
# Senders put one entry per active key; a cap keeps hostile headers from costing many checks.
MAX_SIGNATURES = 16
SIGNED_HEADERS = frozenset({"webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"})


def signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    """Return the bytes Standard Webhooks signs: ``{id}.{timestamp}.{body}``."""
    prefix = to_utf8(msg_id, what="webhook-id header") + b"." + timestamp.encode("ascii")
    return prefix + b"." + body


def _signature_header(
    content: bytes, keys: Sequence[bytes], private_keys: Sequence[Ed25519PrivateKey]
) -> str:
    """Join one v1 entry per HMAC key and one v1a entry per Ed25519 private key."""
    entries = [f"v1,{base64.b64encode(hmac_sha256(key, content)).decode()}" for key in keys]
    entries += [f"v1a,{base64.b64encode(key.sign(content)).decode()}" for key in private_keys]
    return " ".join(entries)


def sign_standard(
    msg_id: str,
    timestamp: int,
    body: bytes,
    secrets: Sequence[str],
    private_keys: Sequence[str] = (),
) -> str:
    """Return a webhook-signature value: one v1 entry per secret, then one v1a per private key."""
    return StandardSigner(secrets, private_keys).sign(msg_id, timestamp, body)


class StandardSigner:
    """Sign many messages with the same secrets and keys, decoded and loaded once."""

    def __init__(self, secrets: Sequence[str], private_keys: Sequence[str] = ()) -> None:
        secrets = check_text_list(secrets, label="secrets")
        private_keys = check_text_list(private_keys, label="private_keys")
        if not secrets and not private_keys:
            raise ValueError("sign_standard needs at least one secret or private key")
        self._keys = [decode_secret(s, label=f"secrets[{i}]") for i, s in enumerate(secrets)]
        self._signers = [
            load_private_key(k, label=f"private_keys[{i}]") for i, k in enumerate(private_keys)
        ]

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """Return the webhook-signature value of one message: v1 entries, then v1a entries."""
        if not msg_id:
            raise ValueError("msg_id must not be empty")
        return _signature_header(
            signed_content(msg_id, str(timestamp), body), self._keys, self._signers
        )


def parse_signature_header(value: str) -> tuple[list[bytes], list[bytes]]:
    """Split a webhook-signature value into decoded v1 (HMAC) and v1a (Ed25519) signatures."""
    entries = value.split()
    if len(entries) > MAX_SIGNATURES:
        raise MalformedSignature(f"webhook-signature header has more than {MAX_SIGNATURES} entries")
    hmacs: list[bytes] = []
    ed25519s: list[bytes] = []
    for entry in entries:
        version, separator, encoded = entry.partition(",")
        if not separator:
            raise MalformedSignature("webhook-signature entry is not <version>,<signature>")
        if version == "v1":
            hmacs.append(decode_base64(encoded, what="v1 signature", size=SHA256_SIZE))
        elif version == "v1a":
            ed25519s.append(
                decode_base64(encoded, what="v1a signature", size=ED25519_SIGNATURE_SIZE)
            )
        # Unknown versions are skipped so senders can add newer schemes alongside.
    if not hmacs and not ed25519s:
        raise MalformedSignature("webhook-signature header has no v1 or v1a signature")
    return hmacs, ed25519s


def _standard_header(headers: Mapping[str, str], suffix: str) -> str:
    """Return ``webhook-<suffix>``, falling back to Svix's ``svix-<suffix>``."""
    try:
        return require_header(headers, f"webhook-{suffix}")
    except MissingSignature:
        if f"svix-{suffix}" not in headers:
            raise
    return require_header(headers, f"svix-{suffix}")


class StandardScheme(Scheme):
    """Verify Standard Webhooks signatures with whsec_ secrets (v1) and whpk_ public keys (v1a)."""

    name = "standard"
    options = frozenset({"public_keys", "private_keys"})

    def configure(
        self, *, public_keys: Sequence[str] = (), private_keys: Sequence[str] = ()
    ) -> None:
        """Load the Ed25519 public keys used to verify and private keys used to sign v1a."""
        public_label = f"{self.name} option 'public_keys'"
        private_label = f"{self.name} option 'private_keys'"
        self.public_keys = check_text_list(public_keys, label=public_label)
        self.private_keys = check_text_list(private_keys, label=private_label)
        self._verifiers = [
            load_public_key(key, label=f"{public_label}[{i}]")
            for i, key in enumerate(self.public_keys)
        ]
        self._signers = [
            load_private_key(key, label=f"{private_label}[{i}]")
            for i, key in enumerate(self.private_keys)
        ]

    def decode_secrets(self, secrets: tuple[str, ...]) -> tuple[bytes, ...]:
        """Decode whsec_ secrets into their raw HMAC keys."""
        return tuple(
            decode_secret(secret, label=f"{self.name} scheme secrets[{i}]")
            for i, secret in enumerate(secrets)
        )

    def has_keys(self) -> bool:
        """Return whether a secret or a public key is configured to verify with."""
        return bool(self.secrets or self.public_keys)

    def signed_headers(self) -> frozenset[str]:
        """Return the id and timestamp headers (either naming), which are signed with the body."""
        return SIGNED_HEADERS

    def signs_timestamp(self) -> bool:
        """Return True: webhook-timestamp is signed with the id and the body."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check webhook-signature (or svix-signature) against every secret and public key."""
        lowered = lowercase_headers(headers)
        msg_id = _standard_header(lowered, "id")
        timestamp_text = _standard_header(lowered, "timestamp")
        value = _standard_header(lowered, "signature")
        timestamp = parse_unix_timestamp(timestamp_text, what="webhook-timestamp header")
        hmacs, ed25519s = parse_signature_header(value)
        content = signed_content(msg_id, timestamp_text, body)
        index = find_hmac_match(self._keys, content, hmacs) if hmacs else None
        if index is None:
            index = self._match_public_key(content, ed25519s)
        if index is None:
            raise InvalidSignature("webhook-signature matches none of the configured keys")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(content))

    def _match_public_key(self, content: bytes, signatures: Sequence[bytes]) -> int | None:
        """Return the index of the first public key that verifies any of ``signatures``."""
        for index, public_key in enumerate(self._verifiers):
            for signature in signatures:
                try:
                    public_key.verify(signature, content)
                except Ed25519Mismatch:
                    continue
                return index
        return None

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return webhook-id, -timestamp and -signature headers signed with the first keys."""
        if not self._keys and not self._signers:
            raise ValueError(f"{self.name} scheme has no secret or private key to sign with")
        msg_id = msg_id or generate_msg_id()
        timestamp = str(unix_seconds(now))
        content = signed_content(msg_id, timestamp, body)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": _signature_header(content, self._keys[:1], self._signers[:1]),
        }
