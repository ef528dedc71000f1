"""Load the public keys providers show (PEM, base64 DER, hex) and the test private keys."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
    load_der_public_key,
    load_pem_private_key,
)

from .base import check_text_list

ED25519_KEY_SIZE = 32


def key_texts(value: object, *, label: str) -> tuple[str, ...]:
    """Return one key text, or several (newest first, for rotation), as a tuple."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence):
        raise TypeError(f"{label} must be a string or a list of strings")
    return check_text_list(value, label=label)


def _der(value: str, *, label: str) -> bytes:
    """Return the DER bytes of a PEM block or of bare base64 (as SendGrid shows its key)."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        lines = [line for line in text.splitlines() if not line.startswith("-----")]
        text = "".join(lines)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise ValueError(f"{label} is not PEM or base64") from None


def load_p256_public_key(value: str, *, label: str) -> ec.EllipticCurvePublicKey:
    """Return the ECDSA P-256 public key in a PEM or base64 DER string."""
    try:
        key = load_der_public_key(_der(value, label=label))
    except ValueError:
        raise ValueError(f"{label} is not a DER/PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{label} is not an ECDSA P-256 public key")
    return key


def load_p256_private_key(value: str, *, label: str) -> ec.EllipticCurvePrivateKey:
    """Return the ECDSA P-256 private key in a PEM or base64 PKCS#8 DER string."""
    try:
        if value.strip().startswith("-----BEGIN"):
            key = load_pem_private_key(value.strip().encode("ascii"), password=None)
        else:
            key = load_der_private_key(_der(value, label=label), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError(f"{label} is not an unencrypted PEM/DER private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{label} is not an ECDSA P-256 private key")
    return key


def _raw32(value: str, *, label: str) -> bytes:
    """Decode 32 raw key bytes given as hex (as Discord shows them) or base64."""
    text = value.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 2 * ED25519_KEY_SIZE else b""
    except ValueError:
        raw = b""
    if not raw:
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            raise ValueError(f"{label} is neither hex nor base64") from None
    if len(raw) != ED25519_KEY_SIZE:
        raise ValueError(f"{label} must decode to {ED25519_KEY_SIZE} bytes")
    return raw


def load_ed25519_public_key(value: str, *, label: str) -> Ed25519PublicKey:
    """Return the Ed25519 public key in a hex or base64 string."""
    return Ed25519PublicKey.from_public_bytes(_raw32(value, label=label))


def load_ed25519_private_key(value: str, *, label: str) -> Ed25519PrivateKey:
    """Return the Ed25519 private key whose 32-byte seed is in a hex or base64 string."""
    return Ed25519PrivateKey.from_private_bytes(_raw32(value, label=label))


def generate_p256_keypair() -> tuple[str, str]:
    """Return a new ``(private PEM, public base64 DER)`` pair for a test SendGrid source."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii"), base64.b64encode(public).decode("ascii")


def generate_ed25519_hex_keypair() -> tuple[str, str]:
    """Return a new ``(private seed hex, public key hex)`` pair for a test Discord source."""
    private_key = Ed25519PrivateKey.generate()
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return seed.hex(), public.hex()
