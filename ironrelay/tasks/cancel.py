"""Cancelling running tasks: find the requests a worker must pass on, and settle such tasks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from ironrelay.models import Task

if TYPE_CHECKING:
    from ironrelay.tasks.outcomes import Outcome

# A running task whose write-back carries this condition cannot end success, failed or pending
# once a cancel was requested: settle_requested() then ends it cancelled.
NOT_CANCELLED = Q(cancel_requested_at__isnull=True)


def requested(worker_id: str, task_ids: Iterable[int]) -> set[int]:
    """Return which of this worker's running tasks have had a cancel requested."""
    ids = list(task_ids)
    if not ids:
        return set()
    return set(
        Task.objects.filter(
            ~NOT_CANCELLED, id__in=ids, status=Task.Status.RUNNING, worker_id=worker_id
        ).values_list("id", flat=True)
    )


def settle_requested(worker_id: str, outcomes: Sequence[Outcome]) -> int:
    """End cancelled the tasks among `outcomes` whose cancel was requested while they ran."""
    by_id = {outcome.task.id: outcome for outcome in outcomes}
    rows = Task.objects.filter(
        ~NOT_CANCELLED, id__in=list(by_id), status=Task.Status.RUNNING, worker_id=worker_id
    ).only("id", "errors", "worker_ids")
    now = timezone.now()
    count = 0
    for row in rows:
        error = by_id[row.id].error
        worker_ids = row.worker_ids
        count += Task.objects.filter(
            id=row.id, status=Task.Status.RUNNING, worker_id=worker_id
        ).update(
            status=Task.Status.CANCELLED,
            finished_at=now,
            worker_id="",
            worker_ids=worker_ids if worker_id in worker_ids else [*worker_ids, worker_id],
            errors=[*row.errors, error] if error else row.errors,
        )
    return count
