"""ZoomScheme against the algorithm in Zoom's "Using webhooks" guide, and URL validation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ironrelay.signing import Handshake, InvalidSignature, Verified, ZoomScheme

from .cases import NOW

TOKEN = "zoom-secret-token-Kd9"
BODY = b'{"event":"meeting.started","event_ts":1714564800000,"payload":{}}'
TIMESTAMP = str(int(NOW.timestamp()))


def zoom_headers(body: bytes, secret: str = TOKEN) -> dict[str, str]:
    # developers.zoom.us/docs/api/webhooks: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}".
    message = f"v0:{TIMESTAMP}:".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"x-zm-signature": f"v0={digest}", "x-zm-request-timestamp": TIMESTAMP}


def test_zoom_signature_verifies() -> None:
    assert ZoomScheme([TOKEN]).verify(BODY, zoom_headers(BODY), now=NOW).timestamp == NOW


def test_zoom_tampered_body_raises_invalid() -> None:
    with pytest.raises(InvalidSignature):
        ZoomScheme([TOKEN]).verify(BODY + b" ", zoom_headers(BODY), now=NOW)


@pytest.mark.parametrize("slot", [0, 1])
def test_zoom_url_validation_answers_with_the_secret_that_verified(slot: int) -> None:
    secrets = [TOKEN, "zoom-previous-token"]
    payload = {
        "event": "endpoint.url_validation",
        "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
    }
    answer = ZoomScheme(secrets).handshake(payload, Verified("zoom", slot))
    expected = hmac.new(
        secrets[slot].encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert answer == Handshake({"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected})


@pytest.mark.parametrize("inner", [None, {}, {"plainToken": 5}, {"plainToken": ""}])
def test_zoom_url_validation_without_token_answers_400(inner: object) -> None:
    payload = {"event": "endpoint.url_validation", "payload": inner}
    answer = ZoomScheme([TOKEN]).handshake(payload, Verified("zoom", 0))
    assert answer is not None and answer.status == 400


def test_zoom_other_events_are_not_handshakes() -> None:
    assert ZoomScheme([TOKEN]).handshake({"event": "meeting.started"}, Verified("zoom", 0)) is None
