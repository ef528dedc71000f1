"""The test project's PORTAL_TENANT: each logged-in, non-staff user is a customer."""

from __future__ import annotations

from django.http import HttpRequest

from ironrelay import tenant_key


def tenant_for(request: HttpRequest) -> str | None:
    """Return the logged-in customer's tenant key, or None (403) for anyone else."""
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return None
    return tenant_key(user)
