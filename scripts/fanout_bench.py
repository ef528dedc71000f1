"""Fan-out cost of send_webhook(): one event to many endpoints, and one tenant among many.

In this process, against a scratch database (no worker, no HTTP: only what send_webhook()
stores):

1. fan-out: endpoints without a tenant, all subscribed; each round sends one event in its own
   transaction; prints the median time per send_webhook(), as messages/s and deliveries/s
   (each delivery comes with its queued delivery task);
2. tenants: T tenants with E endpoints each (plus a few endpoints without a tenant, which get
   every event); each round sends one event to one tenant picked at random; prints the queries
   and milliseconds per send_webhook() (median and p95), the deliveries each made, and, for
   comparison, the milliseconds of the lookup it replaced (load every active endpoint and
   filter in Python). The database's plan for the tenant lookup is printed too.

    .venv/bin/python scripts/fanout_bench.py --db sqlite
    .venv/bin/python scripts/fanout_bench.py --db postgres --endpoints 1000 --tenants 10000
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time

from _common import ScratchDatabase, percentile, print_table

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
UNTENANTED = 5  # internal consumers that receive every tenant's events


def make_endpoints(specs: list[tuple[str, str]]) -> None:
    """Store endpoints (url, tenant) in bulk: one encryption of the secret for all."""
    from ironrelay.models import Endpoint

    template = Endpoint(url="https://example.com/", secret=SECRET)
    Endpoint.objects.bulk_create(
        [
            Endpoint(
                url=url,
                tenant=tenant,
                event_types=["invoice.*"],
                secret_encrypted=template.secret_encrypted,
            )
            for url, tenant in specs
        ],
        batch_size=1000,
    )


def reset() -> None:
    from ironrelay.models import Endpoint, OutgoingWebhook, Task

    OutgoingWebhook.objects.all().delete()
    Endpoint.objects.all().delete()
    Task.objects.all().delete()


def fanout(endpoints: int, rounds: int) -> list[tuple[str, object]]:
    """Send `rounds` events to `endpoints` endpoints; return the figures."""
    from ironrelay import send_webhook
    from ironrelay.models import Delivery

    make_endpoints([(f"https://example.com/fan/{i}", "") for i in range(endpoints)])
    times = []
    cpu = time.process_time()
    for n in range(rounds):
        started = time.perf_counter()
        send_webhook("invoice.paid", {"n": n})
        times.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu) * 1000 / rounds
    made = Delivery.objects.count()
    if made != endpoints * rounds:
        raise RuntimeError(f"fan-out made {made} deliveries, not {endpoints * rounds}")
    median = statistics.median(times)
    return [
        (f"fan-out: 1 event -> {endpoints} endpoints", f"median of {rounds} sends"),
        ("  ms per send_webhook()", f"{median * 1000:.1f} (min {min(times) * 1000:.1f})"),
        ("  CPU ms of this process per send", f"{cpu_ms:.1f}"),
        ("  messages created per second", f"{1 / median:.1f}"),
        ("  deliveries (+ tasks) created per second", f"{endpoints / median:,.0f}"),
    ]


def tenants(count: int, per_tenant: int, rounds: int) -> list[tuple[str, object]]:
    """Send `rounds` events, each to one random tenant among `count`; return the figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ironrelay import send_webhook
    from ironrelay.models import Endpoint
    from ironrelay.outgoing.messages import subscribed_endpoints

    make_endpoints(
        [
            (f"https://example.com/t{t}/{i}", f"billing.customer:{t}")
            for t in range(count)
            for i in range(per_tenant)
        ]
        + [(f"https://example.com/internal/{i}", "") for i in range(UNTENANTED)]
    )
    picker = random.Random(16)
    times, queries, deliveries = [], [], []
    cpu = time.process_time()
    for n in range(rounds):
        key = f"billing.customer:{picker.randrange(count)}"
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            message = send_webhook("invoice.paid", {"n": n}, tenant=key)
            times.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
        deliveries.append(message.deliveries.count())
    cpu_ms = (time.process_time() - cpu) * 1000 / rounds  # with the count and the capture
    if set(deliveries) != {per_tenant + UNTENANTED}:
        raise RuntimeError(f"a tenant's event made {set(deliveries)} deliveries")

    # What send_webhook did before tenants: every active endpoint loaded, matched in Python.
    old = []
    for _ in range(min(rounds, 20)):
        key = f"billing.customer:{picker.randrange(count)}"
        started = time.perf_counter()
        found = [
            e.pk
            for e in Endpoint.objects.filter(is_active=True)
            if e.tenant in (key, "") and e.accepts("invoice.paid")
        ]
        old.append(time.perf_counter() - started)
    lookup = []
    for _ in range(min(rounds, 20)):
        key = f"billing.customer:{picker.randrange(count)}"
        started = time.perf_counter()
        found = subscribed_endpoints("invoice.paid", key)
        lookup.append(time.perf_counter() - started)
    if len(found) != per_tenant + UNTENANTED:
        raise RuntimeError("the lookup found the wrong endpoints")
    plan = explain(key)
    total = count * per_tenant + UNTENANTED
    return [
        (
            f"tenants: 1 event to 1 of {count:,} tenants x {per_tenant} endpoints",
            f"{total:,} endpoints, {rounds} sends",
        ),
        ("  queries per send_webhook()", f"{min(queries)}-{max(queries)}"),
        (
            "  ms per send_webhook() (median / p95)",
            f"{statistics.median(times) * 1000:.2f} / {percentile(times, 0.95) * 1000:.2f}",
        ),
        ("  CPU ms of this process per send (and its check)", f"{cpu_ms:.2f}"),
        ("  deliveries per send", f"{deliveries[0]} ({per_tenant} + {UNTENANTED} untenanted)"),
        ("  ms of the tenant lookup (median)", f"{statistics.median(lookup) * 1000:.2f}"),
        (
            "  ms of the old lookup: all endpoints, filtered in Python",
            f"{statistics.median(old) * 1000:.1f}",
        ),
        ("  plan of the tenant lookup", plan),
    ]


def explain(key: str) -> str:
    """Return the database's plan of the tenant lookup, on one line."""
    from ironrelay.models import Endpoint

    query = (
        Endpoint.objects.filter(is_active=True, tenant__in={key, ""})
        .order_by()
        .values_list("id", "event_types")
    )
    plan = query.explain()
    return " | ".join(line.strip() for line in plan.splitlines() if line.strip())[:200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--endpoints", type=int, default=1000, help="fan-out endpoints")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--per-tenant", type=int, default=3, help="endpoints of each tenant")
    parser.add_argument("--rounds", type=int, default=50, help="sends of each run")
    args = parser.parse_args()
    if not (1 <= args.endpoints <= 20_000 and 1 <= args.tenants <= 100_000):
        parser.error("bounds: 1-20000 endpoints, 1-100000 tenants")

    db = ScratchDatabase.for_vendor(args.db, "fanout")
    db.create()
    try:
        db.configure_django()
        db.migrate()
        logging.getLogger("ironrelay").setLevel(logging.WARNING)  # not a line per event
        from django.conf import settings

        settings.DEBUG = False
        figures = fanout(args.endpoints, args.rounds)
        reset()
        figures += tenants(args.tenants, args.per_tenant, args.rounds)
    finally:
        db.drop()
    print_table(f"fanout_bench --db {args.db}", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
