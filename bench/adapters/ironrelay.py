"""IronRelay, from this checkout: @task, defer(), bulk_defer() and ironrelay_worker."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from adapters.base import System

# Threads per worker process; bench/README.md has the sweep that picked it.
CONCURRENCY = int(os.environ.get("BENCH_IRONRELAY_CONCURRENCY", "4"))


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

    def settings(self, workers: int) -> dict[str, Any]:
        return {"IRONRELAY": {}}

    def defer(self, i: int) -> None:
        from benchproject.tasks_ironrelay import noop

        noop.defer(i)

    def defer_bulk(self, args: Sequence[int]) -> None:
        from benchproject.tasks_ironrelay import noop

        noop.bulk_defer([(i,) for i in args])

    def queued_count(self) -> int:
        from ironrelay.models import Task

        return Task.objects.filter(status=Task.Status.PENDING).count()

    def worker_command(self) -> list[str]:
        return ["ironrelay_worker", "--concurrency", str(CONCURRENCY)]


SYSTEM = IronRelay()
