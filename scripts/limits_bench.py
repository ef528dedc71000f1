"""The cost of flow control: drain rate of limited tasks against unlimited ones.

Four kinds of the same small task (two int arguments), `count` of each stored with bulk_defer()
and run by an in-process burst worker until none is left: unlimited (the claim's fast lane); a
concurrency key per task (``@task(concurrency=1, concurrency_key="key:{a}")``, each task its own
key, so the limit never holds one back and only its bookkeeping shows); a queue with a rate far
above what the worker drains (``"100000/s"``); and one concurrency key shared by every task
(``concurrency=1``: one at a time, whatever the worker's threads), for scale. Drains alternate
so a drift in the machine's load hits each kind alike; the best of `drains` is printed.

    python scripts/limits_bench.py --db postgres --count 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import ScratchDatabase, print_table

KINDS = {
    "unlimited": "unlimited (fast lane)",
    "keyed": "concurrency key per task (concurrency=1)",
    "rated": 'queue rate "100000/s"',
    "one_key": "one shared key (concurrency=1)",
}


def drain_seconds(kind: str, count: int) -> float:
    """Store `count` tasks of `kind`, run them with a burst worker; return the seconds it took."""
    from ironrelay.models import FlowLimit, Task
    from ironrelay.tasks.worker import Worker
    from scripts.loadproject.benchtasks import keyed_add, native_add

    Task.objects.all().delete()
    FlowLimit.objects.all().delete()
    if kind == "unlimited":
        native_add.bulk_defer([(i, 1) for i in range(count)])
    elif kind == "keyed":
        keyed_add.bulk_defer([(i, 1) for i in range(count)])
    elif kind == "rated":
        native_add.using(queue="generous").bulk_defer([(i, 1) for i in range(count)])
    else:
        keyed_add.bulk_defer([(0, i) for i in range(count)])
    started = time.perf_counter()
    Worker(burst=True, poll_interval=0.01).run()
    seconds = time.perf_counter() - started
    done = Task.objects.filter(status="success").count()
    if done != count:
        raise SystemExit(f"{kind}: {done} of {count} tasks succeeded")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--count", type=int, default=2000, help="tasks per drain")
    parser.add_argument("--one-key-count", type=int, default=300, help="tasks of the shared key")
    parser.add_argument("--drains", type=int, default=3, help="drains of each kind, alternating")
    args = parser.parse_args()
    db = ScratchDatabase.for_vendor(args.db, "limits")
    db.create()
    try:
        db.configure_django()
        db.migrate()
        load_before = os.getloadavg()[0]
        runs: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(args.drains):
            for kind in KINDS:
                count = args.one_key_count if kind == "one_key" else args.count
                runs[kind].append(count / drain_seconds(kind, count))
        load_after = os.getloadavg()[0]
    finally:
        db.drop()
    best = {kind: max(rates) for kind, rates in runs.items()}
    print_table(
        f"Drain, {args.count} tasks ({args.one_key_count} for one key), best of {args.drains}"
        f" ({args.db})",
        [
            (label, f"{best[kind]:,.0f} tasks/s ({best[kind] / best['unlimited']:.2f}x)")
            for kind, label in KINDS.items()
        ],
    )
    print(
        f"\nload average (1 min): {load_before:.2f} before, {load_after:.2f} after; "
        f"Python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
