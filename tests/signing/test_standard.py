"""Standard Webhooks: interop with the standardwebhooks package, svix headers, v1a Ed25519."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ironrelay.signing import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    StandardScheme,
    StandardSigner,
    generate_ed25519_keypair,
    generate_secret,
    sign_standard,
)

from .cases import BODY, NOW, PRIVATE_KEYS, PUBLIC_KEYS, STANDARD_SECRETS

SECRET = STANDARD_SECRETS[0]
T = int(NOW.timestamp())
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
CONTENT = f"{MSG_ID}.{T}.".encode() + BODY


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def headers_with(signature: str) -> dict[str, str]:
    return {"webhook-id": MSG_ID, "webhook-timestamp": str(T), "webhook-signature": signature}


def test_standard_sign_published_vector_matches() -> None:
    # The example from the Standard Webhooks / Svix verification docs.
    signature = sign_standard(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_our_signature_verifies_with_reference_library() -> None:
    headers = StandardScheme([SECRET]).sign(BODY)
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


def test_standard_reference_signature_verifies_with_ours() -> None:
    signed_at = datetime.now(timezone.utc).replace(microsecond=0)
    signature = Webhook(SECRET).sign(MSG_ID, signed_at, BODY.decode())
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
    }
    verified = StandardScheme([STANDARD_SECRETS[1], SECRET]).verify(BODY, headers)
    assert (verified.scheme, verified.secret_index, verified.timestamp) == (
        "standard",
        1,
        signed_at,
    )


def test_standard_reference_library_rejects_our_signature_for_other_secret() -> None:
    headers = StandardScheme([STANDARD_SECRETS[2]]).sign(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers)


def test_standard_unprefixed_secret_matches_reference_library() -> None:
    unprefixed = SECRET.removeprefix("whsec_")
    headers = StandardScheme([unprefixed]).sign(BODY)
    assert Webhook(unprefixed).verify(BODY, headers) == json.loads(BODY)
    assert StandardScheme([SECRET]).verify(BODY, headers).secret_index == 0


def test_standard_reference_library_accepts_header_with_v1a_entries() -> None:
    scheme = StandardScheme([SECRET], private_keys=[PRIVATE_KEYS[0]], public_keys=[PUBLIC_KEYS[0]])
    headers = scheme.sign(BODY)
    assert [entry.split(",")[0] for entry in headers["webhook-signature"].split()] == ["v1", "v1a"]
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


def test_standard_verify_svix_headers_pass() -> None:
    headers = StandardScheme([SECRET]).sign(BODY, now=NOW, msg_id=MSG_ID)
    svix = {name.replace("webhook-", "Svix-"): value for name, value in headers.items()}
    assert set(svix) == {"Svix-id", "Svix-timestamp", "Svix-signature"}
    assert StandardScheme([SECRET]).verify(BODY, svix, now=NOW).timestamp == NOW


def test_standard_verify_missing_headers_name_webhook_header() -> None:
    with pytest.raises(MissingSignature, match="webhook-signature header is missing"):
        StandardScheme([SECRET]).verify(BODY, {"webhook-id": MSG_ID, "webhook-timestamp": str(T)})


def test_standard_verify_v1a_signed_with_cryptography_passes() -> None:
    private_key = Ed25519PrivateKey.generate()
    public_keys = [PUBLIC_KEYS[1], "whpk_" + b64(raw_public(private_key))]
    headers = headers_with("v1a," + b64(private_key.sign(CONTENT)))
    verified = StandardScheme(public_keys=public_keys).verify(BODY, headers, now=NOW)
    assert (verified.secret_index, verified.timestamp) == (1, NOW)


def test_standard_verify_v1a_from_other_key_raises_invalid() -> None:
    headers = headers_with("v1a," + b64(Ed25519PrivateKey.generate().sign(CONTENT)))
    with pytest.raises(InvalidSignature):
        StandardScheme(public_keys=list(PUBLIC_KEYS)).verify(BODY, headers, now=NOW)


def test_standard_verify_multiple_signatures_in_one_header_pass() -> None:
    good = sign_standard(MSG_ID, T, BODY, [SECRET])
    wrong_v1 = sign_standard(MSG_ID, T, BODY, [STANDARD_SECRETS[2]])
    wrong_v1a = "v1a," + b64(Ed25519PrivateKey.generate().sign(CONTENT))
    headers = headers_with(f"{wrong_v1} v2,c29tZXRoaW5nIG5ldw== {wrong_v1a}  {good}")
    scheme = StandardScheme([STANDARD_SECRETS[1], SECRET], public_keys=[PUBLIC_KEYS[0]])
    assert scheme.verify(BODY, headers, now=NOW).secret_index == 1


def test_standard_verify_matching_v1a_beside_wrong_v1_passes() -> None:
    signature = sign_standard(MSG_ID, T, BODY, [STANDARD_SECRETS[2]], [PRIVATE_KEYS[0]])
    scheme = StandardScheme([SECRET], public_keys=[PUBLIC_KEYS[0]])
    assert scheme.verify(BODY, headers_with(signature), now=NOW).secret_index == 0


@pytest.mark.parametrize(
    "signature",
    [
        "v2,c29tZXRoaW5nIG5ldw==",
        "v1",
        "v1,not base64!",
        "v1," + b64(b"short"),
        "v1a," + b64(b"x" * 32),
        " ".join(["v1," + b64(b"x" * 32)] * 17),
    ],
)
def test_standard_verify_bad_signature_header_raises_malformed(signature: str) -> None:
    with pytest.raises(MalformedSignature):
        StandardScheme([SECRET]).verify(BODY, headers_with(signature), now=NOW)


def test_standard_sign_standard_orders_v1_then_v1a_entries() -> None:
    secrets = [SECRET, STANDARD_SECRETS[1]]
    signature = sign_standard(MSG_ID, T, BODY, secrets, [PRIVATE_KEYS[0]])
    first, second, third = signature.split(" ")
    for entry, secret in ((first, secrets[0]), (second, secrets[1])):
        assert entry == Webhook(secret).sign(MSG_ID, NOW, BODY.decode())
    version, encoded = third.split(",")
    assert version == "v1a"
    public = base64.b64decode(PUBLIC_KEYS[0].removeprefix("whpk_"))
    Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(encoded), CONTENT)


def test_standard_sign_standard_without_keys_raises_value_error() -> None:
    with pytest.raises(ValueError, match="at least one secret or private key"):
        sign_standard(MSG_ID, T, BODY, [])


def test_standard_sign_without_private_key_or_secret_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no secret or private key"):
        StandardScheme(public_keys=[PUBLIC_KEYS[0]]).sign(BODY)


def test_standard_sign_uses_given_msg_id_and_generates_one_otherwise() -> None:
    scheme = StandardScheme([SECRET])
    assert scheme.sign(BODY, now=NOW, msg_id=MSG_ID)["webhook-id"] == MSG_ID
    generated = {scheme.sign(BODY, now=NOW)["webhook-id"] for _ in range(3)}
    assert len(generated) == 3
    assert all(msg_id.startswith("msg_") for msg_id in generated)


def test_standard_generate_secret_works_with_reference_library() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert secret != generate_secret()
    assert Webhook(secret).verify(BODY, StandardScheme([secret]).sign(BODY)) == json.loads(BODY)


def test_standard_generate_ed25519_keypair_returns_matching_keys() -> None:
    private, public = generate_ed25519_keypair()
    assert private.startswith("whsk_")
    assert public.startswith("whpk_")
    seed = base64.b64decode(private.removeprefix("whsk_"), validate=True)
    raw = base64.b64decode(public.removeprefix("whpk_"), validate=True)
    assert raw_public(Ed25519PrivateKey.from_private_bytes(seed)) == raw
    headers = StandardScheme(private_keys=[private], public_keys=[public]).sign(BODY, now=NOW)
    assert StandardScheme(public_keys=[public]).verify(BODY, headers, now=NOW).secret_index == 0
    assert generate_ed25519_keypair() != (private, public)


def test_standard_private_key_with_appended_public_half_is_accepted() -> None:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes_raw()
    scheme = StandardScheme(
        private_keys=["whsk_" + b64(seed + raw_public(key))],
        public_keys=["whpk_" + b64(raw_public(key))],
    )
    assert scheme.verify(BODY, scheme.sign(BODY, now=NOW), now=NOW).secret_index == 0


def test_standard_private_key_with_foreign_public_half_raises_value_error() -> None:
    seed = bytes(32)
    foreign = raw_public(Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="does not match"):
        StandardScheme(private_keys=["whsk_" + b64(seed + foreign)])


@pytest.mark.parametrize(
    ("secrets", "options", "label"),
    [
        (["whsec_not*base64"], {}, r"secrets\[0\]"),
        (["whsec_"], {}, r"secrets\[0\]"),
        ([], {"public_keys": ["whpk_" + b64(b"x" * 31)]}, r"'public_keys'\[0\]"),
        ([], {"public_keys": [PRIVATE_KEYS[0]]}, r"'public_keys'\[0\]"),
        ([SECRET], {"private_keys": ["whsk_" + b64(b"x" * 40)]}, r"'private_keys'\[0\]"),
    ],
)
def test_standard_bad_key_raises_value_error_without_echoing_it(
    secrets: list[str], options: dict[str, Any], label: str
) -> None:
    with pytest.raises(ValueError, match=label) as caught:
        StandardScheme(secrets, **options)
    for value in [*secrets, *options.get("public_keys", []), *options.get("private_keys", [])]:
        encoded = value.split("_", 1)[1]
        assert not encoded or encoded not in str(caught.value)


def test_standard_scheme_without_secret_or_public_key_raises_value_error() -> None:
    with pytest.raises(ValueError, match="needs at least one secret"):
        StandardScheme(private_keys=[PRIVATE_KEYS[0]])


def test_standard_signer_signs_many_messages_as_sign_standard_does() -> None:
    signer = StandardSigner([SECRET, STANDARD_SECRETS[2]], [PRIVATE_KEYS[0]])
    for n, body in enumerate([BODY, b"{}", "é".encode()]):
        msg_id = f"{MSG_ID}{n}"
        expected = sign_standard(
            msg_id, T + n, body, [SECRET, STANDARD_SECRETS[2]], [PRIVATE_KEYS[0]]
        )
        assert signer.sign(msg_id, T + n, body) == expected


def test_standard_signer_refuses_no_keys_and_an_empty_msg_id() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        StandardSigner([])
    with pytest.raises(ValueError, match="msg_id"):
        StandardSigner([SECRET]).sign("", T, BODY)
