"""The incoming endpoint through Django's test client."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings

from ironrelay.models import HandlerRun, IncomingWebhook, Task
from ironrelay.signals import webhook_received

pytestmark = pytest.mark.django_db


def test_unknown_source_is_404_and_stores_nothing(post_webhook):
    response = post_webhook("nope", {"event": "ping"})
    assert response.status_code == 404
    assert "nope" in response.json()["error"]
    assert not IncomingWebhook.objects.exists()


def test_get_is_405(client):
    assert client.get("/ironrelay/incoming/test/").status_code == 405


def test_accepted_webhook_is_stored_and_answered_202(post_webhook):
    response = post_webhook("test", {"event": "ping", "value": 123}, headers={"X-Trace": "abc"})
    assert response.status_code == 202
    stored = IncomingWebhook.objects.get()
    assert response.json() == {"id": stored.pk, "status": "received"}
    assert (stored.source, stored.event, stored.payload) == (
        "test",
        "ping",
        {"event": "ping", "value": 123},
    )
    assert stored.headers["X-Trace"] == "abc"
    assert stored.remote_addr == "127.0.0.1"
    assert stored.received_at is not None


def test_handlers_are_queued_one_task_each(post_webhook):
    post_webhook("test", {"event": "ping"})
    runs = HandlerRun.objects.order_by("handler")
    assert [r.handler.rsplit(".", 1)[1] for r in runs] == ["on_any_test_event", "on_ping"]
    assert all(r.task.status == Task.Status.PENDING for r in runs)
    assert all(r.task.task_path == "ironrelay.handlers.dispatch.run_handler" for r in runs)


def test_webhook_without_matching_handler_is_processed_at_once(post_webhook):
    post_webhook("github", {"zen": "hi"}, headers={"X-GitHub-Event": "ping"})
    stored = IncomingWebhook.objects.get()
    assert stored.status == "processed"
    assert not Task.objects.exists()


def test_form_encoded_body_is_accepted(post_webhook):
    body = b"command=%2Fdeploy&text=prod&user_name=ann"
    response = post_webhook("test", body=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202
    assert IncomingWebhook.objects.get().payload == {
        "command": "/deploy",
        "text": "prod",
        "user_name": "ann",
    }


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"a=1&&=&b", "application/x-www-form-urlencoded"),
    ],
)
def test_unparseable_body_is_400_and_stores_nothing(post_webhook, body, content_type):
    response = post_webhook("test", body=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not IncomingWebhook.objects.exists()


def test_body_over_the_limit_is_413(post_webhook):
    response = post_webhook("small", {"event": "x", "pad": "y" * 200})
    assert response.status_code == 413
    assert not IncomingWebhook.objects.exists()


def test_default_limit_is_one_mebibyte(post_webhook):
    big = {"event": "ping", "pad": "x" * (1024 * 1024)}
    assert post_webhook("test", big).status_code == 413


def test_wrong_signature_is_401_stores_nothing_and_logs_without_secret(
    post_webhook, caplog, settings
):
    with caplog.at_level(logging.WARNING, logger="ironrelay"):
        response = post_webhook(
            "github", {"a": 1}, sign=False, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
        )
    assert response.status_code == 401
    assert not IncomingWebhook.objects.exists()
    assert "github" in caplog.text
    assert settings.GITHUB_SECRET not in caplog.text
    assert settings.GITHUB_SECRET not in response.content.decode()


def test_missing_signature_is_401(post_webhook):
    assert post_webhook("stripe", {"type": "x"}, sign=False).status_code == 401


def test_duplicate_delivery_id_answers_200_and_runs_nothing_again(post_webhook):
    payload = {"id": "evt_1", "type": "invoice.paid"}
    first = post_webhook("stripe", payload)
    second = post_webhook("stripe", payload)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["id"] == first.json()["id"]
    assert IncomingWebhook.objects.count() == 1
    assert Task.objects.count() == 1


def test_same_delivery_id_from_other_source_is_not_a_duplicate(post_webhook):
    post_webhook("typed", {"id": "1", "event": "a"})
    post_webhook("stripe", {"id": "1", "type": "a"})
    assert IncomingWebhook.objects.count() == 2


def test_schema_failure_is_422_stored_invalid_and_runs_nothing(post_webhook):
    response = post_webhook(
        "partner", {"event": "sale", "amount": -5}, headers={"X-Delivery": "d-1"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"path": "$.amount", "message": "-5 is less than the minimum of 0"}]
    stored = IncomingWebhook.objects.get(pk=body["id"])
    assert stored.status == "invalid"
    assert stored.errors == body["errors"]
    assert stored.delivery_id is None
    assert not Task.objects.exists()


def test_schema_pass_is_202(post_webhook):
    assert post_webhook("partner", {"event": "sale", "amount": 5}).status_code == 202


def test_per_event_schema_and_fallback(post_webhook):
    assert post_webhook("typed", {"event": "order.created"}).status_code == 422
    assert post_webhook("typed", {"event": "order.created", "order_id": 1}).status_code == 202
    assert post_webhook("typed", {"no_event": True}).status_code == 422
    assert post_webhook("typed", {"event": "other"}).status_code == 202


def test_schema_from_json_file(post_webhook, tmp_path, settings):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps({"type": "object", "required": ["must"]}))
    sources = {"filed": {"scheme": "none", "schema": str(schema_file)}}
    with override_settings(IRONRELAY={**settings.IRONRELAY, "SOURCES": sources}):
        assert post_webhook("filed", {"x": 1}).status_code == 422
        assert post_webhook("filed", {"must": 1}).status_code == 202


def test_sensitive_headers_are_not_stored(post_webhook):
    post_webhook(
        "gitlab",
        {"object_kind": "push"},
        headers={"Authorization": "Bearer abc", "Cookie": "sessionid=1", "X-Other": "kept"},
    )
    headers = IncomingWebhook.objects.get().headers
    lowered = {k.lower() for k in headers}
    assert "authorization" not in lowered and "cookie" not in lowered
    assert "x-gitlab-token" not in lowered  # carries the shared secret itself
    assert headers["X-Other"] == "kept"


def test_webhook_received_signal_is_sent_after_commit(
    post_webhook, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, webhook, **kwargs):
        seen.append(webhook.pk)

    webhook_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post_webhook("test", {"event": "ping"})
        assert seen == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        webhook_received.disconnect(receiver)
    assert seen == [IncomingWebhook.objects.get().pk]


def test_failing_signal_receiver_does_not_fail_the_request(
    post_webhook, django_capture_on_commit_callbacks
):
    def broken(sender, webhook, **kwargs):
        raise ValueError("receiver bug")

    webhook_received.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook("test", {"event": "ping"})
    finally:
        webhook_received.disconnect(broken)
    assert response.status_code == 202


def test_slack_url_verification_answers_challenge(post_webhook):
    response = post_webhook("slack", {"type": "url_verification", "challenge": "c-123"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}
