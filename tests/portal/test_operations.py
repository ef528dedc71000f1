"""Portal operations shared by the pages and the API: what each refuses, and their bounds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ironrelay.models import Delivery, Endpoint, OutgoingWebhook, Task
from ironrelay.outgoing import delivery as outgoing
from ironrelay.portal import operations
from tests.portal.conftest import failed_delivery

pytestmark = pytest.mark.django_db


def test_send_test_refuses_a_disabled_endpoint(alice):
    Endpoint.objects.filter(pk=alice.endpoint.pk).update(is_active=False)
    alice.endpoint.refresh_from_db()
    messages, tasks = OutgoingWebhook.objects.count(), Task.objects.count()
    with pytest.raises(operations.EndpointDisabled, match="enable it"):
        operations.send_test(alice.endpoint, "invoice.paid")
    api = alice.client.post(
        reverse("ironrelay_portal:api_send_test", args=[alice.endpoint.pk]),
        json.dumps({"event_type": "invoice.paid"}),
        content_type="application/json",
    )
    assert api.status_code == 409 and "disabled" in api.json()["error"]
    page = alice.client.post(
        reverse("ironrelay_portal:send_test", args=[alice.endpoint.pk]),
        {"event_type": "invoice.paid"},
        follow=True,
    )
    assert b"enable it before sending a test event" in page.content
    assert (OutgoingWebhook.objects.count(), Task.objects.count()) == (messages, tasks)


def unreadable(endpoint: Endpoint) -> None:
    """Store the endpoint's secret and headers encrypted with a key the site does not have."""
    from cryptography.fernet import Fernet

    other = Fernet(Fernet.generate_key())
    Endpoint.objects.filter(pk=endpoint.pk).update(
        secret_encrypted=other.encrypt(b"whsec_lost").decode(),
        headers_encrypted=other.encrypt(b'{"X-Key": "lost"}').decode(),
    )


def test_an_unreadable_secret_is_a_409_and_the_list_still_works(alice):
    second = Endpoint.objects.create(url="https://hooks.alice.example.com/two", tenant=alice.tenant)
    unreadable(second)
    listed = alice.client.get(reverse("ironrelay_portal:api_endpoints"))
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()["data"]}
    assert rows[second.pk]["masked_secret"] is None and rows[second.pk]["custom_headers"] is None
    assert rows[alice.endpoint.pk]["masked_secret"].startswith("whsec_")
    one = alice.client.get(reverse("ironrelay_portal:api_endpoint", args=[second.pk]))
    assert one.status_code == 200 and one.json()["masked_secret"] is None
    secret = alice.client.post(reverse("ironrelay_portal:api_secret", args=[second.pk]))
    assert secret.status_code == 409 and "cannot be read" in secret.json()["error"]
    page = alice.client.get(reverse("ironrelay_portal:endpoint_detail", args=[second.pk]))
    assert page.status_code == 409 and b"cannot be read" in page.content
    assert alice.client.get(reverse("ironrelay_portal:endpoint_list")).status_code == 200


def api(name: str, *args: object) -> str:
    return reverse(f"ironrelay_portal:api_{name}", args=args)


def test_redeliver_refuses_a_pending_delivery(alice):
    Delivery.objects.filter(pk=alice.delivery.pk).update(status=Delivery.Status.PENDING)
    tasks = Task.objects.count()
    response = alice.client.post(api("redeliver", alice.endpoint.pk, alice.delivery.pk))
    assert response.status_code == 409 and "still pending" in response.json()["error"]
    page = alice.client.post(
        reverse("ironrelay_portal:redeliver", args=[alice.endpoint.pk, alice.delivery.pk]),
        follow=True,
    )
    assert b"still pending" in page.content
    assert Task.objects.count() == tasks


def test_redeliver_twice_queues_one_attempt(alice):
    """The first POST makes the delivery pending; the second one is refused, not stacked."""
    tasks = Task.objects.count()
    url = api("redeliver", alice.endpoint.pk, alice.delivery.pk)
    assert alice.client.post(url).status_code == 202
    assert alice.client.post(url).status_code == 409
    assert Task.objects.count() == tasks + 1


def test_recover_is_bounded_by_age_and_batch(alice, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(operations, "RECOVER_BATCH", 3)
    recent = [failed_delivery(alice.endpoint, alice.tenant) for _ in range(4)]
    ancient = failed_delivery(alice.endpoint, alice.tenant)
    Delivery.objects.filter(pk=ancient.pk).update(created_at=timezone.now() - timedelta(days=31))
    tasks = Task.objects.count()
    url = api("recover", alice.endpoint.pk)
    body = json.dumps({"since": "1970-01-01T00:00:00Z"})
    with django_assert_max_num_queries(15):  # a fixed number, however many are queued
        first = alice.client.post(url, body, content_type="application/json")
    assert first.status_code == 202
    assert first.json()["queued"] == 3 and first.json()["more"] is True
    assert first.json()["since"] > "2026"
    second = alice.client.post(url, body, content_type="application/json").json()
    assert second["queued"] == 2 and second["more"] is False  # alice.delivery and the 4th
    assert Task.objects.count() == tasks + 5
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[ancient.pk] == Delivery.Status.FAILED
    assert {statuses[d.pk] for d in recent} == {Delivery.Status.PENDING}


def test_recover_skips_deliveries_of_another_tenant(alice, bob):
    """After staff move an endpoint, recover leaves the previous tenant's deliveries alone."""
    Endpoint.objects.filter(pk=alice.endpoint.pk).update(tenant=bob.tenant)
    body = json.dumps({"since": "2000-01-01T00:00:00Z"})
    response = bob.client.post(
        api("recover", alice.endpoint.pk), body, content_type="application/json"
    )
    assert response.status_code == 202 and response.json()["queued"] == 0
    alice.delivery.refresh_from_db()
    assert alice.delivery.status == Delivery.Status.FAILED


def test_redeliver_failed_uses_the_same_queries_for_one_or_many(alice):
    Delivery.objects.filter(pk=alice.delivery.pk).update(status=Delivery.Status.DELIVERED)

    def queries_to_recover(count: int) -> int:
        for _ in range(count):
            failed_delivery(alice.endpoint, alice.tenant)
        with CaptureQueriesContext(connection) as captured:
            queued = outgoing.redeliver_failed(alice.endpoint, timezone.now() - timedelta(days=1))
        assert queued == count
        return len(captured.captured_queries)

    assert queries_to_recover(1) == queries_to_recover(10)
