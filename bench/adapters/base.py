"""The interface every queue system's adapter implements, and worker process handling."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent


def compare_results(task: str, pairs: Iterable[tuple[Any, Any]]) -> str:
    """Return "ok" if each (argument, stored value) pair holds what task returns, else a count."""
    wrong = total = 0
    for arg, value in pairs:
        total += 1
        wrong += value != (arg if task == "echo" else None)
    return f"{wrong} of {total} stored results wrong" if wrong else "ok"


@dataclass
class WorkerGroup:
    """Worker processes started for one workload; stop() ends them and everything they spawned."""

    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self, timeout: float = 20.0) -> None:
        """Ask each worker to stop (SIGTERM), wait, then SIGKILL whatever is left of its group."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  worker {process.pid} ignored SIGTERM for {timeout:.0f} s; killing it")
            # Each worker leads its own process group (start_new_session), so this reaches the
            # children it forked (django-q2's pool) without touching anything else.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def exited(self) -> list[int]:
        """Return the exit codes of workers that are no longer running."""
        return [code for code in (p.poll() for p in self.processes) if code is not None]


class System:
    """One queue system under test; subclasses fill in the class attributes and methods."""

    key = ""  # BENCH_SYSTEM value and module name
    label = ""  # column header
    distribution = ""  # PyPI distribution whose version is printed
    databases: tuple[str, ...] = ("postgres", "sqlite", "mysql")
    installed_apps: tuple[str, ...] = ()
    has_bulk_api = False  # False: enqueue_bulk falls back to defer() in one transaction
    scale_out: tuple[int, ...] = ()  # extra worker-process counts drained (beyond 1 and 2)
    worker_note = ""  # the worker command line and options, for the report
    queue_in_database = True  # False: a broker peer (Celery + Redis), compared in its own column
    has_done_store = True  # False: nothing records a finished task; done_count() is not asked
    # What "done" means in the drain figures, for the report: which committed state is polled.
    done_note = ""

    def settings(self, workers: int) -> dict[str, Any]:
        """Return the Django settings this system adds (workers: processes asked for)."""
        return {}

    def preflight(self) -> str | None:
        """Return why this system cannot run here (a service it needs is down), or None."""
        return None

    def reset(self) -> None:
        """Empty whatever the system keeps outside the database, before each workload."""

    def defer(self, i: int, task: str = "noop") -> None:
        """Queue one call of task ("noop" or "echo") with argument i in the current transaction."""
        raise NotImplementedError

    def defer_bulk(self, args: Sequence[int], task: str = "noop") -> None:
        """Queue one call of task per argument through the system's bulk API."""
        raise NotImplementedError

    def queued_count(self) -> int:
        """Return how many tasks wait in the queue, not yet run."""
        raise NotImplementedError

    def done_count(self, queued: int) -> int:
        """Return how many of the queued tasks the system's store reports succeeded (committed)."""
        raise NotImplementedError

    def check_results(self, task: str) -> str | None:
        """Return "ok" if every stored result is the task's return value, else what is wrong.

        None: the system does not store return values.
        """
        return None

    def worker_command(self) -> list[str]:
        """Return the manage.py arguments that start one worker process."""
        raise NotImplementedError

    def start_workers(self, n: int, log_path: Path) -> WorkerGroup:
        """Start n worker processes (the system's own worker command), logging to log_path."""
        return WorkerGroup([self._spawn(self.manage(), log_path) for _ in range(n)])

    def manage(self) -> list[str]:
        """Return the full command line of `manage.py <worker_command()>`."""
        return [sys.executable, "manage.py", *self.worker_command()]

    def _spawn(self, argv: list[str], log_path: Path, **env: str) -> subprocess.Popen:
        log = log_path.open("ab")
        try:
            return subprocess.Popen(
                argv,
                cwd=BENCH_DIR,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
