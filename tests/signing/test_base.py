"""The Scheme base class: constructor validation, options, repr, helpers and the no-Django rule."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import pytest

import ironrelay.signing
from ironrelay.signing import (
    SCHEMES,
    GitHubScheme,
    Scheme,
    StripeScheme,
    Verified,
    lowercase_headers,
)

from .cases import BODY, NOW

SIGNED = [scheme for scheme in SCHEMES.values() if scheme.requires_secrets]
PACKAGE = Path(ironrelay.signing.__file__).parent


def scheme_id(scheme: type[Scheme]) -> str:
    return scheme.name


@pytest.mark.parametrize("scheme", SIGNED, ids=scheme_id)
def test_scheme_without_secrets_raises_value_error(scheme: type[Scheme]) -> None:
    needs = "(at least one secret|the 'public_key' option)"  # public-key schemes name theirs
    required = dict.fromkeys(scheme.required_options, "x")
    with pytest.raises(ValueError, match=f"{scheme.name} scheme needs {needs}"):
        scheme(**required)


@pytest.mark.parametrize(
    "scheme", [s for s in SCHEMES.values() if s.required_options], ids=scheme_id
)
def test_scheme_missing_required_option_raises_type_error_naming_it(scheme: type[Scheme]) -> None:
    for option in scheme.required_options:
        others = dict.fromkeys(scheme.required_options - {option}, "x")
        with pytest.raises(TypeError, match=f"needs option.*'{option}'"):
            scheme(["s3cr3t"], **others)


@pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=scheme_id)
def test_scheme_unknown_option_raises_type_error_naming_it(scheme: type[Scheme]) -> None:
    with pytest.raises(TypeError, match="'hedaer'"):
        scheme(["whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="], hedaer="X-Sig")


@pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=scheme_id)
def test_scheme_options_match_configure_keywords(scheme: type[Scheme]) -> None:
    parameters = inspect.signature(scheme.configure).parameters.values()
    keywords = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert scheme.options == keywords


@pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=scheme_id)
def test_scheme_declares_name_and_documents_itself(scheme: type[Scheme]) -> None:
    assert SCHEMES[scheme.name] is scheme
    assert scheme.__doc__
    assert "\n" not in scheme.__doc__.strip()


def test_scheme_secrets_as_single_string_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        GitHubScheme("s3cr3t")  # a str is a Sequence[str]: exactly the trap


@pytest.mark.parametrize(("secrets", "error"), [(["ok", ""], ValueError), ([None], TypeError)])
def test_scheme_bad_secret_entry_raises(secrets: list[object], error: type) -> None:
    with pytest.raises(error, match=r"secrets\[\d\]"):
        GitHubScheme(secrets)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tolerance", "error"), [(-1, ValueError), (True, TypeError), (1.5, TypeError)]
)
def test_scheme_bad_tolerance_raises(tolerance: object, error: type) -> None:
    with pytest.raises(error, match="tolerance"):
        StripeScheme(["s3cr3t"], tolerance=tolerance)  # type: ignore[arg-type]


def test_scheme_repr_hides_secrets() -> None:
    text = repr(StripeScheme(["whsec_abc123-very-secret", "whsec_old"], tolerance=60))
    assert "very-secret" not in text
    assert "whsec_old" not in text
    assert "2 secret(s)" in text


def test_scheme_naive_now_raises_value_error() -> None:
    scheme = StripeScheme(["s3cr3t"])
    headers = scheme.sign(BODY, now=NOW)
    with pytest.raises(ValueError, match="aware"):
        scheme.verify(BODY, headers, now=datetime(2024, 5, 1, 12, 0))


def test_scheme_subclass_listing_options_without_configure_fails_loudly() -> None:
    class Forgetful(GitHubScheme):
        name = "forgetful"
        options = frozenset({"header"})

    with pytest.raises(NotImplementedError, match="Forgetful"):
        Forgetful(["s3cr3t"], header="X-Sig")


def test_verified_is_frozen_and_compares_by_value() -> None:
    verified = Verified(scheme="stripe", secret_index=0, timestamp=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verified.secret_index = 1  # type: ignore[misc]
    assert verified == Verified("stripe", 0, NOW)
    assert verified != Verified("stripe", 1, NOW)


def test_lowercase_headers_lowercases_every_name() -> None:
    class Headers(Mapping[str, str]):
        def __getitem__(self, name: str) -> str:
            return {"Content-Type": "application/json", "X-Hub-Signature-256": "x"}[name]

        def __iter__(self) -> Iterator[str]:
            return iter(["Content-Type", "X-Hub-Signature-256"])

        def __len__(self) -> int:
            return 2

    assert lowercase_headers(Headers()) == {
        "content-type": "application/json",
        "x-hub-signature-256": "x",
    }


def test_signing_package_never_imports_django() -> None:
    imported: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module)
    assert "hmac" in imported  # the scan sees real imports
    assert not {name for name in imported if name.split(".")[0] == "django"}


def test_signing_modules_start_with_future_annotations() -> None:
    for path in PACKAGE.glob("*.py"):
        body = ast.parse(path.read_text()).body
        first_import = next(node for node in body if isinstance(node, ast.ImportFrom | ast.Import))
        assert isinstance(first_import, ast.ImportFrom), path.name
        assert first_import.module == "__future__", path.name
