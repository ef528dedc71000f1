"""Receivers that fail, hang, reset, babble or trickle: every delivery still ends delivered."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import override_settings

from ironrelay import send_webhook
from ironrelay.models import Delivery, Endpoint, Task
from ironrelay.tasks.worker import Worker
from tests.faults import wait_until
from tests.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db(transaction=True)

READ_TIMEOUT = 0.3
CONNECT_TIMEOUT = 0.5
MAX_CHARS = 1000

OK = (200, "")
TIMEOUT = (None, f"timeout after {READ_TIMEOUT:g} s")
RESET = (None, "connection reset")
GARBAGE = (None, "invalid HTTP response")
SLOW_BODY = (200, f"timeout after {CONNECT_TIMEOUT + READ_TIMEOUT:g} s reading the body")

# path: (the receiver's answers in order, the (status code, error) each attempt records)
SCRIPTS: dict[str, tuple[list[Reply], list[tuple[int | None, str]]]] = {
    "/status": (
        [Reply(500, body="boom"), Reply(503, body="down"), Reply()],
        [(500, ""), (503, ""), OK],
    ),
    "/timeout": ([Reply(delay=5), Reply()], [TIMEOUT, OK]),
    "/reset": ([Reply(action="reset"), Reply()], [RESET, OK]),
    "/garbage": ([Reply(action="garbage"), Reply()], [GARBAGE, OK]),
    "/trickle": ([Reply(body="x" * 100, trickle=0.05), Reply()], [SLOW_BODY, OK]),
    "/endless": ([Reply(500, body="spam", action="endless"), Reply()], [(500, ""), OK]),
    "/mixed": (
        [Reply(500), Reply(delay=5), Reply(action="reset"), Reply(action="garbage"), Reply()],
        [(500, ""), TIMEOUT, RESET, GARBAGE, OK],
    ),
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture
def fast_failures(settings):
    with override_settings(
        IRONRELAY={
            **settings.IRONRELAY,
            "OUTGOING_READ_TIMEOUT": READ_TIMEOUT,
            "OUTGOING_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
            "OUTGOING_RESPONSE_MAX_CHARS": MAX_CHARS,
            "OUTGOING_RETRY_SCHEDULE": [0.01] * 5,
        }
    ):
        yield


def relay_threads() -> list[threading.Thread]:
    """Return the live threads a worker started (task pool, LISTEN connection).

    The alert mail sender is left out: it serves the whole process and lives as long as it does,
    started by whichever earlier test sent an alert.
    """
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("ironrelay-") and t.name != "ironrelay-alert-mail"
    ]


def test_every_fault_is_retried_until_delivered_and_no_thread_stays_stuck(receiver, fast_failures):
    assert wait_until(lambda: not relay_threads(), timeout=10), relay_threads()
    for path, (replies, _) in SCRIPTS.items():
        receiver.script(path, *replies)
        Endpoint.objects.create(url=receiver.url(path), event_types=["*"], description=path)
    send_webhook("invoice.paid", {"id": 1})

    worker = Worker(concurrency=4, poll_interval=0.01)
    crashed: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # reported below, not lost in the thread
            crashed.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="faults-worker", daemon=True)
    thread.start()
    try:
        assert wait_until(
            lambda: Delivery.objects.filter(status="delivered").count() == len(SCRIPTS),
            timeout=60,
        ), list(Delivery.objects.values_list("endpoint__description", "status", "last_error"))
    finally:
        worker.stop()
        thread.join(30)
    assert not thread.is_alive(), "the worker did not stop: a task thread is stuck"
    assert crashed == []
    assert wait_until(lambda: not relay_threads(), timeout=10), relay_threads()
    assert set(Task.objects.values_list("status", flat=True)) == {"success"}

    for delivery in Delivery.objects.select_related("endpoint"):
        path = delivery.endpoint.description
        expected = SCRIPTS[path][1]
        log = list(delivery.attempt_log.order_by("number"))
        assert [a.number for a in log] == list(range(1, len(expected) + 1)), path
        seen = [(a.status_code, a.error) for a in log]
        # A reset can surface as an RST or, if the kernel sees the close first, as EOF.
        seen = [RESET if s == (None, "connection closed without a response") else s for s in seen]
        assert seen == expected, path
        assert delivery.attempts == len(expected)
        assert delivery.last_error == "" and delivery.last_status_code == 200
        assert all(a.url == delivery.endpoint.url for a in log)
        assert all(a.request_headers["webhook-id"] == delivery.message_id for a in log)
    endless = Delivery.objects.get(endpoint__description="/endless").attempt_log.first()
    assert len(endless.response_body) == MAX_CHARS  # an endless body is cut, not waited out
    assert sorted(r.path for r in receiver.requests) == sorted(
        path for path, (_, expected) in SCRIPTS.items() for _ in expected
    )
