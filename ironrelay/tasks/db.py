"""Database specifics: SQLite tuning, PostgreSQL notifications and prepared statements."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.db import ProgrammingError, connections, router

from ironrelay.conf import get_settings
from ironrelay.models import Task

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
RECONNECT_PAUSE = 2.0  # seconds between two attempts to listen again
# The claiming loop itself connects: an unreachable server must not hold it for the OS's
# connect timeout (minutes), without heartbeats. A connect_timeout in OPTIONS is kept.
LISTEN_CONNECT_TIMEOUT = 5


class TaskListener:
    """Wake the worker's loop the moment tasks are inserted (PostgreSQL LISTEN/NOTIFY).

    A trigger on the task table sends NOTIFY on every INSERT statement, delivered at commit. The
    loop waits on this connection's socket itself, beside its Wakeup: a NOTIFY wakes the thread
    that claims directly, where a listening thread passing it on cost a second thread switch and
    GIL hand-off. Other databases have no such thing: there the worker polls every
    WORKER_POLL_INTERVAL.
    """

    def __init__(self, alias: str | None = None) -> None:
        self.alias = alias or router.db_for_write(Task)
        self._conn: Any = None  # the psycopg connection that listens, while it is up
        self._enabled = False
        self._retry_at = 0.0  # time.monotonic() of the next reconnection attempt

    def start(self) -> bool:
        """Start listening; return False where the database cannot notify."""
        wrapper = connections[self.alias]
        if wrapper.vendor != "postgresql" or not _is_psycopg3(wrapper):
            return False
        self._enabled = True
        self.reconnect_if_due()
        return True

    def fileno(self) -> int | None:
        """Return the socket that turns readable on a notification, or None while not listening."""
        return None if self._conn is None else int(self._conn.pgconn.socket)

    def reconnect_if_due(self) -> bool:
        """Listen again after a lost connection, once its pause is over; return whether it did.

        Tasks inserted while nobody listened sent no notification: the caller claims now.
        """
        if not self._enabled or self._conn is not None or time.monotonic() < self._retry_at:
            return False
        wrapper = connections[self.alias]
        try:
            params = wrapper.get_connection_params()
            params.setdefault("connect_timeout", LISTEN_CONNECT_TIMEOUT)
            conn = wrapper.get_new_connection(params)
        except Exception as exc:  # a lost database must not end the worker
            self._lost(exc)
            return False
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            conn.close()
            self._lost(exc)
            return False
        self._conn = conn
        return True

    def drain(self) -> None:
        """Read the notifications that have arrived; only their arrival matters."""
        if self._conn is None:
            return
        pgconn = self._conn.pgconn
        try:
            pgconn.consume_input()  # reads what the socket holds without blocking
            while pgconn.notifies() is not None:
                pass
        except Exception as exc:  # the server closed the connection: its socket read as EOF
            self._conn.close()
            self._conn = None
            self._lost(exc)

    def stop(self) -> None:
        """Stop listening and close the listening connection."""
        self._enabled = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _lost(self, exc: Exception) -> None:
        logger.warning(
            "Task listener is not listening (%s); trying again in %.0f s", exc, RECONNECT_PAUSE
        )
        self._retry_at = time.monotonic() + RECONNECT_PAUSE


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
