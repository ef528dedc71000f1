"""Tasks for the wait, async and cancel tests: they report how and when they ran."""

from __future__ import annotations

import asyncio
import threading
import time

from ironrelay import task
from tests.testapp.models import Execution


@task(max_attempts=1)
async def nap(seconds: float) -> dict:
    """Sleep without blocking; return the interval it ran in and the thread it ran on."""
    start = time.time()
    await asyncio.sleep(seconds)
    return {"start": start, "end": time.time(), "thread": threading.get_ident()}


@task(timeout=0.5, max_attempts=1)
async def overruns(label: str) -> None:
    """Await far past the timeout; record a marker as the coroutine is cancelled."""
    try:
        await asyncio.sleep(60)
    finally:
        await Execution.objects.acreate(label=label)


@task(max_attempts=1)
async def awaits_cancel(label: str) -> str:
    """Await until cancelled; record a marker as it is."""
    try:
        await asyncio.sleep(60)
    finally:
        await Execution.objects.acreate(label=label)
    return "finished"


@task(takes_context=True, max_attempts=3)
def cooperative(context, label: str) -> str:
    """Work in small steps, stopping with TaskCancelled once a cancel is requested."""
    Execution.objects.create(label=label)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        context.raise_if_cancelled()
        time.sleep(0.02)
    return "ran out of time"


@task(takes_context=True, max_attempts=3)
def ignores_cancel(context, label: str) -> str:
    """Notice the cancel request, then return normally as if nothing happened."""
    Execution.objects.create(label=label)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not context.cancel_requested:
        time.sleep(0.02)
    return "done anyway"


@task(max_attempts=1)
def pause(seconds: float) -> str:
    """Block for a while (a task worth waiting for)."""
    time.sleep(seconds)
    return "rested"


@task
def echo(n: int) -> int:
    """Return the argument: the no-op of the wait() round-trip script."""
    return n
