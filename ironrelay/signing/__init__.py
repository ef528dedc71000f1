"""Verify incoming and sign outgoing webhook signatures; pure Python, no Django imports."""

from __future__ import annotations

from .asymmetric import PublicKeyScheme
from .base import Handshake, Scheme, Verified, lowercase_headers
from .body_hmac import IntercomScheme, TypeformScheme
from .calendly import CalendlyScheme
from .discord import DiscordScheme
from .exceptions import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    TimestampOutOfTolerance,
)
from .generic import HmacSha256Scheme, NoneScheme, TokenScheme
from .github import GitHubScheme
from .hubspot import HubSpotScheme
from .linear import LinearScheme
from .mailgun import MailgunScheme
from .mandrill import MandrillScheme
from .paddle import PaddleScheme
from .postmark import PostmarkScheme
from .provider_keys import generate_ed25519_hex_keypair, generate_p256_keypair
from .registry import SCHEMES, get_scheme_class
from .request_url import UrlSignedScheme
from .sendgrid import SendGridScheme
from .shopify import ShopifyScheme
from .slack import SlackScheme
from .square import SquareScheme
from .standard import StandardScheme, StandardSigner, sign_standard
from .standard_keys import generate_ed25519_keypair, generate_secret
from .stripe import StripeScheme
from .svix_aliases import ClerkScheme, ResendScheme, SvixScheme
from .twilio import TwilioScheme, with_body_hash
from .zoom import ZoomScheme

__all__ = [
    "SCHEMES",
    "CalendlyScheme",
    "ClerkScheme",
    "DiscordScheme",
    "GitHubScheme",
    "Handshake",
    "HmacSha256Scheme",
    "HubSpotScheme",
    "IntercomScheme",
    "InvalidSignature",
    "LinearScheme",
    "MailgunScheme",
    "MalformedSignature",
    "MandrillScheme",
    "MissingSignature",
    "NoneScheme",
    "PaddleScheme",
    "PostmarkScheme",
    "PublicKeyScheme",
    "ResendScheme",
    "Scheme",
    "SendGridScheme",
    "ShopifyScheme",
    "SignatureError",
    "SlackScheme",
    "SquareScheme",
    "StandardScheme",
    "StandardSigner",
    "StripeScheme",
    "SvixScheme",
    "TimestampOutOfTolerance",
    "TokenScheme",
    "TwilioScheme",
    "TypeformScheme",
    "UrlSignedScheme",
    "Verified",
    "ZoomScheme",
    "generate_ed25519_hex_keypair",
    "generate_ed25519_keypair",
    "generate_p256_keypair",
    "generate_secret",
    "get_scheme_class",
    "lowercase_headers",
    "sign_standard",
    "with_body_hash",
]
