"""Shopify: X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ironrelay.signing import InvalidSignature, MalformedSignature, ShopifyScheme

from .cases import BODY

SECRET = "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"
EXPECTED = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()


def test_shopify_sign_matches_hand_computed_header() -> None:
    assert ShopifyScheme([SECRET]).sign(BODY) == {"X-Shopify-Hmac-Sha256": EXPECTED}


def test_shopify_verify_hand_computed_header_passes() -> None:
    verified = ShopifyScheme(["older", SECRET]).verify(BODY, {"x-shopify-hmac-sha256": EXPECTED})
    assert (verified.scheme, verified.secret_index, verified.timestamp) == ("shopify", 1, None)


def test_shopify_verify_hex_digest_instead_of_base64_raises_malformed() -> None:
    hex_digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    with pytest.raises(MalformedSignature, match="48 bytes"):
        ShopifyScheme([SECRET]).verify(BODY, {"X-Shopify-Hmac-Sha256": hex_digest})


@pytest.mark.parametrize("value", ["abc$", EXPECTED.rstrip("="), "é" * 44, EXPECTED[:-4]])
def test_shopify_verify_bad_base64_raises_malformed(value: str) -> None:
    with pytest.raises(MalformedSignature):
        ShopifyScheme([SECRET]).verify(BODY, {"X-Shopify-Hmac-Sha256": value})


def test_shopify_verify_other_shops_secret_raises_invalid() -> None:
    with pytest.raises(InvalidSignature):
        ShopifyScheme(["another shop"]).verify(BODY, {"X-Shopify-Hmac-Sha256": EXPECTED})
