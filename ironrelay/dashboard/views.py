"""Dashboard pages: the overview, five lists and their detail pages."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from ironrelay import crypto
from ironrelay.conf import get_settings
from ironrelay.dashboard import internal, stats
from ironrelay.dashboard.access import staff_view
from ironrelay.dashboard.filters import ListFilter, paginate
from ironrelay.dashboard.schedules import describe
from ironrelay.models import (
    Delivery,
    Endpoint,
    HandlerRun,
    IncomingWebhook,
    Schedule,
    ScheduleRun,
    Task,
)
from ironrelay.prettyjson import pretty
from ironrelay.tasks import queues

TASK_FILTER = ListFilter(
    exact={"status": "status", "queue": "queue_name", "task": "task_path"},
    search=("task_path",),
    time_field="enqueued_at",
)
WEBHOOK_FILTER = ListFilter(
    exact={"status": "status", "source": "source", "event": "event"},
    search=("event", "delivery_id", "source"),
    time_field="received_at",
)
DELIVERY_FILTER = ListFilter(
    exact={
        "status": "status",
        "endpoint": "endpoint_id",
        "event": "message__event_type",
        "tenant": "endpoint__tenant",
    },
    ids=frozenset({"endpoint"}),
    search=("message__event_type", "message__id", "endpoint__url"),
    time_field="created_at",
)
ENDPOINT_FILTER = ListFilter(exact={"tenant": "tenant"}, search=("url", "description"))
ENDPOINT_CHOICES_MAX = 200  # more endpoints than this: the deliveries filter takes an id


@staff_view()
def overview(request: HttpRequest) -> HttpResponse:
    context = stats.overview(panels=stats.visible_panels(request.user))
    return render(request, "ironrelay/dashboard/overview.html", context)


@staff_view()
def summary_json(request: HttpRequest) -> JsonResponse:
    """Serve the status counts the pages poll to refresh themselves (of the lists one may view)."""
    counts = stats.summary(stats.visible_panels(request.user))
    return JsonResponse({"at": timezone.now().isoformat(), **counts})


@staff_view("ironrelay.view_queue")
def queue_list(request: HttpRequest) -> HttpResponse:
    """Show every queue: paused or running, its backlog and its limits."""
    context = {"queues": queues.overview(), "section": "queues"}
    return render(request, "ironrelay/dashboard/queue_list.html", context)


@staff_view("ironrelay.view_task")
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = Task.objects.only(
        "id",
        "task_path",
        "queue_name",
        "priority",
        "status",
        "enqueued_at",
        "run_after",
        "finished_at",
        "attempts",
        "max_attempts",
    )
    tasks, active = TASK_FILTER.apply(request, tasks)
    tasks, kind, hidden = internal.filter_kind(request, tasks)
    if kind:
        active["kind"] = kind
    page = paginate(request, tasks.order_by("-id"))
    internal.label(list(page), request.user)
    queues = Task.objects.order_by().values_list("queue_name", flat=True).distinct()
    context = {
        "page": page,
        "active": active,
        "kinds": internal.KINDS,
        "internal_hidden": hidden,
        "statuses": Task.Status.values,
        "queues": sorted(queues),
        "section": "tasks",
    }
    return render(request, "ironrelay/dashboard/task_list.html", context)


@staff_view("ironrelay.view_task")
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    run = HandlerRun.objects.filter(task=task).select_related("webhook").first()
    internal.label([task], request.user)
    context = {
        "task": task,
        "args": pretty(task.args),
        "kwargs": pretty(task.kwargs),
        "result": pretty(task.return_value),
        "errors": list(reversed(task.errors)),
        "handler_run": run,
        "section": "tasks",
    }
    return render(request, "ironrelay/dashboard/task_detail.html", context)


@staff_view("ironrelay.view_incomingwebhook")
def webhook_list(request: HttpRequest) -> HttpResponse:
    webhooks = IncomingWebhook.objects.only(
        "id", "source", "event", "delivery_id", "status", "received_at", "remote_addr"
    )
    webhooks, active = WEBHOOK_FILTER.apply(request, webhooks)
    context = {
        "page": paginate(request, webhooks.order_by("-id")),
        "active": active,
        "statuses": IncomingWebhook.Status.values,
        "sources": sorted(get_settings().SOURCES),
        "section": "webhooks",
    }
    return render(request, "ironrelay/dashboard/webhook_list.html", context)


@staff_view("ironrelay.view_incomingwebhook")
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(IncomingWebhook, pk=pk)
    runs = webhook.handler_runs.select_related("task").order_by("-id")
    context = {
        "webhook": webhook,
        "payload": pretty(webhook.payload),
        "headers": sorted(webhook.headers.items()),
        "runs": runs,
        "section": "webhooks",
    }
    return render(request, "ironrelay/dashboard/webhook_detail.html", context)


@staff_view("ironrelay.view_delivery")
def delivery_list(request: HttpRequest) -> HttpResponse:
    deliveries = Delivery.objects.select_related("message", "endpoint").only(
        "id",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "message__id",
        "message__event_type",
        "endpoint__id",
        "endpoint__url",
        "endpoint__description",
        "endpoint__tenant",
    )
    deliveries, active = DELIVERY_FILTER.apply(request, deliveries)
    choices = Endpoint.objects.only("id", "url", "description")
    if "tenant" in active:
        choices = choices.filter(tenant=active["tenant"])
    # Thousands of tenants' endpoints make no menu: the id is typed instead.
    endpoints = list(choices[: ENDPOINT_CHOICES_MAX + 1])
    context = {
        "page": paginate(request, deliveries.order_by("-id")),
        "active": active,
        "statuses": Delivery.Status.values,
        "endpoints": endpoints if len(endpoints) <= ENDPOINT_CHOICES_MAX else None,
        "section": "deliveries",
    }
    return render(request, "ironrelay/dashboard/delivery_list.html", context)


@staff_view("ironrelay.view_delivery")
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("message", "endpoint"), pk=pk)
    attempts = [
        {
            "attempt": attempt,
            "request_headers": sorted(attempt.request_headers.items()),
            "response_headers": sorted(attempt.response_headers.items()),
        }
        for attempt in delivery.attempt_log.order_by("-number")
    ]
    next_attempt = delivery.next_attempt_at
    context = {
        "delivery": delivery,
        # Waiting for a retry: "Retry now" can make it due.
        "waiting": delivery.status == Delivery.Status.PENDING
        and next_attempt is not None
        and next_attempt > timezone.now(),
        "payload": pretty(delivery.message.payload),
        "attempts": attempts,
        "section": "deliveries",
    }
    return render(request, "ironrelay/dashboard/delivery_detail.html", context)


@staff_view("ironrelay.view_endpoint")
def endpoint_list(request: HttpRequest) -> HttpResponse:
    endpoints = Endpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
    )
    endpoints, active = ENDPOINT_FILTER.apply(request, endpoints)
    context = {
        "page": paginate(request, endpoints.order_by("id")),
        "active": active,
        "section": "endpoints",
    }
    return render(request, "ironrelay/dashboard/endpoint_list.html", context)


def masked_headers(endpoint: Endpoint) -> dict[str, str] | None:
    """Return the endpoint's custom headers masked, or None when they cannot be decrypted."""
    try:
        return endpoint.masked_headers
    except crypto.SecretUnreadable:
        return None


@staff_view("ironrelay.view_endpoint")
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    recent = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("message")
        .only(
            "id",
            "status",
            "attempts",
            "created_at",
            "last_status_code",
            "last_error",
            "message__id",
            "message__event_type",
        )
        .order_by("-id")[:25]
    )
    counts = {}
    if request.user.has_perm("ironrelay.view_delivery"):
        counts = stats.counts_by_status_for(
            Delivery.objects.filter(endpoint=endpoint), Delivery.Status.values
        )
    context = {
        "endpoint": endpoint,
        "recent": recent,
        "counts": counts,
        "has_v1a": bool(endpoint.signing_key_encrypted),
        "headers": masked_headers(endpoint),
        "previous_secrets": len(endpoint.signing_secrets()) - 1,
        "section": "endpoints",
    }
    return render(request, "ironrelay/dashboard/endpoint_detail.html", context)


RECENT_RUNS = 20  # runs shown on a schedule's page


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
