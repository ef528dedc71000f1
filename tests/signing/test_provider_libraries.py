"""Provider pack B against the providers' own libraries, or the formulas their docs publish."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from paddle_billing.Notifications import Secret
from paddle_billing.Notifications.PaddleSignature import PaddleSignature
from standardwebhooks.webhooks import Webhook

from ironrelay.signing import (
    CalendlyScheme,
    ClerkScheme,
    IntercomScheme,
    InvalidSignature,
    LinearScheme,
    MailgunScheme,
    PaddleScheme,
    PostmarkScheme,
    ResendScheme,
    SvixScheme,
    TimestampOutOfTolerance,
    TypeformScheme,
)

from .cases import BODY, NOW, STANDARD_SECRETS

T = int(NOW.timestamp())
KEY = "pdl_ntfset_01hv8x_secret"


def test_paddle_sdk_signature_verifies_and_tampered_body_is_refused() -> None:
    # paddle-python-sdk computes h1 = HMAC-SHA256(secret, "<ts>:<body>"), as
    # https://developer.paddle.com/webhooks/signature-verification documents.
    h1 = PaddleSignature.calculate_hmac(KEY, f"{T}:".encode() + BODY).hexdigest()
    headers = {"Paddle-Signature": f"ts={T};h1={h1}"}
    assert PaddleScheme([KEY]).verify(BODY, headers, now=NOW).timestamp == NOW
    with pytest.raises(InvalidSignature):
        PaddleScheme([KEY]).verify(BODY + b" ", headers, now=NOW)


def test_paddle_rotation_header_with_two_h1_verifies_either_secret() -> None:
    old = "pdl_ntfset_old_secret"
    digests = [
        PaddleSignature.calculate_hmac(k, f"{T}:".encode() + BODY).hexdigest() for k in (KEY, old)
    ]
    headers = {"Paddle-Signature": f"ts={T};h1={digests[0]};h1={digests[1]}"}
    assert PaddleScheme([old]).verify(BODY, headers, now=NOW).secret_index == 0


def test_paddle_sdk_accepts_ironrelay_signature() -> None:
    header = PaddleScheme([KEY]).sign(BODY, now=NOW)["Paddle-Signature"]
    assert PaddleSignature().verify(header, BODY.decode(), Secret(KEY))
    assert not PaddleSignature().verify(header, BODY.decode() + " ", Secret(KEY))


@pytest.mark.parametrize("scheme", [ClerkScheme, ResendScheme, SvixScheme])
def test_svix_alias_verifies_standardwebhooks_library_signature(scheme: type) -> None:
    # Clerk and Resend deliver through Svix: svix-id/-timestamp/-signature, whsec_ secrets
    # (https://docs.svix.com/receiving/verifying-payloads/how-manual).
    secret = STANDARD_SECRETS[0]
    signature = Webhook(secret).sign("msg_2Lh9", NOW, BODY.decode())
    headers = {"svix-id": "msg_2Lh9", "svix-timestamp": str(T), "svix-signature": signature}
    verified = scheme([secret]).verify(BODY, headers, now=NOW)
    assert (verified.scheme, verified.secret_index) == (scheme.name, 0)
    with pytest.raises(InvalidSignature):
        scheme([secret]).verify(BODY.replace(b"4200", b"1"), headers, now=NOW)
    with pytest.raises(TimestampOutOfTolerance):
        scheme([secret]).verify(BODY, headers, now=NOW + timedelta(minutes=6))


def test_mailgun_documented_formula_verifies() -> None:
    # https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks:
    # HMAC-SHA256(signing key, timestamp + token), hex; the signature object is in the body.
    token = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123"
    digest = hmac.new(b"key-mg", f"{T}{token}".encode(), hashlib.sha256).hexdigest()
    body = json.dumps(
        {"signature": {"timestamp": str(T), "token": token, "signature": digest}, "event-data": {}}
    ).encode()
    assert MailgunScheme(["key-mg"]).verify(body, {}, now=NOW).timestamp == NOW


def test_linear_documented_formula_verifies() -> None:
    # Linear-Signature: hex HMAC-SHA256 of the raw body; webhookTimestamp in ms inside it.
    body = json.dumps({"type": "Issue", "action": "create", "webhookTimestamp": T * 1000}).encode()
    header = hmac.new(b"lin_wh_secret", body, hashlib.sha256).hexdigest()
    verified = LinearScheme(["lin_wh_secret"]).verify(body, {"Linear-Signature": header}, now=NOW)
    assert verified.timestamp == NOW


def test_intercom_documented_formula_verifies() -> None:
    # X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body, keyed with the app's client secret>.
    digest = hmac.new(b"client-secret", BODY, hashlib.sha1).hexdigest()
    headers = {"X-Hub-Signature": f"sha1={digest}"}
    assert IntercomScheme(["client-secret"]).verify(BODY, headers, now=NOW).secret_index == 0


def test_typeform_documented_formula_verifies() -> None:
    # Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>.
    digest = base64.b64encode(hmac.new(b"tf-secret", BODY, hashlib.sha256).digest()).decode()
    headers = {"Typeform-Signature": f"sha256={digest}"}
    assert TypeformScheme(["tf-secret"]).verify(BODY, headers, now=NOW).secret_index == 0


def test_calendly_documented_formula_verifies() -> None:
    # https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures:
    # t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
    digest = hmac.new(b"cal-key", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    headers = {"Calendly-Webhook-Signature": f"t={T},v1={digest}"}
    assert CalendlyScheme(["cal-key"]).verify(BODY, headers, now=NOW).timestamp == NOW


def test_postmark_basic_auth_from_webhook_url_credentials_verifies() -> None:
    # https://postmarkapp.com/developer/webhooks/webhooks-overview: https://user:pass@host/...
    headers = {"Authorization": "Basic " + base64.b64encode(b"pm-user:pm-pass").decode()}
    scheme = PostmarkScheme(["pm-pass"], username="pm-user")
    assert scheme.verify(BODY, headers, now=NOW).secret_index == 0
    with pytest.raises(InvalidSignature):
        PostmarkScheme(["pm-pass"], username="other").verify(BODY, headers, now=NOW)
