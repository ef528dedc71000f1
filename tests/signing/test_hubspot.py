"""HubSpotScheme against HubSpot's own client library (hubspot.utils.signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest
from hubspot.utils.signature import Signature

from ironrelay.signing import HubSpotScheme, InvalidSignature, TimestampOutOfTolerance

SECRET = "hubspot-client-secret-7Yq"
URL = "https://hooks.example.com/ironrelay/incoming/hubspot/"
BODY = b'[{"eventId":100,"subscriptionType":"contact.creation","objectId":123}]'


def now_ms(now: datetime) -> str:
    return str(int(now.timestamp() * 1000))


def hubspot_headers(body: bytes, url: str, timestamp: str, method: str = "POST") -> dict[str, str]:
    signature = Signature.get_signature(SECRET, body.decode(), "v3", url, method, timestamp)
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}


def test_hubspot_signed_by_client_library_verifies() -> None:
    now = datetime.now(timezone.utc)
    headers = hubspot_headers(BODY, URL, now_ms(now))
    verified = HubSpotScheme([SECRET]).verify(BODY, headers, url=URL, now=now)
    assert verified.timestamp is not None


def test_hubspot_tampered_body_or_method_raises_invalid() -> None:
    now = datetime.now(timezone.utc)
    headers = hubspot_headers(BODY, URL, now_ms(now))
    scheme = HubSpotScheme([SECRET])
    with pytest.raises(InvalidSignature):
        scheme.verify(BODY.replace(b"100", b"101"), headers, url=URL, now=now)
    with pytest.raises(InvalidSignature):
        scheme.verify(BODY, headers, url=URL, now=now, method="PUT")


def test_hubspot_our_signature_passes_client_library() -> None:
    now = datetime.now(timezone.utc)
    headers = HubSpotScheme([SECRET], url=URL).sign(BODY, now=now)
    assert Signature.is_valid(
        headers["X-HubSpot-Signature-v3"],
        SECRET,
        BODY.decode(),
        URL,
        "POST",
        "v3",
        headers["X-HubSpot-Request-Timestamp"],
    )


def test_hubspot_escaped_uri_characters_are_decoded_before_checking() -> None:
    # HubSpot's v3 guide: the request URI is signed with %3A, %2F, %3F, ... decoded.
    now = datetime.now(timezone.utc)
    timestamp = now_ms(now)
    decoded = URL + "?next=a:b/c"
    digest = hmac.new(
        SECRET.encode(), f"POST{decoded}".encode() + BODY + timestamp.encode(), hashlib.sha256
    ).digest()
    headers = {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
    received = URL + "?next=a%3Ab%2fc"
    assert HubSpotScheme([SECRET]).verify(BODY, headers, url=received, now=now)


def test_hubspot_timestamp_older_than_five_minutes_raises() -> None:
    now = datetime.now(timezone.utc)
    headers = hubspot_headers(BODY, URL, now_ms(now - timedelta(minutes=6)))
    with pytest.raises(TimestampOutOfTolerance):
        HubSpotScheme([SECRET]).verify(BODY, headers, url=URL, now=now)
