"""Admin for schedules: code-defined ones read-only, actions to pause, resume and run now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ironrelay.admin_input import CraftedInputAdmin
from ironrelay.dashboard.schedule_form import DEFINITION_FIELDS, ScheduleForm
from ironrelay.models import Schedule
from ironrelay.tasks import schedule_manager

STATE_FIELDS = ("defined_in_code", "paused", "next_run", "last_run_at", "last_task_id")


@admin.register(Schedule)
class ScheduleAdmin(CraftedInputAdmin):
    list_display = (
        "name",
        "task_path",
        "cron",
        "every",
        "timezone",
        "enabled",
        "paused",
        "defined_in_code",
        "next_run",
        "last_run_at",
    )
    list_filter = ("enabled", "paused", "defined_in_code")
    search_fields = ("name", "task_path")
    ordering = ("name",)
    form = ScheduleForm  # the dashboard's: the definition checked as settings are
    fields = (*DEFINITION_FIELDS, *STATE_FIELDS)
    actions = ("run_now", "pause_schedules", "resume_schedules")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        return STATE_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Defined in settings or by a decorator: shown read-only, changed in code. Without an
        # object this is the permission the pause, resume and run-now actions ask for.
        if obj is not None and obj.defined_in_code:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The next worker start would create a code-defined schedule again.
        if obj is not None and obj.defined_in_code:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Schedule, form: Any, change: bool) -> None:
        # Through the manager: next_run follows the new definition at the workers' next tick.
        schedule_manager.save_definition(obj, form.definition_values())

    def delete_model(self, request: HttpRequest, obj: Schedule) -> None:
        schedule_manager.delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        # Through the manager, which leaves code-defined schedules in place.
        for schedule in queryset:
            schedule_manager.delete(schedule)

    @admin.action(permissions=["change"], description="Run selected schedules now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        done = sum(schedule_manager.run_now(s) is not None for s in queryset)
        self.message_user(request, f"Queued {done} schedule(s) to run now.")

    @admin.action(permissions=["change"], description="Pause selected schedules")
    def pause_schedules(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        done = sum(schedule_manager.pause(s) for s in queryset)
        self.message_user(request, f"Paused {done} schedule(s).")

    @admin.action(permissions=["change"], description="Resume selected schedules")
    def resume_schedules(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        done = sum(schedule_manager.resume(s) for s in queryset)
        self.message_user(request, f"Resumed {done} schedule(s).")
