"""Provider-pack sources through the endpoint: signed URLs, proxies, handshakes, dedupe."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from ironrelay.handlers.sources import get_source
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def url_of(source: str) -> str:
    return f"http://testserver/ironrelay/incoming/{source}/"


def signed(source: str, body: bytes, now: datetime | None = None) -> dict[str, str]:
    scheme = get_source(source).scheme
    if hasattr(scheme, "url"):
        return scheme.sign(body, now=now, url=scheme.url or url_of(source))
    return scheme.sign(body, now=now)


def post(client, source, body, headers, content_type=JSON, **extra):
    return client.post(
        f"/ironrelay/incoming/{source}/",
        data=body,
        content_type=content_type,
        headers=headers,
        **extra,
    )


# source -> (body, content type, extra unsigned headers, expected event, expected delivery id)
CASES = {
    "twilio": (
        urlencode({"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+1555"}).encode(),
        FORM,
        {"I-Twilio-Idempotency-Token": "idem-1"},
        "delivered",
        "idem-1",
    ),
    "sendgrid": (
        b'[{"event":"delivered","sg_event_id":"sg-1","email":"a@example.com"}]',
        JSON,
        {},
        "delivered",
        "sg-1",
    ),
    "square": (
        b'{"type":"payment.updated","event_id":"sq-1","data":{}}',
        JSON,
        {},
        "payment.updated",
        "sq-1",
    ),
    "zoom": (
        b'{"event":"meeting.started","payload":{}}',
        JSON,
        {"x-zm-trackingid": "zm-1"},
        "meeting.started",
        "zm-1",
    ),
    "discord": (
        b'{"type":2,"id":"1234567890","data":{"name":"hello"}}',
        JSON,
        {},
        "2",
        "1234567890",
    ),
    "hubspot": (
        b'[{"eventId":77,"subscriptionType":"contact.creation","objectId":5}]',
        JSON,
        {},
        "contact.creation",
        "77",
    ),
    "mandrill": (
        urlencode({"mandrill_events": '[{"event":"open","_id":"md-1"}]'}).encode(),
        FORM,
        {},
        "open",
        "md-1",
    ),
}
TIMESTAMPED = ["sendgrid", "zoom", "discord", "hubspot"]


@pytest.mark.parametrize("source", CASES)
def test_provider_signed_request_is_stored_with_event_and_delivery_id(client, source):
    body, content_type, extra, event, delivery_id = CASES[source]
    response = post(client, source, body, {**signed(source, body), **extra}, content_type)
    assert response.status_code == 202, response.content
    stored = IncomingWebhook.objects.get()
    assert (stored.event, stored.delivery_id or "") == (event, delivery_id)


@pytest.mark.parametrize("source", CASES)
def test_provider_tampered_body_is_401_and_nothing_stored(client, source):
    body, content_type, extra, _, _ = CASES[source]
    headers = {**signed(source, body), **extra}
    tampered = body + b" "
    assert post(client, source, tampered, headers, content_type).status_code == 401
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", CASES)
def test_provider_missing_signature_is_401(client, source):
    body, content_type, extra, _, _ = CASES[source]
    assert post(client, source, body, extra, content_type).status_code == 401
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", TIMESTAMPED)
def test_provider_timestamp_outside_tolerance_is_401(client, source):
    body, content_type, extra, _, _ = CASES[source]
    old = datetime.now(timezone.utc) - timedelta(seconds=301)
    response = post(client, source, body, {**signed(source, body, now=old), **extra}, content_type)
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]


@pytest.mark.parametrize("source", CASES)
def test_provider_replayed_request_is_a_duplicate(client, source):
    body, content_type, extra, _, _ = CASES[source]
    headers = {**signed(source, body), **extra}
    assert post(client, source, body, headers, content_type).status_code == 202
    again = post(client, source, body, headers, content_type)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert IncomingWebhook.objects.count() == 1


@pytest.fixture
def rebuilt_url(settings):
    """Drop the square source's 'url' option, so the view rebuilds the URL from the request."""
    square = {k: v for k, v in settings.IRONRELAY["SOURCES"]["square"].items() if k != "url"}
    sources = {**settings.IRONRELAY["SOURCES"], "square": square}
    settings.IRONRELAY = {**settings.IRONRELAY, "SOURCES": sources}


def test_url_rebuilt_from_the_request_verifies(client, rebuilt_url):
    body = CASES["square"][0]
    assert post(client, "square", body, signed("square", body)).status_code == 202


def test_url_signed_for_https_fails_when_django_sees_http_behind_a_proxy(client, rebuilt_url):
    body = CASES["square"][0]
    https = get_source("square").scheme.sign(body, url=url_of("square").replace("http:", "https:"))
    assert post(client, "square", body, https).status_code == 401


def test_secure_proxy_ssl_header_makes_the_rebuilt_url_https(client, settings, rebuilt_url):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    body = CASES["square"][0]
    https = get_source("square").scheme.sign(body, url=url_of("square").replace("http:", "https:"))
    # A proxy passes the Host it was called with and says the scheme was https.
    proxied = {"Host": "testserver", "X-Forwarded-Proto": "https"}
    response = post(client, "square", body, {**https, **proxied})
    assert response.status_code == 202, response.content


def test_url_option_is_what_the_signature_is_checked_against(client):
    body = CASES["square"][0]
    scheme = get_source("square-proxied").scheme
    as_provider = scheme.sign(
        body, url="https://hooks.example.com/ironrelay/incoming/square-proxied/"
    )
    assert post(client, "square-proxied", body, as_provider).status_code == 202
    as_django_sees_it = scheme.sign(body, url=url_of("square-proxied"))
    assert post(client, "square-proxied", body, as_django_sees_it).status_code == 401


def test_zoom_url_validation_is_answered_and_not_stored(client):
    import hashlib
    import hmac

    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "plain-123"}}
    ).encode()
    response = post(client, "zoom", body, signed("zoom", body))
    expected = hmac.new(b"zoom-secret-token-for-tests", b"plain-123", hashlib.sha256).hexdigest()
    assert response.status_code == 200
    assert response.json() == {"plainToken": "plain-123", "encryptedToken": expected}
    assert not IncomingWebhook.objects.exists()


def test_zoom_unsigned_url_validation_is_401_without_a_token(client):
    body = b'{"event":"endpoint.url_validation","payload":{"plainToken":"p"}}'
    response = post(client, "zoom", body, {})
    assert response.status_code == 401
    assert "encryptedToken" not in response.content.decode()


def test_discord_ping_is_answered_with_type_1_and_not_stored(client):
    body = b'{"type":1,"id":"1","application_id":"2","token":"t","version":1}'
    response = post(client, "discord", body, signed("discord", body))
    assert (response.status_code, response.json()) == (200, {"type": 1})
    assert not IncomingWebhook.objects.exists()


def test_discord_webhook_event_ping_is_204(client):
    body = b'{"version":1,"application_id":"2","type":0}'
    response = post(client, "discord", body, signed("discord", body))
    assert response.status_code == 204 and not response.content
    assert not IncomingWebhook.objects.exists()


def test_discord_unsigned_ping_is_401(client):
    assert post(client, "discord", b'{"type":1}', {}).status_code == 401


def test_mandrill_url_check_by_head_is_200_and_stores_nothing(client):
    # Mandrill checks a new webhook URL with a HEAD request before it posts events.
    response = client.head("/ironrelay/incoming/mandrill/")
    assert response.status_code == 200
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize("source", ["stripe", "twilio", "no-such-source"])
def test_head_is_405_for_other_sources(client, source):
    assert client.head(f"/ironrelay/incoming/{source}/").status_code == 405
