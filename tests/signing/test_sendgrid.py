"""SendGridScheme against SendGrid's own EventWebhook helper (the sendgrid package)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sendgrid.helpers.eventwebhook import EventWebhook

from ironrelay.signing import (
    InvalidSignature,
    SendGridScheme,
    TimestampOutOfTolerance,
    generate_p256_keypair,
)

from .cases import NOW

BODY = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"ev1"}]\r\n'
TIMESTAMP = str(int(NOW.timestamp()))
SIG = "X-Twilio-Email-Event-Webhook-Signature"
TS = "X-Twilio-Email-Event-Webhook-Timestamp"


def sendgrid_account() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """Return a signing key and its verification key as SendGrid's settings page shows it."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(der).decode()


def sendgrid_signs(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: str) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def test_sendgrid_signature_that_sendgrid_helper_accepts_verifies() -> None:
    key, public = sendgrid_account()
    signature = sendgrid_signs(key, BODY, TIMESTAMP)
    assert EventWebhook(public).verify_signature(BODY.decode(), signature, TIMESTAMP)
    verified = SendGridScheme(public_key=public).verify(
        BODY, {SIG: signature, TS: TIMESTAMP}, now=NOW
    )
    assert verified.timestamp == NOW


def test_sendgrid_tampered_body_raises_invalid_as_helper_refuses() -> None:
    key, public = sendgrid_account()
    signature = sendgrid_signs(key, BODY, TIMESTAMP)
    tampered = BODY.replace(b"delivered", b"bounce")
    assert not EventWebhook(public).verify_signature(tampered.decode(), signature, TIMESTAMP)
    with pytest.raises(InvalidSignature):
        SendGridScheme(public_key=public).verify(tampered, {SIG: signature, TS: TIMESTAMP}, now=NOW)


def test_sendgrid_our_test_signature_passes_helper() -> None:
    private_pem, public = generate_p256_keypair()
    headers = SendGridScheme(public_key=public, private_key=private_pem).sign(BODY, now=NOW)
    assert EventWebhook(public).verify_signature(BODY.decode(), headers[SIG], headers[TS])


def test_sendgrid_pem_public_key_verifies() -> None:
    key, _ = sendgrid_account()
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    signature = sendgrid_signs(key, BODY, TIMESTAMP)
    assert SendGridScheme(public_key=pem).verify(BODY, {SIG: signature, TS: TIMESTAMP}, now=NOW)


def test_sendgrid_old_timestamp_raises_out_of_tolerance() -> None:
    key, public = sendgrid_account()
    old = str(int((NOW - timedelta(minutes=10)).timestamp()))
    headers = {SIG: sendgrid_signs(key, BODY, old), TS: old}
    with pytest.raises(TimestampOutOfTolerance):
        SendGridScheme(public_key=public).verify(BODY, headers, now=NOW)


def test_sendgrid_without_private_key_cannot_sign() -> None:
    _, public = sendgrid_account()
    with pytest.raises(ValueError, match="'private_key'"):
        SendGridScheme(public_key=public).sign(BODY)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"x" * 91).decode()])
def test_sendgrid_bad_public_key_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="public_key"):
        SendGridScheme(public_key=bad)


def test_sendgrid_secrets_instead_of_public_key_raises_value_error() -> None:
    with pytest.raises(ValueError, match="'public_key', not 'secrets'"):
        SendGridScheme(["a-secret"])
