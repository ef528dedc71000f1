"""SCHEMES and get_scheme_class: built-in names and dotted paths to custom schemes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pytest

from ironrelay.signing import (
    SCHEMES,
    GitHubScheme,
    HmacSha256Scheme,
    MissingSignature,
    Scheme,
    StandardScheme,
    Verified,
    get_scheme_class,
    lowercase_headers,
)


class TeapotScheme(Scheme):
    """Accept requests whose X-Teapot header equals a secret (a custom scheme for tests)."""

    name = "teapot"

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        value = lowercase_headers(headers).get("x-teapot")
        if value is None:
            raise MissingSignature("X-Teapot header is missing")
        return Verified(scheme=self.name, secret_index=self.secrets.index(value))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        return {"X-Teapot": self.secrets[0]}


# Schemes named after providers: signatures over the called URL, public keys, handshakes.
PROVIDER_PACK_A = {"twilio", "sendgrid", "square", "zoom", "discord", "hubspot", "mandrill"}
# Email, billing, product and forms senders; Clerk, Resend and Svix are Standard Webhooks.
PROVIDER_PACK_B = {"mailgun", "paddle", "linear", "intercom", "typeform", "calendly", "postmark"}
SVIX_ALIASES = {"clerk", "resend", "svix"}


def test_schemes_registers_every_builtin_under_its_name() -> None:
    core = {"stripe", "github", "slack", "shopify", "standard", "hmac-sha256", "token", "none"}
    assert set(SCHEMES) == core | PROVIDER_PACK_A | PROVIDER_PACK_B | SVIX_ALIASES
    assert all(scheme.name == name for name, scheme in SCHEMES.items())


@pytest.mark.parametrize(
    ("name", "scheme"),
    [("github", GitHubScheme), ("standard", StandardScheme), ("hmac-sha256", HmacSha256Scheme)],
)
def test_get_scheme_class_builtin_name_returns_class(name: str, scheme: type[Scheme]) -> None:
    assert get_scheme_class(name) is scheme


def test_get_scheme_class_dotted_path_imports_custom_scheme() -> None:
    scheme = get_scheme_class(f"{__name__}.TeapotScheme")
    assert scheme is TeapotScheme
    teapot = scheme(["earl-grey"])
    assert teapot.verify(b"", {"x-teapot": "earl-grey"}).scheme == "teapot"


def test_get_scheme_class_dotted_path_to_builtin_returns_it() -> None:
    assert get_scheme_class("ironrelay.signing.github.GitHubScheme") is GitHubScheme


def test_get_scheme_class_unknown_name_lists_known_names() -> None:
    with pytest.raises(LookupError, match="'stirpe'") as caught:
        get_scheme_class("stirpe")
    assert all(name in str(caught.value) for name in SCHEMES)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("no_such_package.schemes.Custom", "cannot import"),
        ("..relative.Custom", "cannot import"),
        (f"{__name__}.NoSuchScheme", "not a Scheme subclass"),
        ("collections.OrderedDict", "not a Scheme subclass"),
        (f"{__name__}.SCHEMES", "not a Scheme subclass"),
    ],
)
def test_get_scheme_class_bad_dotted_path_raises_lookup_error(path: str, reason: str) -> None:
    with pytest.raises(LookupError, match=reason):
        get_scheme_class(path)
