"""Done-when of the customer portal: two customers, their own endpoints, only their own events.

A project sets PORTAL_TENANT (tests.portal.tenants.tenant_for); each customer logs in and creates
an endpoint through the portal API (session + CSRF) pointing at a real receiver on 127.0.0.1; the
site sends each customer an event; a real worker process delivers; each receiver gets only its
own customer's event, verified with the standardwebhooks library and the secret the portal
revealed.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook, WebhookVerificationError

from ironrelay import send_webhook
from tests.receiver import Receiver

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


def portal_api(client: Client, method: str, name: str, *args: object, body: object = None):
    """Call the portal API as a browser app does: session cookie plus the CSRF header."""
    url = reverse(f"ironrelay_portal:api_{name}", args=args)
    if "csrftoken" not in client.cookies:
        client.get(reverse("ironrelay_portal:api_endpoints"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    data = json.dumps(body) if body is not None else ""
    response = getattr(client, method)(
        url, data, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code < 300, response.content
    return response.json()


def test_two_customers_each_receive_only_their_own_events(django_user_model, start_worker):
    customers = {}
    with Receiver() as receiver:
        for name in ("alice", "bob"):
            user = django_user_model.objects.create_user(name, password="pw")
            client = Client(enforce_csrf_checks=True)
            client.force_login(user)
            endpoint = portal_api(
                client,
                "post",
                "endpoints",
                body={"url": receiver.url(f"/{name}"), "event_types": ["invoice.*"]},
            )
            secret = portal_api(client, "post", "secret", endpoint["id"])["secret"]
            customers[name] = (user, client, endpoint, secret)

        for name, (user, *_rest) in customers.items():
            send_webhook("invoice.paid", {"invoice_id": f"in_{name}", "amount": 100}, tenant=user)
        worker = start_worker("--burst")
        receiver.wait_for(2, timeout=30)
        assert worker.wait(timeout=30) == 0  # a burst worker exits once nothing is due
        requests = receiver.requests

    assert sorted(r.path for r in requests) == ["/alice", "/bob"]
    for request in requests:
        name = request.path.strip("/")
        other = "bob" if name == "alice" else "alice"
        payload = Webhook(customers[name][3]).verify(request.body, request.headers)
        assert payload["type"] == "invoice.paid"
        assert payload["data"] == {"invoice_id": f"in_{name}", "amount": 100}
        with pytest.raises(WebhookVerificationError):
            Webhook(customers[other][3]).verify(request.body, request.headers)

    # Each customer's message log shows its one delivery, delivered, with the 200 it got.
    for _user, client, endpoint, _secret in customers.values():
        log = portal_api(client, "get", "deliveries", endpoint["id"])["data"]
        assert [(d["status"], d["last_status_code"]) for d in log] == [("delivered", 200)]
        detail = portal_api(client, "get", "delivery", endpoint["id"], log[0]["id"])
        assert detail["attempt_log"][0]["status_code"] == 200
