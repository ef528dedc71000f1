"""The portal JSON API: each operation, its errors, CSRF with the session, and bearer tokens."""

from __future__ import annotations

import json

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from ironrelay.models import Delivery, Endpoint, Task
from ironrelay.portal.access import TOKEN_SALT, issue_token
from tests.portal.conftest import make_customer

pytestmark = pytest.mark.django_db


def api(name: str, *args: object) -> str:
    return reverse(f"ironrelay_portal:api_{name}", args=args)


def send(client, method: str, url: str, body: object = None, **extra):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json", **extra)


def test_create_list_update_delete(alice):
    created = send(
        alice.client,
        "post",
        api("endpoints"),
        {"url": "https://new.example.com/hook", "event_types": ["invoice.paid"]},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["masked_secret"].startswith("whsec_") and "secret" not in body
    listed = alice.client.get(api("endpoints")).json()["data"]
    assert [e["id"] for e in listed] == [alice.endpoint.pk, body["id"]]
    patched = send(alice.client, "patch", api("endpoint", body["id"]), {"description": "mine"})
    assert patched.json()["description"] == "mine"
    assert patched.json()["url"] == "https://new.example.com/hook"
    assert send(alice.client, "delete", api("endpoint", body["id"])).json() == {"deleted": True}
    assert alice.client.get(api("endpoint", body["id"])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://10.0.0.5/hook"}, "url"),
        ({"url": "https://user:pw@example.com/"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://example.com/", "event_types": ["a b"]}, "event_types.0"),
        ({"url": "https://example.com/", "event_types": "invoice.paid"}, "event_types"),
        ({"url": "https://example.com/", "colour": "red"}, "body"),
        ({"description": "no url"}, "body"),
    ],
)
def test_create_refuses_bad_endpoints_with_400(alice, body, field):
    response = send(alice.client, "post", api("endpoints"), body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Endpoint.objects.filter(tenant=alice.tenant).count() == 1


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"x"', b"[" * 5000])
def test_bad_json_is_400(alice, raw):
    response = alice.client.post(api("endpoints"), raw, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_reveal_and_rotate_secret(alice):
    old = alice.endpoint.secret
    assert alice.client.get(api("secret", alice.endpoint.pk)).status_code == 405
    assert alice.client.post(api("secret", alice.endpoint.pk)).json() == {"secret": old}
    rotated = alice.client.post(api("secret_rotate", alice.endpoint.pk))
    assert rotated.status_code == 200
    new = alice.client.post(api("secret", alice.endpoint.pk)).json()["secret"]
    assert new != old and new.startswith("whsec_")
    alice.endpoint.refresh_from_db()
    assert alice.endpoint.signing_secrets()[:2] == [new, old]  # the old one still signs


def test_disable_enable(alice):
    disabled = alice.client.post(api("disable", alice.endpoint.pk)).json()
    assert disabled["is_active"] is False and "portal" in disabled["disabled_reason"]
    redeliver = alice.client.post(api("redeliver", alice.endpoint.pk, alice.delivery.pk))
    assert redeliver.status_code == 409
    assert alice.client.post(api("enable", alice.endpoint.pk)).json()["is_active"] is True


def test_send_test_queues_catalog_example(alice):
    response = send(
        alice.client, "post", api("send_test", alice.endpoint.pk), {"event_type": "invoice.paid"}
    )
    assert response.status_code == 202
    delivery = Delivery.objects.get(pk=response.json()["id"])
    assert delivery.endpoint == alice.endpoint
    assert delivery.message.payload == {"invoice_id": "in_1001", "amount": 4200}
    assert delivery.message.tenant == alice.tenant
    default = send(alice.client, "post", api("send_test", alice.endpoint.pk))
    assert default.json()["event_type"] == "ironrelay.test"
    unknown = send(alice.client, "post", api("send_test", alice.endpoint.pk), {"event_type": "x.y"})
    assert unknown.status_code == 400


def test_message_log_and_attempts(alice):
    listed = alice.client.get(api("deliveries", alice.endpoint.pk) + "?status=failed").json()
    assert [d["id"] for d in listed["data"]] == [alice.delivery.pk]
    assert listed["next_before"] is None
    detail = alice.client.get(api("delivery", alice.endpoint.pk, alice.delivery.pk)).json()
    assert detail["attempt_log"][0]["status_code"] == 500
    assert detail["attempt_log"][0]["response_body"] == f"oops from {alice.tenant}"
    for query in ("?status=lost", "?limit=0", "?before=x", "?limit=%C2%B2"):
        assert alice.client.get(api("deliveries", alice.endpoint.pk) + query).status_code == 400


def test_deliveries_paginate_with_before(alice):
    from tests.portal.conftest import failed_delivery

    extra = [failed_delivery(alice.endpoint, alice.tenant) for _ in range(3)]
    first = alice.client.get(api("deliveries", alice.endpoint.pk) + "?limit=2").json()
    assert [d["id"] for d in first["data"]] == [extra[2].pk, extra[1].pk]
    rest = alice.client.get(
        api("deliveries", alice.endpoint.pk) + f"?limit=2&before={first['next_before']}"
    ).json()
    assert [d["id"] for d in rest["data"]] == [extra[0].pk, alice.delivery.pk]
    assert rest["next_before"] is None


def test_redeliver_and_recover_queue_attempts(alice):
    before = Task.objects.count()
    response = alice.client.post(api("redeliver", alice.endpoint.pk, alice.delivery.pk))
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert Task.objects.count() == before + 1
    Delivery.objects.filter(pk=alice.delivery.pk).update(status="failed")
    recover = send(
        alice.client, "post", api("recover", alice.endpoint.pk), {"since": "2000-01-01T00:00:00Z"}
    )
    assert recover.status_code == 202
    assert recover.json()["queued"] == 1 and recover.json()["more"] is False
    bad = send(alice.client, "post", api("recover", alice.endpoint.pk), {"since": "yesterday"})
    assert bad.status_code == 400


def test_event_types_come_from_the_catalog(alice):
    data = alice.client.get(api("event_types")).json()["data"]
    paid = next(e for e in data if e["name"] == "invoice.paid")
    assert paid["description"] == "An invoice was paid in full."
    assert paid["example"] == {"invoice_id": "in_1001", "amount": 4200}
    assert "model" not in paid


def test_session_calls_need_the_csrf_token(django_user_model):
    carol = make_customer(django_user_model, "carol", enforce_csrf_checks=True)
    refused = send(carol.client, "post", api("disable", carol.endpoint.pk))
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    # A read needs no token, and sets the csrftoken cookie for the writes.
    assert carol.client.get(api("endpoints")).status_code == 200
    token = carol.client.cookies["csrftoken"].value
    allowed = send(carol.client, "post", api("disable", carol.endpoint.pk), HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200


def test_bearer_token_needs_no_session_or_csrf(alice, bob):
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(alice.tenant)}"}
    listed = client.get(api("endpoints"), **auth).json()["data"]
    assert [e["id"] for e in listed] == [alice.endpoint.pk]
    assert client.post(api("disable", alice.endpoint.pk), **auth).status_code == 200
    assert client.post(api("disable", bob.endpoint.pk), **auth).status_code == 404


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"tenant": "x"}, salt="another.salt"),
        signing.dumps({"nothing": 1}, salt=TOKEN_SALT),
        signing.dumps({"tenant": ""}, salt=TOKEN_SALT),
    ],
)
def test_bad_tokens_are_401(db, token):
    response = Client().get(api("endpoints"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(alice, settings):
    token = issue_token(alice.tenant)
    settings.IRONRELAY = {**settings.IRONRELAY, "PORTAL_TOKEN_MAX_AGE": -1}
    response = Client().get(api("endpoints"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401 and "expired" in response.json()["error"]


def test_no_tenant_is_403(db, admin_client):
    assert Client().get(api("endpoints")).status_code == 403  # anonymous
    assert admin_client.get(api("endpoints")).status_code == 403  # staff: not a customer


def test_wrong_method_is_405_json(alice):
    response = alice.client.put(api("endpoints"), "{}", content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"


def test_openapi_document_is_served(db):
    document = Client().get(api("openapi")).json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/webhooks/api"}]
    assert "/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver" in document["paths"]


def test_custom_headers_are_stored_encrypted_and_read_back_masked(alice):
    url = api("endpoint", alice.endpoint.pk)
    body = {"custom_headers": {"Authorization": "Bearer rcv_0123456789abcdef"}}
    patched = send(alice.client, "patch", url, body)
    assert patched.status_code == 200
    shown = patched.json()["custom_headers"]["Authorization"]
    assert "0123456789" not in shown and "0123456789" not in patched.content.decode()
    alice.endpoint.refresh_from_db()
    assert alice.endpoint.custom_headers == {"Authorization": "Bearer rcv_0123456789abcdef"}
    kept = send(alice.client, "patch", url, {"description": "headers stay"})
    assert kept.json()["custom_headers"] == patched.json()["custom_headers"]
    refused = send(alice.client, "patch", url, {"custom_headers": {"webhook-signature": "v1,x"}})
    assert refused.status_code == 400 and "custom_headers" in refused.json()["fields"]
    cleared = send(alice.client, "patch", url, {"custom_headers": {}})
    assert cleared.json()["custom_headers"] == {}


def test_the_csrf_cookie_is_set_without_csrf_middleware(django_user_model, settings):
    """A project without CsrfViewMiddleware still gets the cookie its writes need."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "CsrfViewMiddleware" not in m]
    carol = make_customer(django_user_model, "carol", enforce_csrf_checks=True)
    assert carol.client.get(api("endpoints")).status_code == 200
    token = carol.client.cookies["csrftoken"].value
    refused = send(carol.client, "post", api("disable", carol.endpoint.pk))
    assert refused.status_code == 403
    allowed = send(carol.client, "post", api("disable", carol.endpoint.pk), HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200 and allowed.json()["is_active"] is False
