"""Claim tasks that flow control limits: concurrency per key, rates, queue and endpoint limits.

Unlimited tasks (``flow_key = ''`` in a queue without limits) are claimed by claim.claim_batch,
whose fast lane never reads these. Limited ones are claimed here, in one transaction per page of
candidates: the rows of the limits they count against (FlowLimit) are locked with SKIP LOCKED,
so two workers never decide the same limit at once and neither waits for the other; running
tasks are counted in the task table, so a slot comes back as soon as its task finishes or its
worker's lease runs out (claim.requeue_orphans). Rates are a GCRA without burst: each start
moves the limit's ``next_at`` one interval on, and nothing starts before it (less RATE_WINDOW);
a start that came late keeps the schedule, so late wake-ups do not slow the rate down.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connections, router, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from ironrelay.conf import RelaySettings, get_settings
from ironrelay.models import Endpoint, FlowLimit, Queue, Task
from ironrelay.tasks.errors import TaskNotFound
from ironrelay.tasks.rates import ENDPOINT_KEY_PREFIX, QueueLimits, parse_rate, queue_limits
from ironrelay.tasks.registry import get_task

if TYPE_CHECKING:
    from ironrelay.tasks.decorator import TaskFunction

logger = logging.getLogger("ironrelay.queue")

# A rate lets a start through up to this long before its slot: claims come a few milliseconds
# apart, so a fast rate (1000/s) fills its slots, while a slow one stays evenly spaced.
RATE_WINDOW = timedelta(seconds=0.02)
PAGES = 3  # candidate pages read per claim, each skipping the limits the last one found full
PAGE_FACTOR = 4  # candidates read per task wanted


Brief = tuple[int, str, str, str]  # a candidate: id, task_path, queue_name, flow_key


@dataclass
class _Limits:
    """What one candidate counts against."""

    slots: list[tuple[str, int]] = field(default_factory=list)  # (lock key, tasks at once)
    rates: list[tuple[str, float]] = field(default_factory=list)  # (lock key, interval)


@dataclass
class LimitedClaim:
    """Tasks a flow-lane claim took, and when a rate limit next lets one start."""

    tasks: list[Task]
    next_slot: datetime | None = None  # earliest next_at of a rate that held a candidate back
    waiting: bool = False  # candidates were left waiting for a slot


_parsed: list[tuple[RelaySettings, dict[str, QueueLimits]]] = []


def _queue_limits(conf: RelaySettings) -> dict[str, QueueLimits]:
    """Return the limited queues of these settings, parsed once per settings object."""
    if not _parsed or _parsed[0][0] is not conf:
        limits = {
            name: found
            for name, found in queue_limits(conf.QUEUES).items()
            if found.interval or found.concurrency
        }
        _parsed[:] = [(conf, limits)]
    return _parsed[0][1]


def limited_queues() -> list[str]:
    """Return the queues IRONRELAY["QUEUES"] limits, whose every task goes through this lane."""
    return sorted(_queue_limits(get_settings()))


def paused_queues() -> QuerySet:
    """Return the names of paused queues, as a subquery for the claims."""
    return Queue.objects.filter(paused=True).values("name")


def _candidates(queues: Sequence[str], now: datetime, skip_keys: set[str]) -> list[QuerySet]:
    """Return the due limited tasks as querysets that each read one index in claim order.

    Tasks with a key are one range of the due index (flow_key > ''); tasks of limited queues are
    read by queue. One query with an OR of the two would scan every pending task.
    """
    due = Task.objects.filter(status=Task.Status.PENDING, run_after__lte=now)
    if queues:
        due = due.filter(queue_name__in=list(queues))
    due = due.exclude(queue_name__in=paused_queues())
    for key in skip_keys:  # limits an earlier page found full: read past their tasks
        due = _without(due, key)
    parts = [due.filter(flow_key__gt="")]
    if limited_queues():
        # Read by the queue index alone (a flow_key condition here would make the planner walk
        # every unlimited pending task in the due index); keyed tasks it finds twice are merged.
        parts.append(due.filter(queue_name__in=limited_queues()))
    return [part.order_by("-priority", "run_after", "id") for part in parts]


def _preview(parts: list[QuerySet], size: int) -> list[Brief]:
    """Read up to `size` candidates in claim order, as plain tuples."""
    found: dict[int, tuple[Any, ...]] = {}
    for part in parts:
        for row in part.values_list(
            "id", "task_path", "queue_name", "flow_key", "priority", "run_after"
        )[:size]:
            found[row[0]] = row
    rows = sorted(found.values(), key=lambda row: (-row[4], row[5], row[0]))
    return [row[:4] for row in rows[:size]]


def claim_limited(worker_id: str, queues: Sequence[str], limit: int) -> LimitedClaim:
    """Mark up to `limit` due limited tasks whose limits have room as running for this worker."""
    db = router.db_for_write(Task)
    result = LimitedClaim([])
    skip_keys: set[str] = set()
    for _ in range(PAGES):
        wanted = limit - len(result.tasks)
        if wanted <= 0:
            break
        try:
            full, read = _claim_page(worker_id, queues, wanted, skip_keys, db, result)
        except DatabaseError as exc:
            # A lock conflict the database resolved by failing us: the next round tries again.
            logger.debug("Flow-control claim gave up this round: %s", exc)
            break
        if read < wanted * PAGE_FACTOR or not full - skip_keys:
            break
        skip_keys |= full
    result.tasks.sort(key=lambda row: (-row.priority, row.run_after, row.id))
    return result


def _claim_page(
    worker_id: str,
    queues: Sequence[str],
    wanted: int,
    skip_keys: set[str],
    db: str,
    result: LimitedClaim,
) -> tuple[set[str], int]:
    """Claim from one page of candidates; return the limits found full and the rows read."""
    now = timezone.now()
    # Candidates are read as plain tuples (a page may hold hundreds of tasks of one full key);
    # only the chosen ones are locked and loaded.
    preview = _preview(_candidates(queues, now, skip_keys), wanted * PAGE_FACTOR)
    if not preview:
        return set(), 0
    limits = _limits_of(preview)
    keys = sorted({key for found in limits.values() for key, _ in found.slots + found.rates})
    # Every limit gets its row before the transaction: an INSERT waiting on a locked row would
    # hold the claim up.
    FlowLimit.objects.using(db).bulk_create(
        [FlowLimit(key=key) for key in keys], ignore_conflicts=True
    )
    skip_locked = connections[db].features.has_select_for_update_skip_locked
    with transaction.atomic(using=db):
        if skip_locked:
            locked = FlowLimit.objects.select_for_update(skip_locked=True).filter(key__in=keys)
        else:
            # SQLite: take the write lock first; then nothing else claims until this commits.
            FlowLimit.objects.filter(key="").update(next_at=None)
            locked = FlowLimit.objects.filter(key__in=keys)
        gates = {row.key: row.next_at for row in locked}
        running = _running(limits.values())
        chosen, full = _choose(preview, limits, dict(gates), running, now, wanted, result)
        if not chosen:
            return full, len(preview)
        pending = Task.objects.filter(id__in=chosen, status=Task.Status.PENDING)
        taken = list(pending.select_for_update(skip_locked=True) if skip_locked else pending)
        taken.sort(key=lambda row: chosen.index(row.id))
        changed = set()
        for row in taken:  # the chosen rows another worker did not take meanwhile
            for key, interval in limits[row.id].rates:
                gates[key] = _next_slot(gates[key], interval, now)
                changed.add(key)
        for key in sorted(changed):
            FlowLimit.objects.filter(key=key).update(next_at=gates[key])
        if taken:
            Task.objects.filter(id__in=[row.id for row in taken]).update(
                status=Task.Status.RUNNING,
                started_at=now,
                worker_id=worker_id,
                unique_key=None,
                attempts=F("attempts") + 1,
            )
    for row in taken:
        row.attempts += 1
        row.status, row.started_at, row.worker_id = Task.Status.RUNNING, now, worker_id
        row.unique_key = None
    result.tasks += taken
    return full, len(preview)


def _choose(
    preview: list[Brief],
    limits: dict[int, _Limits],
    gates: dict[str, datetime | None],
    running: Counter[str],
    now: datetime,
    wanted: int,
    result: LimitedClaim,
) -> tuple[list[int], set[str]]:
    """Pick, in claim order, the candidates whose limits have room; return them and full ones."""
    chosen: list[int] = []
    full: set[str] = set()
    for task_id, *_ in preview:
        found = limits[task_id]
        here = [key for key, _ in found.slots + found.rates]
        if any(key not in gates for key in here):
            # Another worker is deciding this limit right now: it is next round's.
            full.update(key for key in here if key not in gates)
            result.waiting = True
            continue
        blocked = [key for key, n in found.slots if running[key] >= n]
        late = [key for key, _ in found.rates if (gates[key] or now) > now + RATE_WINDOW]
        if blocked or late:
            full.update(blocked + late)
            result.waiting = True
            for key in late:
                gate = gates[key]
                slot = now if gate is None else gate - RATE_WINDOW
                if result.next_slot is None or slot < result.next_slot:
                    result.next_slot = slot
            continue
        for key, _ in found.slots:
            running[key] += 1
        for key, interval in found.rates:
            gates[key] = _next_slot(gates[key], interval, now)
        chosen.append(task_id)
        if len(chosen) >= wanted:
            break
    return chosen, full


def _next_slot(gate: datetime | None, interval: float, now: datetime) -> datetime:
    """Return a rate's next start time after one start now."""
    step = timedelta(seconds=interval)
    # A start a little late keeps the schedule (a worker wakes a few ms after its slot); after
    # a pause of more than a slot the schedule starts again from now.
    return (gate if gate is not None and gate > now - step else now) + step


