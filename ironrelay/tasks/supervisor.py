"""ironrelay_worker --processes N: worker processes that take an overdue task down with them.

A thread cannot be killed, so a single worker process can only write an overdue task off and let
its thread run on. Under the supervisor each worker process runs with hard timeouts: when one of
its tasks overruns, it records the timeout, stops claiming, lets its other tasks finish, hands back
the tasks it claimed but did not start, and exits, leaving the stuck thread behind. The supervisor
starts another process in its place, and one for any process that died.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

from ironrelay.tasks.wakeup import Wakeup

logger = logging.getLogger("ironrelay.supervisor")

EXIT_OVERRAN = 75  # a worker process left a task thread behind: start another
CRASH_DELAY_MAX = 30.0  # seconds before restarting a process that keeps dying
PARENT_CHECK_INTERVAL = 1.0  # seconds between a worker process's checks that we still run


def run_worker_process(options: dict[str, Any], supervisor_pid: int) -> None:
    """Be one worker process: set Django up, work, and exit without a stuck task thread."""
    import django

    django.setup()
    from ironrelay.tasks.worker import Worker, log_to_console_unless_configured

    log_to_console_unless_configured()
    worker = Worker(**options, hard_timeouts=True)
    worker.install_signal_handlers()
    threading.Thread(target=_stop_when_orphaned, args=(worker, supervisor_pid), daemon=True).start()
    worker.run()
    if worker.overran:
        logging.shutdown()
        os._exit(EXIT_OVERRAN)  # sys.exit would wait for the stuck thread


def _stop_when_orphaned(worker: Any, supervisor_pid: int) -> None:
    # A supervisor killed outright (kill -9, the OOM killer) cannot stop its workers: they stop
    # themselves, finishing their running tasks, instead of working on unsupervised.
    while os.getppid() == supervisor_pid:
        time.sleep(PARENT_CHECK_INTERVAL)
    worker.stop()


class Supervisor:
    """Keep N worker processes running until stopped (or, in burst mode, until all are done)."""

    def __init__(self, processes: int, options: dict[str, Any]) -> None:
        self.processes = processes
        self.options = options
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter, no shared DB
        self._children: list[Any] = []
        self._restarts: list[float] = []  # monotonic times at which to start a process
        self._crashes = 0  # unexpected exits in a row, for the restart delay
        self._stop_requested = False  # set by stop(), perhaps in a signal handler
        self._wake = Wakeup()

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Ask every worker process to stop gracefully; run() returns when all have.

        Safe in a signal handler: it sets a flag and wakes the loop, which does the rest.
        """
        self._stop_requested = True
        self._wake.set()

    def install_signal_handlers(self) -> None:
        """Make SIGTERM and SIGINT stop the supervisor and its workers gracefully."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        """Start the worker processes and replace those that exit, until stopped."""
        logger.info(
            "Supervisor %s started: %s worker process(es), hard task timeouts",
            os.getpid(),
            self.processes,
        )
        for _ in range(self.processes):
            self._start()
        stopping = False
        while self._children or self._restarts:
            self._wake.wait(0.2)
            if self._stop_requested and not stopping:
                stopping = True
                self._stop_children()
            for child in [c for c in self._children if not c.is_alive()]:
                child.join()
                self._children.remove(child)
                self._exited(child.pid, child.exitcode)
            now = time.monotonic()
            for due in [t for t in self._restarts if t <= now]:
                self._restarts.remove(due)
                self._start()
        self._wake.close()
        logger.info("Supervisor %s stopped", os.getpid())

    def _stop_children(self) -> None:
        logger.info("Supervisor stopping %s worker process(es)", len(self._children))
        self._restarts.clear()
        for child in self._children:
            if child.is_alive() and child.pid:
                os.kill(child.pid, signal.SIGTERM)

    def _start(self) -> None:
        child = self._context.Process(
            target=run_worker_process,
            args=(self.options, os.getpid()),
            name="ironrelay-worker",
        )
        child.start()
        self._children.append(child)
        if self._stop_requested and child.pid:  # stop() came while it was starting
            os.kill(child.pid, signal.SIGTERM)

    def _exited(self, pid: int, code: int | None) -> None:
        if self._stop_requested:
            return
        if code == 0 and self.options.get("burst"):
            return  # nothing was due any more
        delay = 0.0
        if code == EXIT_OVERRAN:
            self._crashes = 0
            logger.warning("Worker process %s left an overdue task behind; replacing it", pid)
        elif code == 0:
            self._crashes = 0
            logger.info("Worker process %s stopped; replacing it", pid)
        else:
            # A process that keeps dying (database gone, broken settings) is restarted ever
            # more slowly, up to CRASH_DELAY_MAX.
            self._crashes += 1
            delay = min(CRASH_DELAY_MAX, 2.0 ** (self._crashes - 1))
            logger.error(
                "Worker process %s exited with %s; replacing it in %.0f s", pid, code, delay
            )
        self._restarts.append(time.monotonic() + delay)
