"""Custom headers and payload transforms, delivered to a real receiver by the worker."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from ironrelay import crypto, send_webhook
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFORMS = {
    "tests.outgoing.transforms.flat": "Chat message",
    "tests.outgoing.transforms.broken": "Broken",
    "tests.outgoing.transforms.unserializable": "Unserializable",
}
TOKEN = "Bearer rcv_0123456789abcdefghijklmnop"


@pytest.fixture(autouse=True)
def transforms(settings):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "OUTGOING_TRANSFORMS": TRANSFORMS,
        "OUTGOING_RETRY_SCHEDULE": [],
    }


def make_endpoint(receiver, headers=None, transform="") -> Endpoint:
    endpoint = Endpoint(url=receiver.url("/hook"), event_types=["*"], transform=transform)
    endpoint.custom_headers = headers or {}
    endpoint.save()
    return endpoint


def test_custom_headers_are_sent_with_every_delivery(receiver, drain):
    endpoint = make_endpoint(receiver, {"Authorization": TOKEN, "X-Tenant": "acme-co-123"})
    send_webhook("invoice.paid", {"id": 1})
    send_webhook("invoice.paid", {"id": 2})
    drain()
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        assert request.headers["authorization"] == TOKEN
        assert request.headers["x-tenant"] == "acme-co-123"
        Webhook(endpoint.secret).verify(request.body, request.headers)


def test_recorded_attempt_masks_custom_header_values(receiver, drain):
    make_endpoint(receiver, {"Authorization": TOKEN})
    send_webhook("invoice.paid", {"id": 1})
    drain()
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.request_headers["Authorization"] == crypto.mask(TOKEN)
    assert "0123456789abcdef" not in json.dumps(attempt.request_headers)
    assert attempt.request_headers["webhook-signature"].startswith("v1,")


def test_stored_reserved_header_cannot_replace_the_signature(receiver, drain):
    endpoint = make_endpoint(receiver)
    # Written around save() and its checks, as a bulk update or a fixture could.
    forged = crypto.encrypt(json.dumps({"webhook-signature": "v1,forged"}))
    Endpoint.objects.filter(pk=endpoint.pk).update(headers_encrypted=forged)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert receiver.requests == []
    [attempt] = DeliveryAttempt.objects.all()
    assert "custom headers refused" in attempt.error and "webhook-signature" in attempt.error
    assert Delivery.objects.get().status == "failed"


def test_transform_is_applied_before_signing(receiver, drain):
    endpoint = make_endpoint(receiver, transform="tests.outgoing.transforms.flat")
    plain = Endpoint.objects.create(url=receiver.url("/plain"), event_types=["*"])
    message = send_webhook("invoice.paid", {"id": 42})
    drain()
    by_path = {r.path: r for r in receiver.requests}
    body = Webhook(endpoint.secret).verify(by_path["/hook"].body, by_path["/hook"].headers)
    assert body["data"] == {"text": "invoice.paid: 42", "event": "invoice.paid"}
    assert body["type"] == "invoice.paid"
    # The message and the other endpoints keep the original data.
    other = Webhook(plain.secret).verify(by_path["/plain"].body, by_path["/plain"].headers)
    assert other["data"] == {"id": 42}
    message.refresh_from_db()
    assert message.payload == {"id": 42}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests.outgoing.transforms.broken", "failed: KeyError: 'missing'"),
        ("tests.outgoing.transforms.unserializable", "returned data JSON cannot carry"),
    ],
)
def test_transform_error_is_recorded_on_the_attempt(receiver, drain, path, expected):
    make_endpoint(receiver, transform=path)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert receiver.requests == []
    [attempt] = DeliveryAttempt.objects.all()
    assert f"transform {path!r}" in attempt.error and expected in attempt.error
    assert attempt.status_code is None
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and expected in delivery.last_error


def test_transform_error_is_retried_like_a_failed_post(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": [0.01, 0.01]}
    make_endpoint(receiver, transform="tests.outgoing.transforms.broken")
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert Delivery.objects.get().attempts == 3
    assert DeliveryAttempt.objects.count() == 3


def test_transform_removed_from_the_allow_list_stops_deliveries(receiver, drain, settings):
    make_endpoint(receiver, transform="tests.outgoing.transforms.flat")
    settings.IRONRELAY = {k: v for k, v in settings.IRONRELAY.items() if k != "OUTGOING_TRANSFORMS"}
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert receiver.requests == []
    assert "not listed in IRONRELAY['OUTGOING_TRANSFORMS']" in DeliveryAttempt.objects.get().error
