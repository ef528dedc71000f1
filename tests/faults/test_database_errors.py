"""The database refuses writes or drops connections: the endpoint answers 503, the worker lives."""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import override_settings

from ironrelay.handlers.sources import get_source
from ironrelay.models import IncomingWebhook, Task, Worker
from tests.faults import kill_sessions, other_sessions, wait_until
from tests.testapp.models import Execution
from tests.testapp.tasks import record

pytestmark = pytest.mark.acceptance

SOURCE_SECRETS = [
    secret
    for source in settings.IRONRELAY["SOURCES"].values()
    for secret in source.get("secrets", [])
]


def _short_lock_waits(sender: object, **kwargs: Any) -> None:
    # Stands for a deployment's own OPTIONS (PostgreSQL "options": "-c lock_timeout=...", MySQL
    # "init_command"): the default is to wait for a lock for minutes, or forever.
    new = kwargs["connection"]
    with new.cursor() as cursor:
        if new.vendor == "postgresql":
            cursor.execute("SET lock_timeout = '200ms'")
        else:
            cursor.execute("SET SESSION lock_wait_timeout = 1")


@contextmanager
def webhook_table_locked() -> Iterator[None]:
    """Hold a write lock on the webhook table from a second real connection."""
    if connection.vendor == "sqlite":
        # SQLite locks the whole file. Connections opened from now on (the live server opens
        # one per request) give up after 100 ms instead of the default 30 s.
        busy = {**settings.IRONRELAY, "SQLITE_BUSY_TIMEOUT_MS": 100}
        with override_settings(IRONRELAY=busy):
            locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                locker.execute("ROLLBACK")
                locker.close()
        return
    connection_created.connect(_short_lock_waits, dispatch_uid="faults.short_lock_waits")
    locker = connection.get_new_connection(connection.get_connection_params())
    try:
        cursor = locker.cursor()
        if connection.vendor == "postgresql":
            locker.autocommit = False
            cursor.execute("LOCK TABLE ironrelay_incomingwebhook IN ACCESS EXCLUSIVE MODE")
        else:
            cursor.execute("LOCK TABLES ironrelay_incomingwebhook WRITE")
        yield
    finally:
        connection_created.disconnect(dispatch_uid="faults.short_lock_waits")
        locker.close()  # ends the transaction or the LOCK TABLES session, and with it the lock


@contextmanager
def database_refusing_connections() -> Iterator[None]:
    """Make PostgreSQL refuse every new connection to the test database."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    # PostgreSQL takes this from a session on another database only.
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    admin = connection.get_new_connection(params)
    admin.autocommit = True
    try:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    finally:
        admin.close()


def stripe_events(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Return signed Stripe deliveries, each with its own event id."""
    scheme = get_source("stripe").scheme
    events = []
    for n in range(count):
        body = json.dumps({"id": f"evt_fault_{n}", "type": "invoice.paid"}).encode()
        events.append((body, {"Content-Type": "application/json", **scheme.sign(body)}))
    return events


def post_all(url: str, events: list[tuple[bytes, dict[str, str]]]) -> list[requests.Response]:
    return [requests.post(url, data=body, headers=headers, timeout=30) for body, headers in events]


def check_outage_then_retries(live_server, caplog, outage) -> None:
    """Post during `outage` (503s), then retry like a sender: each event is stored once."""
    url = f"{live_server.url}/ironrelay/incoming/stripe/"
    events = stripe_events(3)
    with caplog.at_level(logging.ERROR, logger="ironrelay"), outage():
        refused = post_all(url, events)
    for response in refused:
        assert response.status_code == 503, response.text
        assert int(response.headers["Retry-After"]) >= 1
        assert "retry" in response.json()["error"]
    assert not IncomingWebhook.objects.exists()
    logged = [r for r in caplog.records if r.getMessage().startswith("Could not store a webhook")]
    assert len(logged) == len(events)
    assert not any(secret in caplog.text for secret in SOURCE_SECRETS)

    assert [r.status_code for r in post_all(url, events)] == [202, 202, 202]  # the DB is back
    again = post_all(url, events)
    assert [(r.status_code, r.json().get("duplicate")) for r in again] == [(200, True)] * 3
    stored = IncomingWebhook.objects.order_by("delivery_id")
    assert [w.delivery_id for w in stored] == [f"evt_fault_{n}" for n in range(3)]
    assert Task.objects.count() == 3  # one handler task each, none queued twice


@pytest.mark.django_db(transaction=True)
def test_incoming_answers_503_while_the_table_is_locked_then_stores_each_retry_once(
    live_server, caplog
):
    check_outage_then_retries(live_server, caplog, webhook_table_locked)


@pytest.mark.django_db(transaction=True)
def test_incoming_answers_503_while_the_database_refuses_connections(live_server, caplog):
    if connection.vendor != "postgresql":
        # SQLite has no server to refuse; MySQL can only refuse connections server-wide
        # (max_connections, read_only, accounts), which would disturb every other database.
        pytest.skip("only PostgreSQL can refuse connections to one database (ALLOW_CONNECTIONS)")
    check_outage_then_retries(live_server, caplog, database_refusing_connections)


def test_worker_survives_its_database_connections_being_killed(start_worker):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no server: its connections cannot be killed from outside")
    worker = start_worker("--concurrency", "2")
    assert wait_until(Worker.objects.exists, timeout=60)
    registered = Worker.objects.get()
    assert registered.pid == worker.pid

    record.bulk_defer([(f"before{i}",) for i in range(20)])
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 20, timeout=60)
    killed = other_sessions()  # the worker's loop, its task threads (and its LISTEN connection)
    assert killed
    kill_sessions(killed)
    assert wait_until(lambda: not set(other_sessions()) & set(killed), timeout=30)

    record.bulk_defer([(f"after{i}",) for i in range(20)])
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 40, timeout=60)
    assert worker.poll() is None  # the same process did it all, without a restart
    assert Worker.objects.get().id == registered.id
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "Database error in worker loop" in output  # the loop did meet the dead connection
    runs = Counter(Execution.objects.values_list("label", flat=True))
    assert len(runs) == 40 and set(runs.values()) == {1}
