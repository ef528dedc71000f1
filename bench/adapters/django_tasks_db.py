"""Django's tasks API (the django-tasks backport on Django 5.2) with django-tasks-db's backend."""

from __future__ import annotations

from typing import Any

from adapters.base import System, compare_results


class DjangoTasksDB(System):
    key = "django_tasks_db"
    label = "django-tasks-db"
    distribution = "django-tasks-db"
    installed_apps = ("django_tasks", "django_tasks_db")
    # No bulk API: enqueue_bulk falls back to enqueue() in one transaction.
    worker_note = (
        "`manage.py db_worker --no-startup-delay --no-reload` "
        "(one task at a time per process, idle poll 1 s: the defaults)"
    )
    done_note = "`DBTaskResult.status = 'SUCCESSFUL'`, return value in `return_value`"

    def settings(self, workers: int) -> dict[str, Any]:
        return {
            "TASKS": {
                "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
            }
        }

    def defer(self, i: int, task: str = "noop") -> None:
        from benchproject import tasks_django_tasks

        getattr(tasks_django_tasks, task).enqueue(i)

    def queued_count(self) -> int:
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.ready().count()

    def done_count(self, queued: int) -> int:
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.successful().count()

    def check_results(self, task: str) -> str:
        from django_tasks_db.models import DBTaskResult

        rows = DBTaskResult.objects.successful().values_list("args_kwargs", "return_value")
        return compare_results(task, ((a["args"][0], value) for a, value in rows))

    def worker_command(self) -> list[str]:
        # The random start-up delay (up to 1 s) would skew the two-process drain.
        return ["db_worker", "--no-startup-delay", "--no-reload"]


SYSTEM = DjangoTasksDB()
