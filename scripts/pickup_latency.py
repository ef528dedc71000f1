"""Pickup latency: from the commit of defer()'s transaction to the start of the task.

Starts one idle `ironrelay_worker --concurrency 4` against a scratch database, runs a warm-up
task, pauses 1 s, then defers N tasks 50 ms apart, each in its own transaction.atomic(), noting
time.time() when each transaction has committed. Each task (`tests.testapp.tasks.stamp`)
returns time.time() at its start, which the worker stores as its return value; latency is that
minus the commit time (one machine, one clock). Prints p50, p95 and max in milliseconds.

    .venv/bin/python scripts/pickup_latency.py --db postgres --tasks 200
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import (
    Processes,
    ScratchDatabase,
    percentile,
    print_table,
    run_dir,
    verdict,
    wait_until,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "mysql", "sqlite"], default="postgres")
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between two defers")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor(args.db, "pickup")
    db.create()
    load = [os.getloadavg()[0]]
    try:
        db.configure_django()
        db.migrate()
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            latencies, failures = measure(procs, args)
        load.append(os.getloadavg()[0])
    finally:
        db.drop()
    ms = [1000 * value for value in latencies]
    print_table(
        f"pickup_latency --db {args.db}",
        [
            ("tasks; gap", f"{args.tasks}; {args.gap * 1000:.0f} ms"),
            ("load average at start / end", f"{load[0]:.1f} / {load[-1]:.1f}"),
            (
                "pickup p50 / p95 / max, ms",
                f"{percentile(ms, 0.5):.2f} / "
                f"{percentile(ms, 0.95):.2f} / {max(ms, default=float('nan')):.2f}",
            ),
        ],
    )
    return verdict(failures)


def measure(procs: Processes, args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """Defer the tasks one by one to an idle worker; return (latencies in s, problems)."""
    from django.db import transaction

    from ironrelay.models import Task
    from tests.testapp.tasks import stamp

    procs.start_worker("worker")
    procs.worker_id("worker")
    with transaction.atomic():
        warm_up = stamp.defer(-1)
    done = Task.objects.filter(status=Task.Status.SUCCESS)
    if not wait_until(lambda: done.filter(pk=warm_up.pk).exists(), 60):
        return [], ["the warm-up task did not run within 60 s"]
    time.sleep(1.0)
    committed: dict[int, float] = {}
    start = time.perf_counter()
    for i in range(args.tasks):
        pause = start + i * args.gap - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with transaction.atomic():
            record = stamp.defer(i)
        committed[record.pk] = time.time()
    if not wait_until(lambda: done.count() >= args.tasks + 1, 60):
        return [], [f"only {done.count() - 1} of {args.tasks} tasks ran within 60 s"]
    started = dict(done.filter(pk__in=committed).values_list("pk", "return_value"))
    return [started[pk] - at for pk, at in committed.items()], []


if __name__ == "__main__":
    sys.exit(main())
