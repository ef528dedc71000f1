"""Admin for outgoing webhooks: endpoints, messages and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ironrelay import crypto
from ironrelay.admin_base import ReadOnlyAdmin, ReadOnlyInline, json_display, skipped
from ironrelay.admin_filters import TenantScopeFilter
from ironrelay.admin_input import CraftedInputAdmin
from ironrelay.conf import get_settings
from ironrelay.dashboard.forms import StaffEndpointForm
from ironrelay.models import (
    Delivery,
    DeliveryAttempt,
    Endpoint,
    OutgoingWebhook,
)
from ironrelay.outgoing import delivery as outgoing


@admin.register(Endpoint)
class EndpointAdmin(CraftedInputAdmin):
    list_display = (
        "id",
        "url",
        "description",
        "tenant",
        "is_active",
        "event_types",
        "masked_secret",
        "consecutive_failures",
        "disabled_reason",
        "created_at",
    )
    list_filter = ("is_active", TenantScopeFilter)
    # "=tenant": an exact key, found by its index among many tenants.
    search_fields = ("url", "description", "=tenant")
    ordering = ("-id",)
    fields = (
        "url",
        "description",
        "tenant",
        "event_types",
        "transform",
        "custom_headers",
        ("max_in_flight", "rate"),
        "is_active",
        ("masked_secret", "old_secrets_expire"),
        ("created_at", "updated_at"),
        ("consecutive_failures", "failing_since"),
        ("disabled_reason", "disabled_at"),
    )
    EDITABLE = 8  # the first fields; the others are read-only
    EDITED = [
        *("url", "description", "tenant", "event_types", "transform"),
        *("max_in_flight", "rate", "headers_encrypted", "updated_at"),
    ]
    readonly_fields = flatten(fields[EDITABLE:])
    form = StaffEndpointForm  # the dashboard's: event types ticked or typed, not JSON
    actions = ("enable_endpoints", "disable_endpoints", "rotate_secrets")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str | tuple[str, ...]]:
        # A new endpoint has no secret or history yet: its secret is made when it is saved.
        return self.fields if obj else self.fields[: self.EDITABLE]

    # Named like the model's property (never `secret`), so no lookup can reach the full secret.
    @admin.display(description="secret")
    def masked_secret(self, obj: Endpoint) -> str:
        try:
            return obj.masked_secret
        except crypto.SecretUnreadable:
            return "(unreadable with the configured keys)"

    @admin.display(description="rotated-out secrets sign until")
    def old_secrets_expire(self, obj: Endpoint) -> str:
        return ", ".join(entry["expires_at"] for entry in obj.previous_secrets) or "-"

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Only the form's fields: the worker updates the failure counters at the same time, and
        # is_active changes through enable()/disable() below.
        obj.save(update_fields=self.EDITED)
        if "is_active" in form.changed_data:
            self._set_active(request, obj, obj.is_active)

    def _set_active(self, request: HttpRequest, endpoint: Endpoint, active: bool) -> None:
        if active:
            outgoing.enable(endpoint)
        else:
            outgoing.disable(endpoint, f"disabled by {request.user.get_username()} in the admin")

    def _switch(self, request: HttpRequest, queryset: QuerySet[Endpoint], active: bool) -> None:
        endpoints = list(queryset)
        switched = [endpoint for endpoint in endpoints if endpoint.is_active != active]
        for endpoint in switched:
            self._set_active(request, endpoint, active)
        done, why = ("Enabled", "already active") if active else ("Disabled", "already disabled")
        left = skipped(len(endpoints) - len(switched), why)
        self.message_user(request, f"{done} {len(switched)} endpoint(s){left}.")

    @admin.action(permissions=["change"], description="Enable selected endpoints")
    def enable_endpoints(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        self._switch(request, queryset, active=True)

    @admin.action(permissions=["change"], description="Disable selected endpoints")
    def disable_endpoints(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        self._switch(request, queryset, active=False)

    @admin.action(permissions=["change"], description="Rotate secrets of selected endpoints")
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        rotated = []
        for endpoint in queryset:
            new_secret = endpoint.rotate_secret()
            endpoint.save(update_fields=["secret_encrypted", "previous_secrets", "updated_at"])
            rotated.append(f"{endpoint} (#{endpoint.pk}, {crypto.mask(new_secret)})")
        hours = get_settings().SECRET_ROTATION_OVERLAP / 3600
        self.message_user(
            request,
            f"Rotated {len(rotated)} secret(s): {', '.join(rotated)}. The old secrets keep "
            f"signing for {hours:g} h. Read a new secret with: python manage.py "
            "ironrelay_endpoint_secret <id>",
        )


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = (
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
        "finished_at",
        "last_error",
    )
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("endpoint")


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "tenant", "created_at")
    list_filter = ("event_type", "created_at")
    search_fields = ("=id", "event_type", "=tenant")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = ("id", "event_type", "tenant", "created_at", "payload_pretty")
    inlines = (DeliveryInline,)

    payload_pretty = json_display("payload", "payload")


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    template = "admin/edit_inline/stacked.html"
    fields = (
        ("number", "at", "status_code", "duration_ms"),
        ("url", "error"),
        ("request_headers_pretty", "response_headers_pretty"),
        "response_body_pretty",
    )

    request_headers_pretty = json_display("request_headers", "request headers")
    response_headers_pretty = json_display("response_headers", "response headers")

    @admin.display(description="response body")
    def response_body_pretty(self, obj: DeliveryAttempt) -> str:
        return format_html("<pre>{}</pre>", obj.response_body)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "message",
        "endpoint",
        "endpoint__tenant",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("status", TenantScopeFilter, "endpoint", "created_at")
    list_select_related = ("message", "endpoint")
    search_fields = ("=message__id", "endpoint__url", "=endpoint__tenant")
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
        ("id", "message", "endpoint"),
        ("status", "attempts", "last_status_code", "last_error"),
        ("created_at", "last_attempt_at", "next_attempt_at", "finished_at"),
    )
    inlines = (DeliveryAttemptInline,)
    actions = ("redeliver_deliveries",)

    @admin.action(permissions=["change"], description="Redeliver selected deliveries now")
    def redeliver_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset.select_related("endpoint"))
        # A pending delivery already has an attempt queued (a second would POST it twice), and
        # a disabled endpoint would only fail the attempt.
        ready = [
            item
            for item in deliveries
            if item.status != Delivery.Status.PENDING and item.endpoint.is_active
        ]
        for item in ready:
            outgoing.redeliver(item)
        left = skipped(len(deliveries) - len(ready), "still pending or endpoint disabled")
        self.message_user(request, f"Queued {len(ready)} delivery(ies) for redelivery{left}.")
