"""Decode signature values strictly and compare HMAC digests in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from .exceptions import MalformedSignature

SHA256_SIZE = 32
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """Return the raw HMAC-SHA256 digest of ``message`` under ``key``."""
    return hmac_digest(key, message, "sha256")


def hmac_digest(key: bytes, message: bytes, algorithm: str) -> bytes:
    """Return the raw HMAC digest of ``message`` under ``key`` with hashlib's ``algorithm``."""
    return hmac.new(key, message, algorithm).digest()


def content_digest(message: bytes) -> str:
    """Return the SHA-256 hex digest of signed ``message``, for deduplicating on it."""
    return hashlib.sha256(message).hexdigest()


def to_utf8(value: str, *, what: str) -> bytes:
    """Encode a header value as UTF-8, rejecting values that cannot be encoded."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedSignature(f"{what} is not valid text") from None


def decode_hex_sha256(value: str, *, what: str) -> bytes:
    """Decode a 64-character hex SHA-256 digest."""
    if _HEX_SHA256.fullmatch(value) is None:
        raise MalformedSignature(f"{what} is not a 64-character hex SHA-256 digest")
    return bytes.fromhex(value)


def decode_base64(value: str, *, what: str, size: int | None = None) -> bytes:
    """Decode standard padded base64, optionally requiring a decoded size in bytes."""
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error and non-ASCII input are both ValueErrors
        raise MalformedSignature(f"{what} is not valid base64") from None
    if size is not None and len(raw) != size:
        raise MalformedSignature(f"{what} decodes to {len(raw)} bytes, expected {size}")
    return raw


def find_hmac_match(
    keys: Sequence[bytes],
    message: bytes,
    candidates: Sequence[bytes],
    *,
    algorithm: str = "sha256",
) -> int | None:
    """Return the index of the first key whose HMAC of ``message`` is among ``candidates``."""
    for index, key in enumerate(keys):
        expected = hmac_digest(key, message, algorithm)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return index
    return None
