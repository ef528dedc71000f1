"""System checks on provider-pack sources: public keys and the URL that is signed."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ironrelay.checks import check_sources
from ironrelay.signing import generate_ed25519_hex_keypair, generate_p256_keypair


def messages(sources: dict, **settings) -> list[tuple[str, str]]:
    with override_settings(IRONRELAY={"SOURCES": sources}, **{"DEBUG": False, **settings}):
        return [(m.id, m.msg) for m in check_sources()]


@pytest.mark.parametrize("scheme", ["sendgrid", "discord"])
def test_public_key_scheme_without_public_key_is_an_error_naming_it(scheme):
    [(code, text)] = messages({"p": {"scheme": scheme}})
    assert code == "ironrelay.E002"
    assert "'p'" in text and "'public_key'" in text


def test_discord_public_key_that_is_not_a_key_is_an_error():
    [(code, text)] = messages({"d": {"scheme": "discord", "public_key": "abc"}})
    assert code == "ironrelay.E002"
    assert "public_key" in text


def test_public_key_sources_with_keys_pass():
    _, sendgrid_public = generate_p256_keypair()
    _, discord_public = generate_ed25519_hex_keypair()
    sources = {
        "sg": {"scheme": "sendgrid", "public_key": sendgrid_public},
        "dc": {"scheme": "discord", "public_key": [discord_public, discord_public]},
    }
    assert messages(sources) == []


@pytest.mark.parametrize("scheme", ["twilio", "square", "hubspot", "mandrill"])
def test_url_signing_source_without_url_or_proxy_header_warns_naming_url(scheme):
    [(code, text)] = messages({"u": {"scheme": scheme, "secrets": ["k"]}})
    assert code == "ironrelay.W004"
    assert "'url'" in text and "SECURE_PROXY_SSL_HEADER" in text


@pytest.mark.parametrize(
    "config, settings",
    [
        ({"url": "https://hooks.example.com/ironrelay/incoming/u/"}, {}),
        ({}, {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}),
        ({}, {"DEBUG": True}),
    ],
)
def test_url_signing_source_with_url_or_proxy_header_passes(config, settings):
    assert messages({"u": {"scheme": "twilio", "secrets": ["k"], **config}}, **settings) == []


def test_url_option_that_is_not_absolute_is_an_error():
    [(code, text)] = messages({"u": {"scheme": "square", "secrets": ["k"], "url": "/hook/"}})
    assert code == "ironrelay.E002"
    assert "'url'" in text and "absolute" in text
