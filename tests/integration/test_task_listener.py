"""The worker's LISTEN connection, which its own loop waits on (PostgreSQL)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import connection, connections

from ironrelay.models import Task
from ironrelay.tasks.db import TaskListener
from ironrelay.tasks.wakeup import Wakeup
from ironrelay.tasks.worker import Worker
from tests.testapp.tasks import noop

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's"
)
GENEROUS = 30.0  # seconds: a bound for a hang, not a timing expectation


@pytest.fixture
def listener():
    listener = TaskListener()
    yield listener
    listener.stop()


@postgresql_only
def test_task_listener_socket_turns_readable_on_insert_until_drained(listener):
    wake = Wakeup()
    assert listener.start()
    assert not wake.wait(0, also=listener.fileno())
    noop.defer(1)
    assert wake.wait(GENEROUS, also=listener.fileno())
    listener.drain()
    assert not wake.wait(0, also=listener.fileno())
    wake.close()


@postgresql_only
def test_task_listener_listens_again_after_losing_its_connection(listener, monkeypatch, caplog):
    wake = Wakeup()
    assert listener.start()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener._conn.pgconn.backend_pid])
    with caplog.at_level(logging.WARNING, logger="ironrelay.db"):
        for _ in range(5):  # the server's last message, then the end of the stream
            if listener.fileno() is None:
                break
            assert wake.wait(GENEROUS, also=listener.fileno())
            listener.drain()
    assert "Task listener is not listening" in caplog.text
    assert listener.fileno() is None
    assert not listener.reconnect_if_due()  # not before its pause is over
    monkeypatch.setattr(listener, "_retry_at", 0.0)
    assert listener.reconnect_if_due()
    noop.defer(1)
    assert wake.wait(GENEROUS, also=listener.fileno())
    wake.close()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the others have no NOTIFY")
def test_task_listener_stays_off_where_the_database_cannot_notify(listener):
    assert not listener.start()
    assert listener.fileno() is None
    assert not listener.reconnect_if_due()
    listener.drain()


@postgresql_only
def test_idle_worker_claims_on_notify_without_polling():
    worker = Worker(concurrency=1, poll_interval=3600, schedules=False)

    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()  # this thread's, which would keep the test database open

    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + GENEROUS
        while not worker._listener.fileno() and time.monotonic() < deadline:
            time.sleep(0.01)
        # Nothing ran yet: the task below is seen through the NOTIFY, not an hourly poll.
        assert not [t for t in threading.enumerate() if t.name == "ironrelay-listen"]
        record = noop.defer(1)
        done = Task.objects.filter(pk=record.pk, status="success")
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert done.exists()
    finally:
        worker.stop()
        thread.join(GENEROUS)
    assert not thread.is_alive()
