"""Attempts of concurrent deliveries written together: each still recorded, queries bounded."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ironrelay import send_webhook
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint, OutgoingWebhook
from ironrelay.outgoing.records import Success, write_successes
from ironrelay.tasks import sidecar
from tests.receiver import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def _successes(count: int) -> list[Success]:
    endpoints = [
        Endpoint.objects.create(url=f"http://127.0.0.1:9/e{i}", event_types=["*"])
        for i in range(count)
    ]
    message = OutgoingWebhook.objects.create(event_type="t", payload={})
    now = timezone.now()
    found = []
    for i, endpoint in enumerate(endpoints):
        delivery = Delivery.objects.create(message=message, endpoint=endpoint)
        delivery.status, delivery.attempts, delivery.finished_at = "delivered", 1, now
        delivery.last_attempt_at, delivery.last_status_code = now, 200 + i
        attempt = DeliveryAttempt(
            delivery=delivery, number=1, at=now, url=endpoint.url, status_code=200 + i,
            duration_ms=1.0 + i, response_body=f"body {i}",
        )  # fmt: skip
        found.append(Success(delivery, attempt))
    return found


def test_write_successes_query_count_is_the_same_for_one_and_many():
    one, many = _successes(1), _successes(25)
    Endpoint.objects.filter(pk=many[3].delivery.endpoint_id).update(consecutive_failures=2)
    with CaptureQueriesContext(connection) as single:
        write_successes(one)
    with CaptureQueriesContext(connection) as batch:
        write_successes(many)
    assert len(batch) == len(single) <= 6
    rows = {a.delivery_id: a for a in DeliveryAttempt.objects.all()}
    for i, success in enumerate(many):
        recorded = rows[success.delivery.pk]
        assert (recorded.status_code, recorded.duration_ms, recorded.response_body) == (
            200 + i,
            1.0 + i,
            f"body {i}",
        )
        stored = Delivery.objects.get(pk=success.delivery.pk)
        assert (stored.status, stored.attempts, stored.last_status_code) == (
            "delivered",
            1,
            200 + i,
        )
    assert Endpoint.objects.get(pk=many[3].delivery.endpoint_id).consecutive_failures == 0


def test_concurrent_deliveries_each_record_their_own_attempt(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": []}
    replies = {0: Reply(200, body="fine"), 1: Reply(500, body="boom"), 2: Reply(404, body="gone")}
    endpoints = []
    for i in range(12):
        receiver.script(f"/e{i}", replies[i % 3])
        endpoints.append(Endpoint.objects.create(url=receiver.url(f"/e{i}"), event_types=["*"]))
    send_webhook("invoice.paid", {"id": 1})
    drain(concurrency=6)
    for i, endpoint in enumerate(endpoints):
        delivery = Delivery.objects.get(endpoint=endpoint)
        [attempt] = delivery.attempt_log.all()
        expected = {0: (200, "fine"), 1: (500, "boom"), 2: (404, "gone")}[i % 3]
        assert (attempt.status_code, attempt.response_body) == expected
        assert attempt.duration_ms > 0 and attempt.error == ""
        assert delivery.status == ("delivered" if i % 3 == 0 else "failed")
        assert delivery.attempts == 1 and delivery.last_status_code == expected[0]


def test_deliveries_to_one_endpoint_share_one_kept_alive_connection(receiver, drain):
    Endpoint.objects.create(url=receiver.url("/hook"), event_types=["*"])
    for i in range(6):
        send_webhook("invoice.paid", {"id": i})
    drain(concurrency=1)
    requests = receiver.wait_for(6)
    assert len({r.client_port for r in requests}) == 1  # one TCP connection for all six
    assert Delivery.objects.filter(status="delivered").count() == 6


def test_a_refused_attempt_written_outside_a_worker_leaves_the_callers_transaction_usable():
    [bad] = _successes(1)
    [kept] = _successes(1)
    bad.attempt.number = -1  # out of the column's range: refused
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            sidecar.write_with_outcome(write_successes, bad)
        sidecar.write_with_outcome(write_successes, kept)  # the same transaction goes on
    assert list(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == [kept.delivery.pk]
