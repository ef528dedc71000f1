"""Generic schemes: hmac-sha256 options, shared token, and the unsigned none scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from ironrelay.signing import HmacSha256Scheme as Hmac
from ironrelay.signing import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    NoneScheme,
    TokenScheme,
    Verified,
)

from .cases import BODY, NOW

SECRET = "partner-shared-secret-9f3b"
T = int(NOW.timestamp())


def digest(message: bytes) -> bytes:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).digest()


class TestHmacSha256:
    def test_hmac_default_header_is_hex_x_signature(self) -> None:
        headers = {"X-Signature": digest(BODY).hex()}
        assert Hmac([SECRET]).sign(BODY) == headers
        assert Hmac([SECRET]).verify(BODY, headers).scheme == "hmac-sha256"

    def test_hmac_prefix_and_base64_encoding_are_applied(self) -> None:
        scheme = Hmac([SECRET], header="X-Sig", prefix="sha256=", encoding="base64")
        headers = {"X-Sig": "sha256=" + base64.b64encode(digest(BODY)).decode()}
        assert scheme.sign(BODY) == headers
        assert scheme.verify(BODY, headers).secret_index == 0

    def test_hmac_verify_without_prefix_raises_malformed(self) -> None:
        scheme = Hmac([SECRET], prefix="sha256=")
        with pytest.raises(MalformedSignature, match="sha256="):
            scheme.verify(BODY, {"X-Signature": digest(BODY).hex()})

    def test_hmac_timestamp_header_signs_timestamp_dot_body(self) -> None:
        scheme = Hmac([SECRET], timestamp_header="X-Timestamp")
        headers = {"X-Timestamp": str(T), "X-Signature": digest(f"{T}.".encode() + BODY).hex()}
        assert scheme.sign(BODY, now=NOW) == headers
        assert scheme.verify(BODY, headers, now=NOW).timestamp == NOW

    def test_hmac_body_only_signature_fails_when_timestamp_expected(self) -> None:
        scheme = Hmac([SECRET], timestamp_header="X-Timestamp")
        headers = {"X-Timestamp": str(T), "X-Signature": digest(BODY).hex()}
        with pytest.raises(InvalidSignature):
            scheme.verify(BODY, headers, now=NOW)

    def test_hmac_missing_timestamp_header_raises_missing(self) -> None:
        scheme = Hmac([SECRET], timestamp_header="X-Timestamp")
        with pytest.raises(MissingSignature, match="X-Timestamp header is missing"):
            scheme.verify(BODY, {"X-Signature": digest(BODY).hex()}, now=NOW)

    @pytest.mark.parametrize(
        ("options", "error"),
        [
            ({"encoding": "base32"}, ValueError),
            ({"header": ""}, ValueError),
            ({"header": 42}, TypeError),
            ({"prefix": None}, TypeError),
            ({"timestamp_header": ""}, ValueError),
        ],
    )
    def test_hmac_bad_option_value_raises(self, options: dict[str, Any], error: type) -> None:
        option = next(iter(options))
        with pytest.raises(error, match=f"'{option}'"):
            Hmac([SECRET], **options)


class TestToken:
    def test_token_gitlab_header_passes_and_reports_index(self) -> None:
        scheme = TokenScheme(["new-token", SECRET], header="X-Gitlab-Token")
        verified = scheme.verify(b"", {"x-gitlab-token": SECRET})
        assert (verified.scheme, verified.secret_index, verified.timestamp) == ("token", 1, None)

    def test_token_default_header_is_x_webhook_token(self) -> None:
        assert TokenScheme([SECRET]).sign(BODY) == {"X-Webhook-Token": SECRET}
        assert TokenScheme([SECRET]).verify(BODY, {"X-Webhook-Token": SECRET}).secret_index == 0

    @pytest.mark.parametrize("value", [SECRET.upper(), SECRET[:-1], SECRET + "x", "tökén"])
    def test_token_other_value_raises_invalid(self, value: str) -> None:
        with pytest.raises(InvalidSignature):
            TokenScheme([SECRET]).verify(BODY, {"X-Webhook-Token": value})

    def test_token_unencodable_value_raises_malformed(self) -> None:
        with pytest.raises(MalformedSignature):
            TokenScheme([SECRET]).verify(BODY, {"X-Webhook-Token": "\ud800"})


class TestNone:
    def test_none_verify_accepts_anything(self) -> None:
        expected = Verified(scheme="none", secret_index=None, timestamp=None)
        assert NoneScheme().verify(b"\x00garbage", {"X-Anything": "x"}) == expected
        assert NoneScheme().verify(b"", {}) == expected

    def test_none_sign_returns_no_headers(self) -> None:
        assert NoneScheme().sign(BODY) == {}

    def test_none_needs_no_secrets(self) -> None:
        assert NoneScheme.requires_secrets is False
        assert NoneScheme().secrets == ()
