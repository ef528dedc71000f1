"""The workloads, run inside one child process per (system, database, run) with Django set up."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adapters.base import System, WorkerGroup
from databases import Database
from django.db import connection, connections, transaction

GRACE = 1.0  # seconds workers keep running after the last task, so a duplicate could show up
WARM_UP_ARG = -1  # the latency workload's first task, proving the worker is up
DONE_POLL = 0.01  # seconds between two reads of the store's done count while a drain runs
RESULT_SUFFIX = "_result"  # workload variant whose task returns its argument (echo, not noop)


def split_name(name: str) -> tuple[str, str]:
    """Return (base workload, task): "drain_1_result" -> ("drain_1", "echo")."""
    if name.endswith(RESULT_SUFFIX):
        return name.removesuffix(RESULT_SUFFIX), "echo"
    return name, "noop"


@dataclass(frozen=True)
class Counts:
    """How many tasks each workload uses."""

    single: int = 5_000
    bulk: int = 20_000
    drain: int = 5_000
    latency: int = 200
    latency_gap: float = 0.050  # seconds between two deferred tasks

    @classmethod
    def quick(cls) -> Counts:
        return cls(single=500, bulk=2_000, drain=500, latency=40)


@dataclass
class RunResult:
    """What one child measured: figures, exactly-once verdicts, errors, by workload name."""

    metrics: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    bulk_fallback: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class WorkloadError(Exception):
    """A workload could not finish (timeout, worker crash); the message says which."""


# -- task records ------------------------------------------------------------------------------


def read_records(directory: Path) -> list[tuple[int, float, float]]:
    """Return every (argument, start, end) line the no-op tasks wrote into directory."""
    rows = []
    for path in directory.glob("*.log"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:  # a line being written right now is skipped until next read
                rows.append((int(parts[0]), float(parts[1]), float(parts[2])))
    return rows


def exactly_once(rows: Iterable[tuple[int, float, float]], expected: Iterable[int]) -> str:
    """Return 'ok' if every expected argument ran exactly once, else what went wrong."""
    counts = Counter(row[0] for row in rows)
    wanted = set(expected)
    lost = len(wanted - counts.keys())
    twice = sum(c - 1 for arg, c in counts.items() if c > 1 and arg in wanted)
    stray = len(counts.keys() - wanted)
    problems = [
        f"{n} {what}"
        for n, what in ((lost, "lost"), (twice, "run twice"), (stray, "unexpected"))
        if n
    ]
    return "ok" if not problems else ", ".join(problems)


def wait_for_records(
    directory: Path, expected: set[int], timeout: float, workers: WorkerGroup, log: Path
) -> None:
    """Wait until every expected argument has a record; raise WorkloadError on timeout/crash."""
    deadline = time.monotonic() + timeout
    while True:
        seen = {row[0] for row in read_records(directory)}
        if expected <= seen:
            return
        if len(workers.exited()) == len(workers.processes):
            raise WorkloadError(
                f"workers exited with {workers.exited()} after {len(seen & expected)}/"
                f"{len(expected)} tasks; log {log}:\n{_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise WorkloadError(
                f"timed out after {timeout:.0f} s with {len(seen & expected)}/{len(expected)} "
                f"tasks done; log {log}:\n{_tail(log)}"
            )
        time.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- the workloads -----------------------------------------------------------------------------


class Runner:
    """Runs each workload of one system on a fresh copy of the migrated database."""

    def __init__(self, system: System, database: Database, counts: Counts, log_dir: Path):
        self.system = system
        self.database = database
        self.counts = counts
        self.log_dir = log_dir
        self.result = RunResult()
        self._scratch: list[Path] = []  # record directories, removed after each workload

    def run(self, workloads: Iterable[str]) -> RunResult:
        for name in workloads:
            base, task = split_name(name)
            if base.startswith("drain_"):
                processes = int(base.removeprefix("drain_"))
                self._measure(name, lambda p=processes, n=name, t=task: self.drain(p, n, t))
            elif base == "latency":
                self._measure(name, lambda n=name, t=task: self.latency(n, t))
            else:  # the enqueue workloads run no task, so they have no _result variant
                self._measure(name, getattr(self, base))
        return self.result

    def _measure(self, name: str, workload: Callable[[], None]) -> None:
        print(f"  {self.system.label} / {self.database.vendor} / {name} ...", flush=True)
        started = time.monotonic()
        try:
            connections.close_all()
            self.database.restore()
            self.system.reset()
            workload()
        except Exception as exc:
            self.result.errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"    FAILED: {self.result.errors[name]}", flush=True)
        finally:
            connections.close_all()
            for directory in self._scratch:
                shutil.rmtree(directory, ignore_errors=True)
            self._scratch.clear()
        print(f"    done in {time.monotonic() - started:.1f} s", flush=True)

    def _check_queued(self, name: str, expected: int) -> None:
        queued = self.system.queued_count()
        self.result.checks[name] = "ok" if queued == expected else f"{queued}/{expected} queued"

    def enqueue_single(self) -> None:
        n = self.counts.single
        connection.ensure_connection()
        started = time.perf_counter()
        for i in range(n):
            with transaction.atomic():
                self.system.defer(i)
        elapsed = time.perf_counter() - started
        self.result.metrics["enqueue_single"] = n / elapsed
        self._check_queued("enqueue_single", n)

    def enqueue_bulk(self) -> None:
        n = self.counts.bulk
        connection.ensure_connection()
        started = time.perf_counter()
        self._enqueue_many(n)
        elapsed = time.perf_counter() - started
        self.result.metrics["enqueue_bulk"] = n / elapsed
        self.result.bulk_fallback = not self.system.has_bulk_api
        self._check_queued("enqueue_bulk", n)

    def _enqueue_many(self, n: int, task: str = "noop") -> None:
        # Without a bulk API, what a developer would write: defer() in a loop, one transaction.
        with transaction.atomic():
            if self.system.has_bulk_api:
                self.system.defer_bulk(range(n), task)
            else:
                for i in range(n):
                    self.system.defer(i, task)

    def drain(self, processes: int, name: str, task: str) -> None:
        n = self.counts.drain
        self._enqueue_many(n, task)
        connections.close_all()
        records, log = self._record_dir(name), self.log_dir / f"{self.system.key}-{name}.log"
        workers = self.system.start_workers(processes, log)
        try:
            timeout = max(120.0, n * 0.06)
            if self.system.has_done_store:
                done_at: float | None = self._wait_done(n, timeout, workers, log)
            else:
                wait_for_records(records, set(range(n)), timeout, workers, log)
                done_at = None
            time.sleep(GRACE)
        finally:
            workers.stop()
        rows = read_records(records)
        verdict = exactly_once(rows, range(n))
        if self.system.has_done_store:
            stored = self.system.done_count(n)
            if stored != n:
                verdict = f"{verdict}; the store reports {stored} of {n} succeeded"
            results = self.system.check_results(task)
            if results not in (None, "ok"):
                verdict = f"{verdict}; {results}"
        first_start, last_end = min(row[1] for row in rows), max(row[2] for row in rows)
        if done_at is not None and done_at < last_end:  # the done count counted something else
            verdict = f"{verdict}; the store reported all done before the last task ended"
        self.result.checks[name] = verdict
        # Done when the store says so (committed); without a store, when the last task returned.
        end = done_at if done_at is not None else last_end
        self.result.metrics[name] = n / (end - first_start)

    def _wait_done(self, n: int, timeout: float, workers: WorkerGroup, log: Path) -> float:
        """Poll the store until it reports n tasks succeeded; return when it first did."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.system.done_count(n)
            # A commit the query saw happened before it returned: an upper bound, DONE_POLL wide.
            seen_at = time.time()
            if done >= n:
                return seen_at
            if len(workers.exited()) == len(workers.processes):
                raise WorkloadError(
                    f"workers exited with {workers.exited()} after {done}/{n} tasks stored as "
                    f"succeeded; log {log}:\n{_tail(log)}"
                )
            if time.monotonic() > deadline:
                raise WorkloadError(
                    f"timed out after {timeout:.0f} s with {done}/{n} tasks stored as succeeded; "
                    f"log {log}:\n{_tail(log)}"
                )
            time.sleep(DONE_POLL)

    def latency(self, name: str, task: str) -> None:
        n, gap = self.counts.latency, self.counts.latency_gap
        records, log = self._record_dir(name), self.log_dir / f"{self.system.key}-{name}.log"
        workers = self.system.start_workers(1, log)
        deferred_at: dict[int, float] = {}
        try:
            with transaction.atomic():
                self.system.defer(WARM_UP_ARG, task)
            wait_for_records(records, {WARM_UP_ARG}, 90.0, workers, log)
            time.sleep(1.0)  # let the worker go idle after the warm-up task
            started = time.perf_counter()
            for i in range(n):
                pause = started + i * gap - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                with transaction.atomic():
                    self.system.defer(i, task)
                deferred_at[i] = time.time()  # committed: from now on a worker may see it
            wait_for_records(records, set(range(n)), 60.0, workers, log)
            time.sleep(GRACE)
        finally:
            workers.stop()
        rows = read_records(records)
        self.result.checks[name] = exactly_once(rows, [WARM_UP_ARG, *range(n)])
        waits = sorted((start - deferred_at[i]) * 1000 for i, start, _ in rows if i >= 0)
        self.result.metrics[f"{name}_p50"] = statistics.median(waits)
        self.result.metrics[f"{name}_p95"] = statistics.quantiles(waits, n=20, method="inclusive")[
            -1
        ]

    def _record_dir(self, name: str) -> Path:
        directory = Path(tempfile.mkdtemp(prefix=f"ironrelay-bench-{name}-"))
        self._scratch.append(directory)
        os.environ["BENCH_RECORD_DIR"] = str(directory)  # inherited by the workers
        return directory
