"""Tenant keys: the string that says which customer owns an endpoint or an event."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

TENANT_MAX_LENGTH = 200


class TenantKeyError(ValueError):
    """A value cannot be made into a tenant key."""


def tenant_key(owner: Any) -> str:
    """Return the tenant key of a model instance ("billing.customer:42"), a string, or None ("")."""
    if owner is None:
        return ""
    if isinstance(owner, Model):
        if owner.pk is None:
            raise TenantKeyError(
                f"An unsaved {owner._meta.label} has no primary key to make a tenant key from."
            )
        key = f"{owner._meta.label_lower}:{owner.pk}"
    elif isinstance(owner, str):
        key = owner.strip()
    elif isinstance(owner, int) and not isinstance(owner, bool):
        key = str(owner)
    else:
        raise TenantKeyError(
            f"A tenant is a model instance, a string or an int, not {type(owner).__name__}."
        )
    if len(key) > TENANT_MAX_LENGTH:
        raise TenantKeyError(
            f"Tenant key {key[:40]!r}... is longer than {TENANT_MAX_LENGTH} characters."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise TenantKeyError("A tenant key cannot contain control characters.")
    return key


def validate_tenant(value: str) -> None:
    """Refuse a stored tenant key that tenant_key() would not make."""
    from django.core.exceptions import ValidationError

    try:
        key = tenant_key(value)
    except TenantKeyError as exc:
        raise ValidationError(str(exc), code="bad_tenant") from None
    if key != value:
        raise ValidationError("A tenant key has no spaces at either end.", code="bad_tenant")
