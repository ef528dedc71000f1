"""procrastinate through procrastinate.contrib.django (PostgreSQL only)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from adapters.base import System

# Jobs run at once per worker process (sync tasks run in threads); the default is 1.
CONCURRENCY = int(os.environ.get("BENCH_PROCRASTINATE_CONCURRENCY", "4"))


def _task(name: str) -> Any:
    from benchproject import tasks_procrastinate

    return getattr(tasks_procrastinate, name)


class Procrastinate(System):
    key = "procrastinate"
    label = "procrastinate"
    distribution = "procrastinate"
    databases = ("postgres",)
    installed_apps = ("procrastinate.contrib.django",)
    has_bulk_api = True
    worker_note = (
        f"`manage.py procrastinate worker --concurrency {CONCURRENCY}` "
        "(LISTEN/NOTIFY on, fetch polling 5 s, jobs kept: the defaults)"
    )
    # procrastinate has no result storage: a task's return value is dropped.
    done_note = "`procrastinate_jobs.status = 'succeeded'`; return values are not stored"

    def settings(self, workers: int) -> dict[str, Any]:
        return {
            "PROCRASTINATE_AUTODISCOVER_MODULE_NAME": "",
            "PROCRASTINATE_IMPORT_PATHS": ["benchproject.tasks_procrastinate"],
        }

    def defer(self, i: int, task: str = "noop") -> None:
        _task(task).defer(i=i)

    def defer_bulk(self, args: Sequence[int], task: str = "noop") -> None:
        _task(task).batch_defer(*({"i": i} for i in args))

    def queued_count(self) -> int:
        from procrastinate.contrib.django.models import ProcrastinateJob

        return ProcrastinateJob.objects.filter(status="todo").count()

    def done_count(self, queued: int) -> int:
        from procrastinate.contrib.django.models import ProcrastinateJob

        return ProcrastinateJob.objects.filter(status="succeeded").count()

    def worker_command(self) -> list[str]:
        return ["procrastinate", "worker", "--concurrency", str(CONCURRENCY)]


SYSTEM = Procrastinate()