def _without(due: QuerySet, key: str) -> QuerySet:
    """Leave out the candidates a full limit (a FlowLimit key) holds back."""
    for prefix, column in (
        ("key:", "flow_key"),
        ("queue:", "queue_name"),
        ("rate:task:", "task_path"),
        ("rate:queue:", "queue_name"),
        ("rate:", "flow_key"),  # rate:endpoint:<id>
    ):
        if key.startswith(prefix):
            return due.exclude(**{column: key.removeprefix(prefix)})
    return due


def _limits_of(rows: Iterable[Brief]) -> dict[int, _Limits]:
    """Return what each candidate (id, task_path, queue_name, flow_key) counts against."""
    rows = list(rows)
    endpoints = _endpoint_limits(
        {key for _, _, _, key in rows if key.startswith(ENDPOINT_KEY_PREFIX)}
    )
    by_queue = _queue_limits(get_settings())
    found = {}
    for task_id, path, queue_name, key in rows:
        limits = _Limits()
        if key.startswith(ENDPOINT_KEY_PREFIX):
            max_in_flight, interval = endpoints.get(key, (None, None))
            if max_in_flight:
                limits.slots.append((f"key:{key}", max_in_flight))
            if interval:
                limits.rates.append((f"rate:{key}", interval))
        elif key:
            definition = _definition(path)
            if definition is not None and definition.concurrency:
                limits.slots.append((f"key:{key}", definition.concurrency))
            if definition is not None and definition.rate:
                limits.rates.append((f"rate:task:{path}", parse_rate(definition.rate)))
        queue = by_queue.get(queue_name)
        if queue is not None and queue.concurrency:
            limits.slots.append((f"queue:{queue_name}", queue.concurrency))
        if queue is not None and queue.interval:
            limits.rates.append((f"rate:queue:{queue_name}", queue.interval))
        found[task_id] = limits
    return found


