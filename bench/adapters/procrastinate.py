"""procrastinate through procrastinate.contrib.django (PostgreSQL only)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from adapters.base import System

# Jobs run at once per worker process (sync tasks run in threads); the default is 1.
CONCURRENCY = int(os.environ.get("BENCH_PROCRASTINATE_CONCURRENCY", "4"))


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

    def settings(self, workers: int) -> dict[str, Any]:
        return {
            "PROCRASTINATE_AUTODISCOVER_MODULE_NAME": "",
            "PROCRASTINATE_IMPORT_PATHS": ["benchproject.tasks_procrastinate"],
        }

    def defer(self, i: int) -> None:
        from benchproject.tasks_procrastinate import noop

        noop.defer(i=i)

    def defer_bulk(self, args: Sequence[int]) -> None:
        from benchproject.tasks_procrastinate import noop

        noop.batch_defer(*({"i": i} for i in args))

    def queued_count(self) -> int:
        from procrastinate.contrib.django.models import ProcrastinateJob

        return ProcrastinateJob.objects.filter(status="todo").count()

    def worker_command(self) -> list[str]:
        return ["procrastinate", "worker", "--concurrency", str(CONCURRENCY)]


SYSTEM = Procrastinate()
