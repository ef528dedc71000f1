"""Print the cost of one Prometheus scrape of IronRelay's metrics with 1M tasks in the table.

Usage: python scripts/metrics_bench.py [--db postgres|sqlite|mysql] [--tasks 1000000]
           [--pending 10000,1000000] [--scrapes 20]

For each --pending figure, the scratch table holds --tasks rows: that many pending (due, spread
over three queues) and the rest finished; plus 50 endpoints, 4 live workers, 300 counter series
and 50 schedules, each with its last task among the 1M. A scrape is what the metrics view does:
collect every family and render the text format.
Printed per case: queries per scrape; median and max milliseconds of --scrapes runs (after one
warm-up scrape) of collect() alone (the database reads) and of the whole scrape (collect and
render the text format, which prometheus_client does); the text's size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# First, not just present: the editable install appends ROOT after site-packages, where a
# provider SDK ships a top-level `tests` package that would shadow ours.
if sys.path[0] != str(ROOT):  # run as `python scripts/metrics_bench.py`
    sys.path.insert(0, str(ROOT))

from _common import ScratchDatabase  # noqa: E402

# One server-side INSERT ... SELECT per database: row g is pending when g <= the pending count.
INSERT = (
    "INSERT INTO ironrelay_task (task_path, queue_name, priority, status, args, kwargs,"
    " enqueued_at, run_after, finished_at, attempts, max_attempts, worker_id, worker_ids, errors) "
)
FILL = {
    "postgres": INSERT
    + (
        "SELECT 'shop.tasks.work', 'q' || (g %% 3), 0,"
        " CASE WHEN g <= %s THEN 'pending' ELSE 'success' END, '[]', '{}',"
        " now() - interval '1 hour', now() - interval '1 minute',"
        " CASE WHEN g <= %s THEN NULL ELSE now() END, 1, 3, '', '[]', '[]'"
        " FROM generate_series(1, %s) AS g"
    ),
    "sqlite": INSERT
    + (
        "WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < %s)"
        " SELECT 'shop.tasks.work', 'q' || (g %% 3), 0,"
        " CASE WHEN g <= %s THEN 'pending' ELSE 'success' END, '[]', '{}',"
        " datetime('now', '-1 hour'), datetime('now', '-1 minute'),"
        " CASE WHEN g <= %s THEN NULL ELSE datetime('now') END, 1, 3, '', '[]', '[]' FROM seq"
    ),
    # MariaDB's SEQUENCE engine: seq_1_to_N is a table of the numbers 1 to N.
    "mysql": INSERT
    + (
        "SELECT 'shop.tasks.work', CONCAT('q', seq %% 3), 0,"
        " IF(seq <= %s, 'pending', 'success'), '[]', '{}',"
        " UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE,"
        " IF(seq <= %s, NULL, UTC_TIMESTAMP(6)), 1, 3, '', '[]', '[]' FROM seq_1_to_N"
    ),
}


def fill(vendor: str, tasks: int, pending: int) -> float:
    """Replace the task table's rows; return the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    _truncate(vendor)
    with connection.cursor() as cursor:
        if vendor == "postgres":
            cursor.execute(FILL[vendor], [pending, pending, tasks])
            cursor.execute("VACUUM ANALYZE ironrelay_task")  # what autovacuum would have done
        elif vendor == "sqlite":
            cursor.execute(FILL[vendor], [tasks, pending, pending])
            cursor.execute("ANALYZE")
        else:
            cursor.execute(
                FILL[vendor].replace("seq_1_to_N", f"seq_1_to_{int(tasks)}"), [pending, pending]
            )
            cursor.execute("ANALYZE TABLE ironrelay_task")
            cursor.fetchall()
    return time.perf_counter() - started


def _truncate(vendor: str) -> None:
    from django.db import connection

    statements = {
        "postgres": ["TRUNCATE ironrelay_task CASCADE"],
        "sqlite": ["DELETE FROM ironrelay_task"],
        "mysql": [
            "SET FOREIGN_KEY_CHECKS = 0",
            "TRUNCATE ironrelay_task",
            "SET FOREIGN_KEY_CHECKS = 1",
        ],
    }
    with connection.cursor() as cursor:
        for statement in statements[vendor]:
            cursor.execute(statement)


