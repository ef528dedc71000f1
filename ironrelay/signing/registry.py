"""Map scheme names to Scheme classes and resolve dotted paths to custom schemes."""

from __future__ import annotations

import importlib

from .base import Scheme
from .body_hmac import IntercomScheme, TypeformScheme
from .calendly import CalendlyScheme
from .discord import DiscordScheme
from .generic import HmacSha256Scheme, NoneScheme, TokenScheme
from .github import GitHubScheme
from .hubspot import HubSpotScheme
from .linear import LinearScheme
from .mailgun import MailgunScheme
from .mandrill import MandrillScheme
from .paddle import PaddleScheme
from .postmark import PostmarkScheme
from .sendgrid import SendGridScheme
from .shopify import ShopifyScheme
from .slack import SlackScheme
from .square import SquareScheme
from .standard import StandardScheme
from .stripe import StripeScheme
from .svix_aliases import ClerkScheme, ResendScheme, SvixScheme
from .twilio import TwilioScheme
from .zoom import ZoomScheme

SCHEMES: dict[str, type[Scheme]] = {
    scheme.name: scheme
    for scheme in (
        # Provider pack: signatures over the called URL, asymmetric keys, handshakes.
        TwilioScheme,
        SendGridScheme,
        SquareScheme,
        ZoomScheme,
        DiscordScheme,
        HubSpotScheme,
        MandrillScheme,
        # Core schemes.
        StripeScheme,
        GitHubScheme,
        SlackScheme,
        ShopifyScheme,
        StandardScheme,
        HmacSha256Scheme,
        TokenScheme,
        NoneScheme,
        # Provider pack: email, billing, product and forms senders (Clerk/Resend/Svix are
        # Standard Webhooks under the provider's name).
        MailgunScheme,
        PaddleScheme,
        LinearScheme,
        IntercomScheme,
        TypeformScheme,
        CalendlyScheme,
        PostmarkScheme,
        ClerkScheme,
        ResendScheme,
        SvixScheme,
    )
}


def get_scheme_class(name_or_dotted_path: str) -> type[Scheme]:
    """Return the Scheme class registered under a name or importable from a dotted path."""
    if name_or_dotted_path in SCHEMES:
        return SCHEMES[name_or_dotted_path]
    module_path, _, class_name = name_or_dotted_path.rpartition(".")
    if not module_path:
        known = ", ".join(sorted(SCHEMES))
        raise LookupError(
            f"unknown signing scheme {name_or_dotted_path!r}; known schemes: {known}"
            " (or give the dotted path of a Scheme subclass)"
        )
    try:
        module = importlib.import_module(module_path)
    except (ImportError, TypeError, ValueError) as exc:  # TypeError: a relative path like "..x"
        raise LookupError(
            f"cannot import {module_path!r} for signing scheme {name_or_dotted_path!r}: {exc}"
        ) from exc
    scheme = getattr(module, class_name, None)
    if not (isinstance(scheme, type) and issubclass(scheme, Scheme)):
        raise LookupError(f"{name_or_dotted_path!r} is not a Scheme subclass")
    return scheme
