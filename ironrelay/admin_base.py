"""What IronRelay's admin classes share: read-only admins and inlines, JSON display, messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.http import HttpRequest
from django.utils.html import format_html

from ironrelay.admin_input import CraftedInputAdmin
from ironrelay.prettyjson import pretty


def json_display(field: str, description: str) -> Callable[[Any, Any], str]:
    """Make a read-only admin field that shows the JSON field `field` pretty-printed."""

    @admin.display(description=description)
    def show(model_admin: Any, obj: Any) -> str:
        value = getattr(obj, field)
        return format_html("<pre>{}</pre>", pretty(value))

    return show


def skipped(count: int, why: str) -> str:
    """Return "; N skipped (why)" or nothing when no record was skipped."""
    return f"; {count} skipped ({why})" if count else ""


class ReadOnlyAdmin(CraftedInputAdmin):
    """Show records without add or edit forms; actions and deletes keep their permissions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Without an object this is the permission the change actions ask for; with one it
        # would allow editing a record that only the queue and the worker may write.
        return obj is None and super().has_change_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        return flatten(self.fields or ())


class ReadOnlyInline(admin.TabularInline):
    """List related records on their parent's page, without forms."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    has_change_permission = has_delete_permission = has_add_permission

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        return flatten(self.fields or ())
