"""Dashboard pages for queues: their state, backlog and limits, with pause and resume."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from ironrelay.dashboard.access import staff_view
from ironrelay.tasks import queues


@staff_view("ironrelay.view_queue")
def queue_list(request: HttpRequest) -> HttpResponse:
    context = {"queues": queues.overview(), "section": "queues"}
    return render(request, "ironrelay/dashboard/queue_list.html", context)


def _switch(request: HttpRequest, name: str, pause: bool) -> HttpResponse:
    try:
        changed = queues.pause(name) if pause else queues.resume(name)
    except queues.QueueNameError as exc:
        messages.error(request, str(exc))
    else:
        state = "paused: workers claim none of its tasks" if pause else "running again"
        if changed:
            messages.success(request, f"Queue {name} is {state}.")
        else:
            messages.warning(
                request, f"Queue {name} was already {'paused' if pause else 'running'}."
            )
    return HttpResponseRedirect(reverse("ironrelay:queue_list"))


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_queue")
def queue_pause(request: HttpRequest, name: str) -> HttpResponse:
    return _switch(request, name, pause=True)


@require_POST
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_queue")
def queue_resume(request: HttpRequest, name: str) -> HttpResponse:
    return _switch(request, name, pause=False)
