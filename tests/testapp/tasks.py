"""Tasks the tests defer; they record each run in the Execution table."""

from __future__ import annotations

from ironrelay import task
from tests.testapp.models import Execution


@task
def record(label: str, value: int = 0) -> int:
    Execution.objects.create(label=label, value=value)
    return value * 2


@task
def noop(n: int) -> None:
    return None


@task(max_attempts=3, retry_backoff=0.01, retry_jitter=0)
def flaky(label: str, fail_times: int) -> str:
    runs = Execution.objects.filter(label=label).count()
    Execution.objects.create(label=label, value=runs)
    if runs < fail_times:
        raise RuntimeError(f"flaky failure number {runs + 1}")
    return "ok"


@task(max_attempts=2, retry_backoff=0.01, retry_jitter=0)
def always_fails() -> None:
    raise ValueError("this task always fails")


@task
def returns_set() -> object:
    return {1, 2}


@task(queue="emails", priority=5)
def send_email(user_id: int) -> str:
    Execution.objects.create(label="email", value=user_id)
    return f"sent to {user_id}"


@task(timeout=0.2)
def sleepy(seconds: float) -> None:
    import time

    time.sleep(seconds)


@task(timeout=1, max_attempts=1)
def stuck(seconds: float) -> None:
    """Record the id of the process running it, then sleep far past its timeout."""
    import os
    import time

    Execution.objects.create(label="stuck", value=os.getpid())
    time.sleep(seconds)


def note_payload(note) -> dict:
    return {"note": note.text.upper()}


@task
def nested(depth: int) -> list:
    """Return a list nested `depth` levels deep."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@task
def echo(value: object) -> object:
    """Return the argument as it arrived (a result-returning no-op)."""
    return value


@task
def stamp(n: int) -> float:
    """Return the time this run started (time.time()), for pickup latency."""
    import time

    return time.time()


@task(timeout=None)
def started_then_sleeps(seconds: float) -> None:
    """Record that this run started, then sleep."""
    import time

    Execution.objects.create(label="started", value=0)
    time.sleep(seconds)


@task(takes_context=True)
def record_run(context) -> None:
    """Record which task ran: the schedule tests map it back to its slot."""
    Execution.objects.create(label=f"task-{context.task_result.pk}")
