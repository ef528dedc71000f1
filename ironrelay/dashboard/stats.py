"""Figures for the overview page: counts, queue depth, workers, and the 24-hour chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import connections, router
from django.db.models import CharField, Count, Exists, Min, Model, OuterRef, Q, QuerySet
from django.db.models.functions import Substr, TruncHour
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.models import Delivery, Endpoint, IncomingWebhook, Schedule, Task, Worker

HOURS = 24
# Each overview panel and summary.json section, with the permission of the list it comes from.
PANELS = {
    "tasks": "ironrelay.view_task",
    "incoming": "ironrelay.view_incomingwebhook",
    "deliveries": "ironrelay.view_delivery",
    "endpoints": "ironrelay.view_endpoint",
    "workers": "ironrelay.view_worker",
    "schedules": "ironrelay.view_schedule",
}


def counts_by_status(model: type[Model], statuses: list[str]) -> dict[str, int]:
    """Return {status: count} with every status present (one query)."""
    return counts_by_status_for(model._default_manager.all(), statuses)


def counts_by_status_for(queryset: QuerySet, statuses: list[str]) -> dict[str, int]:
    """Return {status: count} over a queryset, every status present (one query)."""
    found = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: found.get(status, 0) for status in statuses}


def visible_panels(user: Any) -> frozenset[str]:
    """Return the panels whose list `user` may view."""
    return frozenset(panel for panel, permission in PANELS.items() if user.has_perm(permission))


def summary(panels: frozenset[str] = frozenset(PANELS)) -> dict[str, Any]:
    """Return the counts of the given panels (one query each) for the overview and its JSON."""
    models: dict[str, type[Model]] = {
        "tasks": Task,
        "incoming": IncomingWebhook,
        "deliveries": Delivery,
    }
    return {
        panel: counts_by_status(model, list(model.Status.values))
        for panel, model in models.items()
        if panel in panels
    }


def queue_depth(now: datetime) -> list[dict[str, Any]]:
    """Return pending tasks per queue with the age of the oldest one that is due (one query)."""
    rows = (
        Task.objects.filter(status=Task.Status.PENDING)
        .order_by()
        .values("queue_name")
        .annotate(
            pending=Count("pk"),
            due=Count("pk", filter=Q(run_after__lte=now)),
            oldest_due=Min("run_after", filter=Q(run_after__lte=now)),
        )
        .order_by("queue_name")
    )
    return [
        {**row, "oldest_age": (now - row["oldest_due"]) if row["oldest_due"] else None}
        for row in rows
    ]


def live_workers(now: datetime) -> list[Worker]:
    """Return workers whose heartbeat is within the lease."""
    lease = timedelta(seconds=get_settings().WORKER_LEASE)
    return list(Worker.objects.filter(last_heartbeat__gte=now - lease).order_by("started_at"))


def troubled_endpoints() -> list[Endpoint]:
    """Return endpoints that are disabled or have failed since their last success."""
    return list(
        Endpoint.objects.filter(Q(is_active=False) | Q(failing_since__isnull=False)).order_by(
            "is_active", "-failing_since"
        )[:20]
    )


def failing_schedules() -> list[Schedule]:
    """Return schedules whose newest run failed (one query; a lookup by id per schedule)."""
    failed = Task.objects.filter(pk=OuterRef("last_task_id"), status=Task.Status.FAILED)
    return list(Schedule.objects.filter(Exists(failed)).order_by("-last_run_at")[:20])


@dataclass(frozen=True)
class Bar:
    """One hour of the chart: how many finished well and badly."""

    start: datetime
    ok: int
    failed: int


def hourly(
    model: type[Model], time_field: str, ok_status: str, failed_status: str, now: datetime
) -> list[Bar]:
    """Count successes and failures per hour for the last 24 hours, in one grouped query."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    first = end - timedelta(hours=HOURS)
    rows = (
        model._default_manager.filter(
            **{f"{time_field}__gte": first, "status__in": [ok_status, failed_status]}
        )
        .annotate(hour=_hour_of(time_field, model))
        .order_by()
        .values_list("hour", "status")
        .annotate(n=Count("pk"))
    )
    found = {(_as_utc_hour(hour), status): n for hour, status, n in rows}
    starts = [first + timedelta(hours=i) for i in range(HOURS)]
    return [
        Bar(start, found.get((start, ok_status), 0), found.get((start, failed_status), 0))
        for start in starts
    ]


def _hour_of(time_field: str, model: type[Model]) -> Any:
    if connections[router.db_for_read(model)].vendor == "sqlite":
        # SQLite stores UTC text ("2026-11-24 03:15:00.123"): its first 13 characters are the hour.
        # TruncHour would call a Python function per row there, 50 times slower.
        return Substr(time_field, 1, 13, output_field=CharField())
    return TruncHour(time_field, tzinfo=dt_timezone.utc)


def _as_utc_hour(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=dt_timezone.utc)
    return value.astimezone(dt_timezone.utc)


def chart(bars: list[Bar], width: int = 720, height: int = 140) -> dict[str, Any]:
    """Lay out bars for the inline SVG chart (stacked: successes below, failures on top)."""
    peak = max([b.ok + b.failed for b in bars] + [1])
    slot = width / len(bars)
    plot = height
    laid = []
    for i, bar in enumerate(bars):
        ok_h = plot * bar.ok / peak
        failed_h = plot * bar.failed / peak
        laid.append(
            {
                "x": round(i * slot + 2, 1),
                "w": round(slot - 4, 1),
                "ok_y": round(plot - ok_h, 1),
                "ok_h": round(ok_h, 1),
                "failed_y": round(plot - ok_h - failed_h, 1),
                "failed_h": round(failed_h, 1),
                "bar": bar,
                "end": bar.start + timedelta(hours=1),
                # The template formats ticks and titles with one filter, in the current time zone.
                "tick": i % 4 == 0,
            }
        )
    return {
        "bars": laid,
        "width": width,
        "height": height,
        "plot": plot,
        "peak": peak,
        "total_ok": sum(b.ok for b in bars),
        "total_failed": sum(b.failed for b in bars),
    }


def overview(
    now: datetime | None = None, panels: frozenset[str] = frozenset(PANELS)
) -> dict[str, Any]:
    """Return what the overview shows of the given panels (the others are not even counted)."""
    now = now or timezone.now()
    context: dict[str, Any] = {"now": now, "panels": panels, "summary": summary(panels)}
    if "tasks" in panels:
        context["queues"] = queue_depth(now)
        context["task_chart"] = chart(hourly(Task, "finished_at", "success", "failed", now))
    if "deliveries" in panels:
        context["delivery_chart"] = chart(
            hourly(Delivery, "finished_at", "delivered", "failed", now)
        )
    if "workers" in panels:
        context["workers"] = live_workers(now)
    if "endpoints" in panels:
        context["endpoints"] = troubled_endpoints()
    if "schedules" in panels:
        context["failing_schedules"] = failing_schedules()
    return context
