"""django.tasks tasks the live acceptance test runs in real ironrelay_worker processes."""

from __future__ import annotations

import asyncio
import threading
import time

from asgiref.sync import sync_to_async

from ironrelay.tasks.djangotasks import task
from tests.testapp.models import Execution


@task
def double(label: str, value: int) -> int:
    Execution.objects.create(label=label, value=value)
    return value * 2


@task(max_attempts=3)  # an IronRelay option, passed through django.tasks' @task
def always_fails(label: str) -> None:
    Execution.objects.create(label=label)
    raise ValueError(f"{label} always fails")


@task
async def async_double(value: int, *, label: str) -> dict:
    await sync_to_async(Execution.objects.create)(label=label, value=value)
    await asyncio.sleep(0)
    return {"value": value * 2, "thread": threading.current_thread().name}


@task(timeout=0.5)
async def async_overruns(label: str) -> None:
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        # Only a coroutine the worker cancels at its timeout gets here.
        await sync_to_async(Execution.objects.create)(label=label)
        raise


@task
async def async_waits(label: str) -> None:
    await sync_to_async(Execution.objects.create)(label=label)
    await asyncio.sleep(60)
    await sync_to_async(Execution.objects.create)(label=f"{label} not cancelled")


@task(takes_context=True)
def stops_when_cancelled(context, label: str) -> str:
    Execution.objects.create(label=label)
    deadline = time.monotonic() + 60
    while not context.cancel_requested and time.monotonic() < deadline:
        time.sleep(0.05)  # a cooperative task checks between steps of its work
    Execution.objects.create(label=f"{label} saw cancel={context.cancel_requested}")
    context.raise_if_cancelled()
    return "not cancelled"
