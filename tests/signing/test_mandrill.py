"""MandrillScheme against the steps in Mandrill's "Authenticating webhook requests" guide."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import pytest

from ironrelay.signing import InvalidSignature, MandrillScheme

KEY = "mandrill-webhook-key-Vb1"
URL = "https://hooks.example.com/ironrelay/incoming/mandrill/?x=1"
EVENTS = '[{"event":"send","_id":"abc123","msg":{"email":"a@example.com"}}]'


def mandrill_signs(url: str, params: dict[str, str]) -> str:
    # The guide's steps: the URL as entered, then each POST key and value sorted by key with no
    # delimiter, HMAC-SHA1 with the webhook key, base64 of the binary digest.
    signed = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(KEY.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def test_mandrill_signature_verifies() -> None:
    params = {"mandrill_events": EVENTS}
    headers = {"X-Mandrill-Signature": mandrill_signs(URL, params)}
    assert MandrillScheme([KEY]).verify(urlencode(params).encode(), headers, url=URL)


def test_mandrill_tampered_events_raise_invalid() -> None:
    headers = {"X-Mandrill-Signature": mandrill_signs(URL, {"mandrill_events": EVENTS})}
    tampered = urlencode({"mandrill_events": EVENTS.replace("send", "open")}).encode()
    with pytest.raises(InvalidSignature):
        MandrillScheme([KEY]).verify(tampered, headers, url=URL)


def test_mandrill_url_without_its_query_raises_invalid() -> None:
    params = {"mandrill_events": EVENTS}
    headers = {"X-Mandrill-Signature": mandrill_signs(URL, params)}
    with pytest.raises(InvalidSignature):
        MandrillScheme([KEY]).verify(urlencode(params).encode(), headers, url=URL.split("?")[0])
