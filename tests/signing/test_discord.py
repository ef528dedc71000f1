"""DiscordScheme against PyNaCl (Ed25519 as Discord's docs verify it) and its PING handshakes."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from ironrelay.signing import DiscordScheme, Handshake, InvalidSignature, Verified

from .cases import NOW

BODY = b'{"type":2,"id":"1122334455","data":{"name":"ping"}}'
TIMESTAMP = str(int(NOW.timestamp()))


def discord_app() -> tuple[SigningKey, str]:
    key = SigningKey.generate()
    return key, key.verify_key.encode().hex()


def nacl_headers(key: SigningKey, body: bytes, timestamp: str = TIMESTAMP) -> dict[str, str]:
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp}


def test_discord_signed_by_pynacl_verifies() -> None:
    key, public = discord_app()
    verified = DiscordScheme(public_key=public).verify(BODY, nacl_headers(key, BODY), now=NOW)
    assert (verified.scheme, verified.timestamp) == ("discord", NOW)


def test_discord_tampered_body_raises_invalid() -> None:
    key, public = discord_app()
    with pytest.raises(InvalidSignature):
        DiscordScheme(public_key=public).verify(
            BODY.replace(b"ping", b"pong"), nacl_headers(key, BODY), now=NOW
        )


def test_discord_our_test_signature_passes_pynacl() -> None:
    key, public = discord_app()
    scheme = DiscordScheme(public_key=public, private_key=bytes(key).hex())
    headers = scheme.sign(BODY, now=NOW)
    message = headers["X-Signature-Timestamp"].encode() + BODY
    key.verify_key.verify(message, bytes.fromhex(headers["X-Signature-Ed25519"]))


def test_discord_interaction_ping_answers_pong() -> None:
    _, public = discord_app()
    scheme = DiscordScheme(public_key=public)
    answer = scheme.handshake({"type": 1, "id": "1", "token": "t"}, Verified("discord", 0))
    assert answer == Handshake({"type": 1})


def test_discord_webhook_event_ping_answers_204_and_events_are_events() -> None:
    _, public = discord_app()
    scheme = DiscordScheme(public_key=public)
    verified = Verified("discord", 0)
    assert scheme.handshake({"version": 1, "type": 0}, verified) == Handshake(None, 204)
    event = {"version": 1, "type": 1, "event": {"type": "APPLICATION_AUTHORIZED"}}
    assert scheme.handshake(event, verified) is None
    assert scheme.handshake({"type": 2, "id": "9"}, verified) is None
    assert scheme.handshake({"type": True}, verified) is None
