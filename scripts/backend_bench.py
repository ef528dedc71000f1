"""Enqueue and drain through IronRelayBackend (django.tasks) next to IronRelay's defer().

Enqueue: the same task (two int arguments, an int result) stored one call per transaction, as a
view would, through IronRelay's defer(), through IronRelayBackend's enqueue(), and through
django-tasks-db's DatabaseBackend (the same django.tasks API). Rounds alternate the order so a
drift in the machine's load hits each alike. Drain: that many stored tasks run by an in-process
burst worker until the database says every one succeeded, native tasks and backend tasks in turn;
django-tasks-db's own worker (db_worker --batch) is shown too. Figures depend on the machine and
its load (printed): issue 14's targets are enqueue via the backend >= 0.9x defer() and >= 1.5x
django-tasks-db, and drain via the backend within 10 % of native.

    python scripts/backend_bench.py --db sqlite --count 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import ScratchDatabase, print_table


def enqueue_costs(count: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Return, for each way in, tasks stored per second and CPU microseconds per task.

    Rounds alternate the order so a drift in the machine's load hits each way alike. The CPU
    time is this process's (on SQLite the database's work is in it too): on a shared machine it
    is the steadier figure.
    """
    from scripts.loadproject.benchtasks import django_add, native_add

    reference = django_add.using(backend="reference")
    ways = {
        "defer()": native_add.defer,
        "IronRelayBackend.enqueue()": django_add.enqueue,
        "django-tasks-db enqueue()": reference.enqueue,
    }
    wall = dict.fromkeys(ways, 0.0)
    cpu = dict.fromkeys(ways, 0.0)
    per_round = max(1, count // rounds)
    names = list(ways)
    for round_number in range(rounds):
        for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
            call = ways[name]
            started, cpu_started = time.perf_counter(), time.process_time()
            for i in range(per_round):
                call(i, 1)
            wall[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - cpu_started
    total = per_round * rounds
    return {name: (total / wall[name], cpu[name] / total * 1e6) for name in ways}


def drain_seconds(kind: str, count: int) -> tuple[float, float]:
    """Store `count` tasks of `kind` and run them with a burst worker.

    Return the wall-clock seconds it took and this process's CPU seconds (the worker runs in it):
    on a shared machine the CPU time per task is the steadier figure.
    """
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker as DBWorker
    from django_tasks_db.models import DBTaskResult

    from ironrelay.models import Task
    from ironrelay.tasks.worker import Worker
    from scripts.loadproject.benchtasks import django_add, native_add

    Task.objects.all().delete()
    DBTaskResult.objects.all().delete()
    enqueue = {
        "native": native_add.defer,
        "backend": django_add.enqueue,
        "reference": django_add.using(backend="reference").enqueue,
    }[kind]
    with transaction.atomic():  # every kind stored alike: one by one, in one transaction
        for i in range(count):
            enqueue(i, 1)
    started, cpu_started = time.perf_counter(), time.process_time()
    if kind == "reference":
        options = {"queue_names": ["*"], "interval": 0, "batch": True, "backend_name": "reference"}
        DBWorker(
            **options,
            startup_delay=False,
            max_tasks=None,
            worker_id="bench",
            excluded_queue_names=[],
        ).run()
        done = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    else:
        Worker(burst=True).run()
        done = Task.objects.filter(status="success").count()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if done != count:
        raise SystemExit(f"{kind}: {done} of {count} tasks succeeded")
    return seconds, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--count", type=int, default=2000, help="tasks per measurement")
    parser.add_argument("--rounds", type=int, default=4, help="alternating enqueue rounds")
    parser.add_argument("--drains", type=int, default=3, help="drains of each kind, alternating")
    args = parser.parse_args()
    db = ScratchDatabase.for_vendor(args.db, "backend")
    db.create()
    try:
        db.configure_django()
        db.migrate()
        load_before = os.getloadavg()[0]
        enqueues = enqueue_costs(args.count, args.rounds)
        drains: dict[str, list[tuple[float, float]]] = {
            "native": [],
            "backend": [],
            "reference": [],
        }
        for _ in range(args.drains):
            for kind in drains:
                drains[kind].append(drain_seconds(kind, args.count))
        load_after = os.getloadavg()[0]
    finally:
        db.drop()
    best = {kind: min(wall for wall, _ in runs) for kind, runs in drains.items()}
    cpu = {kind: min(used for _, used in runs) / args.count * 1e6 for kind, runs in drains.items()}
    print_table(
        f"Enqueue, {args.count} tasks each, one per transaction ({args.db})",
        [
            (name, f"{rate:,.0f} tasks/s; CPU {used:,.0f} us/task")
            for name, (rate, used) in enqueues.items()
        ],
    )
    labels = {
        "native": "native @task, ironrelay worker",
        "backend": "django.tasks, ironrelay worker",
        "reference": "django.tasks, django-tasks-db db_worker",
    }
    print_table(
        f"Drain, {args.count} tasks, best of {args.drains} ({args.db})",
        [
            (label, f"{args.count / best[kind]:,.0f} tasks/s; CPU {cpu[kind]:,.0f} us/task")
            for kind, label in labels.items()
        ],
    )
    defer, backend, reference = (
        enqueues[name]
        for name in ("defer()", "IronRelayBackend.enqueue()", "django-tasks-db enqueue()")
    )
    print_table(
        "Ratios: throughput, then the same from CPU time per task (issue 14 targets in brackets)",
        [
            (
                "enqueue: backend / defer()  [>= 0.90]",
                f"{backend[0] / defer[0]:.2f}; CPU {defer[1] / backend[1]:.2f}",
            ),
            (
                "enqueue: backend / django-tasks-db  [>= 1.50]",
                f"{backend[0] / reference[0]:.2f}; CPU {reference[1] / backend[1]:.2f}",
            ),
            (
                "drain: backend / native  [>= 0.90]",
                f"{best['native'] / best['backend']:.2f}; CPU {cpu['native'] / cpu['backend']:.2f}",
            ),
        ],
    )
    print(
        f"\nload average (1 min): {load_before:.2f} before, {load_after:.2f} after; "
        f"Python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
