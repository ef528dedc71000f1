"""Cut PostgreSQL off for 10 s under webhook traffic: 503s, never a 500, nothing accepted is lost.

Serves scripts.loadproject (the tests project plus a `github` handler that records each run)
under gunicorn on 127.0.0.1, starts two ironrelay workers, and posts GitHub-signed webhooks at
~20/s for 30 s from one client thread. From second 8 to 18 the scratch database refuses new
connections (`ALTER DATABASE ... ALLOW_CONNECTIONS false`, which binds superusers too) and every
backend connected to it is terminated (`pg_terminate_backend`) every 0.2 s. The server itself
and every other database on it are untouched. After the traffic, each webhook answered 503 is
sent once more, as a sender would retry it.

Exit status 0 only when no request got a 500 (or any answer other than 200/202/503), every
webhook answered 202 is stored and its handler ran exactly once, and both workers came back on
their own (heartbeats after the outage, no restart) and exit 0 on SIGTERM.

    .venv/bin/python scripts/db_outage.py
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from _common import (
    Processes,
    ScratchDatabase,
    free_port,
    github_webhook,
    new_session,
    pg_admin,
    print_table,
    run_dir,
    verdict,
    wait_until,
)

WORKERS = ("worker-1", "worker-2")


@dataclass
class Sent:
    """One POST and its answer (an HTTP status, or the client-side error's name)."""

    delivery_id: str
    at: float  # seconds since the traffic started
    status: int | str
    latency: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20, help="webhooks per second")
    parser.add_argument("--duration", type=float, default=30, help="seconds of traffic")
    parser.add_argument("--outage-at", type=float, default=8, help="seconds into the traffic")
    parser.add_argument("--outage", type=float, default=10, help="seconds without the database")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--lease", type=float, default=30, help="WORKER_LEASE, seconds (keep it above --outage)"
    )
    parser.add_argument(
        "--health-checks", action="store_true", help="set CONN_HEALTH_CHECKS on the database"
    )
    parser.add_argument(
        "--slow-handler", type=float, default=0, help="seconds the handler waits after its write"
    )
    parser.add_argument("--timeout", type=float, default=180, help="wait for handlers, seconds")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    db = ScratchDatabase.for_vendor("postgres", "outage")
    db.create()
    try:
        db.configure_django(
            SCRIPT_WORKER_LEASE=str(args.lease),
            SCRIPT_CONN_HEALTH_CHECKS="1" if args.health_checks else "0",
            SCRIPT_HANDLER_SECONDS=str(args.slow_handler),
        )
        db.migrate()
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            figures, failures = outage_run(procs, db, args)
    finally:
        db.drop()
    print_table("db_outage (PostgreSQL)", figures)
    return verdict(failures)


def outage_run(procs: Processes, db: ScratchDatabase, args: argparse.Namespace):
    """Post webhooks, cut the database, retry the 503s, wait for the handlers; judge."""
    from django.conf import settings
    from django.db import connections

    port = free_port()
    procs.start_gunicorn(port, workers=args.web_workers)
    for name in WORKERS:
        procs.start_worker(name)
    worker_ids = {name: procs.worker_id(name) for name in WORKERS}
    url = f"http://127.0.0.1:{port}/ironrelay/incoming/github/"
    secret = settings.GITHUB_SECRET

    sent: list[Sent] = []
    started = time.monotonic()
    client = threading.Thread(
        target=post_steadily, args=(url, secret, args, started, sent), daemon=True
    )
    client.start()
    time.sleep(max(0.0, started + args.outage_at - time.monotonic()))
    cut, restored, restored_wall, killed = cut_database(db.name, args.outage, started)
    client.join(args.duration + 120)
    connections.close_all()  # this process's own connection was terminated too
    alive = {name: procs.started[name].poll() is None for name in WORKERS}

    session = new_session()
    retried = [
        post_once(session, url, secret, s.delivery_id, started) for s in sent if s.status == 503
    ]
    accepted = {s.delivery_id for s in [*sent, *retried] if s.status == 202}
    settled = wait_until(lambda: handlers_done(accepted), args.timeout, interval=0.5)
    recovery = worker_recovery(worker_ids, restored_wall)
    heartbeats = heartbeat_after(worker_ids, restored_wall)
    exit_codes = {name: procs.stop(name) for name in WORKERS}
    db_errors = sum(
        procs.log(n).read_text().count("Database error in worker loop") for n in WORKERS
    )
    stored, runs = stored_and_runs()
    failed_attempts = attempt_errors()

    phases = {
        "before": Counter(s.status for s in sent if s.at < cut),
        "during": Counter(s.status for s in sent if cut <= s.at < restored),
        "after": Counter(s.status for s in sent if s.at >= restored),
        "retry of 503s": Counter(r.status for r in retried),
    }
    first_ok = min(
        (s.at + s.latency for s in sent if s.at >= restored and s.status == 202), default=None
    )
    lost = accepted - stored
    wrong_runs = {d: runs[d] for d in stored if runs[d] != 1}
    bad = [s for s in [*sent, *retried] if s.status not in (200, 202, 503)]
    figures = [
        ("webhooks posted (then 503s retried once)", f"{len(sent)} (+{len(retried)})"),
        *((f"statuses {phase}", dict(sorted(c.items(), key=str))) for phase, c in phases.items()),
        ("outage window, s after start", f"{cut:.1f} - {restored:.1f} ({restored - cut:.1f} s)"),
        ("backends terminated in the window", killed),
        ("accepted (202), distinct deliveries", len(accepted)),
        ("stored", len(stored)),
        ("  stored although answered 503", len(stored - accepted)),
        ("handled exactly once", sum(1 for d in stored if runs[d] == 1)),
        ("handler runs (Execution rows)", sum(runs.values())),
        (
            "web: first 202 after the outage, s",
            f"{first_ok - restored:.2f}" if first_ok else "none",
        ),
        ("workers alive after the outage", alive),
        ("worker: first task done after it, s", recovery),
        ("worker 'Database error' log lines", db_errors),
        ("task attempts failed by the outage", failed_attempts),
        ("workers' exit codes (SIGTERM)", exit_codes),
    ]
    failures = []
    if bad:
        failures.append(
            f"{len(bad)} answer(s) other than 200/202/503: {Counter(s.status for s in bad)}"
        )
    if lost:
        failures.append(f"{len(lost)} webhook(s) answered 202 but not stored: {sorted(lost)[:5]}")
    if not settled or wrong_runs:
        shown = dict(list(wrong_runs.items())[:5])
        failures.append(f"handlers not run exactly once: {shown}; {repeat_causes(list(shown))}")
    if not all(alive.values()) or not all(heartbeats.values()):
        failures.append(f"a worker did not recover by itself: alive={alive} beat={heartbeats}")
    if any(code != 0 for code in exit_codes.values()):
        failures.append(f"a worker did not exit 0 on SIGTERM: {exit_codes}")
    return figures, failures


