"""Write back what a batch of claimed tasks did: outcomes, their records, retries and failures."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.metrics import events
from ironrelay.models import Task
from ironrelay.tasks import cancel as cancel_requests
from ironrelay.tasks import queue, sidecar, writeback
from ironrelay.tasks.errors import RecordNotWritten
from ironrelay.tasks.retry import delay_after_failure

logger = logging.getLogger("ironrelay.queue")  # the name the rest of the queue logs under


@dataclass
class Outcome:
    """What running one claimed task produced, waiting to be written back."""

    task: Task
    ok: bool
    return_value: Any = None
    return_json: str | None = None  # return_value as strict_json() wrote it, when known
    error: dict[str, Any] | None = None
    permanent: bool = False  # no retry, whatever attempts are left
    started_at: datetime = field(default_factory=timezone.now)
    # Written in the transaction that writes this outcome (sidecar.write_with_outcome).
    records: Sequence[sidecar.Record] = ()


def _db() -> str:
    return router.db_for_write(Task)


def error_record(task: Task, exc: BaseException, traceback_text: str) -> dict[str, Any]:
    """Describe one failed attempt for the task's error history."""
    limit = get_settings().TRACEBACK_MAX_CHARS
    cls = type(exc)
    return {
        "attempt": task.attempts,
        "at": timezone.now().isoformat(),
        "worker_id": task.worker_id,
        "exception_class_path": f"{cls.__module__}.{cls.__qualname__}",
        "message": str(exc)[:2000],
        "traceback": traceback_text[-limit:],
    }


def record_outcomes(worker_id: str, outcomes: Sequence[Outcome]) -> None:
    """Write back what a batch of tasks did in one UPDATE; a row the database refuses fails alone.

    Rows another worker took over after a lost lease are left as that worker wrote them; a task
    whose cancel was requested while it ran ends cancelled, never success, failed or pending.
    Only the rows written count as runs and send task_failed.
    """
    now = timezone.now()
    using = _db()
    written: set[int] = set()
    try:
        with _together(using, outcomes):
            # No savepoints (each a round trip): a failure undoes the whole transaction here.
            pairs = _write(worker_id, outcomes, now, using, written, strict=True)
    except Exception as exc:
        if not isinstance(exc, DatabaseError) and not any(o.records for o in outcomes):
            raise
        # One row's values, or one record, may be what the database (or its writer) refused:
        # find it by writing each task alone.
        written = set()
        pairs = [_write_alone(worker_id, outcome, now, using, written) for outcome in outcomes]
    for outcome, _, values in pairs:
        for name, value in values.items():
            setattr(outcome.task, name, value)
        # A row the UPDATE skipped did not end as written here: no run to count, no alert.
        if outcome.task.id in written:
            events.task_written(outcome.task, outcome.started_at, now)
    # The UPDATE skips a task whose cancel was requested while it ran (and one another worker
    # took over): one more statement ends the former cancelled.
    if len(written) < len(outcomes):
        cancel_requests.settle_requested(worker_id, outcomes)


def _change(
    worker_id: str, outcome: Outcome, now: datetime
) -> tuple[Outcome, writeback.Change, dict[str, Any]]:
    """Decide a task's next state; return the outcome, its row change and its new field values."""
    row = outcome.task
    worker_ids = row.worker_ids if worker_id in row.worker_ids else [*row.worker_ids, worker_id]
    if outcome.ok:
        text = outcome.return_json
        try:
            if text is None and outcome.return_value is not None:
                text = queue.strict_json(outcome.return_value)
        except (TypeError, ValueError, RecursionError) as exc:
            # The worker checks values before this; a direct caller may not have.
            return _change(worker_id, _refused(outcome, exc, "return value"), now)
        values = {
            "status": Task.Status.SUCCESS,
            "finished_at": now,
            "return_value": outcome.return_value,
        }
        change = writeback.Change(row.id, Task.Status.SUCCESS, now, None, text, None, "")
    else:
        errors = [*row.errors, outcome.error] if outcome.error else row.errors
        values = {"errors": errors}
        if outcome.permanent or row.attempts >= row.max_attempts:
            values.update(status=Task.Status.FAILED, finished_at=now)
            logger.error(
                "Task %s #%s failed for good after %s attempt(s): %s",
                row.task_path,
                row.id,
                row.attempts,
                _summary(outcome.error),
            )
        else:
            delay = delay_after_failure(row)
            values.update(status=Task.Status.PENDING, run_after=now + timedelta(seconds=delay))
            logger.warning(
                "Task %s #%s attempt %s/%s failed (%s); retry in %.1f s",
                row.task_path,
                row.id,
                row.attempts,
                row.max_attempts,
                _summary(outcome.error),
                delay,
            )
        change = writeback.Change(
            row.id,
            values["status"],
            values.get("finished_at"),
            values.get("run_after"),
            None,
            json.dumps(errors),
            "",
        )
    values.update(worker_ids=worker_ids, worker_id="")
    return outcome, change._replace(worker_ids=_json_list(tuple(worker_ids))), values


