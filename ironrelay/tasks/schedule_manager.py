"""The schedule manager: every Schedule state change (sync, fire, pause, resume, run now, edit).

Exactly once per slot: a worker first moves ``next_run`` on with a compare-and-set UPDATE (the
row as it read it, else nothing), then, in the same transaction, inserts one ScheduleRun per slot;
(schedule, slot) is unique, so a slot that any worker has already enqueued cannot be enqueued
again, whatever the timing, a crash, an edit or a clock that is off. Nothing is locked across
transactions, so a worker killed at any point leaves nothing behind to expire.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DataError, IntegrityError, router, transaction
from django.utils import timezone

from ironrelay.models import Schedule, ScheduleRun, Task
from ironrelay.tasks import inserts, queue, slots
from ironrelay.tasks.errors import TaskArgumentError, TaskNotFound
from ironrelay.tasks.registry import get_task
from ironrelay.tasks.schedules import ScheduleDefinition, ScheduleError, zone_name

logger = logging.getLogger("ironrelay.schedules")

DUE_BATCH = 50  # schedules looked at per query; more due ones are taken at the next tick


@dataclass(frozen=True)
class Due:
    """What one look at the schedules found: rows due now, and when the next one falls due."""

    schedules: list[Schedule]
    next_at: datetime | None  # the earliest next_run after now (None: nothing scheduled)
    more: bool  # the batch was full: look again at once


def timing_of(schedule: Schedule) -> slots.Timing:
    """Return a schedule row's timing; raise TimingError if it is unusable."""
    return slots.Timing(cron=schedule.cron, every=schedule.every, zone=zone_name(schedule.timezone))


def first_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """Return the next_run an active schedule gets from `now` on (None if paused or disabled)."""
    if not schedule.is_active:
        return None
    try:
        return timing_of(schedule).after(now)
    except slots.TimingError:
        return None


def _db() -> str:
    return router.db_for_write(Schedule)


# -- code schedules ------------------------------------------------------------------------------


def sync(definitions: Iterable[ScheduleDefinition], now: datetime | None = None) -> dict[str, int]:
    """Make the rows of code-defined schedules match the code; return counts of what changed.

    A changed definition starts again from its next slot after now; an unchanged one keeps its
    next_run, so slots missed while no worker ran are caught up. A row once defined in code
    whose definition is gone is deleted. Pause state is the operators' and is kept.
    """
    now = now or timezone.now()
    wanted = {d.name: d for d in definitions}
    rows = {s.name: s for s in Schedule.objects.filter(name__in=list(wanted))}
    counts = {"created": 0, "updated": 0, "deleted": 0}
    new = []
    for name, definition in wanted.items():
        values = definition.row_values()
        row = rows.get(name)
        if row is None:
            row = Schedule(
                name=name, defined_in_code=True, created_at=now, updated_at=now, **values
            )
            row.next_run = first_slot(row, now)
            new.append(row)
            continue
        if row.defined_in_code and all(getattr(row, k) == v for k, v in values.items()):
            if row.next_run is None and row.is_active:
                Schedule.objects.filter(pk=row.pk, next_run=None).update(
                    next_run=first_slot(row, now)
                )
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.defined_in_code = True
        row.updated_at = now
        row.next_run = first_slot(row, now)
        row.save(update_fields=[*values, "defined_in_code", "updated_at", "next_run"])
        counts["updated"] += 1
    # Workers starting together race to create the same rows: the name is unique, one wins.
    counts["created"] = len(Schedule.objects.bulk_create(new, ignore_conflicts=True))
    gone = Schedule.objects.filter(defined_in_code=True).exclude(name__in=list(wanted))
    counts["deleted"] = gone.delete()[1].get(Schedule._meta.label, 0)
    return counts


# -- the scheduler's side -------------------------------------------------------------------------


def due(now: datetime, limit: int = DUE_BATCH) -> Due:
    """Return the schedules due at `now` and when the next falls due.

    Nothing due (the usual case): one query that reads a single value from the next_run index.
    Something due: a second query reads the due rows, and the first one not yet due.
    """
    active = Schedule.objects.filter(next_run__isnull=False).order_by("next_run", "id")
    earliest = active.values_list("next_run", flat=True).first()
    if earliest is None or earliest > now:
        return Due(schedules=[], next_at=earliest, more=False)
    rows = list(active[: limit + 1])
    ready = [row for row in rows if row.next_run is not None and row.next_run <= now]
    later = [row.next_run for row in rows if row.next_run is not None and row.next_run > now]
    return Due(
        schedules=ready[:limit], next_at=later[0] if later else None, more=len(ready) > limit
    )


def fire_due(
    schedules: Iterable[Schedule], now: datetime, *, cap: int = 100, missed_after: float = 60.0
) -> list[Task]:
    """Fire several due schedules in one transaction: one commit per tick, not per schedule.

    Each schedule has a savepoint of its own: one whose values the database refuses is logged
    and left for the next tick, without holding the others back.
    """
    tasks: list[Task] = []
    with transaction.atomic(using=_db()):
        for schedule in schedules:
            try:
                tasks += fire(schedule, now, cap=cap, missed_after=missed_after)
            except (DataError, IntegrityError):
                logger.exception("Schedule %r could not be enqueued", schedule.name)
    return tasks


