"""Each scheme says what its signature covers, and reports the digest of exactly those bytes.

The signed content per provider: Stripe "{t}.{body}" (docs.stripe.com "Verify webhook signatures
manually"), Slack "v0:{timestamp}:{body}" (api.slack.com "Verifying requests from Slack"),
Standard Webhooks "{id}.{timestamp}.{body}" (its spec, "Signature scheme"), GitHub and Shopify
the body alone.
"""

from __future__ import annotations

import hashlib

import pytest

from ironrelay.signing import (
    GitHubScheme,
    HmacSha256Scheme,
    NoneScheme,
    Scheme,
    ShopifyScheme,
    SlackScheme,
    StandardScheme,
    StripeScheme,
    TokenScheme,
)

from .cases import BODY, NOW, SECRETS, STANDARD_SECRETS

T = int(NOW.timestamp())
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"

# scheme -> (signs a timestamp, signed headers besides the signature, the bytes it signs)
CASES: list[tuple[Scheme, bool, frozenset[str], bytes | None]] = [
    (StripeScheme(SECRETS[:1]), True, frozenset(), f"{T}.".encode() + BODY),
    (GitHubScheme(SECRETS[:1]), False, frozenset(), BODY),
    (ShopifyScheme(SECRETS[:1]), False, frozenset(), BODY),
    (
        SlackScheme(SECRETS[:1]),
        True,
        frozenset({"x-slack-request-timestamp"}),
        b"v0:%d:" % T + BODY,
    ),
    (
        StandardScheme(STANDARD_SECRETS[:1]),
        True,
        frozenset({"webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp"}),
        f"{MSG_ID}.{T}.".encode() + BODY,
    ),
    (HmacSha256Scheme(SECRETS[:1]), False, frozenset(), BODY),
    (
        HmacSha256Scheme(SECRETS[:1], timestamp_header="X-Signed-At"),
        True,
        frozenset({"x-signed-at"}),
        f"{T}.".encode() + BODY,
    ),
    (TokenScheme(SECRETS[:1]), False, frozenset(), None),
    (NoneScheme(), False, frozenset(), None),
]
IDS = [f"{type(c[0]).__name__}-{c[1]}" for c in CASES]


@pytest.mark.parametrize("scheme, timestamp, headers, signed", CASES, ids=IDS)
def test_scheme_describes_what_it_signs(scheme, timestamp, headers, signed):
    assert scheme.signs_timestamp() is timestamp
    assert scheme.signed_headers() == headers
    assert scheme.signs_body is (signed is not None)


@pytest.mark.parametrize("scheme, timestamp, headers, signed", CASES, ids=IDS)
def test_verified_reports_the_digest_of_the_signed_bytes(scheme, timestamp, headers, signed):
    sent = scheme.sign(BODY, now=NOW, msg_id=MSG_ID) if scheme.requires_secrets else {}
    verified = scheme.verify(BODY, sent, now=NOW)
    expected = None if signed is None else hashlib.sha256(signed).hexdigest()
    assert verified.content_digest == expected
