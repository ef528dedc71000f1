"""Time every dashboard page with 100,000 tasks and 100,000 incoming webhooks in the tables.

Usage (from the repository root, in the dev virtualenv):
    python bench/dashboard_pages.py [--db sqlite|postgres|mysql] [--rows 100000] [--repeat 5]

It creates a scratch database (dropped at the end), fills it with bulk inserts, then requests each
page through Django's test client as a superuser and prints the median time and the query count.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres", "mysql"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    os.environ["IRONRELAY_TEST_DB"] = options.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        fill(options.rows)
        report(options)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def fill(rows: int) -> None:
    from django.utils import timezone

    from ironrelay.models import (
        Delivery,
        Endpoint,
        HandlerRun,
        IncomingWebhook,
        OutgoingWebhook,
        Task,
    )

    started = time.perf_counter()
    now = timezone.now()
    rng = random.Random(7)
    statuses = ["success"] * 8 + ["failed", "pending"]
    batch = 5000
    for offset in range(0, rows, batch):
        Task.objects.bulk_create(
            [
                Task(
                    task_path=rng.choice(
                        ["shop.tasks.send_email", "shop.tasks.sync", "app.reindex"]
                    ),
                    queue_name=rng.choice(["default", "emails", "webhooks"]),
                    status=(status := rng.choice(statuses)),
                    args=[i],
                    enqueued_at=now - timedelta(seconds=rows - i),
                    run_after=now - timedelta(seconds=rows - i),
                    finished_at=None
                    if status == "pending"
                    else now - timedelta(seconds=(rows - i) / 2),
                    attempts=1,
                    errors=[]
                    if status != "failed"
                    else [
                        {
                            "attempt": 1,
                            "message": "boom",
                            "exception_class_path": "x.Error",
                            "traceback": "Traceback ...",
                            "at": "",
                            "worker_id": "w",
                        }
                    ],
                )
                for i in range(offset, min(offset + batch, rows))
            ]
        )
        IncomingWebhook.objects.bulk_create(
            [
                IncomingWebhook(
                    source=rng.choice(["stripe", "github", "partner"]),
                    event=rng.choice(["invoice.paid", "push", "payment_intent.succeeded"]),
                    delivery_id=f"evt_{i}",
                    payload={"id": i, "object": {"amount": i % 1000}},
                    headers={"Content-Type": "application/json"},
                    status=rng.choice(["processed"] * 9 + ["failed"]),
                    received_at=now - timedelta(seconds=rows - i),
                )
                for i in range(offset, min(offset + batch, rows))
            ]
        )
    endpoints = [
        Endpoint.objects.create(url=f"https://e{i}.example.com/hook", event_types=["*"])
        for i in range(10)
    ]
    deliveries = rows // 5
    for offset in range(0, deliveries, batch):
        messages = OutgoingWebhook.objects.bulk_create(
            [
                OutgoingWebhook(event_type="shop.order.created", payload={"id": i})
                for i in range(offset, min(offset + batch, deliveries))
            ]
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    message=m,
                    endpoint=rng.choice(endpoints),
                    attempts=1,
                    status=rng.choice(["delivered"] * 9 + ["failed"]),
                )
                for m in messages
            ]
        )
    hook = IncomingWebhook.objects.order_by("-id").first()
    task = Task.objects.order_by("-id").first()
    HandlerRun.objects.create(webhook=hook, handler="shop.relay_handlers.on_payment", task=task)
    print(
        f"filled {rows:,} tasks, {rows:,} webhooks, {deliveries:,} deliveries "
        f"in {time.perf_counter() - started:.1f} s"
    )


def report(options: argparse.Namespace) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ironrelay.models import Delivery, Endpoint, IncomingWebhook, Task

    client = Client()
    client.force_login(User.objects.create_superuser("bench", "b@example.com", "pw"))
    task = Task.objects.filter(status="failed").order_by("-id").first()
    webhook = IncomingWebhook.objects.order_by("-id").first()
    pages = {
        "overview": "/ironrelay/",
        "summary.json": "/ironrelay/summary.json",
        "tasks": "/ironrelay/tasks/",
        "tasks, failed": "/ironrelay/tasks/?status=failed",
        "tasks, page 1000": "/ironrelay/tasks/?page=1000",
        "tasks, search": "/ironrelay/tasks/?q=reindex&since=24h",
        "task detail": f"/ironrelay/tasks/{task.pk}/",
        "incoming": "/ironrelay/webhooks/",
        "incoming, stripe": "/ironrelay/webhooks/?source=stripe&status=failed",
        "incoming detail": f"/ironrelay/webhooks/{webhook.pk}/",
        "deliveries": "/ironrelay/deliveries/",
        "deliveries, endpoint": f"/ironrelay/deliveries/?endpoint={Endpoint.objects.first().pk}",
        "delivery detail": f"/ironrelay/deliveries/{Delivery.objects.first().pk}/",
        "endpoints": "/ironrelay/endpoints/",
        "endpoint detail": f"/ironrelay/endpoints/{Endpoint.objects.first().pk}/",
    }
    print(f"\n{connection.vendor}, {options.rows:,} rows, median of {options.repeat} requests")
    print(f"{'page':<24}{'median ms':>10}{'max ms':>9}{'queries':>9}")
    for name, url in pages.items():
        times = []
        for _ in range(options.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:<24}{statistics.median(times):>10.1f}{max(times):>9.1f}{len(queries):>9}")


if __name__ == "__main__":
    main()
