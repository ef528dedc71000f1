"""SquareScheme against the algorithm in Square's "Validate notifications" guide."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ironrelay.signing import InvalidSignature, SquareScheme

KEY = "square-signature-key-Pz0"
URL = "https://hooks.example.com/ironrelay/incoming/square/"
BODY = b'{"merchant_id":"M1","type":"payment.updated","event_id":"e-1","data":{}}'
HEADER = "x-square-hmacsha256-signature"


def square_signs(url: str, body: bytes) -> str:
    # Square's guide (developer.squareup.com/docs/webhooks/step3validate): HMAC-SHA256 with
    # the subscription's signature key over notification URL + raw body, base64-encoded.
    return base64.b64encode(
        hmac.new(KEY.encode(), url.encode() + body, hashlib.sha256).digest()
    ).decode()


def test_square_signature_over_url_and_body_verifies() -> None:
    assert SquareScheme([KEY]).verify(BODY, {HEADER: square_signs(URL, BODY)}, url=URL)


def test_square_tampered_body_or_other_url_raises_invalid() -> None:
    headers = {HEADER: square_signs(URL, BODY)}
    with pytest.raises(InvalidSignature):
        SquareScheme([KEY]).verify(BODY + b" ", headers, url=URL)
    with pytest.raises(InvalidSignature):
        SquareScheme([KEY]).verify(BODY, headers, url=URL.replace("https", "http"))


def test_square_url_option_is_used_when_no_url_is_passed() -> None:
    headers = {HEADER: square_signs(URL, BODY)}
    assert SquareScheme([KEY], url=URL).verify(BODY, headers)
    assert SquareScheme([KEY], url=URL).sign(BODY) == headers
