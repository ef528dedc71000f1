"""Celery with a Redis broker: delay_on_commit() and `celery -A benchproject worker`.

Celery keeps no task in the database and, with results ignored (as issue 13 asks), keeps no
record of a finished task anywhere: its drain ends when the last task function returns.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from adapters.base import System, WorkerGroup

# The Redis database the broker uses; it is flushed before every workload, so keep it for this.
BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/13")
WHERE = BROKER.split("@")[-1]  # the broker URL without any password in it, for messages
QUEUE = "celery"  # Celery's default queue: a Redis list of that name (one per priority step)


def redis_client() -> Any:
    """Return a client of the broker's Redis database."""
    import redis

    return redis.Redis.from_url(BROKER, socket_connect_timeout=5)


class CeleryRedis(System):
    key = "celery"
    label = "Celery + Redis"
    distribution = "celery"
    # No database work at all, so one column is enough: it runs (and is compared) on PostgreSQL.
    databases = ("postgres",)
    queue_in_database = False
    has_done_store = False  # results ignored: the drain ends at the last task function's end
    # No bulk API for a list of calls: enqueue_bulk falls back to delay_on_commit() in a loop.
    worker_note = (
        "one `celery -A benchproject worker --concurrency N` (prefork pool of N child "
        "processes, prefetch multiplier 4, acks_late off: the defaults), broker "
        f"{WHERE}, results ignored (no result backend)"
    )
    done_note = (
        "no store: without a result backend Celery records nothing when a task finishes, so a "
        "task counts as done when its function returns (the recorder's end time), earlier than "
        "any commit the other systems wait for; return values are dropped"
    )

    def settings(self, workers: int) -> dict[str, Any]:
        # Celery's defaults but for the broker; results ignored, as issue 13 asks.
        return {"CELERY_BROKER_URL": BROKER, "CELERY_TASK_IGNORE_RESULT": True}

    def preflight(self) -> str | None:
        import redis

        try:
            redis_client().ping()
        except redis.RedisError as exc:
            return (
                f"Redis is not reachable at {WHERE} ({exc}); Celery + Redis needs a Redis server "
                "there (`redis-cli ping` must answer PONG), or BENCH_CELERY_BROKER set to one"
            )
        return None

    def reset(self) -> None:
        redis_client().flushdb()

    def defer(self, i: int, task: str = "noop") -> None:
        # on_commit, as Celery's Django guide advises: no message for a rolled-back transaction.
        from benchproject import tasks_celery

        getattr(tasks_celery, task).delay_on_commit(i)

    def queued_count(self) -> int:
        client = redis_client()
        return sum(
            client.llen(key) for key in client.scan_iter(f"{QUEUE}*") if client.type(key) == b"list"
        )

    def start_workers(self, n: int, log_path: Path) -> WorkerGroup:
        # One worker whose prefork pool has n processes, Celery's way to use n cores.
        celery = str(Path(sys.executable).with_name("celery"))
        argv = [celery, "-A", "benchproject", "worker", "--concurrency", str(n)]
        return WorkerGroup([self._spawn(argv, log_path)])


SYSTEM = CeleryRedis()
