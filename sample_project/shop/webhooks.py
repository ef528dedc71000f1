"""Which customer the webhooks portal serves: the logged-in user's (IRONRELAY["PORTAL_TENANT"])."""

from __future__ import annotations

from django.http import HttpRequest

from ironrelay import tenant_key
from shop.models import Customer


def tenant_for(request: HttpRequest) -> str | None:
    """Return the tenant key of the logged-in user's customer, or None (403) for anyone else."""
    if not request.user.is_authenticated:
        return None
    try:
        return tenant_key(request.user.customer)
    except Customer.DoesNotExist:
        return None
