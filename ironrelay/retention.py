"""Retention: which finished records ironrelay_prune may delete, and deleting them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ironrelay.models import (
    Delivery,
    FlowLimit,
    IncomingWebhook,
    OutgoingWebhook,
    ScheduleRun,
    Task,
)


def finished_before(cutoff: datetime) -> list[QuerySet]:
    """Return querysets of finished records older than `cutoff`, children before parents."""
    done_tasks = [Task.Status.SUCCESS, Task.Status.FAILED, Task.Status.CANCELLED]
    unfinished_deliveries = Delivery.objects.filter(status=Delivery.Status.PENDING)
    return [
        IncomingWebhook.objects.filter(received_at__lt=cutoff).exclude(
            status=IncomingWebhook.Status.RECEIVED
        ),
        # A message goes (with its deliveries and attempts) once none of them is pending.
        OutgoingWebhook.objects.filter(created_at__lt=cutoff).exclude(
            Q(pk__in=unfinished_deliveries.values("message_id"))
        ),
        Task.objects.filter(status__in=done_tasks, finished_at__lt=cutoff),
        # A schedule's record of a past slot: next_run only moves forward, so an old slot's
        # unique key has nothing left to guard.
        ScheduleRun.objects.filter(slot__lt=cutoff),
        _idle_limits(cutoff),
    ]


def _idle_limits(cutoff: datetime) -> QuerySet:
    """Return flow-control rows nothing needs: keys no waiting or running task has, old rates."""
    active = (
        Task.objects.filter(status__in=[Task.Status.PENDING, Task.Status.RUNNING])
        .exclude(flow_key="")
        .annotate(limit_key=Concat(Value("key:"), F("flow_key"), output_field=CharField()))
        .values("limit_key")
    )
    # A row deleted while a claim wants it is made again by the next claim.
    unused_keys = Q(key__startswith="key:") & ~Q(key__in=active)
    return FlowLimit.objects.filter(unused_keys | Q(key__startswith="rate:", next_at__lt=cutoff))


def prune(days: float, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or, with dry_run, count) finished records older than `days`; return counts."""
    cutoff = timezone.now() - timedelta(days=days)
    counts: dict[str, int] = {}
    for queryset in finished_before(cutoff):
        label = queryset.model._meta.label
        if dry_run:
            counts[label] = queryset.count()
        else:
            counts[label] = queryset.delete()[1].get(label, 0)
    return counts