def post_steadily(url: str, secret: str, args: argparse.Namespace, started: float, sent: list):
    """Post `rate` webhooks a second for `duration` seconds, each with a new delivery id."""
    session = new_session()
    for i in range(int(args.rate * args.duration)):
        time.sleep(max(0.0, started + i / args.rate - time.monotonic()))
        sent.append(post_once(session, url, secret, f"outage-{i}-{uuid.uuid4().hex[:8]}", started))


def post_once(session, url: str, secret: str, delivery_id: str, started: float) -> Sent:
    """POST one signed webhook and note the answer."""
    import requests

    body, headers = github_webhook(delivery_id, secret)
    begin = time.monotonic()
    try:
        status: int | str = session.post(url, data=body, headers=headers, timeout=30).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return Sent(delivery_id, begin - started, status, time.monotonic() - begin)


def cut_database(name: str, seconds: float, started: float):
    """Refuse connections to `name` and end its backends for `seconds`; then allow them again."""
    terminate = (
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )
    killed = 0
    cut = time.monotonic()
    try:
        pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        while time.monotonic() < cut + seconds:
            killed += pg_admin(terminate, (name,))[0][0]
            time.sleep(0.2)
    finally:
        pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    restored = time.monotonic()
    return cut - started, restored - started, datetime.now(timezone.utc), killed


def handlers_done(accepted: set[str]) -> bool:
    """Return whether every stored webhook is processed and every accepted one is stored."""
    from ironrelay.models import IncomingWebhook

    webhooks = IncomingWebhook.objects.filter(source="github")
    stored = set(webhooks.values_list("delivery_id", flat=True))
    return accepted <= stored and not webhooks.exclude(status="processed").exists()


def stored_and_runs() -> tuple[set[str], Counter]:
    """Return the stored delivery ids and how many times each one's handler ran."""
    from ironrelay.models import IncomingWebhook
    from tests.testapp.models import Execution

    stored = set(
        IncomingWebhook.objects.filter(source="github").values_list("delivery_id", flat=True)
    )
    labels = Execution.objects.filter(label__startswith="hook:").values_list("label", flat=True)
    return stored, Counter(label.removeprefix("hook:") for label in labels)


def attempt_errors() -> dict[str, int]:
    """Count the recorded failed attempts of all tasks by exception class."""
    from ironrelay.models import Task

    errors = Counter()
    for row in Task.objects.exclude(errors=[]).values_list("errors", flat=True):
        errors.update(e["exception_class_path"].rsplit(".", 1)[-1] for e in row)
    return dict(errors)


def repeat_causes(delivery_ids: list[str]) -> dict[str, list[str]]:
    """Return the failed attempts recorded on the handler tasks of these deliveries."""
    from ironrelay.models import HandlerRun

    runs = HandlerRun.objects.filter(webhook__delivery_id__in=delivery_ids).select_related("task")
    return {
        run.webhook.delivery_id: [
            f"attempt {e['attempt']}: {e['exception_class_path']}: {e['message'][:80]}"
            for e in (run.task.errors if run.task else [])
        ]
        for run in runs.select_related("webhook")
    }


def worker_recovery(worker_ids: dict[str, str], since: datetime) -> dict[str, str]:
    """Return, per worker, seconds from the database's return to its first task finished."""
    from ironrelay.models import Task

    first: dict[str, datetime] = {}
    for ids, finished in Task.objects.filter(finished_at__gte=since).values_list(
        "worker_ids", "finished_at"
    ):
        for worker_id in ids:
            first[worker_id] = min(first.get(worker_id, finished), finished)
    return {
        name: f"{(first[wid] - since).total_seconds():.1f}" if wid in first else "none"
        for name, wid in worker_ids.items()
    }


def heartbeat_after(worker_ids: dict[str, str], since: datetime) -> dict[str, bool]:
    """Return, per worker, whether it has sent a heartbeat since the database came back."""
    from ironrelay.models import Worker

    beats = dict(Worker.objects.values_list("id", "last_heartbeat"))
    return {name: wid in beats and beats[wid] > since for name, wid in worker_ids.items()}


if __name__ == "__main__":
    sys.exit(main())
