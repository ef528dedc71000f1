"""Describe every signed scheme once so the shared security and fuzz tests can run them all."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ironrelay.signing import (
    CalendlyScheme,
    ClerkScheme,
    DiscordScheme,
    GitHubScheme,
    HmacSha256Scheme,
    HubSpotScheme,
    IntercomScheme,
    MandrillScheme,
    PaddleScheme,
    PostmarkScheme,
    ResendScheme,
    Scheme,
    SendGridScheme,
    ShopifyScheme,
    SlackScheme,
    SquareScheme,
    StandardScheme,
    StripeScheme,
    SvixScheme,
    TokenScheme,
    TwilioScheme,
    TypeformScheme,
    ZoomScheme,
    with_body_hash,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
BODY = b'{"id": "evt_1", "type": "invoice.paid", "amount": 4200}'

# Key slots: 0 is the current secret, 1 the previous one (rotation), 2 belongs to somebody else.
SECRETS = ("s3cr3t-current-Zq8v", "s3cr3t-previous-Lm2w", "s3cr3t-stranger-Xp5k")
STANDARD_SECRETS = tuple(
    "whsec_" + base64.b64encode(bytes([n]) * 24).decode() for n in (11, 22, 33)
)
_SEEDS = tuple(bytes([n]) * 32 for n in (44, 55, 66))
PRIVATE_KEYS = tuple("whsk_" + base64.b64encode(seed).decode() for seed in _SEEDS)
PUBLIC_KEYS = tuple(
    "whpk_"
    + base64.b64encode(
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    for seed in _SEEDS
)

# Provider pack: ECDSA P-256 (SendGrid) and hex Ed25519 (Discord) key slots, and the URL
# the URL-signing schemes were given.
_P256 = tuple(ec.derive_private_key(n, ec.SECP256R1()) for n in (7007, 8008, 9009))
P256_PRIVATE_KEYS = tuple(
    k.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode() for k in _P256
)
P256_PUBLIC_KEYS = tuple(
    base64.b64encode(
        k.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    for k in _P256
)
DISCORD_PRIVATE_KEYS = tuple((bytes([n]) * 32).hex() for n in (77, 88, 99))
DISCORD_PUBLIC_KEYS = tuple(
    Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
    .public_key()
    .public_bytes(Encoding.Raw, PublicFormat.Raw)
    .hex()
    for seed in DISCORD_PRIVATE_KEYS
)
SIGNED_URL = "https://hooks.example.com/ironrelay/incoming/provider/?account=a1"

Headers = dict[str, str]


def pick(values: Sequence[str], slots: Sequence[int]) -> list[str]:
    """Return the values at ``slots``, in that order."""
    return [values[slot] for slot in slots]


def replace_header(headers: Headers, name: str, value: str) -> Headers:
    """Return a copy of ``headers`` with header ``name`` (any case) set to ``value``."""
    kept = {key: val for key, val in headers.items() if key.lower() != name.lower()}
    return {**kept, name: value}


def stripe_with_timestamp(headers: Headers, text: str) -> Headers:
    """Return Stripe headers whose ``t=`` item is replaced by ``text``."""
    value = re.sub(r"t=[0-9]+", lambda _: f"t={text}", headers["Stripe-Signature"])
    return {**headers, "Stripe-Signature": value}


def header_timestamp(name: str) -> Callable[[Headers, str], Headers]:
    """Return a function that sets the timestamp header ``name`` to a given text."""
    return lambda headers, text: replace_header(headers, name, text)


def hubspot_with_timestamp(headers: Headers, text: str) -> Headers:
    """Set HubSpot's millisecond timestamp header (digits get milliseconds appended)."""
    value = text + "000" if text.isascii() and text.isdigit() else text
    return replace_header(headers, "X-HubSpot-Request-Timestamp", value)


@dataclass(frozen=True)
class Case:
    """One configured scheme: how to build it, which header carries the signature, and traits."""

    id: str
    scheme_name: str
    build: Callable[[Sequence[int], int], Scheme]
    signature_header: str
    secret_texts: tuple[str, ...]
    with_timestamp: Callable[[Headers, str], Headers] | None = None
    signs_body: bool = True
    malformed: str = "not a signature"

    @property
    def timestamped(self) -> bool:
        """Return whether the scheme signs a timestamp."""
        return self.with_timestamp is not None

    def verifier(self, slots: Sequence[int] = (0,), tolerance: int = 300) -> Scheme:
        """Return the receiving side, trusting the keys in ``slots``."""
        return self.build(slots, tolerance)

    def signer(self, slot: int = 0) -> Scheme:
        """Return a sender holding only the key in ``slot``."""
        return self.build((slot,), 300)


