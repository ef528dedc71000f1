"""Verify incoming and sign outgoing webhook signatures; pure Python, no Django imports."""

from __future__ import annotations

from .base import Scheme, Verified, lowercase_headers
from .exceptions import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    TimestampOutOfTolerance,
)
from .generic import HmacSha256Scheme, NoneScheme, TokenScheme
from .github import GitHubScheme
from .registry import SCHEMES, get_scheme_class
from .shopify import ShopifyScheme
from .slack import SlackScheme
from .standard import StandardScheme, sign_standard
from .standard_keys import generate_ed25519_keypair, generate_secret
from .stripe import StripeScheme

__all__ = [
    "SCHEMES",
    "GitHubScheme",
    "HmacSha256Scheme",
    "InvalidSignature",
    "MalformedSignature",
    "MissingSignature",
    "NoneScheme",
    "Scheme",
    "ShopifyScheme",
    "SignatureError",
    "SlackScheme",
    "StandardScheme",
    "StripeScheme",
    "TimestampOutOfTolerance",
    "TokenScheme",
    "Verified",
    "generate_ed25519_keypair",
    "generate_secret",
    "get_scheme_class",
    "lowercase_headers",
    "sign_standard",
]