def fire(
    schedule: Schedule, now: datetime, *, cap: int = 100, missed_after: float = 60.0
) -> list[Task]:
    """Enqueue the due slots of `schedule` (per its catch-up policy) unless another worker did."""
    read_next_run = schedule.next_run
    if read_next_run is None:
        return []
    try:
        timing = timing_of(schedule)
    except slots.TimingError as exc:
        logger.error("Schedule %r is paused by the scheduler: %s", schedule.name, exc)
        _claim_slot(schedule, read_next_run, None)
        return []
    plan = slots.plan(
        timing, read_next_run, now, catch_up=schedule.catch_up, cap=cap, missed_after=missed_after
    )
    tasks: list[Task] = []
    with transaction.atomic(using=_db()):
        if not _claim_slot(schedule, read_next_run, plan.next_run):
            return []  # another worker moved it on, or an edit changed it: nothing to do
        for slot in plan.run:
            task = _enqueue_slot(schedule, slot, now)
            if task is not None:
                tasks.append(task)
        if tasks:
            _record_last(schedule, plan.run[-1], tasks[-1])
    if plan.skipped:
        logger.warning(
            "Schedule %r: %s missed slot(s) not run (catch_up=%r)",
            schedule.name,
            plan.skipped,
            schedule.catch_up,
        )
    schedule.next_run = plan.next_run
    return tasks


def _claim_slot(schedule: Schedule, read_next_run: datetime, next_run: datetime | None) -> bool:
    """Move next_run on if the row is still as read; return whether this call did."""
    return bool(
        Schedule.objects.filter(
            pk=schedule.pk, next_run=read_next_run, updated_at=schedule.updated_at
        ).update(next_run=next_run)
    )


def _enqueue_slot(
    schedule: Schedule, slot: datetime, now: datetime, *, manual: bool = False
) -> Task | None:
    """Insert the slot's run row and its task; None if the slot was already enqueued."""
    try:
        template = _task_template(schedule, slot, now)
    except (TaskNotFound, TaskArgumentError) as exc:
        logger.error("Schedule %r: slot %s not enqueued: %s", schedule.name, slot.isoformat(), exc)
        return None
    stage = "task"
    try:
        # One savepoint for both rows: a slot another worker enqueued leaves no task behind.
        with transaction.atomic(using=_db()):
            task = inserts.insert_one(template, _db())
            stage = "run"
            ScheduleRun.objects.create(
                schedule_id=schedule.pk, slot=slot, task_id=task.id, manual=manual, enqueued_at=now
            )
    except IntegrityError:
        if stage == "run":
            logger.debug("Schedule %r: slot %s already enqueued", schedule.name, slot.isoformat())
            return None
        # The task's unique_key is held by a pending task: that one stands for this slot.
        logger.info("Schedule %r: slot %s left to the pending task", schedule.name, slot)
        with contextlib.suppress(IntegrityError), transaction.atomic(using=_db()):
            ScheduleRun.objects.create(
                schedule_id=schedule.pk, slot=slot, manual=manual, enqueued_at=now
            )
        return None
    return task


def _task_template(schedule: Schedule, slot: datetime, now: datetime) -> inserts.NewTask:
    definition = get_task(schedule.task_path)
    args, kwargs = list(schedule.args or []), dict(schedule.kwargs or {})
    # As defer() does: the arguments also give the task's flow key (concurrency_key, rate).
    template = queue.with_arguments(queue.new_task(definition, now), args, kwargs, definition)
    # A uniform draw spreads the start of schedules that share a slot; it is no secret.
    delay = random.uniform(0, schedule.jitter) if schedule.jitter > 0 else 0.0
    return template._replace(
        queue_name=schedule.queue_name or template.queue_name,
        priority=template.priority if schedule.priority is None else schedule.priority,
        run_after=slot + timedelta(seconds=delay),  # a missed slot's task is due at once
    )


def _record_last(schedule: Schedule, slot: datetime, task: Task) -> None:
    Schedule.objects.filter(pk=schedule.pk).update(last_run_at=slot, last_task_id=task.id)
    schedule.last_run_at, schedule.last_task_id = slot, task.id


# -- operator actions (dashboard and admin) --------------------------------------------------------


def run_now(schedule: Schedule, now: datetime | None = None) -> Task | None:
    """Enqueue one run of `schedule` now, outside its timing; return its task."""
    now = now or timezone.now()
    with transaction.atomic(using=_db()):
        task = _enqueue_slot(schedule, now, now, manual=True)
        if task is not None:
            _record_last(schedule, now, task)
    return task


def pause(schedule: Schedule) -> bool:
    """Stop enqueuing `schedule` until resumed; return whether it was running."""
    changed = Schedule.objects.filter(pk=schedule.pk, paused=False).update(
        paused=True, next_run=None
    )
    schedule.paused, schedule.next_run = True, None
    return bool(changed)


def resume(schedule: Schedule, now: datetime | None = None) -> bool:
    """Resume a paused schedule from its next slot after now (missed slots are not caught up)."""
    now = now or timezone.now()
    schedule.paused = False
    schedule.next_run = first_slot(schedule, now)
    changed = Schedule.objects.filter(pk=schedule.pk, paused=True).update(
        paused=False, next_run=schedule.next_run
    )
    return bool(changed)


def save_definition(
    schedule: Schedule, values: dict[str, Any], now: datetime | None = None
) -> Schedule:
    """Create or change a database-defined schedule; it takes effect at the workers' next tick."""
    if schedule.pk is not None and schedule.defined_in_code:
        raise ScheduleError(
            f"Schedule {schedule.name!r} is defined in code: change it there, not here."
        )
    now = now or timezone.now()
    for key, value in values.items():
        setattr(schedule, key, value)
    schedule.defined_in_code = False
    schedule.updated_at = now
    if schedule.pk is None:
        schedule.created_at = now
    schedule.next_run = first_slot(schedule, now)
    schedule.save()
    return schedule


def delete(schedule: Schedule) -> None:
    """Delete a database-defined schedule and its run records; its tasks stay as they are."""
    Schedule.objects.filter(pk=schedule.pk, defined_in_code=False).delete()
