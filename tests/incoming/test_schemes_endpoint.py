"""Every configured scheme through the endpoint: the security cases each source must pass."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from ironrelay.handlers.sources import get_source
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

# source -> (payload, extra headers the sender always sends, expected event, expected delivery id)
CASES = {
    "stripe": (
        {"id": "evt_9", "type": "payment_intent.succeeded"},
        {},
        "payment_intent.succeeded",
        "evt_9",
    ),
    "github": (
        {"zen": "Keep it simple"},
        {"X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e"},
        "push",
        "72d3162e",
    ),
    "slack": (
        {"type": "event_callback", "event_id": "Ev01", "event": {"type": "app_mention"}},
        {},
        "app_mention",
        "Ev01",
    ),
    "shopify": (
        {"id": 820982911946154508},
        {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "b54557e4"},
        "orders/create",
        "b54557e4",
    ),
    "standard": ({"type": "invoice.paid", "data": {}}, {}, "invoice.paid", "msg_test_1"),
    "gitlab": ({"event": "push"}, {}, "push", ""),
    "partner": ({"event": "sale", "amount": 1}, {"X-Delivery": "p-1"}, "sale", "p-1"),
}
TIMESTAMPED = ["stripe", "slack", "standard"]
BODY_SIGNED = [name for name in CASES if name != "gitlab"]  # a shared token does not sign the body


def signed(source: str, body: bytes, now: datetime | None = None) -> dict[str, str]:
    return get_source(source).scheme.sign(body, now=now, msg_id="msg_test_1")


def post(client, source: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/ironrelay/incoming/{source}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize("source", CASES)
def test_valid_signature_is_accepted_with_event_and_delivery_id(client, source):
    payload, extra, event, delivery_id = CASES[source]
    body = json.dumps(payload).encode()
    response = post(client, source, body, {**signed(source, body), **extra})
    assert response.status_code == 202, response.content
    stored = IncomingWebhook.objects.get()
    assert (stored.event, stored.delivery_id or "") == (event, delivery_id)


@pytest.mark.parametrize("source", BODY_SIGNED)
def test_tampered_body_is_401(client, source):
    payload, extra, _, _ = CASES[source]
    body = json.dumps(payload).encode()
    headers = {**signed(source, body), **extra}
    response = post(client, source, body.replace(b"}", b', "x": 1}', 1), headers)
    assert response.status_code == 401
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", CASES)
def test_missing_signature_headers_is_401(client, source):
    payload, extra, _, _ = CASES[source]
    response = post(client, source, json.dumps(payload).encode(), extra)
    assert response.status_code == 401
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", CASES)
def test_signature_made_with_another_secret_is_401(client, source, settings):
    from ironrelay.signing import get_scheme_class

    payload, extra, _, _ = CASES[source]
    body = json.dumps(payload).encode()
    config = settings.IRONRELAY["SOURCES"][source]
    options = {k: v for k, v in config.items() if k in ("header", "prefix", "encoding")}
    other = get_scheme_class(config["scheme"])(["whsec_c29tZW90aGVyc2VjcmV0"], **options)
    response = post(client, source, body, {**other.sign(body, msg_id="msg_test_1"), **extra})
    assert response.status_code == 401


@pytest.mark.parametrize("source", TIMESTAMPED)
@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_timestamp_outside_tolerance_is_401(client, source, offset):
    payload, extra, _, _ = CASES[source]
    body = json.dumps(payload).encode()
    when = datetime.now(timezone.utc) + timedelta(seconds=offset)
    response = post(client, source, body, {**signed(source, body, now=when), **extra})
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]


def test_rotated_stripe_secret_still_verifies(client):
    from ironrelay.signing import StripeScheme

    body = json.dumps({"id": "evt_old", "type": "charge.refunded"}).encode()
    old = StripeScheme(["whsec_old_rotated_secret"]).sign(body)
    assert post(client, "stripe", body, old).status_code == 202


def test_svix_header_names_are_accepted(client):
    body = json.dumps({"type": "user.created"}).encode()
    headers = {k.replace("webhook-", "svix-"): v for k, v in signed("standard", body).items()}
    response = post(client, "standard", body, headers)
    assert response.status_code == 202
    assert IncomingWebhook.objects.get().delivery_id == "msg_test_1"


def test_github_published_test_vector_through_endpoint(client):
    body = b"Hello, World!"
    headers = {
        "X-Hub-Signature-256": (
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        ),
        "X-GitHub-Event": "ping",
    }
    response = client.post(
        "/ironrelay/incoming/github/", data=body, content_type="text/plain", headers=headers
    )
    # The signature verifies; the body is then refused as not JSON: 400, not 401.
    assert response.status_code == 400


def test_replayed_request_outside_tolerance_is_refused(client):
    body = json.dumps({"id": "evt_r", "type": "x"}).encode()
    then = datetime.fromtimestamp(time.time() - 3600, timezone.utc)
    headers = signed("stripe", body, now=then)
    assert post(client, "stripe", body, headers).status_code == 401
