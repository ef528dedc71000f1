"""Decide whether IronRelay is healthy: database reachable, a worker alive, queues not behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import Error as DatabaseError
from django.db import connections, router

from ironrelay.conf import get_settings
from ironrelay.metrics import readings
from ironrelay.models import Task


@dataclass(frozen=True)
class Verdict:
    """The outcome of a health check and the one line that says why."""

    healthy: bool
    reason: str


def check(
    *,
    max_lag: float | None = None,
    max_heartbeat_age: float | None = None,
    queues: Sequence[str] = (),
    workers: bool = True,
) -> Verdict:
    """Check the database, the newest worker heartbeat and (with max_lag) the oldest due task."""
    heartbeat_limit = max_heartbeat_age
    if heartbeat_limit is None:  # not `or`: 0 is a limit
        heartbeat_limit = get_settings().WORKER_LEASE
    try:
        connection = connections[router.db_for_read(Task)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        found = readings.workers() if workers else None
        lagging = readings.lagging_candidates() if max_lag is not None else []
    except DatabaseError as exc:
        # The first line only: later lines may quote a statement.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Verdict(False, f"database unreachable: {first}")
    parts = []
    if found is not None:
        age = found.newest_heartbeat_age
        if age is None:
            return Verdict(False, "no worker is registered")
        if age > heartbeat_limit:
            limit = f"limit {heartbeat_limit:g} s"
            return Verdict(False, f"no fresh worker heartbeat: newest is {age:.0f} s old ({limit})")
        parts.append(f"{found.live} worker(s), newest heartbeat {age:.1f} s ago")
    if max_lag is not None:
        wanted = [q for q in lagging if not queues or q.name in queues]
        worst = max(wanted, key=lambda q: q.oldest_due_age, default=None)
        if worst is not None and worst.oldest_due_age > max_lag:
            return Verdict(
                False,
                f"queue {worst.name} is behind: oldest due task waited "
                f"{worst.oldest_due_age:.0f} s (limit {max_lag:g} s)",
            )
        parts.append(f"oldest due task waited {worst.oldest_due_age if worst else 0:.1f} s")
    return Verdict(True, "; ".join(parts) or "database reachable")
