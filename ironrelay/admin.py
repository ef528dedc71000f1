"""The Django admin for tasks, workers, queues and incoming webhooks; it loads the other admins."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import Truncator

from ironrelay.admin_base import ReadOnlyAdmin, ReadOnlyInline, json_display, skipped
from ironrelay.admin_input import CraftedInputAdmin
from ironrelay.conf import get_settings
from ironrelay.handlers import dispatch
from ironrelay.models import (
    FlowLimit,
    HandlerRun,
    IncomingWebhook,
    Queue,
    Task,
    Worker,
)
from ironrelay.tasks import queue, queues
from ironrelay.tasks.errors import NotCancellable

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


# Importing them registers the outgoing webhook and schedule admins.
from ironrelay import admin_outgoing, admin_schedules  # noqa: E402,F401
