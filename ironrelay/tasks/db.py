"""Database specifics: SQLite tuning, PostgreSQL notifications and prepared statements."""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from django.db import ProgrammingError, connections, router

from ironrelay.conf import get_settings
from ironrelay.models import Task
from ironrelay.tasks.wakeup import Wakeup

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

    def __init__(self, wake: Wakeup, alias: str | None = None) -> None:
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


LOST_STATEMENT = (
    "IronRelay runs defer()'s INSERT as a prepared statement, and the database session no longer"
    " holds it: a connection pooler in transaction mode that cannot keep prepared statements"
    " (PgBouncer before 1.21, or max_prepared_statements = 0) does this. Set"
    " DISABLE_SERVER_SIDE_CURSORS = True on that database (Django's setting for such a pooler),"
    " or OPTIONS {'prepare_threshold': None}, or IRONRELAY['PREPARED_STATEMENTS'] = False."
)


def prepares_statements(wrapper: Any) -> bool:
    """Return whether IronRelay's fixed statements run prepared on this connection.

    PostgreSQL with psycopg 3 only. Off with IRONRELAY["PREPARED_STATEMENTS"] = False, and where
    the database's settings say it sits behind a transaction-pooling PgBouncer (which before 1.21
    cannot keep a prepared statement between transactions): DISABLE_SERVER_SIDE_CURSORS, or
    OPTIONS["prepare_threshold"] written out as None. Off too while queries are logged (DEBUG,
    assertNumQueries): psycopg keeps no SQL text of a prepared execution for the log.
    """
    database = wrapper.settings_dict
    return (
        wrapper.vendor == "postgresql"
        and get_settings().PREPARED_STATEMENTS
        and not database.get("DISABLE_SERVER_SIDE_CURSORS")
        and database.get("OPTIONS", {}).get("prepare_threshold", 0) is not None
        and not wrapper.queries_logged
        and _is_psycopg3(wrapper)
    )


def fixed_statement_cursor(wrapper: Any) -> Any:
    """Return a cursor for IronRelay's fixed statements: one preparing them where that is on.

    Django turns psycopg's prepared statements off for every connection (prepare_threshold=None)
    to keep poolers working; the preparing cursor turns them on for its own execute() only, so a
    fixed statement is parsed and planned once per connection instead of on every call.
    """
    if not prepares_statements(wrapper):
        return wrapper.cursor()
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    wrapper.validate_thread_sharing()
    with wrapper.wrap_database_errors:
        return wrapper.make_cursor(_preparing_cursor_class()(wrapper.connection))


@functools.cache
def _preparing_cursor_class() -> type:
    # Imported here: the PostgreSQL backend module fails to import without a driver.
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg import errors

    class PreparingCursor(ServerBindingCursor):
        """A server-binding cursor that prepares each statement it runs."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            connection = self.connection
            threshold = connection.prepare_threshold
            connection.prepare_threshold = 0
            try:
                return super().execute(query, params, prepare=True)
            except (errors.InvalidSqlStatementName, errors.DuplicatePreparedStatement) as exc:
                raise ProgrammingError(
                    f"{exc.diag.message_primary or exc}. {LOST_STATEMENT}"
                ) from exc
            finally:
                connection.prepare_threshold = threshold

    return PreparingCursor


def _is_psycopg3(wrapper: Any) -> bool:
    return type(wrapper.Database).__module__ == "psycopg" or wrapper.Database.__name__ == "psycopg"
