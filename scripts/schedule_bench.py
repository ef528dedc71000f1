"""Schedules: the scheduler's database cost per tick, and how late a slot's task starts.

Against a scratch database (--db sqlite|postgres|mysql):

1. Cost per tick, in this process, with 1, 100 and 1,000 schedules (every 60 s, database-defined):
   an idle tick (nothing due: the usual case, once a second per worker), and the ticks that
   enqueue one slot of every schedule at once (each then due together). Queries are counted with
   Django's CaptureQueriesContext; milliseconds are wall time, medians of --rounds idle ticks.
2. Lateness: --workers real `ironrelay_worker` processes share a 1-second `every` schedule for
   --seconds; its task (`tests.testapp.tasks.stamp`) returns time.time() at its start. Lateness is
   that minus the slot's time (one machine, one clock); p50 / p95 / max in milliseconds. It also
   checks that every slot in the window ran exactly once.

    .venv/bin/python scripts/schedule_bench.py --db postgres
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta

from _common import (
    Processes,
    ScratchDatabase,
    percentile,
    print_table,
    run_dir,
    verdict,
    wait_until,
)

SIZES = (1, 100, 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "mysql", "sqlite"], default="postgres")
    parser.add_argument("--rounds", type=int, default=200, help="idle ticks measured per size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=30, help="lateness window")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor(args.db, "schedules")
    db.create()
    load = [os.getloadavg()[0]]
    failures: list[str] = []
    try:
        os.environ["IRONRELAY_TEST_OVERRIDES"] = json.dumps(
            {
                "SCHEDULES": {
                    "bench-tick": {"task": "tests.testapp.tasks.stamp", "every": 1, "args": [0]}
                }
            }
        )
        db.configure_django()
        db.migrate()
        rows = tick_costs(args.rounds)
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            late, problems = lateness(procs, args)
        failures += problems
        load.append(os.getloadavg()[0])
    finally:
        db.drop()
    ms = [1000 * value for value in late]
    print_table(
        f"schedule_bench --db {args.db}",
        [
            ("load average at start / end", f"{load[0]:.1f} / {load[-1]:.1f}"),
            *rows,
            (
                f"lateness, {args.workers} workers, {len(ms)} slots: p50 / p95 / max, ms",
                f"{percentile(ms, 0.5):.1f} / {percentile(ms, 0.95):.1f} / "
                f"{max(ms, default=float('nan')):.1f}",
            ),
        ],
    )
    return verdict(failures)


class Clock:
    """A wall clock this script sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tick_costs(rounds: int) -> list[tuple[str, str]]:
    """Measure idle and all-due ticks for each size; return table rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ironrelay.models import Schedule, ScheduleRun, Task
    from ironrelay.tasks import schedule_manager
    from ironrelay.tasks.scheduler import Scheduler

    rows = []
    for size in SIZES:
        Schedule.objects.all().delete()
        Task.objects.all().delete()
        start = timezone.now().replace(microsecond=0)
        for i in range(size):
            schedule_manager.save_definition(
                Schedule(name=f"s{i}"),
                {"task_path": "tests.testapp.tasks.noop", "every": 60, "args": [i]},
                start,
            )
        first = Schedule.objects.order_by("next_run").values_list("next_run", flat=True)[0]
        clock = Clock(first - timedelta(seconds=1))
        scheduler = Scheduler(clock)
        timings, queries = [], []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                scheduler.tick()
                timings.append(time.perf_counter() - began)
            queries.append(len(captured))
        rows.append(
            (
                f"idle tick, {size:>4} schedules: queries; ms (median)",
                f"{statistics.median(queries):.0f}; {1000 * statistics.median(timings):.2f}",
            )
        )
        # Every schedule's slot falls due at once: ticks until all are enqueued.
        clock.now = first + timedelta(seconds=1)
        total_queries, began, ticks = 0, time.perf_counter(), 0
        while ScheduleRun.objects.count() < size and ticks < size:
            with CaptureQueriesContext(connection) as captured:
                scheduler.tick()
            total_queries += len(captured)
            ticks += 1
        elapsed = time.perf_counter() - began
        rows.append(
            (
                f"all due,   {size:>4} schedules: ticks; queries, ms per slot",
                f"{ticks}; {total_queries / size:.1f}, {1000 * elapsed / size:.2f}",
            )
        )
    Schedule.objects.all().delete()
    Task.objects.all().delete()
    return rows


def lateness(procs: Processes, args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """Run the 1-second schedule on real workers; return (start minus slot in s, problems)."""
    from collections import Counter

    from ironrelay.models import ScheduleRun, Task

    for n in range(args.workers):
        procs.start_worker(f"worker{n}", concurrency=2)
    for n in range(args.workers):
        procs.worker_id(f"worker{n}")
    if not wait_until(lambda: ScheduleRun.objects.count() >= 2, 60):
        return [], ["no slot was enqueued within 60 s of the workers' start"]
    # The first slots overlap the workers' start-up: measure from a few seconds on.
    time.sleep(3)
    since = ScheduleRun.objects.order_by("-slot").values_list("slot", flat=True)[0]
    time.sleep(args.seconds)
    until = ScheduleRun.objects.order_by("-slot").values_list("slot", flat=True)[0]
    runs = list(ScheduleRun.objects.filter(slot__gt=since, slot__lte=until).order_by("slot"))
    problems = []
    expected = int((until - since).total_seconds())
    if len(runs) != expected:
        problems.append(f"{len(runs)} slots enqueued in a {expected}-second window")
    if Counter(r.task_id for r in runs).most_common(1)[0][1] != 1:
        problems.append("a task stands for two slots")
    done = Task.objects.filter(status=Task.Status.SUCCESS)
    ids = [r.task_id for r in runs]
    if not wait_until(lambda: done.filter(pk__in=ids).count() == len(ids), 30):
        problems.append("not every slot's task ran")
    started = dict(done.filter(pk__in=ids).values_list("pk", "return_value"))
    return [started[r.task_id] - r.slot.timestamp() for r in runs if r.task_id in started], problems


if __name__ == "__main__":
    sys.exit(main())
