"""Encryption at rest for endpoint secrets (Fernet, keyed from settings)."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from ironrelay.conf import get_settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


def _derive(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ironrelay", info=b"endpoint-secrets")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.cache
def _fernet() -> MultiFernet:
    keys: list[str | bytes] = list(get_settings().ENCRYPTION_KEYS)
    if not keys:
        # Derived from SECRET_KEY and its fallbacks, so rotating SECRET_KEY keeps them readable.
        fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
        keys = [_derive(key) for key in [settings.SECRET_KEY, *fallbacks]]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plaintext: str) -> str:
    """Encrypt text with the first configured key."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt text encrypted with any configured key."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(
            "An endpoint secret cannot be decrypted: were SECRET_KEY or "
            "IRONRELAY['ENCRYPTION_KEYS'] changed without keeping the old key?"
        ) from None


def mask(secret: str) -> str:
    """Show enough of a secret to recognise it, never enough to use it."""
    if len(secret) <= 12:
        return "•" * 8
    prefix = secret[: secret.index("_") + 1] if "_" in secret[:6] else ""
    return f"{prefix}{secret[len(prefix) : len(prefix) + 4]}…{secret[-4:]}"


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting in {"IRONRELAY", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        _fernet.cache_clear()