def _definition(path: str) -> TaskFunction | None:
    try:
        return get_task(path)
    except TaskNotFound:
        return None  # it fails when it runs, and says why


def _endpoint_limits(keys: set[str]) -> dict[str, tuple[int | None, float | None]]:
    start = len(ENDPOINT_KEY_PREFIX)
    ids = [int(key[start:]) for key in keys if key[start:].isdigit()]
    found: dict[str, tuple[int | None, float | None]] = {}
    for pk, max_in_flight, rate in Endpoint.objects.filter(pk__in=ids).values_list(
        "pk", "max_in_flight", "rate"
    ):
        try:
            interval = parse_rate(rate) if rate else None
        except ValueError:
            interval = None  # the admin and dashboard refuse such a rate; a raw write is ignored
        found[f"{ENDPOINT_KEY_PREFIX}{pk}"] = (max_in_flight, interval)
    return found


def _running(limits: Iterable[_Limits]) -> Counter[str]:
    """Count running tasks per concurrency limit the candidates count against."""
    keys = {key for found in limits for key, _ in found.slots}
    flow_keys = [key[4:] for key in keys if key.startswith("key:")]
    queue_names = [key[6:] for key in keys if key.startswith("queue:")]
    running: Counter[str] = Counter()
    busy = Task.objects.filter(status=Task.Status.RUNNING)
    if flow_keys:
        for key, n in (
            busy.filter(flow_key__in=flow_keys)
            .values_list("flow_key")
            .annotate(n=Count("id"))
            .order_by()
        ):
            running[f"key:{key}"] = n
    if queue_names:
        for name, n in (
            busy.filter(queue_name__in=queue_names)
            .values_list("queue_name")
            .annotate(n=Count("id"))
            .order_by()
        ):
            running[f"queue:{name}"] = n
    return running
