"""Deliveries to a real HTTP receiver on 127.0.0.1, run by the worker."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import override_settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ironrelay import send_webhook
from ironrelay.models import Delivery, Endpoint, Task
from ironrelay.outgoing import delivery as outgoing
from ironrelay.signals import endpoint_disabled
from ironrelay.signing import generate_ed25519_keypair
from tests.receiver import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def make_endpoint(receiver, path: str = "/hook", **fields) -> Endpoint:
    return Endpoint.objects.create(url=receiver.url(path), event_types=["*"], **fields)


def test_delivered_with_standard_webhooks_signature(receiver, drain):
    endpoint = make_endpoint(receiver)
    message = send_webhook("invoice.paid", {"id": 42})
    drain()
    [request] = receiver.requests
    headers = request.headers
    assert headers["webhook-id"] == message.id
    assert headers["user-agent"].startswith("IronRelay/")
    body = json.loads(request.body)
    assert body["type"] == "invoice.paid" and body["data"] == {"id": 42} and body["timestamp"]
    # Verified by the reference implementation (raises on a bad signature).
    assert Webhook(endpoint.secret).verify(request.body, headers) == body
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.response_body, attempt.error) == (200, "ok", "")
    assert attempt.duration_ms > 0


def test_500_then_success_is_retried_with_full_history(receiver, drain):
    receiver.script("/hook", Reply(500, body="boom"), Reply(200, body="fine"))
    make_endpoint(receiver)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    log = list(delivery.attempt_log.values_list("number", "status_code", "response_body"))
    assert log == [(1, 500, "boom"), (2, 200, "fine")]
    assert Endpoint.objects.get().consecutive_failures == 0


def test_retries_stop_after_the_schedule_and_count_a_failed_delivery(receiver, drain):
    receiver.script("/hook", Reply(503, body="down"))
    make_endpoint(receiver)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 4)  # first try + 3 scheduled retries
    assert delivery.last_status_code == 503
    assert Endpoint.objects.get().consecutive_failures == 1


@override_settings()
def test_timeout_is_a_failed_attempt(receiver, drain, settings):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "OUTGOING_READ_TIMEOUT": 0.3,
        "OUTGOING_RETRY_SCHEDULE": [],
    }
    receiver.script("/hook", Reply(200, delay=2))
    make_endpoint(receiver)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    [attempt] = Delivery.objects.get().attempt_log.all()
    assert attempt.status_code is None
    assert "timeout" in attempt.error


def test_connection_refused_is_a_failed_attempt(drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": []}
    Endpoint.objects.create(url="http://127.0.0.1:9/nothing-listens", event_types=["*"])
    send_webhook("invoice.paid", {"id": 1})
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert "refused" in delivery.attempt_log.get().error


def test_410_gone_disables_the_endpoint_and_sends_signal(receiver, drain):
    seen = []
    endpoint_disabled.connect(
        lambda sender, endpoint, reason, **kw: seen.append(reason), weak=False
    )
    try:
        receiver.script("/hook", Reply(410, body="gone"))
        make_endpoint(receiver)
        send_webhook("invoice.paid", {"id": 1})
        drain()
    finally:
        endpoint_disabled.receivers.clear()
    endpoint = Endpoint.objects.get()
    assert not endpoint.is_active
    assert "410" in endpoint.disabled_reason
    assert seen == [endpoint.disabled_reason]
    assert Delivery.objects.get().attempts == 1  # no retry after 410
    send_webhook("invoice.paid", {"id": 2})
    assert Delivery.objects.count() == 1  # disabled endpoints get nothing new


def test_redirect_is_not_followed(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": []}
    receiver.script("/hook", Reply(302, {"Location": receiver.url("/elsewhere")}))
    make_endpoint(receiver)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert Delivery.objects.get().status == "failed"
    assert Delivery.objects.get().last_status_code == 302


def test_private_address_is_refused_without_traffic_or_retry(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_ALLOW": []}
    make_endpoint(receiver)
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "blocked" in delivery.last_error and "127.0.0.1" in delivery.last_error


def test_refused_delivery_says_how_to_allow_the_address(receiver, settings, caplog):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_ALLOW": []}
    endpoint = make_endpoint(receiver)
    message = send_webhook("invoice.paid", {"id": 1})
    hint = '(to allow it, add "127.0.0.1/32" to IRONRELAY["OUTGOING_ALLOW"])'
    with caplog.at_level("WARNING", logger="ironrelay"):
        outcome = outgoing.deliver(message.id, endpoint.pk)
    assert outcome == f"attempt 1 failed: blocked: 127.0.0.1 is a loopback address {hint}"
    [attempt] = Delivery.objects.get().attempt_log.all()
    assert attempt.error == f"blocked: 127.0.0.1 is a loopback address {hint}"
    logged = {r.name: r.getMessage() for r in caplog.records}
    assert hint in logged["ironrelay.http"] and hint in logged["ironrelay.outgoing"]
    assert receiver.requests == []


@pytest.mark.parametrize("allow", [[], ["127.0.0.1/32"]])
def test_url_stored_without_save_is_still_guarded(receiver, settings, allow):
    # update() skips the model's validation; the guard at the HTTP layer must hold anyway.
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_ALLOW": allow}
    endpoint = make_endpoint(receiver)
    hostile = f"http://127.0.0.1:{receiver.port}\\@93.184.215.14/"
    Endpoint.objects.filter(pk=endpoint.pk).update(url=hostile)
    message = send_webhook("invoice.paid", {"id": 1})
    outcome = outgoing.deliver(message.id, endpoint.pk)
    assert outcome == "attempt 1 failed: blocked: the URL contains a backslash"
    assert receiver.requests == []
    assert Delivery.objects.get().status == "failed"


def test_rotated_secret_signs_with_both_secrets(receiver, drain):
    endpoint = make_endpoint(receiver)
    old = endpoint.secret
    new = endpoint.rotate_secret(overlap=3600)
    endpoint.save()
    send_webhook("invoice.paid", {"id": 1})
    drain()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(request.body, request.headers)


def test_ed25519_v1a_signature_verifies_with_cryptography(receiver, drain):
    private, public = generate_ed25519_keypair()
    endpoint = make_endpoint(receiver)
    endpoint.signing_key = private
    endpoint.save()
    send_webhook("invoice.paid", {"id": 1})
    drain()
    [request] = receiver.requests
    h = request.headers
    [v1a] = [s.split(",", 1)[1] for s in h["webhook-signature"].split() if s.startswith("v1a,")]
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + request.body
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
    key.verify(base64.b64decode(v1a), signed)  # raises InvalidSignature if wrong


def test_repeated_failures_disable_endpoint(receiver, drain, settings):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "OUTGOING_RETRY_SCHEDULE": [],
        "ENDPOINT_DISABLE_AFTER_FAILURES": 3,
    }
    receiver.script("/hook", Reply(500))
    make_endpoint(receiver)
    for i in range(3):
        send_webhook("invoice.paid", {"id": i})
        drain()
    endpoint = Endpoint.objects.get()
    assert not endpoint.is_active
    assert "3 deliveries in a row failed" in endpoint.disabled_reason


def test_disable_logs_the_host_not_the_urls_credentials_or_query(caplog):
    endpoint = Endpoint.objects.create(url="https://hooks.example.com/in", event_types=["*"])
    # Written without save(), as a fixture or raw SQL could: the model's validation never ran.
    Endpoint.objects.filter(pk=endpoint.pk).update(
        url="https://user:hunter2@hooks.example.com/in?token=s3cret"
    )
    endpoint.refresh_from_db()
    with caplog.at_level("WARNING", logger="ironrelay"):
        outgoing.disable(endpoint, "410 Gone")
    [line] = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
    assert "hooks.example.com" in line
    assert "hunter2" not in line and "s3cret" not in line and "user" not in line


def test_failing_for_days_disables_endpoint(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": []}
    receiver.script("/hook", Reply(500))
    make_endpoint(receiver, failing_since=timezone.now() - timedelta(days=6))
    send_webhook("invoice.paid", {"id": 1})
    drain()
    assert "failing since" in Endpoint.objects.get().disabled_reason


def test_manual_redeliver_and_redeliver_failed_since(receiver, drain, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_RETRY_SCHEDULE": []}
    receiver.script("/hook", Reply(500), Reply(500), Reply(200))
    endpoint = make_endpoint(receiver)
    send_webhook("a.b", {"id": 1})
    send_webhook("a.b", {"id": 2})
    drain()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    assert outgoing.redeliver_failed(endpoint, since=timezone.now() - timedelta(hours=1)) == 2
    drain()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert sorted(Delivery.objects.values_list("attempts", flat=True)) == [2, 2]


def test_retry_after_is_honoured_within_bounds():
    from ironrelay.http import HttpResult

    def result(value: str) -> HttpResult:
        return HttpResult(429, {"retry-after": value}, "", 1.0)

    with override_settings(IRONRELAY={"OUTGOING_RETRY_JITTER": 0, "OUTGOING_RETRY_AFTER_MAX": 600}):
        assert outgoing.retry_delay(1, result("120")) == 120
        assert outgoing.retry_delay(1, result("99999")) == 600
        assert outgoing.retry_delay(1, result("0")) == 1
        assert outgoing.retry_delay(1, result("soon")) == 5  # unreadable: the schedule's 5 s
        assert outgoing.retry_delay(8, result("120")) is None  # schedule exhausted


def test_default_schedule_follows_standard_webhooks():
    from ironrelay.http import HttpResult

    failure = HttpResult(500, {}, "", 1.0)
    with override_settings(IRONRELAY={"OUTGOING_RETRY_JITTER": 0}):
        delays = [outgoing.retry_delay(n, failure) for n in range(1, 9)]
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000, None]


def test_slow_endpoint_does_not_hold_up_others(receiver, drain, settings):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "OUTGOING_READ_TIMEOUT": 2,
        "OUTGOING_RETRY_SCHEDULE": [],
    }
    receiver.script("/slow", Reply(200, delay=5))
    receiver.script("/fast", Reply(200))
    make_endpoint(receiver, "/slow")  # created first, so its delivery is claimed first
    make_endpoint(receiver, "/fast")
    send_webhook("invoice.paid", {"id": 1})
    drain(concurrency=2)
    slow = Delivery.objects.get(endpoint__url__endswith="/slow")
    fast = Delivery.objects.get(endpoint__url__endswith="/fast")
    assert slow.status == "failed" and "timeout" in slow.last_error
    assert fast.status == "delivered"
    # The fast endpoint was served while the slow one was still waiting for its timeout.
    assert fast.finished_at < slow.finished_at
    assert fast.attempt_log.get().at < slow.attempt_log.get().at + timedelta(seconds=2)
    assert not Task.objects.filter(status="running").exists()
