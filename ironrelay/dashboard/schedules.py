"""Schedule form pages (add, edit), and how the pages describe a schedule's timing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from ironrelay.dashboard.access import staff_view
from ironrelay.dashboard.schedule_form import ScheduleForm
from ironrelay.models import Schedule
from ironrelay.tasks import schedule_manager, slots

UPCOMING = 5


def describe(schedule: Schedule) -> dict[str, Any]:
    """Return the schedule's timing in words and its next fire times (or why there are none)."""
    try:
        timing = schedule_manager.timing_of(schedule)
    except slots.TimingError as exc:
        return {"words": f"Not runnable: {exc}", "zone": "", "upcoming": [], "broken": True}
    upcoming: list[datetime] = []
    if schedule.is_active and schedule.next_run is not None:
        upcoming = [schedule.next_run, *timing.upcoming(schedule.next_run, UPCOMING - 1)]
    return {
        "words": timing.describe(),
        "zone": timing.zone if timing.cron else "",
        "upcoming": upcoming,
        "broken": False,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.add_schedule")
def schedule_add(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        schedule = schedule_manager.save_definition(Schedule(), form.definition_values())
        messages.success(request, f"Schedule {schedule} added.")
        return redirect("ironrelay:schedule_detail", schedule.pk)
    context = {"form": form, "title": "Add a schedule", "section": "schedules"}
    return render(request, "ironrelay/dashboard/schedule_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    if schedule.defined_in_code:
        messages.warning(
            request, f"Schedule {schedule} is defined in code: change it there, not here."
        )
        return redirect("ironrelay:schedule_detail", schedule.pk)
    form = ScheduleForm(request.POST if request.method == "POST" else None, instance=schedule)
    if form.is_valid():
        # Saved through the manager: next_run is worked out again, and workers see it at once.
        schedule = schedule_manager.save_definition(schedule, form.definition_values())
        messages.success(request, f"Schedule {schedule} saved.")
        return redirect("ironrelay:schedule_detail", schedule.pk)
    context = {
        "form": form,
        "schedule": schedule,
        "title": f"Edit {schedule}",
        "section": "schedules",
    }
    return render(request, "ironrelay/dashboard/schedule_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.delete_schedule")
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    if schedule.defined_in_code:
        messages.warning(request, f"Schedule {schedule} is defined in code: remove it there.")
        return redirect("ironrelay:schedule_detail", schedule.pk)
    if request.method == "POST":
        name = str(schedule)
        schedule_manager.delete(schedule)
        messages.success(request, f"Schedule {name} deleted; the tasks it enqueued are kept.")
        return redirect("ironrelay:schedule_list")
    context = {"schedule": schedule, "section": "schedules"}
    return render(request, "ironrelay/dashboard/schedule_confirm_delete.html", context)
