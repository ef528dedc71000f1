"""TwilioScheme against Twilio's own RequestValidator and the example in Twilio's security docs."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from ironrelay.signing import InvalidSignature, MalformedSignature, TwilioScheme, with_body_hash

TOKEN = "twilio-auth-token-Qe3r"
URL = "https://hooks.example.com/ironrelay/incoming/twilio/?tenant=7"
PARAMS = {
    "MessageSid": "SM0123456789abcdef",
    "MessageStatus": "delivered",
    "To": "+15558675310",
    "Body": "Hi & welcome = yes",
}


def form(params: dict[str, str]) -> bytes:
    return urlencode(params).encode()


def test_twilio_docs_example_verifies() -> None:
    # The worked example of Twilio's "Validating requests" security docs (auth token 12345).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    scheme = TwilioScheme(["12345"], url="https://mycompany.com/myapp.php?foo=1&bar=2")
    headers = {"X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}
    assert scheme.verify(form(params), headers).secret_index == 0


def test_twilio_form_signed_by_request_validator_verifies() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, PARAMS)
    verified = TwilioScheme([TOKEN]).verify(
        form(PARAMS), {"X-Twilio-Signature": signature}, url=URL
    )
    assert verified.scheme == "twilio"


def test_twilio_tampered_form_raises_invalid() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, PARAMS)
    tampered = form({**PARAMS, "MessageStatus": "failed"})
    with pytest.raises(InvalidSignature):
        TwilioScheme([TOKEN]).verify(tampered, {"X-Twilio-Signature": signature}, url=URL)


def test_twilio_other_url_raises_invalid() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, PARAMS)
    behind_proxy = URL.replace("https://", "http://")
    with pytest.raises(InvalidSignature):
        TwilioScheme([TOKEN]).verify(
            form(PARAMS), {"X-Twilio-Signature": signature}, url=behind_proxy
        )


def test_twilio_repeated_params_match_request_validator() -> None:
    from django.http import QueryDict

    body = b"Tag=b&Tag=a&Tag=b&Empty=&To=%2B1555"
    signature = RequestValidator(TOKEN).compute_signature(URL, QueryDict(body))
    assert TwilioScheme([TOKEN]).verify(body, {"X-Twilio-Signature": signature}, url=URL)


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://hooks.example.com:443/twilio/", "https://hooks.example.com/twilio/"),
        ("https://hooks.example.com/twilio/", "https://hooks.example.com:443/twilio/"),
    ],
)
def test_twilio_default_port_either_way_verifies(signed: str, received: str) -> None:
    signature = RequestValidator(TOKEN).compute_signature(signed, PARAMS)
    headers = {"X-Twilio-Signature": signature}
    assert TwilioScheme([TOKEN]).verify(form(PARAMS), headers, url=received)


def test_twilio_json_body_hash_variant_verifies_and_validator_accepts_ours() -> None:
    body = b'{"MessageSid": "SM1", "MessageStatus": "sent"}'
    url = with_body_hash(URL, body)
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    assert TwilioScheme([TOKEN]).verify(body, {"X-Twilio-Signature": signature}, url=url)
    ours = TwilioScheme([TOKEN], url=url).sign(body)["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(url, body.decode(), ours)


def test_twilio_json_body_not_matching_body_hash_raises_invalid() -> None:
    body = b'{"MessageSid": "SM1"}'
    url = with_body_hash(URL, body)
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    with pytest.raises(InvalidSignature, match="bodySHA256"):
        TwilioScheme([TOKEN]).verify(
            b'{"MessageSid": "SM2"}', {"X-Twilio-Signature": signature}, url=url
        )


def test_twilio_shared_key_hmac_sha256_verifies() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, PARAMS, algorithm="HMAC_SHA256")
    headers = {
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }
    assert TwilioScheme([TOKEN]).verify(form(PARAMS), headers, url=URL)


def test_twilio_unknown_algorithm_raises_malformed() -> None:
    headers = {
        "X-Twilio-Signature": "AAAA",
        "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5",
    }
    with pytest.raises(MalformedSignature):
        TwilioScheme([TOKEN]).verify(form(PARAMS), headers, url=URL)


def test_twilio_our_signature_passes_request_validator() -> None:
    signature = TwilioScheme([TOKEN], url=URL).sign(form(PARAMS))["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(URL, PARAMS, signature)


def test_twilio_without_url_raises_value_error_naming_option() -> None:
    with pytest.raises(ValueError, match="'url' option"):
        TwilioScheme([TOKEN]).verify(form(PARAMS), {"X-Twilio-Signature": "A" * 27 + "="})


def test_twilio_relative_url_option_raises_value_error() -> None:
    with pytest.raises(ValueError, match="absolute"):
        TwilioScheme([TOKEN], url="/ironrelay/incoming/twilio/")
