"""IronRelay, from this checkout: @task, defer(), bulk_defer() and ironrelay_worker."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from adapters.base import System, compare_results

# Threads per worker process; bench/README.md has the sweep that picked it.
CONCURRENCY = int(os.environ.get("BENCH_IRONRELAY_CONCURRENCY", "4"))


def _task(name: str) -> Any:
    from benchproject import tasks_ironrelay

    return getattr(tasks_ironrelay, name)


class IronRelay(System):
    key = "ironrelay"
    label = "IronRelay"
    distribution = "django-ironrelay"
    installed_apps = ("ironrelay",)
    has_bulk_api = True
    scale_out = (4,)
    worker_note = (
        f"`manage.py ironrelay_worker --concurrency {CONCURRENCY}` "
        "(batch size 100, idle poll 1.0 s: the defaults)"
    )
    done_note = "`Task.status = 'success'`, return value in `Task.return_value`"

    def settings(self, workers: int) -> dict[str, Any]:
        return {"IRONRELAY": {}}

    def defer(self, i: int, task: str = "noop") -> None:
        _task(task).defer(i)

    def defer_bulk(self, args: Sequence[int], task: str = "noop") -> None:
        _task(task).bulk_defer([(i,) for i in args])

    def queued_count(self) -> int:
        from ironrelay.models import Task

        return Task.objects.filter(status=Task.Status.PENDING).count()

    def done_count(self, queued: int) -> int:
        from ironrelay.models import Task

        return Task.objects.filter(status=Task.Status.SUCCESS).count()

    def check_results(self, task: str) -> str:
        from ironrelay.models import Task

        rows = Task.objects.filter(status=Task.Status.SUCCESS).values_list("args", "return_value")
        return compare_results(task, ((args[0], value) for args, value in rows))

    def worker_command(self) -> list[str]:
        return ["ironrelay_worker", "--concurrency", str(CONCURRENCY)]


SYSTEM = IronRelay()
