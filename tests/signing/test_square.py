"""SquareScheme against Square's SDK helper and its "Validate notifications" guide."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from square.utils.webhooks_helper import verify_signature

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


def square_sdk_accepts(url: str, body: bytes, signature: str) -> bool:
    # squareup's square.utils.webhooks_helper.verify_signature is Square's own check; it takes
    # the body as text, so the body is decoded as the UTF-8 Square sends.
    return verify_signature(
        request_body=body.decode("utf-8"),
        signature_header=signature,
        signature_key=KEY,
        notification_url=url,
    )


UNICODE_BODY = '{"note":"caf\u00e9 \u2713","event_id":"e-2"}'.encode()
UNICODE_URL = "https://hooks.example.com/ironrelay/incoming/square/?store=M\u00fcnchen"


@pytest.mark.parametrize(
    ("url", "body"), [(URL, BODY), (UNICODE_URL, UNICODE_BODY)], ids=["ascii", "utf8"]
)
def test_square_sdk_helper_accepts_ironrelay_signature(url: str, body: bytes) -> None:
    signature = SquareScheme([KEY]).sign(body, url=url)[HEADER]
    assert square_sdk_accepts(url, body, signature)
    assert not square_sdk_accepts(url, body + b" ", signature)
    assert not square_sdk_accepts(url + "x", body, signature)


@pytest.mark.parametrize(
    ("url", "body"), [(URL, BODY), (UNICODE_URL, UNICODE_BODY)], ids=["ascii", "utf8"]
)
def test_square_signature_the_sdk_accepts_verifies_and_tampering_is_refused_by_both(
    url: str, body: bytes
) -> None:
    # The SDK exposes no signing function, so its helper is the oracle for the documented formula.
    signature = square_signs(url, body)
    assert square_sdk_accepts(url, body, signature)
    assert SquareScheme([KEY]).verify(body, {HEADER: signature}, url=url)
    for other_url, other_body in [(url, body.replace(b"e-", b"f-")), (url + "x", body)]:
        assert not square_sdk_accepts(other_url, other_body, signature)
        with pytest.raises(InvalidSignature):
            SquareScheme([KEY]).verify(other_body, {HEADER: signature}, url=other_url)
