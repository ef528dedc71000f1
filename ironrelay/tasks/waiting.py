"""Wait for a task to finish: LISTEN/NOTIFY on PostgreSQL, polling with backoff elsewhere."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from django.db import connections, router, transaction
from django.db.transaction import TransactionManagementError

from ironrelay.tasks.errors import TaskCancelled, TaskFailed

if TYPE_CHECKING:
    from ironrelay.models import Task

logger = logging.getLogger("ironrelay.waiting")

DONE_CHANNEL = "ironrelay_done"  # the migration's trigger sends finished task ids here
POLL_FIRST = 0.005  # seconds; polling doubles its delay from here up to POLL_MAX
POLL_MAX = 0.5
READY_WAIT = 2.0  # how long a waiter gives a (re)connecting listener before it polls instead


def wait(record: Task, timeout: float | None = None) -> Task:
    """Block until `record` finishes and return it refreshed.

    Raise TaskFailed (with the last traceback) if it failed, TaskCancelled if it was cancelled,
    and the builtin TimeoutError if it is still unfinished after `timeout` seconds.
    """
    alias = router.db_for_write(type(record))
    if transaction.get_connection(alias).in_atomic_block:
        # Inside a transaction, a task deferred in it is invisible to workers until commit, and
        # on MySQL the snapshot would hide the finished row anyway.
        raise TransactionManagementError(
            f"Task #{record.pk}: wait() cannot run inside a transaction (atomic block); "
            "commit first, e.g. wait in transaction.on_commit() or outside ATOMIC_REQUESTS."
        )
    deadline = None if timeout is None else time.monotonic() + timeout
    listener = _listener(alias)
    if listener is not None:
        done = listener.register(record.pk)
        try:
            if listener.ready.wait(min(READY_WAIT, _left(deadline, READY_WAIT))):
                return _wait_notified(record, alias, done, deadline)
        finally:
            listener.unregister(record.pk, done)
    return _wait_polling(record, alias, deadline)


def _left(deadline: float | None, default: float) -> float:
    return default if deadline is None else max(0.0, deadline - time.monotonic())


def _wait_notified(record: Task, alias: str, done: threading.Event, deadline: float | None) -> Task:
    while True:
        done.clear()  # before the read: a NOTIFY arriving after it still wakes the wait below
        if _finished(record, alias):
            return _outcome(record)
        left = _left(deadline, 3600.0)
        if left <= 0:
            raise TimeoutError(f"Task #{record.pk} did not finish within the timeout")
        done.wait(left)


def _wait_polling(record: Task, alias: str, deadline: float | None) -> Task:
    delay = POLL_FIRST
    while True:
        if _finished(record, alias):
            return _outcome(record)
        left = _left(deadline, delay)
        if left <= 0:
            raise TimeoutError(f"Task #{record.pk} did not finish within the timeout")
        time.sleep(min(delay, left))
        delay = min(delay * 2, POLL_MAX)


def _finished(record: Task, alias: str) -> bool:
    record.refresh_from_db(using=alias)
    return record.is_finished


def _outcome(record: Task) -> Task:
    if record.status == record.Status.FAILED:
        raise TaskFailed(record.pk, record.last_error)
    if record.status == record.Status.CANCELLED:
        raise TaskCancelled(f"Task #{record.pk} was cancelled")
    return record


class DoneListener:
    """One LISTEN connection per process and database, waking the threads waiting for tasks."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.ready = threading.Event()  # set while LISTEN is active
        self._lock = threading.Lock()
        self._waiters: dict[int, set[threading.Event]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="ironrelay-wait", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the connection (within about a second)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def register(self, task_id: int) -> threading.Event:
        """Return an event set whenever task `task_id` may have finished."""
        event = threading.Event()
        with self._lock:
            self._waiters.setdefault(task_id, set()).add(event)
        return event

    def unregister(self, task_id: int, event: threading.Event) -> None:
        """Forget a waiter."""
        with self._lock:
            events = self._waiters.get(task_id, set())
            events.discard(event)
            if not events:
                self._waiters.pop(task_id, None)

    def _wake(self, payload: str) -> None:
        with self._lock:
            if not payload:  # too many ids for one message: every waiter checks again
                events = [e for group in self._waiters.values() for e in group]
            else:
                events = []
                for text in payload.split(","):
                    if text.isdigit():  # anything else on the channel is not ours
                        events.extend(self._waiters.get(int(text), ()))
        for event in events:
            event.set()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                wrapper = connections[self.alias]
                raw = wrapper.get_new_connection(wrapper.get_connection_params())
                raw.autocommit = True
                with raw:
                    raw.execute(f"LISTEN {DONE_CHANNEL}")
                    self.ready.set()
                    self._wake("")  # whatever finished while (re)connecting is read again
                    while not self._stop.is_set():
                        for notify in raw.notifies(timeout=1.0):
                            self._wake(notify.payload)
            except Exception as exc:  # a lost connection must not end the listener
                self.ready.clear()
                logger.warning("Task wait listener lost its connection (%s); reconnecting", exc)
                self._wake("")  # waiters read their row again
                self._stop.wait(1.0)
        self.ready.clear()


_listeners: dict[str, DoneListener] = {}
_listeners_lock = threading.Lock()


def _forget_listeners() -> None:
    # A forked child (a pre-forking server) has the parent's listeners without their threads.
    global _listeners_lock
    _listeners.clear()
    _listeners_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_listeners)


def _listener(alias: str) -> DoneListener | None:
    wrapper = connections[alias]
    # LISTEN needs psycopg 3's notifies(); with psycopg2 waiting polls.
    if wrapper.vendor != "postgresql" or wrapper.Database.__name__ != "psycopg":
        return None
    with _listeners_lock:
        if alias not in _listeners:
            _listeners[alias] = DoneListener(alias)
        return _listeners[alias]


def stop_listeners() -> None:
    """Close this process's wait listeners (before dropping a database, or at exit)."""
    with _listeners_lock:
        stopping = list(_listeners.values())
        _listeners.clear()
    for listener in stopping:
        listener.stop()
