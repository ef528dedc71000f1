"""Retention: which finished records ironrelay_prune may delete, and deleting them."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Model, Q
from django.utils import timezone

from ironrelay.models import Task


def prunable() -> list[tuple[type[Model], Q]]:
    """Return (model, filter) pairs describing finished records and when they finished."""
    return [
        (Task, Q(status__in=[Task.Status.SUCCESS, Task.Status.FAILED, Task.Status.CANCELLED])),
    ]


def _date_field(model: type[Model]) -> str:
    return {Task: "finished_at"}[model]


def prune(days: float, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or, with dry_run, count) finished records older than `days`; return counts."""
    cutoff = timezone.now() - timedelta(days=days)
    counts = {}
    for model, finished in prunable():
        old = model._default_manager.filter(finished, **{f"{_date_field(model)}__lt": cutoff})
        counts[model._meta.label] = (
            old.count() if dry_run else old.delete()[1].get(model._meta.label, 0)
        )
    return counts
