"""Database specifics: SQLite tuning for sharing one file, PostgreSQL notifications."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import connections, router

from ironrelay.conf import get_settings

logger = logging.getLogger("ironrelay.db")


def tune_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Turn on WAL, a long busy timeout and NORMAL sync for each new SQLite connection."""
    if connection.vendor != "sqlite" or not get_settings().SQLITE_PRAGMAS:
        return
    with connection.cursor() as cursor:
        if not connection.is_in_memory_db():
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(get_settings().SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA synchronous=NORMAL")


CHANNEL = "ironrelay_tasks"


class TaskListener:
    """Wake a waiting worker the moment tasks are inserted (PostgreSQL LISTEN/NOTIFY).

    A trigger on the task table sends NOTIFY on every INSERT statement, delivered at commit. Other
    databases have no such thing: there the worker polls every WORKER_POLL_INTERVAL.
    """

    def __init__(self, wake: threading.Event, alias: str | None = None) -> None:
        from ironrelay.models import Task

        self.wake = wake
        self.alias = alias or router.db_for_write(Task)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start listening in a thread; return False where the database cannot notify."""
        wrapper = connections[self.alias]
        if wrapper.vendor != "postgresql" or not _is_psycopg3(wrapper):
            return False
        self._thread = threading.Thread(target=self._listen, name="ironrelay-listen", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop listening and close the listening connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                wrapper = connections[self.alias]
                raw = wrapper.get_new_connection(wrapper.get_connection_params())
                raw.autocommit = True
                with raw:
                    raw.execute(f"LISTEN {CHANNEL}")
                    self.wake.set()  # anything inserted while (re)connecting is claimed now
                    while not self._stop.is_set():
                        for _ in raw.notifies(timeout=1.0):
                            self.wake.set()
            except Exception as exc:  # a lost connection must not end the listener
                logger.warning("Task listener lost its connection (%s); reconnecting", exc)
                self._stop.wait(2.0)


def _is_psycopg3(wrapper: Any) -> bool:
    return type(wrapper.Database).__module__ == "psycopg" or wrapper.Database.__name__ == "psycopg"
