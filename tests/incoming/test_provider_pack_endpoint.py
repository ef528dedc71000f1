"""Provider pack B through the endpoint: event, delivery id, 401s, 400s, Mailgun token replays."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ironrelay.handlers.sources import get_source
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

WHSEC = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
SOURCES = {
    "mailgun": {"scheme": "mailgun", "secrets": ["key-mailgun"]},
    "paddle": {"scheme": "paddle", "secrets": ["pdl_ntfset_secret"]},
    "linear": {"scheme": "linear", "secrets": ["lin_wh_secret"]},
    "intercom": {"scheme": "intercom", "secrets": ["intercom-client-secret"]},
    "typeform": {"scheme": "typeform", "secrets": ["typeform-secret"]},
    "calendly": {"scheme": "calendly", "secrets": ["calendly-key"]},
    "postmark": {"scheme": "postmark", "secrets": ["pm-password"], "username": "pm"},
    "clerk": {"scheme": "clerk", "secrets": [WHSEC]},
    "resend": {"scheme": "resend", "secrets": [WHSEC]},
    "svix": {"scheme": "svix", "secrets": [WHSEC]},
}
# source -> (payload, unsigned headers the sender adds, expected event, expected delivery id)
CASES = {
    "mailgun": ({"event-data": {"event": "delivered"}}, {}, "delivered", "msg_test_1"),
    "paddle": (
        {"event_id": "evt_01h", "event_type": "transaction.paid"},
        {},
        "transaction.paid",
        "evt_01h",
    ),
    "linear": ({"type": "Issue", "action": "create"}, {"Linear-Delivery": "d-1"}, "Issue", "d-1"),
    "intercom": (
        {"topic": "conversation.user.created", "id": "notif_1"},
        {},
        "conversation.user.created",
        "notif_1",
    ),
    "typeform": ({"event_id": "01HX", "event_type": "form_response"}, {}, "form_response", "01HX"),
    "calendly": ({"event": "invitee.created", "payload": {}}, {}, "invitee.created", ""),
    "postmark": ({"RecordType": "Bounce", "ID": 42}, {}, "Bounce", ""),
    "clerk": ({"type": "user.created", "data": {}}, {}, "user.created", "msg_test_1"),
    "resend": ({"type": "email.sent", "data": {}}, {}, "email.sent", "msg_test_1"),
    "svix": ({"type": "invoice.paid", "data": {}}, {}, "invoice.paid", "msg_test_1"),
}
TIMESTAMPED = ["mailgun", "paddle", "linear", "calendly", "clerk", "resend", "svix"]


@pytest.fixture(autouse=True)
def pack_sources(settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "SOURCES": SOURCES}


def signed(source: str, payload: dict, now: datetime | None = None) -> tuple[bytes, dict]:
    scheme = get_source(source).scheme
    return scheme.sign_request(json.dumps(payload).encode(), now=now, msg_id="msg_test_1")


def post(client, source: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/ironrelay/incoming/{source}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize("source", CASES)
def test_valid_request_is_accepted_with_event_and_delivery_id(client, source):
    payload, extra, event, delivery_id = CASES[source]
    body, headers = signed(source, payload)
    response = post(client, source, body, {**headers, **extra})
    assert response.status_code == 202, response.content
    stored = IncomingWebhook.objects.get()
    assert (stored.event, stored.delivery_id or "") == (event, delivery_id)
    assert "pm-password" not in json.dumps(stored.headers)


@pytest.mark.parametrize("source", CASES)
def test_unsigned_request_is_401(client, source):
    payload, extra, _, _ = CASES[source]
    response = post(client, source, json.dumps(payload).encode(), extra)
    assert response.status_code == 401
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", [s for s in CASES if s not in ("mailgun", "postmark")])
def test_tampered_body_is_401(client, source):
    payload, extra, _, _ = CASES[source]
    body, headers = signed(source, payload)
    response = post(client, source, body.replace(b"}", b', "x": 1}', 1), {**headers, **extra})
    assert response.status_code == 401


@pytest.mark.parametrize("source", TIMESTAMPED)
def test_replay_outside_tolerance_is_401(client, source):
    payload, extra, _, _ = CASES[source]
    body, headers = signed(source, payload, now=datetime.now(timezone.utc) - timedelta(hours=1))
    response = post(client, source, body, {**headers, **extra})
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]


def test_mailgun_replayed_token_with_edited_event_data_is_a_duplicate(client):
    body, headers = signed("mailgun", {"event-data": {"event": "delivered"}})
    assert post(client, "mailgun", body, headers).status_code == 202
    replay = body.replace(b"delivered", b"failed")
    response = post(client, "mailgun", replay, headers)
    assert (response.status_code, response.json().get("duplicate")) == (200, True)
    assert IncomingWebhook.objects.get().event == "delivered"


@pytest.mark.parametrize("source", ["paddle", "intercom", "typeform", "calendly", "clerk"])
def test_signed_non_json_body_is_400(client, source):
    body, headers = get_source(source).scheme.sign_request(b"not json", msg_id="msg_test_1")
    assert post(client, source, body, headers).status_code == 400


def test_postmark_wrong_password_is_401_and_not_stored(client):
    from ironrelay.signing import PostmarkScheme

    headers = PostmarkScheme(["guess"], username="pm").sign(b"{}")
    assert post(client, "postmark", b'{"RecordType": "Open"}', headers).status_code == 401
    assert not IncomingWebhook.objects.exists()


def test_mailgun_form_encoded_legacy_request_is_accepted_with_token_as_id(client):
    from urllib.parse import urlencode

    body, _ = signed("mailgun", {})
    fields = {**json.loads(body)["signature"], "event": "opened", "recipient": "a@example.com"}
    response = client.post(
        "/ironrelay/incoming/mailgun/",
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 202, response.content
    stored = IncomingWebhook.objects.get()
    assert (stored.event, stored.delivery_id) == ("opened", "msg_test_1")


@pytest.mark.parametrize("source", CASES)
def test_refusals_never_log_or_answer_a_secret(client, caplog, source):
    import logging

    caplog.set_level(logging.DEBUG)
    payload, extra, _, _ = CASES[source]
    body, headers = signed(source, payload)
    options = {"username": "pm"} if source == "postmark" else {}
    other = type(get_source(source).scheme)([WHSEC.replace("c2Vj", "b3Ro")], **options)
    wrong = other.sign_request(json.dumps(payload).encode(), msg_id="msg_test_2")
    attempts = [
        wrong,  # signed with a secret the source does not hold
        (body.replace(b"{", b'{"x": 1, ', 1), headers),  # tampered (Mailgun: unsigned part)
        (body, {**headers, **dict.fromkeys(headers, "garbage")}),  # malformed headers
    ]
    secrets = SOURCES[source]["secrets"]
    statuses = []
    for attempt_body, attempt_headers in attempts:
        response = post(client, source, attempt_body, {**attempt_headers, **extra})
        statuses.append(response.status_code)
        assert all(secret not in response.content.decode() for secret in secrets)
    assert statuses[0] == 401
    assert all(secret not in caplog.text for secret in secrets)
    assert any("Rejected webhook" in record.getMessage() for record in caplog.records)
