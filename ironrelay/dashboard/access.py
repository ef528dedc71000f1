"""Who may see the dashboard: staff, and for each page or action, the matching permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import global_settings, settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

View = Callable[..., HttpResponse]


def login_url() -> str:
    """Return the project's LOGIN_URL if it set one, else the admin's login page."""
    if settings.LOGIN_URL != global_settings.LOGIN_URL:
        return str(settings.LOGIN_URL)
    try:
        return reverse("admin:login")
    except NoReverseMatch:
        return str(settings.LOGIN_URL)


def logout_url() -> str:
    """Return the project's "logout" URL if it has one, else the admin's, else ""."""
    for name in ("logout", "admin:logout"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def staff_view(permission: str | None = None) -> Callable[[View], View]:
    """Let staff in (others: login redirect or 403), and require `permission` when given."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url())
            if not user.is_active or not user.is_staff:
                raise PermissionDenied("The IronRelay dashboard is for staff.")
            if permission and not user.has_perm(permission):
                raise PermissionDenied(f"This needs the {permission} permission.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
