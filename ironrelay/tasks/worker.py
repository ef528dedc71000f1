"""The worker: claims due tasks in batches, runs them on a thread pool, writes outcomes back."""

from __future__ import annotations

import logging
import queue as stdlib_queue
import signal
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from django.db import Error as DatabaseError
from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from ironrelay import alerts, tracing
from ironrelay.conf import get_settings
from ironrelay.metrics import counters
from ironrelay.models import Task
from ironrelay.storable import may_be_unstorable, too_deep, unstorable
from ironrelay.tasks import aio, cancel, claim, flow, queue
from ironrelay.tasks.db import TaskListener
from ironrelay.tasks.decorator import TaskContext
from ironrelay.tasks.errors import TaskCancelled, TaskNotFound
from ironrelay.tasks.queue import Outcome
from ironrelay.tasks.registry import get_task
from ironrelay.tasks.scheduler import Scheduler
from ironrelay.tasks.threads import TaskThreads
from ironrelay.tasks.wakeup import Wakeup

logger = logging.getLogger("ironrelay.worker")

FLUSH_INTERVAL = 0.02  # seconds a finished task may wait to be written with others
CANCEL_CHECK_INTERVAL = 0.5  # seconds between looks for cancel requests while tasks run


class TaskTimeout(Exception):
    """A task ran longer than its timeout."""


@dataclass
class _Running:
    task: Task
    started: float | None = None  # monotonic time the thread began running it
    cancel: threading.Event = field(default_factory=threading.Event)
    run: aio.AsyncRun | None = None  # an async task's run on the event loop
    overdue: bool = False  # past its timeout, but still holding its concurrency slot


def execute(task: Task, cancel_event: threading.Event | None = None) -> Outcome:
    """Run one claimed task in this thread and describe what happened."""
    with tracing.run_span(task) as span:
        outcome = _execute(task, cancel_event)
        if not outcome.ok:
            tracing.mark_failed(span, (outcome.error or {}).get("exception_class_path", ""))
    return outcome


def _execute(task: Task, cancel_event: threading.Event | None) -> Outcome:
    started_at = timezone.now()
    try:
        definition = get_task(task.task_path)
    except TaskNotFound as exc:
        return _failure(task, exc, started_at, permanent=True)
    args = _arguments(task, definition.takes_context, cancel_event)
    try:
        value = definition.func(*args, **task.kwargs)
    except Exception as exc:  # a task's failure is data, never the worker's crash
        return _failure(task, exc, started_at, permanent=False)
    finally:
        close_old_connections()
    return _success(task, value, started_at)


def _arguments(task: Task, takes_context: bool, cancel_event: threading.Event | None) -> list:
    if not takes_context:
        return task.args
    context = TaskContext(
        task_result=task, attempt=task.attempts, cancel_event=cancel_event or threading.Event()
    )
    return [context, *task.args]


def _success(task: Task, value: object, started_at: datetime) -> Outcome:
    text = problem = None
    try:
        text = None if value is None else queue.strict_json(value)
        if text is not None and may_be_unstorable(text):
            problem = unstorable(value)
    except RecursionError:
        problem = too_deep()
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    if problem:
        # Stored as is, it would fail the write of the whole batch of outcomes.
        bad = TypeError(f"Task {task.task_path} returned a value JSON cannot store: {problem}")
        return _failure(task, bad, started_at, permanent=True)
    return Outcome(task=task, ok=True, return_value=value, return_json=text, started_at=started_at)


def _failure(task: Task, exc: BaseException, started_at: datetime, *, permanent: bool) -> Outcome:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Outcome(
        task=task,
        ok=False,
        error=queue.error_record(task, exc, text),
        permanent=permanent,
        started_at=started_at,
    )


def _timeout(task: Task) -> TaskTimeout:
    return TaskTimeout(f"Task {task.task_path} ran longer than {task.timeout:g} s")


def _holds_slot(task: Task) -> bool:
    """Say whether a task may count against a concurrency limit while it runs."""
    return bool(task.flow_key) or task.queue_name in flow.limited_queues()


