"""The Django admin for IronRelay: every model, read-only where editing makes no sense."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from ironrelay import crypto
from ironrelay.admin_filters import TenantScopeFilter
from ironrelay.admin_input import CraftedInputAdmin
from ironrelay.conf import get_settings
from ironrelay.dashboard.forms import StaffEndpointForm
from ironrelay.handlers import dispatch
from ironrelay.models import (
    Delivery,
    DeliveryAttempt,
    Endpoint,
    FlowLimit,
    HandlerRun,
    IncomingWebhook,
    OutgoingWebhook,
    Queue,
    Task,
    Worker,
)
from ironrelay.outgoing import delivery as outgoing
from ironrelay.prettyjson import pretty
from ironrelay.tasks import queue, queues
from ironrelay.tasks.errors import NotCancellable


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


# -- task queue ------------------------------------------------------------------------------------


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "task_path",
        "queue_name",
        "priority",
        "status",
        "attempts_made",
        "enqueued_at",
        "run_after",
        "finished_at",
        "last_error_summary",
    )
    list_filter = ("status", "queue_name")
    search_fields = ("task_path", "=unique_key", "=worker_id")
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        ("id", "task_path", "status"),
        ("queue_name", "priority", "timeout", "unique_key"),
        ("attempts", "max_attempts", "worker_id", "worker_ids_pretty"),
        ("enqueued_at", "run_after", "started_at", "finished_at"),
        ("args_pretty", "kwargs_pretty", "return_value_pretty"),
        "error_history",
    )
    actions = ("retry_tasks", "cancel_tasks")

    args_pretty = json_display("args", "args")
    kwargs_pretty = json_display("kwargs", "kwargs")
    return_value_pretty = json_display("return_value", "return value")
    worker_ids_pretty = json_display("worker_ids", "worker ids")

    @admin.display(description="attempts")
    def attempts_made(self, obj: Task) -> str:
        return f"{obj.attempts}/{obj.max_attempts}"

    @admin.display(description="last error")
    def last_error_summary(self, obj: Task) -> str:
        error = obj.last_error
        if not error:
            return ""
        text = f"{error.get('exception_class_path', '')}: {error.get('message', '')}"
        return Truncator(text).chars(80)

    @admin.display(description="errors")
    def error_history(self, obj: Task) -> str:
        if not obj.errors:
            return "-"
        return format_html_join(
            "",
            "<p><strong>Attempt {} at {} on worker {}</strong>: {}: {}</p><pre>{}</pre>",
            (
                (
                    error.get("attempt"),
                    error.get("at"),
                    error.get("worker_id") or "?",
                    error.get("exception_class_path"),
                    error.get("message"),
                    error.get("traceback", ""),
                )
                for error in obj.errors
            ),
        )

    @admin.action(permissions=["change"], description="Retry selected failed tasks")
    def retry_tasks(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        tasks = list(queryset)
        done = sum(queue.retry(task) for task in tasks)
        self.message_user(
            request,
            f"Queued {done} failed task(s) for retry"
            f"{skipped(len(tasks) - done, 'not failed or cancelled')}.",
        )

    @admin.action(permissions=["change"], description="Cancel selected pending or running tasks")
    def cancel_tasks(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        tasks = list(queryset)
        done = 0
        for task in tasks:
            with contextlib.suppress(NotCancellable):
                queue.cancel(task)
                done += 1
        self.message_user(
            request,
            f"Cancelled {done} task(s), running ones as soon as their worker sees it"
            f"{skipped(len(tasks) - done, 'already finished')}.",
        )


@admin.register(Worker)
class WorkerAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "hostname",
        "pid",
        "queues",
        "concurrency",
        "started_at",
        "last_heartbeat",
        "alive",
        "tasks_done",
    )
    search_fields = ("id", "hostname")
    ordering = ("-started_at",)
    fields = list_display

    @admin.display(boolean=True, description="alive")
    def alive(self, obj: Worker) -> bool:
        lease = timedelta(seconds=get_settings().WORKER_LEASE)
        return timezone.now() - obj.last_heartbeat < lease


@admin.register(Queue)
class QueueAdmin(CraftedInputAdmin):
    """Paused queues (a queue without a row runs); add one by name to pause it before use."""

    list_display = ("name", "paused", "paused_at", "limits")
    list_filter = ("paused",)
    search_fields = ("name",)
    fields = ("name", "paused", "paused_at")
    readonly_fields = ("paused_at",)
    actions = ("pause_queues", "resume_queues")

    @admin.display(description="limits (IRONRELAY['QUEUES'])")
    def limits(self, obj: Queue) -> str:
        config = get_settings().QUEUES.get(obj.name) or {}
        return ", ".join(f"{key} {value}" for key, value in sorted(config.items())) or "-"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        return ("name", "paused_at") if obj else ("paused_at",)

    def save_model(self, request: HttpRequest, obj: Queue, form: Any, change: bool) -> None:
        # Through the queue manager, so paused_at and the log follow the switch.
        if obj.paused:
            queues.pause(obj.name)
        elif change:
            queues.resume(obj.name)
        else:
            super().save_model(request, obj, form, change)

    def _switch(self, request: HttpRequest, queryset: QuerySet[Queue], pause: bool) -> None:
        names = list(queryset.values_list("name", flat=True))
        switch = queues.pause if pause else queues.resume
        done = sum(switch(name) for name in names)
        verb, why = ("Paused", "already paused") if pause else ("Resumed", "not paused")
        self.message_user(request, f"{verb} {done} queue(s){skipped(len(names) - done, why)}.")

    @admin.action(permissions=["change"], description="Pause selected queues")
    def pause_queues(self, request: HttpRequest, queryset: QuerySet[Queue]) -> None:
        self._switch(request, queryset, pause=True)

    @admin.action(permissions=["change"], description="Resume selected queues")
    def resume_queues(self, request: HttpRequest, queryset: QuerySet[Queue]) -> None:
        self._switch(request, queryset, pause=False)


@admin.register(FlowLimit)
class FlowLimitAdmin(ReadOnlyAdmin):
    """The shared state of rate limits and concurrency keys (written by the claim only)."""

    list_display = ("key", "next_at")
    search_fields = ("key",)
    fields = list_display


# -- incoming webhooks -----------------------------------------------------------------------------


class HandlerRunInline(ReadOnlyInline):
    model = HandlerRun
    fields = ("handler", "task", "status", "replayed", "created_at", "finished_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[HandlerRun]:
        return super().get_queryset(request).select_related("task")


@admin.register(IncomingWebhook)
class IncomingWebhookAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "event", "status", "received_at", "delivery_id", "remote_addr")
    # A date filter, not date_hierarchy: that reads every row's date on each page (1 s at 100k).
    list_filter = ("status", "source", "event", "received_at")
    search_fields = ("=delivery_id", "event")
    ordering = ("-received_at",)  # the column every index ends with, so filters stay fast
    show_full_result_count = False
    fields = (
        ("id", "source", "event", "status"),
        ("delivery_id", "content_hash", "received_at", "remote_addr"),
        "payload_pretty",
        ("headers_pretty", "errors_pretty"),
    )
    inlines = (HandlerRunInline,)
    actions = ("replay_webhooks",)

    payload_pretty = json_display("payload", "payload")
    headers_pretty = json_display("headers", "headers")
    errors_pretty = json_display("errors", "validation errors")

    @admin.action(permissions=["change"], description="Replay handlers of selected webhooks")
    def replay_webhooks(self, request: HttpRequest, queryset: QuerySet[IncomingWebhook]) -> None:
        webhooks = list(queryset)
        # An invalid webhook failed its schema: no handler may see its payload.
        valid = [hook for hook in webhooks if hook.status != IncomingWebhook.Status.INVALID]
        runs = sum(len(dispatch.replay(hook)) for hook in valid)
        self.message_user(
            request,
            f"Replayed {len(valid)} webhook(s): {runs} handler run(s) queued"
            f"{skipped(len(webhooks) - len(valid), 'invalid')}.",
        )


# -- outgoing webhooks -----------------------------------------------------------------------------


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


from ironrelay import admin_schedules  # noqa: E402,F401 - registers ScheduleAdmin
