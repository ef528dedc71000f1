"""Schedule pages: the list, a schedule with its next times and runs, add/edit, and actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from ironrelay.dashboard.access import staff_view
from ironrelay.dashboard.filters import paginate
from ironrelay.dashboard.schedule_form import ScheduleForm
from ironrelay.models import Schedule, ScheduleRun, Task
from ironrelay.tasks import schedule_manager, slots

RECENT_RUNS = 20
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


def _last_status(schedules: list[Schedule]) -> dict[int, str]:
    ids = [s.last_task_id for s in schedules if s.last_task_id]
    return dict(Task.objects.filter(pk__in=ids).values_list("pk", "status"))


@staff_view("ironrelay.view_schedule")
def schedule_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, Schedule.objects.order_by("name"))
    rows = list(page)
    statuses = _last_status(rows)
    entries = [
        {"schedule": s, "timing": describe(s), "last_status": statuses.get(s.last_task_id or 0)}
        for s in rows
    ]
    context = {"page": page, "entries": entries, "section": "schedules"}
    return render(request, "ironrelay/dashboard/schedule_list.html", context)


@staff_view("ironrelay.view_schedule")
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    runs = list(ScheduleRun.objects.filter(schedule=schedule).order_by("-slot")[:RECENT_RUNS])
    statuses = dict(
        Task.objects.filter(pk__in=[r.task_id for r in runs if r.task_id]).values_list(
            "pk", "status"
        )
    )
    context = {
        "schedule": schedule,
        "timing": describe(schedule),
        "runs": [{"run": r, "status": statuses.get(r.task_id or 0)} for r in runs],
        "section": "schedules",
    }
    return render(request, "ironrelay/dashboard/schedule_detail.html", context)


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


def _act(
    request: HttpRequest, pk: int, action: Callable[[Schedule], object], done: str, not_done: str
) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    if action(schedule):
        messages.success(request, f"Schedule {schedule} {done}.")
    else:
        messages.warning(request, f"Schedule {schedule} {not_done}: nothing was changed.")
    return redirect("ironrelay:schedule_detail", schedule.pk)


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_run_now(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, schedule_manager.run_now, "queued to run now", "could not be queued")


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, schedule_manager.pause, "paused", "was already paused")


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, schedule_manager.resume, "resumed", "was not paused")


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.delete_schedule")
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    if schedule.defined_in_code:
        messages.warning(request, f"Schedule {schedule} is defined in code: remove it there.")
        return redirect("ironrelay:schedule_detail", schedule.pk)
    name = str(schedule)
    schedule_manager.delete(schedule)
    messages.success(request, f"Schedule {name} deleted; the tasks it enqueued are kept.")
    return redirect("ironrelay:schedule_list")