def _prepare(tasks: Sequence[Task]) -> None:
    """Let each task function with a prepare hook read what its claimed tasks share, at once."""
    calls: dict[str, list[Task]] = {}
    for task in tasks:
        calls.setdefault(task.task_path, []).append(task)
    for path, group in calls.items():
        try:
            prepare = get_task(path).prepare
        except TaskNotFound:
            continue  # its tasks fail when they run, with this error
        if prepare is None:
            continue
        try:
            prepare(group)
        except Exception:  # each task reads what it needs on its own when it runs
            logger.exception("Preparing %s task(s) of %s failed", len(group), path)


class Worker:
    """One worker process: a claiming loop in the main thread and a pool of task threads."""

    def __init__(
        self,
        *,
        queues: Sequence[str] = (),
        concurrency: int | None = None,
        batch_size: int | None = None,
        poll_interval: float | None = None,
        burst: bool = False,
        hard_timeouts: bool = False,
        schedules: bool = True,
    ) -> None:
        conf = get_settings()
        self.queues = list(queues)
        self.concurrency = concurrency or conf.WORKER_CONCURRENCY
        self.batch_size = batch_size or conf.WORKER_BATCH_SIZE
        self.poll_interval = conf.WORKER_POLL_INTERVAL if poll_interval is None else poll_interval
        self.burst = burst
        # Every worker enqueues due schedule slots (the database keeps each slot to one task);
        # a burst worker only drains the queue.
        self.scheduler = Scheduler() if schedules and not burst else None
        # Under a supervisor (--processes): a task that overruns its timeout ends this process.
        self.hard_timeouts = hard_timeouts
        self.overran = False  # a thread is still running a task written off as timed out
        self.capacity = self.concurrency + self.batch_size  # running plus claimed-and-waiting
        self._refill = max(1, min(self.batch_size, self.capacity) // 2)  # room worth a claim
        self.id = claim.new_worker_id()
        self.tasks_done = 0
        self._running: dict[int, _Running] = {}
        self._finished: stdlib_queue.SimpleQueue[Outcome] = stdlib_queue.SimpleQueue()
        self._pending_writes: list[Outcome] = []
        self._oldest_write = 0.0
        self._wake = Wakeup()
        self._listener = TaskListener(self._wake)
        self._db_outages = 0  # bumped on each database error in the loop
        self._thread_state = threading.local()
        self._loop = aio.EventLoopThread()  # async def tasks share it
        self._next_cancel_check = 0.0
        self._stop_requested = False  # set by stop(), perhaps in a signal handler
        self._stop_announced = False
        self._next_flow_claim = 0.0  # monotonic time the limited lane is worth claiming from
        self._flow_waiting = False  # limited tasks were due but waited for a slot
        self._thread_connections: list[BaseDatabaseWrapper] = []
        self._pool = TaskThreads(
            self.concurrency, "ironrelay-task", initializer=self._remember_thread_connections
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Stop claiming; running tasks finish, then run() returns.

        Safe in a signal handler: it sets a flag and wakes the loop, taking no lock.
        """
        self._stop_requested = True
        self._wake.set()

    def install_signal_handlers(self) -> None:
        """Make SIGTERM and SIGINT stop the worker gracefully."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        """Work until stopped (or, in burst mode, until nothing is due)."""
        conf = get_settings()
        claim.register_worker(self.id, self.queues, self.concurrency)
        if self.scheduler is not None:
            self.scheduler.start()
        listening = self._listener.start()
        logger.info(
            "Worker %s started: queues=%s concurrency=%s batch=%s poll=%.2fs burst=%s wake=%s "
            "schedules=%s",
            self.id,
            ",".join(self.queues) or "(all)",
            self.concurrency,
            self.batch_size,
            self.poll_interval,
            self.burst,
            "LISTEN/NOTIFY" if listening else "polling",
            "on" if self.scheduler is not None else "off",
        )
        next_heartbeat = next_reap = 0.0
        failures = 0
        # Ready before the first claim, so a claimed task starts without waiting for a thread.
        self._pool.start()
        try:
            while True:
                try:
                    now = time.monotonic()
                    if now >= next_heartbeat:
                        claim.heartbeat(self.id, self.tasks_done)
                        counters.flush(force=True)
                        next_heartbeat = now + conf.WORKER_HEARTBEAT_INTERVAL
                    if now >= next_reap:
                        claim.requeue_orphans(conf.WORKER_LEASE)
                        alerts.check_queue_lag()
                        next_reap = now + conf.WORKER_LEASE / 2
                    scheduler = self.scheduler
                    if scheduler and now >= scheduler.next_tick and not self._stop_requested:
                        scheduler.tick()
                    if not self._step():
                        break
                    failures = 0
                except DatabaseError as exc:
                    failures += 1
                    # Back off up to 30 s, but only a few seconds once asked to stop.
                    wait = min(5.0 if self._stop_requested else 30.0, 0.5 * 2**failures)
                    logger.error(
                        "Database error in worker loop (%s); retrying in %.1f s", exc, wait
                    )
                    close_old_connections()
                    # Task threads drop their connections before their next task, and nobody
                    # is reaped until every worker has had a lease to come back.
                    self._db_outages += 1
                    next_heartbeat = 0.0
                    next_reap = time.monotonic() + wait + conf.WORKER_LEASE
                    self._pause(wait)
                    if self._stop_requested and not self._running and not self._pending_writes:
                        break
        finally:
            self._shutdown()

    def _remember_thread_connections(self) -> None:
        # Lets _shutdown close each task thread's connections, which Django would otherwise
        # leave open until the process exits.
        for alias in connections:
            conn = connections[alias]
            conn.inc_thread_sharing()
            self._thread_connections.append(conn)

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            self._wake.wait(left)

    def _shutdown(self) -> None:
        self._listener.stop()
        self._loop.stop()
        # A thread still running an overdue task cannot be joined; the process exits without it.
        self._pool.shutdown(wait=not self.overran)
        if not self.overran:
            for conn in self._thread_connections:
                conn.close()
                conn.dec_thread_sharing()
        self._collect()
        try:
            if self._pending_writes:
                self._flush()
            if not any(entry.overdue for entry in self._running.values()):
                claim.unregister_worker(self.id)
            # Otherwise its worker row stays behind, with the overdue task's running row: once
            # this process (and the overdue thread with it) is gone, the lease requeues the task.
            counters.flush(force=True)
        except DatabaseError:
            logger.exception("Worker %s could not write its last results", self.id)
        self._wake.close()
        logger.info("Worker %s stopped after %s task(s)", self.id, self.tasks_done)

    # -- the loop -----------------------------------------------------------------------------

    def _step(self) -> bool:
        """Do one round of collect, write, claim; return False when the worker should exit."""
        self._collect()
        self._expire_overdue()
        self._pass_on_cancels()
        if self._pending_writes and (
            self._stop_requested
            or not self._running
            or len(self._pending_writes) >= self.batch_size
            or time.monotonic() - self._oldest_write >= FLUSH_INTERVAL
        ):
            self._flush()
        if self._stop_requested:
            if not self._stop_announced:
                self._stop_announced = True
                logger.info("Worker %s stopping: finishing %s task(s)", self.id, len(self._running))
            self._release_unstarted()
            if not self._still_running() and not self._pending_writes:
                return False
            self._wait(FLUSH_INTERVAL)
            return True
        claimed = self._claim()
        idle = not claimed and not self._running and not self._pending_writes
        if self.burst and idle and not self._flow_waiting:
            return False
        if self._running or self._pending_writes:
            self._wait(FLUSH_INTERVAL)
        elif not claimed:
            until_flow = self._next_flow_claim - time.monotonic()
            self._wait(max(0.0, min(self.poll_interval, until_flow)))
        return True

    def _wait(self, timeout: float) -> None:
        if self.scheduler is not None:
            timeout = min(timeout, self.scheduler.seconds_until_tick())
        self._wake.wait(timeout)

    def _claim(self) -> int:
        room = self.capacity - len(self._running)
        if room < self._refill and self._running:
            return 0
        wanted = min(room, self.batch_size)
        # The limited lane first, when it is due: a backlog of unlimited tasks must not
        # starve it. It is due at most once per poll interval while nothing limited is waiting.
        tasks = self._claim_limited(wanted) if time.monotonic() >= self._next_flow_claim else []
        if len(tasks) < wanted:
            tasks += claim.claim_batch(self.id, self.queues, wanted - len(tasks))
        _prepare(tasks)
        for task in tasks:
            entry = _Running(task=task)
            self._running[task.id] = entry
            if aio.is_async_task(task.task_path):
                self._start_async(entry)
            else:
                self._pool.submit(task.id, self._run_one, entry)
        return len(tasks)

    def _claim_limited(self, wanted: int) -> list[Task]:
        """Claim from the flow-control lane; note when it is next worth looking at."""
        found = flow.claim_limited(self.id, self.queues, wanted)
        self._flow_waiting = found.waiting
        now = time.monotonic()
        if found.tasks:
            self._next_flow_claim = now  # more may have room: look again next round
        elif found.next_slot is not None:
            wait = (found.next_slot - timezone.now()).total_seconds()
            self._next_flow_claim = now + max(0.0, min(self.poll_interval, wait))
        else:
            # Nothing limited, or every limit full: a finished limited task, or the poll
            # interval, brings the next look.
            self._next_flow_claim = now + self.poll_interval
        return found.tasks

    def _start_async(self, entry: _Running) -> None:
        task, started_at = entry.task, timezone.now()
        definition = get_task(task.task_path)
        try:
            args = _arguments(task, definition.takes_context, entry.cancel)
            coro = tracing.traced_coroutine(task, definition.func(*args, **task.kwargs))
        except Exception as exc:  # bad arguments fail at the call, before any await
            self._finished.put(_failure(task, exc, started_at, permanent=False))
            return

        def done(run: aio.AsyncRun) -> None:
            if run.timed_out:
                exc: BaseException = TaskTimeout(
                    f"Task {task.task_path} ran longer than {task.timeout:g} s; it was cancelled"
                )
                outcome = _failure(task, exc, started_at, permanent=False)
            elif run.cancelled:
                exc = TaskCancelled(f"Task #{task.id} was cancelled while it ran")
                outcome = _failure(task, exc, started_at, permanent=True)
            elif run.error is not None:
                outcome = _failure(task, run.error, started_at, permanent=False)
            else:
                outcome = _success(task, run.value, started_at)
            self._finished.put(outcome)
            self._wake.set()

        entry.started = time.monotonic()
        entry.run = self._loop.submit(coro, task.timeout, done)

    def _pass_on_cancels(self) -> None:
        if not self._running or time.monotonic() < self._next_cancel_check:
            return
        self._next_cancel_check = time.monotonic() + CANCEL_CHECK_INTERVAL
        for task_id in cancel.requested(self.id, self._running):
            entry = self._running.get(task_id)
            if entry is None or entry.cancel.is_set():
                continue
            logger.info("Task %s #%s: cancel requested", entry.task.task_path, task_id)
            entry.cancel.set()
            if entry.run is not None:
                self._loop.cancel(entry.run)

    def _run_one(self, entry: _Running) -> None:
        if getattr(self._thread_state, "outages", 0) != self._db_outages:
            # This thread's kept connection may have died with the database: reconnect.
            self._thread_state.outages = self._db_outages
            for conn in connections.all(initialized_only=True):
                conn.close()
        entry.started = time.monotonic()
        try:
            outcome = execute(entry.task, entry.cancel)
        except BaseException as exc:
            outcome = _failure(entry.task, exc, timezone.now(), permanent=False)
        self._finished.put(outcome)
        # Waking the loop for every finished task costs more than the task itself when tasks
        # are short: wake it when it can claim a new batch or when nothing is left running;
        # otherwise it flushes on its own every FLUSH_INTERVAL.
        finished = self._finished.qsize()
        if finished >= self._refill or finished >= len(self._running):
            self._wake.set()

    def _collect(self) -> None:
        while True:
            try:
                outcome = self._finished.get_nowait()
            except stdlib_queue.Empty:
                return
            entry = self._running.pop(outcome.task.id, None)
            if entry is None:
                continue  # already written off as timed out
            if entry.overdue:
                outcome = _failure(
                    entry.task, _timeout(entry.task), outcome.started_at, permanent=False
                )
            if not self._pending_writes:
                self._oldest_write = time.monotonic()
            self._pending_writes.append(outcome)

    def _expire_overdue(self) -> None:
        now = time.monotonic()
        for task_id, entry in list(self._running.items()):
            limit = entry.task.timeout
            if entry.run is not None or entry.overdue:
                continue  # the event loop cancels an async task at its timeout
            if limit and entry.started is not None and now - entry.started > limit:
                if _holds_slot(entry.task):
                    self._overrun(entry)
                    continue
                # A thread cannot be killed: its result is ignored and its slot stays busy until
                # the function returns, or, under a supervisor, until this process exits. The
                # task is recorded as failed by timeout now.
                del self._running[task_id]
                exc = _timeout(entry.task)
                if not self._pending_writes:
                    self._oldest_write = now
                self._pending_writes.append(
                    _failure(entry.task, exc, timezone.now(), permanent=False)
                )
                if self.hard_timeouts:
                    logger.error(
                        "%s (#%s); this process exits once its other tasks finish", exc, task_id
                    )
                    self.overran = True
                    self.stop()
                else:
                    logger.error(
                        "%s (#%s); its thread keeps running until it returns", exc, task_id
                    )

    def _overrun(self, entry: _Running) -> None:
        """Leave an overdue task that holds a concurrency slot running until its thread returns."""
        # Its row stays running (the worker's heartbeat keeps it owned), so the claim still
        # counts its slot: a retry, or another task of its key, cannot start beside the thread.
        # The timeout is recorded when the thread returns.
        entry.overdue = True
        task = entry.task
        if self.hard_timeouts:
            logger.error(
                "%s (#%s); this process exits once its other tasks finish, and the task is "
                "requeued when its lease runs out",
                _timeout(task),
                task.id,
            )
            self.overran = True
            self.stop()
        else:
            logger.error(
                "%s (#%s); it holds its slot until its thread returns, then fails by timeout",
                _timeout(task),
                task.id,
            )

    def _still_running(self) -> bool:
        """Say whether a task runs that this worker must wait for before it exits."""
        if not self.overran:
            return bool(self._running)
        # Under a supervisor, an overdue thread dies with the process.
        return any(not entry.overdue for entry in self._running.values())

    def _flush(self) -> None:
        batch, self._pending_writes = self._pending_writes, []
        try:
            queue.record_outcomes(self.id, batch)
        except DatabaseError:
            self._pending_writes = batch + self._pending_writes
            raise
        limited = flow.limited_queues()
        if any(o.task.flow_key or o.task.queue_name in limited for o in batch):
            self._next_flow_claim = 0.0  # a limited task's slot is free now: look again
        before = self.tasks_done
        self.tasks_done += len(batch)
        every = get_settings().WORKER_PROGRESS_EVERY
        if every and before // every != self.tasks_done // every:
            logger.info("Worker %s: %s task(s) done", self.id, self.tasks_done)

    def _release_unstarted(self) -> None:
        unstarted = [e for e in self._running.values() if self._pool.take_back(e.task.id)]
        if unstarted:
            for entry in unstarted:
                del self._running[entry.task.id]
            claim.release(self.id, [e.task for e in unstarted])


def log_to_console_unless_configured() -> None:
    """Send IronRelay's INFO lines to stderr when the project's LOGGING does not place them."""
    relay = logging.getLogger("ironrelay")
    if not relay.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        relay.addHandler(handler)
        relay.setLevel(logging.INFO)
