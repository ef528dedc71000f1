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
