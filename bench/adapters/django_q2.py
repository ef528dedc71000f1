"""django-q2 with its ORM broker: async_task() and qcluster."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from adapters.base import System, WorkerGroup


class DjangoQ2(System):
    key = "django_q2"
    label = "django-q2"
    distribution = "django-q2"
    installed_apps = ("django_q",)
    # No bulk API (async_iter() loops over async_task()): enqueue_bulk falls back to
    # async_task() in one transaction.
    worker_note = (
        "one `manage.py qcluster` whose pool has N worker processes (Q_CLUSTER workers=N; "
        "ORM broker, poll 0.2 s, bulk 1, recycle 500: the defaults)"
    )

    def settings(self, workers: int) -> dict[str, Any]:
        return {
            "Q_CLUSTER": {
                "name": "bench",
                "orm": "default",
                "workers": workers,
                "timeout": 60,
                "retry": 120,  # must exceed timeout, or long tasks are handed out twice
                "max_attempts": 1,
                # For trying other settings, e.g. '{"save_limit": 0}'; the report shows defaults.
                **json.loads(os.environ.get("BENCH_DJANGO_Q2_OPTIONS", "{}")),
            }
        }

    def defer(self, i: int) -> None:
        from django_q.tasks import async_task

        async_task("benchproject.tasks_django_q2.noop", i)

    def queued_count(self) -> int:
        from django_q.models import OrmQ

        return OrmQ.objects.count()

    def worker_command(self) -> list[str]:
        return ["qcluster"]

    def start_workers(self, n: int, log_path: Path) -> WorkerGroup:
        # django-q2 scales inside one cluster: its sentinel forks a pool of n worker processes.
        return WorkerGroup([self._spawn(self.worker_command(), log_path, BENCH_WORKERS=str(n))])


SYSTEM = DjangoQ2()
