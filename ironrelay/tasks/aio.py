"""Run ``async def`` tasks on one event loop thread per worker, with timeouts and cancellation."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from ironrelay.tasks.errors import TaskNotFound
from ironrelay.tasks.registry import get_task


def is_async_task(task_path: str) -> bool:
    """Return whether the stored path names an ``async def`` task (False when it cannot load)."""
    try:
        return inspect.iscoroutinefunction(get_task(task_path).func)
    except TaskNotFound:
        return False


class AsyncRun:
    """One coroutine on the loop: how it ended, once it has."""

    def __init__(self) -> None:
        self.timed_out = False  # cancelled because it passed its timeout
        self.cancelled = False  # cancelled on request
        self.value: Any = None
        self.error: BaseException | None = None
        self._task: asyncio.Task[Any] | None = None


class EventLoopThread:
    """An event loop in a daemon thread that runs many coroutine tasks side by side."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def submit(
        self,
        coro: Coroutine[Any, Any, Any],
        timeout: float | None,
        on_done: Callable[[AsyncRun], None],
    ) -> AsyncRun:
        """Start `coro` on the loop; call `on_done(run)` in the loop thread when it ends."""
        loop = self._start()
        run = AsyncRun()
        loop.call_soon_threadsafe(self._begin, run, coro, timeout, on_done)
        return run

    def cancel(self, run: AsyncRun) -> None:
        """Cancel the coroutine of `run` (its ``finally`` blocks run; it ends cancelled)."""
        if self._loop is not None:
            # Scheduled after the _begin of the same run: call_soon_threadsafe keeps order.
            self._loop.call_soon_threadsafe(self._interrupt, run, False)

    def stop(self) -> None:
        """Stop the loop once running coroutines are done or abandoned, and join its thread."""
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="ironrelay-async", daemon=True
            )
            self._thread.start()
        return self._loop

    def _begin(
        self,
        run: AsyncRun,
        coro: Coroutine[Any, Any, Any],
        timeout: float | None,
        on_done: Callable[[AsyncRun], None],
    ) -> None:
        loop = asyncio.get_running_loop()  # _begin runs on the loop's own thread
        run._task = loop.create_task(coro)
        timer = loop.call_later(timeout, self._interrupt, run, True) if timeout else None

        def settle(task: asyncio.Task[Any]) -> None:
            if timer is not None:
                timer.cancel()
            if task.cancelled():
                run.error = asyncio.CancelledError()
            elif task.exception() is not None:
                run.error = task.exception()
            else:
                run.value = task.result()
            on_done(run)

        run._task.add_done_callback(settle)

    @staticmethod
    def _interrupt(run: AsyncRun, timed_out: bool) -> None:
        if run._task is None or run._task.done():
            return
        if timed_out:
            run.timed_out = True
        else:
            run.cancelled = True
        run._task.cancel()
