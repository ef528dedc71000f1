"""django.tasks tasks the backend contract tests enqueue (defined on the "default" backend)."""

from __future__ import annotations

from ironrelay.tasks.djangotasks import task
from tests.testapp.models import Execution


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def echo(*args, **kwargs) -> dict:
    return {"args": list(args), "kwargs": kwargs}


@task(priority=7, queue_name="emails")
def record(label: str, value: int = 0) -> int:
    Execution.objects.create(label=label, value=value)
    return value


@task
def fails(message: str) -> None:
    raise ValueError(message)


@task(takes_context=True)
def context_info(context) -> dict:
    return {
        "id": context.task_result.id,
        "attempt": context.attempt,
        "status": str(context.task_result.status),
        "worker_ids": list(context.task_result.worker_ids),
    }


@task
async def async_add(a: int, b: int) -> int:
    return a + b


@task
def returns_tuple() -> tuple:
    return (1, "two")


@task
def returns_unhashable_key(key) -> dict:
    return {key: 1}


# IronRelay's own options, given per task (Django 6.1 and the backport pass them to task_class).
@task(max_attempts=3, retry_backoff=0.01, retry_jitter=0, takes_context=True)
def flaky(context, label: str, fail_times: int) -> int:
    Execution.objects.create(label=label, value=context.attempt)
    if context.attempt <= fail_times:
        raise RuntimeError(f"flaky failure number {context.attempt}")
    return context.attempt
