"""Backends under test: IronRelay's, and django-tasks-db's DatabaseBackend as the control."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec

import pytest
from django.db import connections

from ironrelay.models import Task as TaskRow
from ironrelay.tasks.djangotasks import task_backends
from ironrelay.tasks.worker import Worker

HAS_REFERENCE = find_spec("django_tasks_db") is not None


@dataclass
class Harness:
    """One backend: its TASKS alias and a way to run everything due on it."""

    alias: str
    drain: Callable[[], None]

    @property
    def backend(self):
        return task_backends[self.alias]

    def on(self, task):
        """Return `task` bound to this backend."""
        return task.using(backend=self.alias)


def drain_ironrelay() -> None:
    """Run burst workers (one thread, so in claim order) until nothing due is left."""
    for _ in range(50):
        Worker(burst=True, concurrency=1, batch_size=10, poll_interval=0.01).run()
        if not TaskRow.objects.filter(status="pending").exists():
            return


def in_fresh_thread(function: Callable[[], object]) -> object:
    """Call `function` in a new thread, with its own connections, and return what it returns.

    An earlier test may leave an event loop on the main thread (Playwright's sync API does), where
    asgiref's async_to_sync then refuses to run.
    """

    def run() -> object:
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def drain_reference() -> None:
    """Run django-tasks-db's worker in batch mode until its queue is empty."""
    from django_tasks_db.management.commands.db_worker import Worker as DBWorker

    in_fresh_thread(
        DBWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="reference",
            startup_delay=False,
            max_tasks=None,
            worker_id="reference-worker",
            excluded_queue_names=[],
        ).run
    )


BACKENDS = {"ironrelay": ("default", drain_ironrelay), "reference": ("reference", drain_reference)}


@pytest.fixture(
    params=[
        "ironrelay",
        pytest.param(
            "reference",
            marks=pytest.mark.skipif(not HAS_REFERENCE, reason="django-tasks-db not installed"),
        ),
    ]
)
def harness(request, transactional_db) -> Harness:
    alias, drain = BACKENDS[request.param]
    return Harness(alias=alias, drain=drain)
