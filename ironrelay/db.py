"""Database tuning that lets the web server and the worker share one SQLite file."""

from __future__ import annotations

from typing import Any

from ironrelay.conf import get_settings


def tune_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Turn on WAL, a long busy timeout and NORMAL sync for each new SQLite connection."""
    if connection.vendor != "sqlite" or not get_settings().SQLITE_PRAGMAS:
        return
    with connection.cursor() as cursor:
        if not connection.is_in_memory_db():
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(get_settings().SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
