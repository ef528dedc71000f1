"""Dashboard actions: POST only, CSRF-checked, each behind its model's change permission."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from ironrelay.dashboard.access import staff_view
from ironrelay.dashboard.filters import clean_ids
from ironrelay.handlers import dispatch
from ironrelay.models import Delivery, Endpoint, IncomingWebhook, Schedule, Task
from ironrelay.outgoing import delivery as outgoing
from ironrelay.tasks import queue, queues, schedule_manager
from ironrelay.tasks.errors import NotCancellable


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = fallback
    return HttpResponseRedirect(target)


def _task_action(
    request: HttpRequest, pk: int, action: Callable[[Task], bool], done: str
) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    if action(task):
        messages.success(request, f"Task #{task.pk} ({task.task_path}) {done}.")
    else:
        messages.warning(request, f"Task #{task.pk} is {task.status}: nothing was changed.")
    return _back(request, reverse("ironrelay:task_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_task")
def task_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_action(request, pk, queue.retry, "queued for another attempt")


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_task")
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    try:
        now = queue.cancel(task)
    except NotCancellable as exc:
        messages.warning(request, f"{exc}: nothing was changed.")
    else:
        done = "cancelled" if now else "asked to stop: it ends cancelled"
        messages.success(request, f"Task #{task.pk} ({task.task_path}) {done}.")
    return _back(request, reverse("ironrelay:task_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_task")
def task_bulk_retry(request: HttpRequest) -> HttpResponse:
    ids = clean_ids(request.POST.getlist("ids"))[:500]
    tasks = Task.objects.filter(pk__in=ids).only("id", "status")
    retried = sum(1 for task in tasks if queue.retry(task))
    skipped = len(ids) - retried
    text = f"Queued {retried} task(s) for another attempt"
    messages.success(request, text + (f"; {skipped} skipped (not failed)." if skipped else "."))
    return _back(request, reverse("ironrelay:task_list"))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_incomingwebhook")
def webhook_replay(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(IncomingWebhook, pk=pk)
    if webhook.status == IncomingWebhook.Status.INVALID:
        messages.warning(request, f"Webhook #{pk} failed validation: it has no handlers to run.")
    else:
        runs = dispatch.replay(webhook)
        messages.success(request, f"Webhook #{pk} replayed: {len(runs)} handler task(s) queued.")
    return _back(request, reverse("ironrelay:webhook_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_delivery")
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    if not delivery.endpoint.is_active:
        messages.warning(request, "The endpoint is disabled: enable it before redelivering.")
    else:
        outgoing.redeliver(delivery)
        messages.success(request, f"Delivery #{pk} queued for another attempt now.")
    return _back(request, reverse("ironrelay:delivery_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_delivery")
def delivery_retry_now(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk)
    if outgoing.retry_now(delivery):
        messages.success(request, f"Delivery #{pk}: its next attempt is due now.")
    else:
        messages.warning(request, f"Delivery #{pk} is not waiting for a retry: nothing changed.")
    return _back(request, reverse("ironrelay:delivery_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_endpoint")
def endpoint_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    outgoing.enable(endpoint)
    messages.success(request, f"Endpoint {endpoint} enabled.")
    return _back(request, reverse("ironrelay:endpoint_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_endpoint")
def endpoint_disable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    outgoing.disable(endpoint, f"disabled by {request.user.get_username()} in the dashboard")
    messages.success(request, f"Endpoint {endpoint} disabled.")
    return _back(request, reverse("ironrelay:endpoint_detail", args=[pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_endpoint")
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    endpoint.rotate_secret()
    endpoint.save()
    messages.success(
        request,
        f"New secret {endpoint.masked_secret} for {endpoint}; the previous one keeps signing "
        "until it expires. Read the new secret with: python manage.py ironrelay_endpoint_secret "
        f"{endpoint.pk}",
    )
    return _back(request, reverse("ironrelay:endpoint_detail", args=[pk]))


def _schedule_action(
    request: HttpRequest, pk: int, action: Callable[[Schedule], object], done: str, not_done: str
) -> HttpResponse:
    schedule = get_object_or_404(Schedule, pk=pk)
    if action(schedule):
        messages.success(request, f"Schedule {schedule} {done}.")
    else:
        messages.warning(request, f"Schedule {schedule} {not_done}: nothing was changed.")
    return _back(request, reverse("ironrelay:schedule_detail", args=[schedule.pk]))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_run_now(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_action(
        request, pk, schedule_manager.run_now, "queued to run now", "could not be queued"
    )


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_action(request, pk, schedule_manager.pause, "paused", "was already paused")


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_schedule")
def schedule_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _schedule_action(request, pk, schedule_manager.resume, "resumed", "was not paused")


def _queue_switch(request: HttpRequest, name: str, pause: bool) -> HttpResponse:
    try:
        changed = queues.pause(name) if pause else queues.resume(name)
    except queues.QueueNameError as exc:
        messages.error(request, str(exc))
    else:
        if changed and pause:
            messages.success(request, f"Queue {name} is paused: workers claim none of its tasks.")
        elif changed:
            messages.success(request, f"Queue {name} is running again.")
        else:
            state = "paused" if pause else "running"
            messages.warning(request, f"Queue {name} was already {state}: nothing was changed.")
    return _back(request, reverse("ironrelay:queue_list"))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_queue")
def queue_pause(request: HttpRequest, name: str) -> HttpResponse:
    return _queue_switch(request, name, pause=True)


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_queue")
def queue_resume(request: HttpRequest, name: str) -> HttpResponse:
    return _queue_switch(request, name, pause=False)
