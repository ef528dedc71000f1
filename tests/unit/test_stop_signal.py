"""stop() runs in a signal handler, that is between any two lines the main thread executes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from ironrelay.tasks.supervisor import Supervisor
from ironrelay.tasks.worker import Worker


def _stop_at_every_line(wait: Callable[[], None], stop: Callable[[], None]) -> bool:
    """Run wait() in a thread, calling stop() before each line it executes; return if it ended.

    A signal handler interrupts the main thread between two bytecodes, possibly inside
    threading's code while it holds a lock; calling stop() at every line plays each such moment.
    """
    busy = False

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal busy
        if event == "line" and not busy:
            busy = True
            try:
                stop()
            finally:
                busy = False
        return trace

    def traced() -> None:
        sys.settrace(trace)
        try:
            wait()
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=traced, daemon=True)  # a deadlocked one is left behind
    thread.start()
    thread.join(timeout=10)
    return not thread.is_alive()


def test_worker_stop_inside_the_loops_wait_never_hangs():
    worker = Worker(concurrency=1, poll_interval=0.01)

    def wait() -> None:
        for _ in range(5):
            worker._wait(0.01)

    assert _stop_at_every_line(wait, worker.stop)
    assert worker._stop_requested


def test_supervisor_stop_inside_its_wait_never_hangs():
    supervisor = Supervisor(processes=1, options={})

    def wait() -> None:
        for _ in range(5):
            supervisor._wake.wait(0.01)

    assert _stop_at_every_line(wait, supervisor.stop)
    assert supervisor._stop_requested
