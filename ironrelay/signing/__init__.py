"""Verify incoming and sign outgoing webhook signatures; pure Python, no Django imports."""

from __future__ import annotations

from .base import Scheme, Verified, lowercase_headers
from .body_hmac import IntercomScheme, TypeformScheme
from .calendly import CalendlyScheme
from .exceptions import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    TimestampOutOfTolerance,
)
from .generic import HmacSha256Scheme, NoneScheme, TokenScheme
from .github import GitHubScheme
from .linear import LinearScheme
from .mailgun import MailgunScheme
from .paddle import PaddleScheme
from .postmark import PostmarkScheme
from .registry import SCHEMES, get_scheme_class
from .shopify import ShopifyScheme
from .slack import SlackScheme
from .standard import StandardScheme, sign_standard
from .standard_keys import generate_ed25519_keypair, generate_secret
from .stripe import StripeScheme
from .svix_aliases import ClerkScheme, ResendScheme, SvixScheme

__all__ = [
    "SCHEMES",
    "CalendlyScheme",
    "ClerkScheme",
    "GitHubScheme",
    "HmacSha256Scheme",
    "IntercomScheme",
    "InvalidSignature",
    "LinearScheme",
    "MailgunScheme",
    "MalformedSignature",
    "MissingSignature",
    "NoneScheme",
    "PaddleScheme",
    "PostmarkScheme",
    "ResendScheme",
    "Scheme",
    "ShopifyScheme",
    "SignatureError",
    "SlackScheme",
    "StandardScheme",
    "StripeScheme",
    "SvixScheme",
    "TimestampOutOfTolerance",
    "TokenScheme",
    "TypeformScheme",
    "Verified",
    "generate_ed25519_keypair",
    "generate_secret",
    "get_scheme_class",
    "lowercase_headers",
    "sign_standard",
]
