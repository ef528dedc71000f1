"""django-q2 with its ORM broker: async_task() and qcluster."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from adapters.base import System, WorkerGroup, compare_results


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
    done_note = (
        "its `OrmQ` row deleted, which the monitor does right after committing the `Success` "
        "row (the return value is in `Success.result`; Success rows are pruned to 250, the "
        "default `save_limit`, so they cannot be counted themselves), and no `Failure` row"
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

    def defer(self, i: int, task: str = "noop") -> None:
        from django_q.tasks import async_task

        async_task(f"benchproject.tasks_django_q2.{task}", i)

    def queued_count(self) -> int:
        from django_q.models import OrmQ

        return OrmQ.objects.count()

    def done_count(self, queued: int) -> int:
        # Success rows are pruned to save_limit (250 by default), so they cannot be counted. The
        # monitor deletes a task's OrmQ row only after committing its Success (or, on its last
        # attempt, Failure) row: the queued tasks whose row is gone, less the failures, succeeded.
        from django_q.models import Failure, OrmQ

        return queued - OrmQ.objects.count() - Failure.objects.count()

    def check_results(self, task: str) -> str:
        from django_q.models import Success

        rows = Success.objects.values_list("args", "result")  # the save_limit newest
        return compare_results(task, ((args[0], value) for args, value in rows))

    def worker_command(self) -> list[str]:
        return ["qcluster"]

    def start_workers(self, n: int, log_path: Path) -> WorkerGroup:
        # django-q2 scales inside one cluster: its sentinel forks a pool of n worker processes.
        return WorkerGroup([self._spawn(self.manage(), log_path, BENCH_WORKERS=str(n))])


SYSTEM = DjangoQ2()
