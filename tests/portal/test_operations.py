"""Portal operations shared by the pages and the API: what each refuses, and their bounds."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ironrelay.models import Endpoint, OutgoingWebhook, Task
from ironrelay.portal import operations

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
