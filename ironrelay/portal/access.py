"""Who the portal is serving: the tenant from PORTAL_TENANT, or from an API token."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_protect

from ironrelay.conf import SettingError, get_settings
from ironrelay.crypto import SecretUnreadable
from ironrelay.loading import import_callable
from ironrelay.portal.scope import TenantScope

# A namespace for Django's signing, not a secret (the linters see "TOKEN" in the name).
TOKEN_SALT = "ironrelay.portal.token"  # noqa: S105  # nosec B105
TenantCallable = Callable[[HttpRequest], object]
UNREADABLE = (
    "This endpoint's secret cannot be read with the site's current keys; "
    "ask the site's support to restore the old key or replace the endpoint."
)


class InvalidToken(PermissionDenied):
    """The Authorization header carries a portal token that is expired, forged or malformed."""


@functools.cache
def _load(path: str) -> TenantCallable:
    try:
        return import_callable(path)
    except ImportError as exc:
        raise SettingError(f'IRONRELAY["PORTAL_TENANT"]: {exc}') from None


def tenant_callable() -> TenantCallable:
    """Return the project's PORTAL_TENANT callable, or raise SettingError naming the setting."""
    path = get_settings().PORTAL_TENANT
    if not path:
        raise SettingError(
            'IRONRELAY["PORTAL_TENANT"] is not set: name a callable that takes the request and '
            "returns the tenant key of the customer it serves (or None)."
        )
    return _load(path)


def as_key(value: object) -> str:
    """Return the tenant key for what the callable returned: a string, or a model instance."""
    if value is None or isinstance(value, str):
        return value or ""
    from ironrelay.tenants import tenant_key

    return tenant_key(value)


def session_scope(request: HttpRequest) -> TenantScope:
    """Return the scope of the tenant PORTAL_TENANT names for this request, or raise 403."""
    tenant = as_key(tenant_callable()(request))
    if not tenant:
        raise PermissionDenied("This page is for customers with webhooks.")
    return TenantScope(tenant)


def bearer_token(request: HttpRequest) -> str | None:
    """Return the token of an "Authorization: Bearer" header, or None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def token_scope(token: str) -> TenantScope:
    """Return the scope a portal token was issued for, or raise InvalidToken."""
    max_age = get_settings().PORTAL_TOKEN_MAX_AGE
    try:
        claims: Any = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidToken("The portal token has expired.") from None
    except signing.BadSignature:
        raise InvalidToken("The portal token is not valid.") from None
    tenant = claims.get("tenant") if isinstance(claims, dict) else None
    if not isinstance(tenant, str) or not tenant:
        raise InvalidToken("The portal token is not valid.")
    return TenantScope(tenant)


def issue_token(tenant: object) -> str:
    """Return a signed API token for `tenant` (a key or a model instance)."""
    key = as_key(tenant)
    if not key:
        raise ValueError("A portal token needs a tenant.")
    return signing.dumps({"tenant": key}, salt=TOKEN_SALT, compress=True)


View = Callable[..., HttpResponse]


def portal_page(view: View) -> View:
    """Serve a page to the request's tenant (403 without one); POSTs are CSRF-checked."""

    @csrf_protect  # even in a project without CsrfViewMiddleware
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = session_scope(request)
        try:
            return view(request, scope, *args, **kwargs)
        except SecretUnreadable:
            return HttpResponse(UNREADABLE, status=409, content_type="text/plain; charset=utf-8")

    return wrapped
