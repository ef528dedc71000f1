"""Drain rate to database-visible success of tasks that return None against tasks returning a value.

Defers N tasks (one int argument each) into a scratch database, runs one
`ironrelay_worker --burst --concurrency 4` process, and polls the database every 10 ms until it
reports all N `success`. The rate is N divided by the time from the first task's claim
(its `started_at`) to the poll that saw the last success, so worker start-up is left out and the
write-back of every outcome is counted. Variants, alternated in each round:

- `None`: `tests.testapp.tasks.noop(i)` returns None;
- `int`: `tests.testapp.tasks.echo(i)` returns its argument;
- `object`: `echo({"id": i, "ok": True, "tags": ["a", "b"], "note": None})` returns that dict.

It checks that every task is `success` with its return value stored exactly, and prints the
rates, their medians and the ratio of each result-returning variant to `None`.

    .venv/bin/python scripts/drain_results.py --db postgres --tasks 5000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from _common import Processes, ScratchDatabase, print_table, run_dir, verdict, wait_until

VARIANTS = ("None", "int", "object")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "mysql", "sqlite"], default="postgres")
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="threads of the worker")
    parser.add_argument("--timeout", type=float, default=120, help="per drain, seconds")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor(args.db, "drain")
    db.create()
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    failures: list[str] = []
    load = [os.getloadavg()[0]]
    try:
        db.configure_django()
        db.migrate()
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            idle = idle_cpu(procs)
            for round_no in range(args.rounds):
                for name in VARIANTS:
                    rate, seconds, problems = drain(procs, f"{name}-{round_no}", name, args)
                    rates[name].append(rate)
                    cpu[name].append((seconds - idle) / args.tasks * 1e6)
                    failures += problems
        load.append(os.getloadavg()[0])
    finally:
        db.drop()
    rows: list[tuple[str, object]] = [
        (
            "tasks per drain; rounds; worker",
            f"{args.tasks}; {args.rounds}; 1 x --concurrency {args.concurrency} --burst",
        ),
        ("load average at start / end", f"{load[0]:.1f} / {load[-1]:.1f}"),
    ]
    for name in VARIANTS:
        runs = ", ".join(f"{rate:,.0f}" for rate in rates[name])
        rows.append(
            (
                f"returns {name}: tasks/s median (runs)",
                f"{statistics.median(rates[name]):,.0f}  ({runs})",
            )
        )
    for name in VARIANTS:
        rows.append(
            (f"returns {name}: worker CPU us per task", f"{statistics.median(cpu[name]):,.0f}")
        )
    base = statistics.median(rates["None"])
    for name in VARIANTS[1:]:
        rows.append((f"ratio {name} / None", f"{statistics.median(rates[name]) / base:.2f}"))
    print_table(f"drain_results --db {args.db}", rows)
    return verdict(failures)


def idle_cpu(procs: Processes) -> float:
    """Return the CPU seconds a burst worker uses with nothing to do (start-up, exit)."""
    worker = procs.start("worker-idle", "-m", "django", "ironrelay_worker", "--burst")
    return _wait_for_cpu(worker, 120)


def drain(
    procs: Processes, label: str, variant: str, args: argparse.Namespace
) -> tuple[float, float, list[str]]:
    """Defer, run one burst worker, wait for every success; return (rate, CPU s, problems)."""
    from django.db.models import Min

    from ironrelay.models import Task
    from tests.testapp.tasks import echo, noop

    Task.objects.all().delete()
    total = args.tasks
    if variant == "None":
        noop.bulk_defer([(i,) for i in range(total)])
    elif variant == "int":
        echo.bulk_defer([(i,) for i in range(total)])
    else:
        echo.bulk_defer([(_object(i),) for i in range(total)])
    successes = Task.objects.filter(status=Task.Status.SUCCESS)
    worker = procs.start(
        f"worker-{label}",
        "-m",
        "django",
        "ironrelay_worker",
        "--burst",
        "--concurrency",
        str(args.concurrency),
    )
    done = wait_until(lambda: successes.count() >= total, args.timeout, interval=0.01)
    seen = time.time()
    cpu = _wait_for_cpu(worker, args.timeout)
    problems = []
    if not done:
        problems.append(f"{label}: {successes.count()} of {total} success after {args.timeout} s")
    first = Task.objects.aggregate(first=Min("started_at"))["first"]
    rows = Task.objects.values_list("args", "status", "return_value")
    wrong = [
        (a, s, r)
        for a, s, r in rows
        if s != "success" or r != (None if variant == "None" else a[0])
    ]
    if wrong:
        problems.append(f"{label}: {len(wrong)} tasks not stored as expected, e.g. {wrong[:3]}")
    if worker.returncode != 0:
        problems.append(
            f"{label}: the worker exited {worker.returncode}: {procs.tail(f'worker-{label}')}"
        )
    return total / (seen - first.timestamp()), cpu, problems


def _wait_for_cpu(proc: subprocess.Popen, timeout: float) -> float:
    """Wait for a child to exit; return the CPU seconds (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.wait(timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _object(i: int) -> dict:
    return {"id": i, "ok": True, "tags": ["a", "b"], "note": None}


if __name__ == "__main__":
    sys.exit(main())
