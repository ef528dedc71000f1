"""Tell IronRelay's own tasks (deliveries, handler runs) apart and say what each one serves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from ironrelay.models import Delivery, HandlerRun, Task

DELIVER = "ironrelay.outgoing.delivery.deliver"
RUN_HANDLER = "ironrelay.handlers.dispatch.run_handler"
INTERNAL_PATHS = (DELIVER, RUN_HANDLER)
# Query-string values of the task list's "kind" filter; "" (the default) hides internal tasks.
KINDS = {"": "your tasks", "internal": "internal tasks", "all": "all tasks"}


@dataclass(frozen=True)
class Serves:
    """What an internal task works for: a label and the page to open."""

    text: str
    url: str
    permission: str = ""  # the view permission `url` needs


def filter_kind(request: HttpRequest, tasks: QuerySet) -> tuple[QuerySet, str, int]:
    """Apply the "kind" filter; return the tasks, the kind, and how many internal tasks it hid."""
    kind = request.GET.get("kind", "")
    if kind not in KINDS or request.GET.get("task"):
        kind = "all"  # an explicit task path (even an internal one) is shown whatever its kind
    if kind == "internal":
        return tasks.filter(task_path__in=INTERNAL_PATHS), kind, 0
    if kind == "all":
        return tasks, kind, 0
    hidden = tasks.filter(task_path__in=INTERNAL_PATHS).count()
    return tasks.exclude(task_path__in=INTERNAL_PATHS), kind, hidden


def label(tasks: list[Task], user: Any = None) -> None:
    """Set `serves` on each task: None for the project's own, a Serves for internal ones.

    Given a user, a page that user may not view is named without its link.
    """
    internal = {t.pk: t for t in tasks if t.task_path in INTERNAL_PATHS}
    for t in tasks:
        t.serves = None
    if not internal:
        return
    # Arguments are read for internal tasks only: the project's own may carry big payloads.
    calls = {
        pk: (args, kwargs)
        for pk, args, kwargs in Task.objects.filter(pk__in=internal).values_list(
            "pk", "args", "kwargs"
        )
    }
    runs = {
        task_id: (webhook_id, handler)
        for task_id, webhook_id, handler in HandlerRun.objects.filter(
            task_id__in=internal
        ).values_list("task_id", "webhook_id", "handler")
    }
    deliveries = _deliveries(
        [calls.get(pk, ([], {}))[0] for pk, t in internal.items() if t.task_path == DELIVER]
    )
    for pk, t in internal.items():
        args, kwargs = calls.get(pk, ([], {}))
        if t.task_path == RUN_HANDLER:
            t.serves = _handler_run(runs.get(pk), args)
        else:
            t.serves = _delivery(deliveries, args, kwargs)
        if t.serves and user is not None and not user.has_perm(t.serves.permission):
            t.serves = replace(t.serves, url="")


def _deliveries(calls: list[Any]) -> dict[tuple[str, int], int]:
    """Return {(message id, endpoint id): delivery id} for deliver tasks' arguments (one query)."""
    pairs = {(str(a[0]), a[1]) for a in calls if isinstance(a, list) and len(a) >= 2}
    if not pairs:
        return {}
    found = Delivery.objects.filter(
        message_id__in={m for m, _ in pairs}, endpoint_id__in={e for _, e in pairs}
    ).values_list("message_id", "endpoint_id", "pk")
    return {(m, e): pk for m, e, pk in found}


def _handler_run(run: tuple[int, str] | None, args: Any) -> Serves | None:
    if run is None and isinstance(args, list) and len(args) >= 2:
        run = (args[0], str(args[1]))  # the HandlerRun row is gone; its arguments still say
    if run is None:
        return None
    webhook_id, handler = run
    url = reverse("ironrelay:webhook_detail", args=[webhook_id])
    text = f"webhook #{webhook_id} · {handler.rsplit('.', 1)[-1]}"
    return Serves(text, url, "ironrelay.view_incomingwebhook")


def _delivery(deliveries: dict[tuple[str, int], int], args: Any, kwargs: Any) -> Serves | None:
    if not (isinstance(args, list) and len(args) >= 2):
        return None
    pk = deliveries.get((str(args[0]), args[1]))
    by_hand = (len(args) >= 3 and args[2]) or (isinstance(kwargs, dict) and kwargs.get("manual"))
    manual = " (manual)" if by_hand else ""
    if pk is None:
        return Serves(f"delivery of {args[0]} (deleted){manual}", "")
    url = reverse("ironrelay:delivery_detail", args=[pk])
    return Serves(f"delivery #{pk}{manual}", url, "ironrelay.view_delivery")
