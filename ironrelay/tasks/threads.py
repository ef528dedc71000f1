"""The worker's task threads: a fixed set of threads fed from one queue.

A ThreadPoolExecutor builds a Future (with its Condition) and takes two locks for every call; with
tasks that take microseconds, that was a quarter of a worker's CPU time. Here a call is one queue
entry, and a call that has not started can be taken back (the worker hands such tasks back to the
queue when it stops).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable
from typing import Any

logger = logging.getLogger("ironrelay.worker")


class TaskThreads:
    """Run calls on `count` threads; a call that has not started can be taken back."""

    def __init__(self, count: int, name: str, initializer: Callable[[], None]) -> None:
        self.count = count
        self.name = name
        self.initializer = initializer
        self._calls: queue.SimpleQueue[tuple[Hashable, Callable[..., Any], tuple] | None] = (
            queue.SimpleQueue()
        )
        # Keys of calls queued but not started. set.remove() is atomic, so exactly one of the
        # thread that would start a call and take_back() gets each key.
        self._unstarted: set[Hashable] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads (the first submit() does it otherwise)."""
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._serve, name=f"{self.name}_{i}")
                for i in range(self.count)
            ]
            for thread in self._threads:
                thread.start()

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Queue fn(*args) under a key no other queued or running call has."""
        self.start()
        self._unstarted.add(key)
        self._calls.put((key, fn, args))

    def take_back(self, key: Hashable) -> bool:
        """Withdraw a queued call that has not started; return whether it was withdrawn."""
        try:
            self._unstarted.remove(key)
        except KeyError:
            return False
        return True

    def shutdown(self, *, wait: bool) -> None:
        """Let the threads finish their calls and exit; wait for them if asked."""
        for _ in self._threads:
            self._calls.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def _serve(self) -> None:
        self.initializer()
        while (call := self._calls.get()) is not None:
            key, fn, args = call
            if not self.take_back(key):
                continue  # taken back before it started
            try:
                fn(*args)
            except BaseException:  # a thread lost here would shrink the pool for good
                logger.exception(
                    "Task thread %s: unexpected error", threading.current_thread().name
                )
