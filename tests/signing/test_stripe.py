"""Stripe: t=<unix>,v1=<hex> headers, several v1 entries, v0 ignored."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ironrelay.signing import (
    InvalidSignature,
    MalformedSignature,
    StripeScheme,
    TimestampOutOfTolerance,
)

from .cases import BODY, NOW

SECRET = "whsec_test_b8c2a1f0e9d7"
T = int(NOW.timestamp())
EXPECTED = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()


def verify(value: str, secrets: list[str] | None = None) -> int | None:
    scheme = StripeScheme(secrets or [SECRET])
    return scheme.verify(BODY, {"Stripe-Signature": value}, now=NOW).secret_index


def test_stripe_sign_matches_hand_computed_header() -> None:
    assert StripeScheme([SECRET]).sign(BODY, now=NOW) == {
        "Stripe-Signature": f"t={T},v1={EXPECTED}"
    }


def test_stripe_verify_hand_computed_header_passes() -> None:
    verified = StripeScheme([SECRET]).verify(
        BODY, {"stripe-signature": f"t={T},v1={EXPECTED}"}, now=NOW
    )
    assert (verified.scheme, verified.secret_index, verified.timestamp) == ("stripe", 0, NOW)


def test_stripe_verify_any_of_several_v1_entries_passes() -> None:
    value = f"t={T},v1={'0' * 64},v1={EXPECTED},v0={'f' * 64}"
    assert verify(value) == 0


def test_stripe_verify_rolled_secret_entry_reports_its_index() -> None:
    old = "whsec_previous_71c3"
    old_digest = hmac.new(old.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert verify(f"t={T},v1={old_digest},v1={'a' * 64}", [SECRET, old]) == 1


def test_stripe_verify_items_in_any_order_with_spaces_pass() -> None:
    assert verify(f" v1={EXPECTED} , t={T} ") == 0


def test_stripe_verify_only_wrong_v1_entries_raises_invalid() -> None:
    with pytest.raises(InvalidSignature):
        verify(f"t={T},v1={'0' * 64},v1={'1' * 64}")


def test_stripe_verify_v0_only_raises_malformed() -> None:
    with pytest.raises(MalformedSignature, match="no v1 signature"):
        verify(f"t={T},v0={EXPECTED}")


def test_stripe_verify_duplicate_timestamp_raises_malformed() -> None:
    with pytest.raises(MalformedSignature, match="more than one timestamp"):
        verify(f"t={T},t={T},v1={EXPECTED}")


def test_stripe_verify_missing_timestamp_raises_malformed() -> None:
    with pytest.raises(MalformedSignature, match="no timestamp"):
        verify(f"v1={EXPECTED}")


@pytest.mark.parametrize(
    "value",
    [
        f"t={T},v1",
        f"t={T},,v1={EXPECTED}",
        f"t={T},=x,v1={EXPECTED}",
        f"t={T},v1=zz{EXPECTED[2:]}",
        f"t={T},v1={EXPECTED[:32]}",
        f"t={T};v1={EXPECTED}",
        ",".join([f"t={T}"] + [f"v1={EXPECTED}"] * 20),
    ],
)
def test_stripe_verify_bad_format_raises_malformed(value: str) -> None:
    with pytest.raises(MalformedSignature):
        verify(value)


def test_stripe_verify_stale_timestamp_message_states_offset() -> None:
    stale = T - 412
    digest = hmac.new(SECRET.encode(), f"{stale}.".encode() + BODY, hashlib.sha256).hexdigest()
    with pytest.raises(TimestampOutOfTolerance) as caught:
        verify(f"t={stale},v1={digest}")
    assert str(caught.value) == f"timestamp {stale} is 412 s in the past (tolerance 300 s)"


def test_stripe_verify_unrepresentable_timestamp_raises_malformed() -> None:
    far = 999_999_999_999_999_999
    digest = hmac.new(SECRET.encode(), f"{far}.".encode() + BODY, hashlib.sha256).hexdigest()
    scheme = StripeScheme([SECRET], tolerance=10**19)
    with pytest.raises(MalformedSignature, match="out of range"):
        scheme.verify(BODY, {"Stripe-Signature": f"t={far},v1={digest}"}, now=NOW)
