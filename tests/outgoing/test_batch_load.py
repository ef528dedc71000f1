"""A claimed batch's deliveries read together; each endpoint's secrets decrypted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ironrelay import crypto, send_webhook
from ironrelay.models import Delivery, Endpoint, Task
from ironrelay.outgoing import batch
from ironrelay.outgoing.delivery import deliver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_batch():
    batch._loaded.clear()
    yield
    batch._loaded.clear()


def deliver_tasks() -> list[Task]:
    return list(Task.objects.filter(task_path=deliver.path).order_by("id"))


def test_deliver_sends_the_batch_loaded_delivery_without_reading_it_again(receiver):
    endpoint = Endpoint.objects.create(url=receiver.url("/hook"), event_types=["*"])
    for i in range(3):
        send_webhook("invoice.paid", {"id": i})
    tasks = deliver_tasks()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with CaptureQueriesContext(connection) as loading:
        batch.load(tasks)
    assert len(loading) == 3  # deliveries, their messages, their endpoints
    for t in tasks:
        with CaptureQueriesContext(connection) as running:
            assert deliver(*t.args) == "delivered (200)"
        assert not any(f"FROM {table}" in q["sql"] for q in running)
    for request in receiver.wait_for(3):  # each still signed with the endpoint's secret
        Webhook(endpoint.secret).verify(request.body, request.headers)
    assert Delivery.objects.filter(status="delivered", attempts=1).count() == 3
    assert sorted(Delivery.objects.values_list("attempt_log__status_code", flat=True)) == [200] * 3


def test_batch_load_decrypts_each_endpoint_secret_once(receiver, monkeypatch):
    endpoints = [
        Endpoint.objects.create(url=receiver.url(f"/e{i}"), event_types=["*"]) for i in range(2)
    ]
    for i in range(5):
        send_webhook("invoice.paid", {"id": i})
    decrypted: list[str] = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(token) or real(token))
    batch.load(deliver_tasks())
    assert sorted(decrypted) == sorted(e.secret_encrypted for e in endpoints)
    loaded = [batch.take(*t.args[:2]) for t in deliver_tasks()]
    assert all(entry is not None for entry in loaded)
    shared = {id(entry.delivery.endpoint) for entry in loaded if entry is not None}
    assert len(shared) == 2  # one Endpoint instance (and signer) per endpoint


def test_batch_load_leaves_a_delivery_two_tasks_name_to_each_task(receiver):
    Endpoint.objects.create(url=receiver.url("/hook"), event_types=["*"])
    send_webhook("invoice.paid", {"id": 1})
    [first] = deliver_tasks()
    second = deliver.defer(*first.args, manual=True)  # a redelivery next to the first attempt
    batch.load([first, second])
    assert batch.take(*first.args[:2]) is None


def test_take_returns_a_loaded_delivery_once_and_never_a_stale_one(receiver, monkeypatch):
    Endpoint.objects.create(url=receiver.url("/hook"), event_types=["*"])
    send_webhook("invoice.paid", {"id": 1})
    send_webhook("invoice.paid", {"id": 2})
    fresh, old = deliver_tasks()
    batch.load([fresh, old])
    assert batch.take(*fresh.args[:2]) is not None
    assert batch.take(*fresh.args[:2]) is None
    monkeypatch.setattr(batch, "MAX_AGE", -1.0)
    assert batch.take(*old.args[:2]) is None


def test_endpoint_signer_stops_signing_with_a_rotated_secret_once_it_expires():
    endpoint = Endpoint.objects.create(url="http://127.0.0.1:9/hook", event_types=["*"])
    old_secret = endpoint.secret
    new_secret = endpoint.rotate_secret(overlap=60)
    now = timezone.now()
    signer = batch.EndpointSigner(endpoint, now)
    body, stamp = b'{"a":1}', int(now.timestamp())
    both = signer.sign("msg_1", stamp, body, now)
    later = signer.sign("msg_1", stamp, body, now + timedelta(seconds=61))
    assert len(both.split()) == 2 and len(later.split()) == 1
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp)}
    Webhook(old_secret).verify(body, {**headers, "webhook-signature": both})
    Webhook(new_secret).verify(body, {**headers, "webhook-signature": later})
