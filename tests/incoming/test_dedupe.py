"""Repeats are found on what the sender signs, not on headers anyone can change (issue 12, 6).

GitHub signs only the body: X-GitHub-Event and X-GitHub-Delivery are plain headers
(docs.github.com "Validating webhook deliveries" and "Webhook events and payloads"), and its
payloads do not name their event. Shopify likewise signs only the body, not X-Shopify-Topic or
X-Shopify-Webhook-Id (shopify.dev "Verify webhooks"). Standard Webhooks signs
"{webhook-id}.{webhook-timestamp}.{body}" (standard-webhooks spec, "Signature scheme").
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from django.test import override_settings

from ironrelay.handlers.dedupe import CONTENT, DELIVERY_ID
from ironrelay.handlers.sources import get_source
from ironrelay.models import HandlerRun, IncomingWebhook, Task

pytestmark = pytest.mark.django_db

PUSH = {"ref": "refs/heads/main", "after": "8c1a", "repository": {"full_name": "acme/app"}}


def post(client, source: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/ironrelay/incoming/{source}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def signed(source: str, body: bytes, *, msg_id: str = "msg_1", now: datetime | None = None):
    return get_source(source).scheme.sign(body, msg_id=msg_id, now=now)


def github(client, body: bytes, event: str, delivery: str):
    headers = {**signed("github", body), "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    return post(client, "github", body, headers)


def test_github_replay_with_a_new_delivery_id_is_stored_once_and_runs_once(client):
    body = json.dumps(PUSH).encode()
    first = github(client, body, "push", "72d3162e-0001")
    replay = github(client, body, "push", "72d3162e-9999")
    assert first.status_code == 202
    assert replay.status_code == 200
    assert replay.json() == {"id": first.json()["id"], "status": "received", "duplicate": True}
    assert IncomingWebhook.objects.count() == 1
    assert HandlerRun.objects.count() == 1
    assert Task.objects.count() == 1


def test_github_replay_under_another_event_name_is_not_routed_again(client):
    body = json.dumps(PUSH).encode()
    github(client, body, "push", "72d3162e-0001")
    relabelled = github(client, body, "delete", "72d3162e-0002")
    assert relabelled.status_code == 200 and relabelled.json()["duplicate"] is True
    assert list(IncomingWebhook.objects.values_list("event", flat=True)) == ["push"]
    assert [run.handler.rsplit(".", 1)[1] for run in HandlerRun.objects.all()] == ["on_github_push"]


def test_github_keeps_the_senders_delivery_id_and_stores_the_body_hash(client):
    body = json.dumps(PUSH).encode()
    github(client, body, "push", "72d3162e-0001")
    stored = IncomingWebhook.objects.get()
    assert stored.delivery_id == "72d3162e-0001"
    assert stored.content_hash == hashlib.sha256(body).hexdigest()


def test_github_redelivery_with_the_same_id_is_a_duplicate(client):
    # GitHub's own redelivery keeps X-GitHub-Delivery ("Best practices for using webhooks").
    body = json.dumps(PUSH).encode()
    github(client, body, "push", "72d3162e-0001")
    assert github(client, body, "push", "72d3162e-0001").status_code == 200
    assert IncomingWebhook.objects.count() == 1


def test_github_different_bodies_are_different_events(client):
    github(client, json.dumps(PUSH).encode(), "push", "a")
    github(client, json.dumps({**PUSH, "after": "9d2b"}).encode(), "push", "b")
    assert IncomingWebhook.objects.count() == 2
    assert HandlerRun.objects.count() == 2


def test_content_dedupe_refuses_a_genuinely_repeated_identical_body(client):
    # The trade-off docs/security.md states: the same bytes twice are one event.
    body = json.dumps({"zen": "Keep it simple"}).encode()
    assert github(client, body, "ping", "first").status_code == 202
    assert github(client, body, "ping", "second").status_code == 200
    assert IncomingWebhook.objects.count() == 1


def test_shopify_replay_with_new_unsigned_headers_is_a_duplicate(client):
    body = json.dumps({"id": 820982911946154508, "total_price": "10.00"}).encode()
    sent = {**signed("shopify", body), "X-Shopify-Topic": "orders/create"}
    first = post(client, "shopify", body, {**sent, "X-Shopify-Webhook-Id": "b54557e4"})
    replay = post(
        client,
        "shopify",
        body,
        {**sent, "X-Shopify-Webhook-Id": "ffff0000", "X-Shopify-Topic": "orders/cancelled"},
    )
    assert (first.status_code, replay.status_code) == (202, 200)
    assert list(IncomingWebhook.objects.values_list("event", flat=True)) == ["orders/create"]


def test_hmac_without_timestamp_replay_with_new_id_header_is_a_duplicate(client):
    body = json.dumps({"event": "sale", "amount": 3}).encode()
    assert (
        post(client, "partner", body, {**signed("partner", body), "X-Delivery": "p-1"}).status_code
        == 202
    )
    replay = post(client, "partner", body, {**signed("partner", body), "X-Delivery": "p-2"})
    assert replay.status_code == 200
    assert IncomingWebhook.objects.get().delivery_id == "p-1"


def test_stripe_retry_with_a_new_timestamp_is_a_duplicate_by_its_signed_id(client):
    body = json.dumps({"id": "evt_1", "type": "invoice.paid"}).encode()
    earlier = datetime.now(timezone.utc) - timedelta(seconds=60)
    assert post(client, "stripe", body, signed("stripe", body, now=earlier)).status_code == 202
    assert post(client, "stripe", body, signed("stripe", body)).status_code == 200
    stored = IncomingWebhook.objects.get()
    assert (stored.delivery_id, stored.content_hash) == ("evt_1", None)


def test_standard_same_signed_id_is_a_duplicate_and_a_new_id_is_a_new_event(client):
    body = json.dumps({"type": "invoice.paid", "data": {"id": 1}}).encode()
    assert (
        post(client, "standard", body, signed("standard", body, msg_id="msg_a")).status_code == 202
    )
    assert (
        post(client, "standard", body, signed("standard", body, msg_id="msg_a")).status_code == 200
    )
    # A new webhook-id needs a new signature: only the sender can make one, so it is a new event.
    assert (
        post(client, "standard", body, signed("standard", body, msg_id="msg_b")).status_code == 202
    )
    assert IncomingWebhook.objects.count() == 2


def test_slack_retry_with_a_new_timestamp_is_a_duplicate_by_its_signed_event_id(client):
    body = json.dumps(
        {"type": "event_callback", "event_id": "Ev1", "event": {"type": "x"}}
    ).encode()
    earlier = datetime.now(timezone.utc) - timedelta(seconds=30)
    assert post(client, "slack", body, signed("slack", body, now=earlier)).status_code == 202
    retry = {**signed("slack", body), "X-Slack-Retry-Num": "1"}
    assert post(client, "slack", body, retry).status_code == 200


def test_token_source_keeps_identical_bodies_apart(client):
    # A shared token signs nothing, so the body is no proof of a repeat: no dedupe by default.
    body = json.dumps({"event": "push"}).encode()
    headers = signed("gitlab", body)
    assert [post(client, "gitlab", body, headers).status_code for _ in range(2)] == [202, 202]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("stripe", DELIVERY_ID),  # signed timestamp; "id" in the signed body
        ("github", CONTENT),  # body only: event, delivery id are headers
        ("slack", DELIVERY_ID),  # signed timestamp; "event_id" in the signed body
        ("shopify", CONTENT),  # body only
        ("standard", DELIVERY_ID),  # webhook-id and webhook-timestamp are signed
        ("partner", CONTENT),  # hmac-sha256, no timestamp, id in an unsigned header
        ("gitlab", DELIVERY_ID),  # token: nothing signed, nothing to hash
        ("test", DELIVERY_ID),  # none
    ],
)
def test_default_dedupe_per_scheme(source, expected):
    assert get_source(source).dedupe == expected


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"id_key": "id"}, DELIVERY_ID),  # the id is in the signed body
        ({"id_header": "X-Id"}, CONTENT),
        ({"timestamp_header": "X-Ts"}, DELIVERY_ID),  # the tolerance bounds replays
        ({"timestamp_header": "X-Ts", "id_header": "X-Ts"}, DELIVERY_ID),
        ({"id_key": "id", "dedupe": CONTENT}, CONTENT),
    ],
)
def test_default_dedupe_for_hmac_sha256_follows_what_is_signed(settings, config, expected):
    sources = {"h": {"scheme": "hmac-sha256", "secrets": ["s3cret"], **config}}
    with override_settings(IRONRELAY={**settings.IRONRELAY, "SOURCES": sources}):
        assert get_source("h").dedupe == expected


def test_dedupe_on_delivery_id_can_be_chosen_for_github(client, settings):
    sources = {**settings.IRONRELAY["SOURCES"]}
    sources["github"] = {**sources["github"], "dedupe": DELIVERY_ID}
    body = json.dumps(PUSH).encode()
    with override_settings(IRONRELAY={**settings.IRONRELAY, "SOURCES": sources}):
        assert github(client, body, "push", "one").status_code == 202
        assert github(client, body, "push", "two").status_code == 202
        assert github(client, body, "push", "two").status_code == 200
    assert IncomingWebhook.objects.filter(content_hash=None).count() == 2


def test_content_dedupe_on_a_timestamped_source_refuses_only_exact_replays(client, settings):
    timestamped = {"scheme": "hmac-sha256", "secrets": ["s3cret"], "timestamp_header": "X-Ts"}
    body = json.dumps({"event": "tick"}).encode()
    earlier = datetime.now(timezone.utc) - timedelta(seconds=10)
    sources = {"ts": {**timestamped, "dedupe": CONTENT}}
    with override_settings(IRONRELAY={**settings.IRONRELAY, "SOURCES": sources}):
        captured = signed("ts", body, now=earlier)
        assert post(client, "ts", body, captured).status_code == 202
        assert post(client, "ts", body, captured).status_code == 200
        # The same body signed at another second is the sender sending again.
        assert post(client, "ts", body, signed("ts", body)).status_code == 202
    assert IncomingWebhook.objects.count() == 2


def test_invalid_webhook_holds_no_content_hash_so_a_resend_is_stored(client):
    body = json.dumps({"event": "sale", "amount": -1}).encode()
    for _ in range(2):
        response = post(client, "partner", body, signed("partner", body))
        assert response.status_code == 422
    assert list(IncomingWebhook.objects.values_list("content_hash", flat=True)) == [None, None]


def test_dashboard_and_admin_show_the_content_hash(client, admin_client):
    body = json.dumps(PUSH).encode()
    webhook_id = github(client, body, "push", "72d3162e-0001").json()["id"]
    digest = hashlib.sha256(body).hexdigest()
    dashboard = admin_client.get(f"/ironrelay/webhooks/{webhook_id}/")
    admin = admin_client.get(f"/admin/ironrelay/incomingwebhook/{webhook_id}/change/")
    assert (dashboard.status_code, admin.status_code) == (200, 200)
    assert digest in dashboard.content.decode()
    assert digest in admin.content.decode()