CASES = (
    Case(
        id="stripe",
        scheme_name="stripe",
        build=lambda slots, tol: StripeScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="Stripe-Signature",
        secret_texts=SECRETS,
        with_timestamp=stripe_with_timestamp,
    ),
    Case(
        id="github",
        scheme_name="github",
        build=lambda slots, tol: GitHubScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="X-Hub-Signature-256",
        secret_texts=SECRETS,
    ),
    Case(
        id="slack",
        scheme_name="slack",
        build=lambda slots, tol: SlackScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="X-Slack-Signature",
        secret_texts=SECRETS,
        with_timestamp=header_timestamp("X-Slack-Request-Timestamp"),
    ),
    Case(
        id="shopify",
        scheme_name="shopify",
        build=lambda slots, tol: ShopifyScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="X-Shopify-Hmac-Sha256",
        secret_texts=SECRETS,
    ),
    Case(
        id="standard-v1",
        scheme_name="standard",
        build=lambda slots, tol: StandardScheme(pick(STANDARD_SECRETS, slots), tolerance=tol),
        signature_header="webhook-signature",
        secret_texts=STANDARD_SECRETS + tuple(s.removeprefix("whsec_") for s in STANDARD_SECRETS),
        with_timestamp=header_timestamp("webhook-timestamp"),
    ),
    Case(
        id="standard-v1a",
        scheme_name="standard",
        build=lambda slots, tol: StandardScheme(
            tolerance=tol,
            public_keys=pick(PUBLIC_KEYS, slots),
            private_keys=pick(PRIVATE_KEYS, slots),
        ),
        signature_header="webhook-signature",
        secret_texts=PRIVATE_KEYS + tuple(k.removeprefix("whsk_") for k in PRIVATE_KEYS),
        with_timestamp=header_timestamp("webhook-timestamp"),
    ),
    Case(
        id="hmac-sha256",
        scheme_name="hmac-sha256",
        build=lambda slots, tol: HmacSha256Scheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="X-Signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="hmac-sha256-timestamped",
        scheme_name="hmac-sha256",
        build=lambda slots, tol: HmacSha256Scheme(
            pick(SECRETS, slots),
            tolerance=tol,
            header="X-Partner-Signature",
            prefix="sha256=",
            encoding="base64",
            timestamp_header="X-Partner-Timestamp",
        ),
        signature_header="X-Partner-Signature",
        secret_texts=SECRETS,
        with_timestamp=header_timestamp("X-Partner-Timestamp"),
    ),
    Case(
        id="token",
        scheme_name="token",
        build=lambda slots, tol: TokenScheme(
            pick(SECRETS, slots), tolerance=tol, header="X-Gitlab-Token"
        ),
        signature_header="X-Gitlab-Token",
        secret_texts=SECRETS,
        signs_body=False,
        malformed="   ",
    ),
)

