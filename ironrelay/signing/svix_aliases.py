"""Name the Standard Webhooks scheme after providers that deliver through Svix."""

from __future__ import annotations

from .standard import StandardScheme


class SvixScheme(StandardScheme):
    """Verify Svix deliveries (svix-id/-timestamp/-signature, or the webhook- names)."""

    name = "svix"


class ClerkScheme(StandardScheme):
    """Verify Clerk webhooks, which Svix delivers with a whsec_ signing secret."""

    name = "clerk"


class ResendScheme(StandardScheme):
    """Verify Resend webhooks, which Svix delivers with a whsec_ signing secret."""

    name = "resend"
