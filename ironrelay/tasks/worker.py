"""The worker: claims due tasks in batches, runs them on a thread pool, writes outcomes back."""

from __future__ import annotations

import logging
import queue as stdlib_queue
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

from django.db import Error as DatabaseError
from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from ironrelay import alerts
from ironrelay.conf import get_settings
from ironrelay.metrics import counters
from ironrelay.models import Task
from ironrelay.tasks import aio, cancel, claim, outcomes
from ironrelay.tasks.db import TaskListener
from ironrelay.tasks.execute import (
    execute,
    failure,
    prepare_batch,
    start_async,
    timeout_error,
)
from ironrelay.tasks.lane import LimitedLane, holds_slot
from ironrelay.tasks.outcomes import Outcome
from ironrelay.tasks.scheduler import Scheduler
from ironrelay.tasks.threads import TaskThreads
from ironrelay.tasks.wakeup import Wakeup

logger = logging.getLogger("ironrelay.worker")

FLUSH_INTERVAL = 0.02  # seconds a finished task may wait to be written with others
CANCEL_CHECK_INTERVAL = 0.5  # seconds between looks for cancel requests while tasks run


@dataclass
class _Running:
    task: Task
    started: float | None = None  # monotonic time the thread began running it
    cancel: threading.Event = field(default_factory=threading.Event)
    run: aio.AsyncRun | None = None  # an async task's run on the event loop
    overdue: bool = False  # past its timeout, but still holding its concurrency slot


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
        self._listener = TaskListener()
        self._db_outages = 0  # bumped on each database error in the loop
        self._thread_state = threading.local()
        self._loop = aio.EventLoopThread()  # async def tasks share it
        self._next_cancel_check = 0.0
        self._stop_requested = False  # set by stop(), perhaps in a signal handler
        self._stop_announced = False
        self.lane = LimitedLane(self.poll_interval)
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
                    wait = min(5.0 if self._stop_requested else 30.0, 0.5 * 2 ** min(failures, 6))
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
        if self.burst and idle and not self.lane.waiting:
            return False
        if self._running or self._pending_writes:
            self._wait(FLUSH_INTERVAL)
        elif not claimed:
            self._wait(min(self.poll_interval, self.lane.seconds_until_due()))
        return True

    def _wait(self, timeout: float) -> None:
        if self.scheduler is not None:
            timeout = min(timeout, self.scheduler.seconds_until_tick())
        if self._listener.reconnect_if_due():
            return  # tasks inserted while nobody listened sent no notification: claim now
        # A NOTIFY wakes this thread, the one that claims, with no listening thread between.
        if self._wake.wait(timeout, also=self._listener.fileno()):
            self._listener.drain()

    def _claim(self) -> int:
        room = self.capacity - len(self._running)
        if room < self._refill and self._running:
            return 0
        wanted = min(room, self.batch_size)
        # The limited lane first, when it is due: a backlog of unlimited tasks must not
        # starve it. It is due at most once per poll interval while nothing limited is waiting.
        tasks = self.lane.claim(self.id, self.queues, wanted) if self.lane.due() else []
        if len(tasks) < wanted:
            tasks += claim.claim_batch(self.id, self.queues, wanted - len(tasks))
        prepare_batch(tasks)
        for task in tasks:
            entry = _Running(task=task)
            self._running[task.id] = entry
            if aio.is_async_task(task.task_path):
                self._start_async(entry)
            else:
                self._pool.submit(task.id, self._run_one, entry)
        return len(tasks)

    def _start_async(self, entry: _Running) -> None:
        entry.started = time.monotonic()
        entry.run = start_async(entry.task, entry.cancel, self._loop, self._report)

    def _report(self, outcome: Outcome) -> None:
        self._finished.put(outcome)
        self._wake.set()

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
            outcome = failure(entry.task, exc, timezone.now(), permanent=False)
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
            overran, entry = outcome, self._running.pop(outcome.task.id, None)
            if entry is None:
                # Already written off as timed out: what it did is recorded all the same.
                if outcome.records:
                    outcomes.write_records(outcome)
                continue
            if entry.overdue:
                outcome = failure(
                    entry.task, timeout_error(entry.task), outcome.started_at, permanent=False
                )
                outcome.records = overran.records
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
                if holds_slot(entry.task):
                    self._overrun(entry)
                    continue
                # A thread cannot be killed: its result is ignored and its slot stays busy until
                # the function returns, or, under a supervisor, until this process exits. The
                # task is recorded as failed by timeout now.
                del self._running[task_id]
                exc = timeout_error(entry.task)
                if not self._pending_writes:
                    self._oldest_write = now
                self._pending_writes.append(
                    failure(entry.task, exc, timezone.now(), permanent=False)
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
                timeout_error(task),
                task.id,
            )
            self.overran = True
            self.stop()
        else:
            logger.error(
                "%s (#%s); it holds its slot until its thread returns, then fails by timeout",
                timeout_error(task),
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
            outcomes.record_outcomes(self.id, batch)
        except DatabaseError:
            self._pending_writes = batch + self._pending_writes
            raise
        self.lane.finished(o.task for o in batch)
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
