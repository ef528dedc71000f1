"""Fault tests: killed workers, a database that refuses or drops connections, broken receivers."""

from __future__ import annotations

from tests.waiting import wait_until

__all__ = ["kill_sessions", "other_sessions", "wait_until"]


def other_sessions() -> list[int]:
    """Return the server sessions on the test database other than this thread's (none on SQLite)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        sql = (
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    elif connection.vendor == "mysql":
        sql = (
            "SELECT id FROM information_schema.processlist"
            " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def kill_sessions(ids: list[int]) -> None:
    """End the given server sessions from this connection, as an administrator would."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        for session in ids:
            try:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_terminate_backend(%s)", [session])
                else:
                    cursor.execute(f"KILL {int(session)}")
            except DatabaseError:
                pass  # it ended by itself in between