def others() -> None:
    """Add endpoints, live workers and counter series, as a busy project has."""
    from ironrelay.metrics import counters
    from ironrelay.models import Endpoint, Schedule, Worker

    Endpoint.objects.bulk_create(
        [Endpoint(url=f"https://hooks.example.com/{i}", secret_encrypted="x") for i in range(50)]
    )
    Worker.objects.bulk_create([Worker(id=f"w{i}", hostname="h", pid=i) for i in range(4)])
    for i in range(100):
        labels = {"task": f"shop.tasks.t{i}", "queue": "q0"}
        counters.add(counters.TASKS_FINISHED, {**labels, "status": "success"}, 1000)
        counters.add(counters.TASK_RETRIES, labels, 3)
        counters.add(counters.TASK_DURATION_BUCKET, {**labels, "le": "0.1"}, 1000)
    counters.flush(force=True)
    Schedule.objects.bulk_create(
        [Schedule(name=f"s{i}", task_path="shop.tasks.work", every=60) for i in range(50)]
    )


def point_schedules_at_tasks() -> None:
    """Give each schedule a last task in the freshly filled table (its newest rows)."""
    from ironrelay.models import Schedule, Task

    newest = Task.objects.order_by("-id").values_list("id", flat=True)[:50]
    schedules = Schedule.objects.order_by("id").values_list("id", flat=True)
    for schedule_id, task_id in zip(schedules, newest, strict=True):
        Schedule.objects.filter(pk=schedule_id).update(last_task_id=task_id)


def scrape_costs(scrapes: int) -> tuple[int, list[float], list[float], int]:
    """Scrape once to warm up, then `scrapes` times.

    Return the queries of one scrape, the milliseconds of each collect() (the database reads),
    of each whole scrape (collect and render the text), and the bytes of the text.
    """
    import prometheus_client
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ironrelay.metrics.collector import IronRelayCollector

    collector = IronRelayCollector()
    registry = prometheus_client.CollectorRegistry()
    registry.register(collector)
    with CaptureQueriesContext(connection) as queries:
        text = prometheus_client.generate_latest(registry)
    if b"ironrelay_queue_pending" not in text or b"ironrelay_schedule_lag_seconds" not in text:
        raise SystemExit("the scrape did not report queue depth and schedule lag")
    collects, totals = [], []
    for _ in range(scrapes):
        started = time.perf_counter()
        list(collector.collect())
        collects.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        prometheus_client.generate_latest(registry)
        totals.append((time.perf_counter() - started) * 1000)
    return len(queries.captured_queries), sorted(collects), sorted(totals), len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "mysql"], default="postgres")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--pending", default="10000,1000000")
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    pendings = [min(int(p), args.tasks) for p in args.pending.split(",")]
    db = ScratchDatabase.for_vendor(args.db, "metrics")
    db.create()
    try:
        db.configure_django()
        from django.conf import settings

        from ironrelay.conf import get_settings

        settings.IRONRELAY = {**settings.IRONRELAY, "METRICS": True, "WORKER_LEASE": 3600}
        get_settings.cache_clear()
        db.migrate()
        others()
        rows = []
        for pending in pendings:
            seconds = fill(args.db, args.tasks, pending)
            point_schedules_at_tasks()
            queries, collects, totals, size = scrape_costs(args.scrapes)
            rows.append(
                [
                    args.db,
                    f"{args.tasks:,}",
                    f"{pending:,}",
                    f"{seconds:.0f}",
                    str(queries),
                    f"{statistics.median(collects):.1f}",
                    f"{collects[-1]:.1f}",
                    f"{statistics.median(totals):.1f}",
                    f"{totals[-1]:.1f}",
                    f"{size:,}",
                ]
            )
            print(f"done: {pending:,} pending", file=sys.stderr, flush=True)
        header = ["database", "tasks", "pending", "fill s", "queries/scrape"]
        header += ["collect ms p50", "collect ms max", "scrape ms p50", "scrape ms max", "bytes"]
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    finally:
        db.drop()


if __name__ == "__main__":
    main()
