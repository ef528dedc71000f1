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


def enqueue_rates(count: int, rounds: int) -> dict[str, float]:
    """Return tasks stored per second by each way in, over `rounds` alternating rounds."""
    from scripts.loadproject.benchtasks import django_add, native_add

    reference = django_add.using(backend="reference")
    ways = {
        "defer()": native_add.defer,
        "IronRelayBackend.enqueue()": django_add.enqueue,
        "django-tasks-db enqueue()": reference.enqueue,
    }
    spent = dict.fromkeys(ways, 0.0)
    per_round = max(1, count // rounds)
    names = list(ways)
    for round_number in range(rounds):
        for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
            call = ways[name]
            started = time.perf_counter()
            for i in range(per_round):
                call(i, 1)
            spent[name] += time.perf_counter() - started
    return {name: per_round * rounds / seconds for name, seconds in spent.items()}


def drain_seconds(kind: str, count: int) -> float:
    """Store `count` tasks of `kind`, run them with a burst worker; return the seconds it took."""
    from django_tasks_db.management.commands.db_worker import Worker as DBWorker
    from django_tasks_db.models import DBTaskResult

    from ironrelay.models import Task
    from ironrelay.tasks.worker import Worker
    from scripts.loadproject.benchtasks import django_add, native_add

    Task.objects.all().delete()
    DBTaskResult.objects.all().delete()
    if kind == "native":
        native_add.bulk_defer([(i, 1) for i in range(count)])
    elif kind == "backend":
        for i in range(count):
            django_add.enqueue(i, 1)
    else:
        reference = django_add.using(backend="reference")
        for i in range(count):
            reference.enqueue(i, 1)
    started = time.perf_counter()
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
    seconds = time.perf_counter() - started
    if done != count:
        raise SystemExit(f"{kind}: {done} of {count} tasks succeeded")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--count", type=int, default=2000, help="tasks per measurement")
    parser.add_argument("--rounds", type=int, default=4, help="alternating enqueue rounds")
    parser.add_argument("--drains", type=int, default=2, help="drains of each kind, alternating")
    args = parser.parse_args()
    db = ScratchDatabase.for_vendor(args.db, "backend")
    db.create()
    try:
        db.configure_django()
        db.migrate()
        load_before = os.getloadavg()[0]
        rates = enqueue_rates(args.count, args.rounds)
        drains: dict[str, list[float]] = {"native": [], "backend": [], "reference": []}
        for _ in range(args.drains):
            for kind in drains:
                drains[kind].append(drain_seconds(kind, args.count))
        load_after = os.getloadavg()[0]
    finally:
        db.drop()
    best = {kind: min(times) for kind, times in drains.items()}
    defer_rate = rates["defer()"]
    backend_rate = rates["IronRelayBackend.enqueue()"]
    reference_rate = rates["django-tasks-db enqueue()"]
    print_table(
        f"Enqueue, {args.count} tasks each, one per transaction ({args.db})",
        [(name, f"{rate:,.0f} tasks/s") for name, rate in rates.items()],
    )
    print_table(
        f"Drain, {args.count} tasks, best of {args.drains} ({args.db})",
        [
            ("native @task, ironrelay worker", f"{args.count / best['native']:,.0f} tasks/s"),
            ("django.tasks, ironrelay worker", f"{args.count / best['backend']:,.0f} tasks/s"),
            (
                "django.tasks, django-tasks-db db_worker",
                f"{args.count / best['reference']:,.0f} tasks/s",
            ),
        ],
    )
    print_table(
        "Ratios (issue 14 targets in brackets)",
        [
            ("enqueue: backend / defer()  [>= 0.90]", f"{backend_rate / defer_rate:.2f}"),
            (
                "enqueue: backend / django-tasks-db  [>= 1.50]",
                f"{backend_rate / reference_rate:.2f}",
            ),
            (
                "drain: backend / native throughput  [>= 0.90]",
                f"{best['native'] / best['backend']:.2f}",
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