@functools.lru_cache(maxsize=64)
def _json_list(items: tuple[str, ...]) -> str:
    # Most batches share one worker id list; its text is made once.
    return json.dumps(list(items))


def _write(
    worker_id: str,
    outcomes: Sequence[Outcome],
    now: datetime,
    using: str,
    written: set[int],
    *,
    strict: bool = False,
) -> list[tuple[Outcome, writeback.Change, dict[str, Any]]]:
    """Write the outcomes' records, then their rows.

    Strict, a record that fails raises; otherwise its success is written as a failure.
    """
    with_records = [(index, o.records) for index, o in enumerate(outcomes) if o.records]
    if with_records and strict:
        sidecar.write_all(with_records)
    elif with_records:
        refused = sidecar.write(with_records, using)
        for index, exc in refused.items():
            logger.error(
                "A record of task #%s could not be written: %s", outcomes[index].task.id, exc
            )
        outcomes = [
            _not_recorded(o, refused[index]) if o.ok and index in refused else o
            for index, o in enumerate(outcomes)
        ]
    pairs = [_change(worker_id, outcome, now) for outcome in outcomes]
    written |= writeback.update(worker_id, [change for _, change, _ in pairs], using)
    return pairs


def _together(using: str, outcomes: Sequence[Outcome]) -> contextlib.AbstractContextManager:
    """Return the transaction to write outcomes in: with their records, if any, in one."""
    if any(outcome.records for outcome in outcomes):
        return transaction.atomic(using=using)
    return _on_its_own(using)


def _not_recorded(outcome: Outcome, exc: Exception) -> Outcome:
    """Return the failure of a task whose records could not be written: it runs again."""
    what = f"What task {outcome.task.task_path} did could not be recorded"
    return _failed(outcome, RecordNotWritten(f"{what}: {_first_line(exc)}"))


def write_records(outcome: Outcome) -> None:
    """Write the records of a task whose outcome was written without them (it overran)."""
    refused = sidecar.write([(outcome.task.id, outcome.records)], _db())
    for exc in refused.values():
        logger.error("A record of task #%s could not be written: %s", outcome.task.id, exc)


def _write_alone(
    worker_id: str, outcome: Outcome, now: datetime, using: str, written: set[int]
) -> tuple[Outcome, writeback.Change, dict[str, Any]]:
    """Write one task's outcome (with its records) alone; if refused, the nearest it will take.

    In order: as it is; its values refused, with its records; without its records (a record
    can fail only at commit, where a foreign key is checked, e.g. an attempt whose delivery was
    deleted meanwhile); its values refused, without its records. If that last one fails too, the
    database is gone rather than refusing values: the error goes up and the worker keeps the
    batch to write again later (rows written by then are left as they are).
    """
    try:
        return _write_one(worker_id, outcome, now, using, written)
    except DatabaseError as exc:
        refusal = _refused(outcome, exc, "return value" if outcome.ok else "error record")
        fallbacks = [refusal]
        if outcome.records:
            without = _not_recorded(outcome, exc) if outcome.ok else replace(outcome, records=())
            fallbacks += [without, replace(refusal, records=())]
    for candidate in fallbacks[:-1]:
        try:
            return _write_one(worker_id, candidate, now, using, written)
        except DatabaseError:
            continue
    return _write_one(worker_id, fallbacks[-1], now, using, written)


def _write_one(
    worker_id: str, outcome: Outcome, now: datetime, using: str, written: set[int]
) -> tuple[Outcome, writeback.Change, dict[str, Any]]:
    with _together(using, [outcome]):
        [pair] = _write(worker_id, [outcome], now, using, written)
    return pair


def _refused(outcome: Outcome, exc: BaseException, what: str) -> Outcome:
    """Return the failure to record for an outcome whose values could not be stored."""
    problem = TypeError(
        f"The {what} of task {outcome.task.task_path} could not be stored: {_first_line(exc)}"
    )
    # A value is refused again on every run; a refused error record leaves the retries as the
    # failure had them. What the run did happened, whatever its outcome: its records stay.
    return _failed(
        outcome, problem, permanent=outcome.ok or outcome.permanent, records=outcome.records
    )


def _failed(
    outcome: Outcome,
    problem: Exception,
    *,
    permanent: bool = False,
    records: Sequence[sidecar.Record] = (),
) -> Outcome:
    task = outcome.task
    return Outcome(
        task=task,
        ok=False,
        error=error_record(task, problem, ""),
        permanent=permanent,
        started_at=outcome.started_at,
        records=records,
    )


def _first_line(exc: BaseException) -> str:
    # The first line only: PostgreSQL's next lines quote the refused value, which is the task's
    # data and goes to the log with the error.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextlib.contextmanager
def _on_its_own(using: str) -> Iterator[None]:
    """Let a failing statement be undone alone: a savepoint inside a transaction, else nothing.

    Outside a transaction (the worker's autocommit) a statement is its own transaction, and a
    BEGIN/COMMIT around it would only add round trips.
    """
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            yield
    else:
        yield


def _summary(error: dict[str, Any] | None) -> str:
    if not error:
        return "no error recorded"
    return f"{error['exception_class_path']}: {error['message'][:200]}"