# Provider pack: URL-signing schemes get the URL through their 'url' option here.
CASES += (
    Case(
        id="twilio",
        scheme_name="twilio",
        build=lambda slots, tol: TwilioScheme(
            pick(SECRETS, slots), tolerance=tol, url=with_body_hash(SIGNED_URL, BODY)
        ),
        signature_header="X-Twilio-Signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="twilio-form",
        scheme_name="twilio",
        build=lambda slots, tol: TwilioScheme(pick(SECRETS, slots), tolerance=tol, url=SIGNED_URL),
        signature_header="X-Twilio-Signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="sendgrid",
        scheme_name="sendgrid",
        build=lambda slots, tol: SendGridScheme(
            tolerance=tol,
            public_key=pick(P256_PUBLIC_KEYS, slots),
            private_key=P256_PRIVATE_KEYS[slots[0]],
        ),
        signature_header="X-Twilio-Email-Event-Webhook-Signature",
        secret_texts=P256_PRIVATE_KEYS,
        with_timestamp=header_timestamp("X-Twilio-Email-Event-Webhook-Timestamp"),
    ),
    Case(
        id="square",
        scheme_name="square",
        build=lambda slots, tol: SquareScheme(pick(SECRETS, slots), tolerance=tol, url=SIGNED_URL),
        signature_header="x-square-hmacsha256-signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="zoom",
        scheme_name="zoom",
        build=lambda slots, tol: ZoomScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="x-zm-signature",
        secret_texts=SECRETS,
        with_timestamp=header_timestamp("x-zm-request-timestamp"),
    ),
    Case(
        id="discord",
        scheme_name="discord",
        build=lambda slots, tol: DiscordScheme(
            tolerance=tol,
            public_key=pick(DISCORD_PUBLIC_KEYS, slots),
            private_key=DISCORD_PRIVATE_KEYS[slots[0]],
        ),
        signature_header="X-Signature-Ed25519",
        secret_texts=DISCORD_PRIVATE_KEYS,
        with_timestamp=header_timestamp("X-Signature-Timestamp"),
    ),
    Case(
        id="hubspot",
        scheme_name="hubspot",
        build=lambda slots, tol: HubSpotScheme(pick(SECRETS, slots), tolerance=tol, url=SIGNED_URL),
        signature_header="X-HubSpot-Signature-v3",
        secret_texts=SECRETS,
        with_timestamp=hubspot_with_timestamp,
    ),
    Case(
        id="mandrill",
        scheme_name="mandrill",
        build=lambda slots, tol: MandrillScheme(
            pick(SECRETS, slots), tolerance=tol, url=SIGNED_URL
        ),
        signature_header="X-Mandrill-Signature",
        secret_texts=SECRETS,
    ),
)

# Provider pack B: header-signed providers. Mailgun and Linear sign inside the body, so
# tests/signing/test_body_signed.py runs the same security cases for them.
SIGNED_IN_BODY = frozenset({"mailgun", "linear"})


def paddle_with_timestamp(headers: Headers, text: str) -> Headers:
    """Return Paddle headers whose ``ts=`` item is replaced by ``text``."""
    value = re.sub(r"ts=[0-9]+", lambda _: f"ts={text}", headers["Paddle-Signature"])
    return {**headers, "Paddle-Signature": value}


def calendly_with_timestamp(headers: Headers, text: str) -> Headers:
    """Return Calendly headers whose ``t=`` item is replaced by ``text``."""
    name = "Calendly-Webhook-Signature"
    return {**headers, name: re.sub(r"t=[0-9]+", lambda _: f"t={text}", headers[name])}


def _svix_case(scheme: type[StandardScheme]) -> Case:
    return Case(
        id=scheme.name,
        scheme_name=scheme.name,
        build=lambda slots, tol: scheme(pick(STANDARD_SECRETS, slots), tolerance=tol),
        signature_header="webhook-signature",
        secret_texts=STANDARD_SECRETS + tuple(s.removeprefix("whsec_") for s in STANDARD_SECRETS),
        with_timestamp=header_timestamp("webhook-timestamp"),
    )


CASES += (
    Case(
        id="paddle",
        scheme_name="paddle",
        build=lambda slots, tol: PaddleScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="Paddle-Signature",
        secret_texts=SECRETS,
        with_timestamp=paddle_with_timestamp,
    ),
    Case(
        id="calendly",
        scheme_name="calendly",
        build=lambda slots, tol: CalendlyScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="Calendly-Webhook-Signature",
        secret_texts=SECRETS,
        with_timestamp=calendly_with_timestamp,
    ),
    Case(
        id="intercom",
        scheme_name="intercom",
        build=lambda slots, tol: IntercomScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="X-Hub-Signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="typeform",
        scheme_name="typeform",
        build=lambda slots, tol: TypeformScheme(pick(SECRETS, slots), tolerance=tol),
        signature_header="Typeform-Signature",
        secret_texts=SECRETS,
    ),
    Case(
        id="postmark",
        scheme_name="postmark",
        build=lambda slots, tol: PostmarkScheme(
            pick(SECRETS, slots), tolerance=tol, username="postmark-hooks"
        ),
        signature_header="Authorization",
        secret_texts=SECRETS,
        signs_body=False,
    ),
    _svix_case(ClerkScheme),
    _svix_case(ResendScheme),
    _svix_case(SvixScheme),
)

TIMESTAMPED_CASES = tuple(case for case in CASES if case.timestamped)
BODY_SIGNING_CASES = tuple(case for case in CASES if case.signs_body)


def case_id(case: Case) -> str:
    """Return the pytest id of ``case``."""
    return case.id
