"""The queue manager: enqueue, operator actions (claiming: claim.py; outcomes: outcomes.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, router, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ironrelay import tracing
from ironrelay.conf import get_settings
from ironrelay.models import Task
from ironrelay.storable import may_be_unstorable, unstorable
from ironrelay.tasks import inserts
from ironrelay.tasks.errors import NotCancellable, TaskArgumentError

if TYPE_CHECKING:
    from ironrelay.tasks.decorator import TaskFunction


# -- enqueue -------------------------------------------------------------------------------------


def check_json(path: str, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[str, str]:
    """Return args and kwargs as JSON text; raise TaskArgumentError naming what JSON cannot hold."""
    try:
        texts = strict_json(args), strict_json(kwargs)
    except (TypeError, ValueError, RecursionError):
        texts = None
    if texts is not None and not any(map(may_be_unstorable, texts)):
        return texts
    labelled = [(f"argument {i}", value) for i, value in enumerate(args)]
    labelled += [(f"keyword argument {key!r}", value) for key, value in kwargs.items()]
    for label, value in labelled:
        try:
            strict_json(value)
        except RecursionError:
            pass  # nested too deep: unstorable() below says so without recursing
        except (TypeError, ValueError) as exc:
            raise TaskArgumentError(
                f"Cannot defer {path}: {label} ({type(value).__name__}) is not JSON "
                f"serializable: {exc}"
            ) from None
        problem = unstorable(value)
        if problem:
            raise TaskArgumentError(f"Cannot defer {path}: {label} contains {problem}.")
    if texts is None:
        raise TaskArgumentError(f"Cannot defer {path}: keyword names must be strings.")
    problem = unstorable(list(kwargs))
    if problem:
        raise TaskArgumentError(f"Cannot defer {path}: a keyword name contains {problem}.")
    return texts


strict_json = json.JSONEncoder(allow_nan=False).encode  # JSON text, or ValueError for NaN


def new_task(definition: TaskFunction, now: datetime) -> inserts.NewTask:
    """Return the values a task of this definition, deferred now, gets (no arguments yet)."""
    if definition.run_after is not None:
        run_after = definition.run_after
    elif definition.delay:
        run_after = now + timedelta(seconds=definition.delay)
    else:
        run_after = now
    return inserts.NewTask(
        task_path=definition.path,
        queue_name=definition.queue_name,
        priority=definition.priority,
        args=[],
        kwargs={},
        args_json="[]",
        kwargs_json="{}",
        enqueued_at=now,
        run_after=run_after,
        max_attempts=definition.attempts_allowed,
        timeout=definition.timeout or get_settings().TASK_TIMEOUT,
        unique_key=definition.unique_key,
    )


def with_arguments(
    template: inserts.NewTask,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    definition: TaskFunction,
) -> inserts.NewTask:
    """Return the template with these arguments and the flow key they give (checked as JSON)."""
    args_json, kwargs_json = check_json(template.task_path, args, kwargs)
    return template._replace(
        args=list(args),
        kwargs=kwargs,
        args_json=args_json,
        kwargs_json=kwargs_json,
        flow_key=definition.flow_key(args, kwargs),
    )


def _db() -> str:
    return router.db_for_write(Task)


def enqueue(definition: TaskFunction, args: Sequence[Any], kwargs: dict[str, Any]) -> Task:
    """Store one pending task (inside the caller's transaction, if any) and return it.

    With a unique_key that a pending task already holds, nothing is stored: the pending task is
    returned with ``duplicate = True``.
    """
    new = with_arguments(new_task(definition, timezone.now()), args, kwargs, definition)
    with tracing.enqueue_span(new.task_path, new.queue_name) as trace_context:
        if trace_context:
            new = new._replace(trace_context=trace_context)
        return _insert(new)


def _insert(new: inserts.NewTask) -> Task:
    if not new.unique_key:
        return inserts.insert_one(new, _db())
    try:
        with transaction.atomic(using=_db()):
            record = inserts.insert_one(new, _db())
    except IntegrityError:
        existing = Task.objects.filter(unique_key=new.unique_key).first()
        if existing is None:  # it left pending in between: store ours after all
            return _insert(new)
        existing.duplicate = True
        return existing
    record.duplicate = False
    return record


def bulk_enqueue(definition: TaskFunction, calls: Iterable[Any]) -> list[Task]:
    """Store many pending tasks with batched INSERTs; each call is args or (args, kwargs)."""
    if definition.unique_key:
        raise TaskArgumentError(f"{definition.path}: bulk_defer() does not take a unique_key.")
    with tracing.enqueue_span(definition.path, definition.queue_name) as trace_context:
        template = new_task(definition, timezone.now())._replace(trace_context=trace_context)
        return _bulk_insert(definition, template, calls)


def _bulk_insert(
    definition: TaskFunction, template: inserts.NewTask, calls: Iterable[Any]
) -> list[Task]:
    news = []
    for call in calls:
        if isinstance(call, tuple) and len(call) == 2 and isinstance(call[1], dict):
            args, kwargs = call
        else:
            args, kwargs = call, {}
        news.append(with_arguments(template, args, kwargs, definition))
    return inserts.insert_many(news, _db())


# -- operator actions (dashboard and admin) --------------------------------------------------------


def retry(task: Task) -> bool:
    """Queue a failed or cancelled task for one more attempt now."""
    return bool(
        Task.objects.filter(
            id=task.id, status__in=[Task.Status.FAILED, Task.Status.CANCELLED]
        ).update(
            status=Task.Status.PENDING,
            run_after=timezone.now(),
            finished_at=None,
            cancel_requested_at=None,
            max_attempts=F("attempts") + 1,
        )
    )


def run_now(task_ids: Sequence[int]) -> int:
    """Make pending tasks that wait for a later time due now; return how many."""
    return Task.objects.filter(
        id__in=list(task_ids), status=Task.Status.PENDING, run_after__gt=timezone.now()
    ).update(run_after=timezone.now())


def cancel(task: Task | int) -> bool:
    """Cancel a pending task at once, or ask the worker running it to stop.

    Return True if it is cancelled now, False if it runs and was asked to stop: it then ends
    ``cancelled`` whatever it does next (async tasks are cancelled outright, sync ones see
    ``context.cancel_requested``). Raise NotCancellable if it has finished or does not exist.
    """
    task_id = task if isinstance(task, int) else task.id
    now = timezone.now()
    if Task.objects.filter(id=task_id, status=Task.Status.PENDING).update(
        status=Task.Status.CANCELLED, finished_at=now, unique_key=None
    ):
        return True
    if Task.objects.filter(id=task_id, status=Task.Status.RUNNING).update(
        cancel_requested_at=Coalesce(F("cancel_requested_at"), now)
    ):
        return False
    status = Task.objects.filter(id=task_id).values_list("status", flat=True).first()
    if status is None:
        raise NotCancellable(f"There is no task #{task_id}")
    raise NotCancellable(f"Task #{task_id} is {status}: it can no longer be cancelled")
