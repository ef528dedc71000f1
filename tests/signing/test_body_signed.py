"""Mailgun and Linear sign inside the body: the shared security cases, run with sign_request."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ironrelay.signing import (
    InvalidSignature,
    LinearScheme,
    MailgunScheme,
    MalformedSignature,
    MissingSignature,
    Scheme,
    SignatureError,
    TimestampOutOfTolerance,
)

from .cases import NOW, SECRETS
from .test_fuzz import fuzz_settings, headers_strategy

PAYLOAD = {"event-data": {"event": "delivered", "id": "CPgfbmQMTCKtHW6uIWtuVe"}, "type": "Issue"}
BODY = json.dumps(PAYLOAD).encode()
BUILDERS = {"mailgun": MailgunScheme, "linear": LinearScheme}
schemes = pytest.mark.parametrize("name", sorted(BUILDERS))


def scheme(name: str, slots: tuple[int, ...] = (0,), tolerance: int = 300) -> Scheme:
    return BUILDERS[name]([SECRETS[slot] for slot in slots], tolerance=tolerance)


def signed(name: str, slot: int = 0, offset: int = 0) -> tuple[bytes, dict[str, str]]:
    when = NOW + timedelta(seconds=offset)
    return scheme(name, (slot,)).sign_request(BODY, now=when, msg_id="tok" * 17)


@schemes
def test_valid_request_passes_with_signed_time(name: str) -> None:
    body, headers = signed(name)
    verified = scheme(name).verify(body, headers, now=NOW)
    assert (verified.scheme, verified.secret_index, verified.timestamp) == (name, 0, NOW)
    assert verified.content_digest


@schemes
@pytest.mark.parametrize("slot", [0, 1])
def test_rotated_secrets_report_matching_index(name: str, slot: int) -> None:
    body, headers = signed(name, slot=slot)
    assert scheme(name, (0, 1)).verify(body, headers, now=NOW).secret_index == slot


@schemes
def test_wrong_secret_raises_invalid(name: str) -> None:
    body, headers = signed(name, slot=2)
    with pytest.raises(InvalidSignature):
        scheme(name, (0, 1)).verify(body, headers, now=NOW)


@schemes
@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_replay_outside_tolerance_raises(name: str, offset: int) -> None:
    body, headers = signed(name, offset=offset)
    with pytest.raises(TimestampOutOfTolerance, match=f"{abs(offset)} s"):
        scheme(name).verify(body, headers, now=NOW)


@schemes
@pytest.mark.parametrize("offset", [-300, 300])
def test_tolerance_edge_passes(name: str, offset: int) -> None:
    body, headers = signed(name, offset=offset)
    assert scheme(name).verify(body, headers, now=NOW).timestamp == NOW + timedelta(seconds=offset)


def test_linear_tampered_body_raises_invalid() -> None:
    body, headers = signed("linear")
    with pytest.raises(InvalidSignature):
        scheme("linear").verify(body.replace(b"delivered", b"bounced"), headers, now=NOW)


def test_linear_missing_header_raises_missing() -> None:
    body, _ = signed("linear")
    with pytest.raises(MissingSignature, match="Linear-Signature"):
        scheme("linear").verify(body, {}, now=NOW)


def test_linear_signed_body_without_timestamp_raises_malformed() -> None:
    headers = scheme("linear").sign(BODY)  # signs the body as is: no webhookTimestamp in it
    with pytest.raises(MalformedSignature, match="webhookTimestamp"):
        scheme("linear").verify(BODY, headers, now=NOW)


def _mailgun_body(**changes: object) -> bytes:
    body, _ = signed("mailgun")
    payload = json.loads(body)
    payload["signature"].update(changes)
    return json.dumps(payload).encode()


@pytest.mark.parametrize("field", ["timestamp", "token"])
def test_mailgun_tampered_signed_field_raises(field: str) -> None:
    value = "1714564801" if field == "timestamp" else "x" * 50
    with pytest.raises(InvalidSignature):
        scheme("mailgun").verify(_mailgun_body(**{field: value}), {}, now=NOW)


def test_mailgun_event_data_is_not_signed() -> None:
    # Documented limitation: Mailgun signs timestamp + token only; the token dedupes replays.
    body, headers = signed("mailgun")
    edited = body.replace(b"delivered", b"failed")
    assert scheme("mailgun").verify(edited, headers, now=NOW).secret_index == 0


@pytest.mark.parametrize("body", [BODY, b"not json", b"[1]", b'{"signature": null}'])
def test_mailgun_missing_signature_object_raises_missing(body: bytes) -> None:
    with pytest.raises(MissingSignature):
        scheme("mailgun").verify(body, {}, now=NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"signature": "zz"},
        {"signature": 5},
        {"timestamp": "12.5"},
        {"token": "t" * 300},
        {"token": None},
        {"parent-signature": "nothex"},
    ],
)
def test_mailgun_bad_fields_raise_signature_errors(changes: dict[str, object]) -> None:
    with pytest.raises((MalformedSignature, MissingSignature)):
        scheme("mailgun").verify(_mailgun_body(**changes), {}, now=NOW)


def test_mailgun_parent_signature_verifies_for_the_primary_key() -> None:
    child = json.loads(signed("mailgun", slot=2)[0])
    parent = json.loads(signed("mailgun", slot=0)[0])
    child["signature"]["parent-signature"] = parent["signature"]["signature"]
    child["signature"]["token"] = parent["signature"]["token"]
    body = json.dumps(child).encode()
    assert scheme("mailgun").verify(body, {}, now=NOW).secret_index == 0


def test_mailgun_form_encoded_fields_verify() -> None:
    sig = json.loads(signed("mailgun")[0])["signature"]
    form = "&".join(f"{k}={v}" for k, v in {**sig, "event": "delivered"}.items()).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert scheme("mailgun").verify(form, headers, now=NOW).timestamp == NOW


def test_mailgun_sign_refuses_since_signature_goes_in_the_body() -> None:
    with pytest.raises(ValueError, match="sign_request"):
        scheme("mailgun").sign(BODY)


@schemes
@fuzz_settings
@given(body=st.binary(max_size=300), headers=headers_strategy)
def test_arbitrary_input_raises_only_signature_errors(
    name: str, body: bytes, headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureError):
        scheme(name, (0, 1)).verify(body, headers, now=NOW)


@fuzz_settings
@given(fields=st.dictionaries(st.sampled_from(["timestamp", "token", "signature"]), st.text()))
def test_mailgun_arbitrary_signature_object_never_passes(fields: dict[str, str]) -> None:
    body = json.dumps({"signature": fields}).encode()
    with pytest.raises(SignatureError):
        scheme("mailgun").verify(body, {}, now=NOW)


def test_content_digest_covers_exactly_the_signed_bytes() -> None:
    body, headers = signed("mailgun")
    sig = json.loads(body)["signature"]
    expected = hashlib.sha256((sig["timestamp"] + sig["token"]).encode()).hexdigest()
    assert scheme("mailgun").verify(body, headers, now=NOW).content_digest == expected
    body, headers = signed("linear")
    expected = hashlib.sha256(body).hexdigest()
    assert scheme("linear").verify(body, headers, now=NOW).content_digest == expected
