"""Generate and decode Standard Webhooks secrets (whsec_) and Ed25519 keys (whsk_, whpk_)."""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

# A format prefix, not a secret.
SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105
PRIVATE_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
SECRET_BYTES = 24
ED25519_KEY_SIZE = 32


def _b64(raw: bytes) -> str:
    """Return ``raw`` as standard padded base64 text."""
    return base64.b64encode(raw).decode("ascii")


def _decode(value: str, prefix: str, *, label: str) -> bytes:
    """Strip an optional ``prefix`` and base64-decode the rest, tolerating missing padding."""
    encoded = value.removeprefix(prefix).rstrip("=")
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        raise ValueError(f"{label} is not valid base64") from None


def generate_secret() -> str:
    """Return a new random ``whsec_`` signing secret."""
    return SECRET_PREFIX + _b64(secrets.token_bytes(SECRET_BYTES))


def generate_ed25519_keypair() -> tuple[str, str]:
    """Return a new ``(whsk_ private seed, whpk_ public key)`` pair."""
    private_key = Ed25519PrivateKey.generate()
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PRIVATE_KEY_PREFIX + _b64(seed), PUBLIC_KEY_PREFIX + _b64(public)


def generate_msg_id() -> str:
    """Return a new random webhook message id."""
    return "msg_" + secrets.token_hex(16)


def decode_secret(value: str, *, label: str = "secret") -> bytes:
    """Return the HMAC key of a ``whsec_`` secret (unprefixed secrets are base64 too)."""
    key = _decode(value, SECRET_PREFIX, label=label)
    if not key:
        raise ValueError(f"{label} is empty once decoded")
    return key


def load_public_key(value: str, *, label: str = "public key") -> Ed25519PublicKey:
    """Return the Ed25519 public key encoded in a ``whpk_`` string."""
    raw = _decode(value, PUBLIC_KEY_PREFIX, label=label)
    if len(raw) != ED25519_KEY_SIZE:
        raise ValueError(f"{label} must decode to {ED25519_KEY_SIZE} bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(value: str, *, label: str = "private key") -> Ed25519PrivateKey:
    """Return the Ed25519 private key encoded in a ``whsk_`` string (seed, or seed + public)."""
    raw = _decode(value, PRIVATE_KEY_PREFIX, label=label)
    if len(raw) not in (ED25519_KEY_SIZE, 2 * ED25519_KEY_SIZE):
        raise ValueError(f"{label} must decode to a {ED25519_KEY_SIZE}-byte seed")
    private_key = Ed25519PrivateKey.from_private_bytes(raw[:ED25519_KEY_SIZE])
    # libsodium-style 64-byte keys append the public key; it must belong to the seed.
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if len(raw) > ED25519_KEY_SIZE and raw[ED25519_KEY_SIZE:] != public:
        raise ValueError(f"{label} has a public half that does not match its seed")
    return private_key
