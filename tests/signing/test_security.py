"""Security cases every signed scheme must pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta

import pytest

from ironrelay.signing import (
    SCHEMES,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    TimestampOutOfTolerance,
)

from .cases import (
    BODY,
    BODY_SIGNING_CASES,
    CASES,
    NOW,
    SIGNED_IN_BODY,
    TIMESTAMPED_CASES,
    Case,
    case_id,
    replace_header,
)

all_cases = pytest.mark.parametrize("case", CASES, ids=case_id)
timestamped_cases = pytest.mark.parametrize("case", TIMESTAMPED_CASES, ids=case_id)


class TitleCaseHeaders(Mapping[str, str]):
    """Mimic Django's request.headers: case-insensitive lookup, Title-Case iteration."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name.title() for name in self._headers)

    def __len__(self) -> int:
        return len(self._headers)


def test_cases_cover_every_signed_scheme() -> None:
    signed = {name for name, scheme in SCHEMES.items() if scheme.requires_secrets}
    assert {case.scheme_name for case in CASES} | SIGNED_IN_BODY == signed


@all_cases
def test_verify_valid_request_passes(case: Case) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    verified = case.verifier().verify(BODY, headers, now=NOW)
    assert verified.scheme == case.scheme_name
    assert verified.secret_index == 0
    assert verified.timestamp == (NOW if case.timestamped else None)


@all_cases
def test_verify_wrong_secret_raises_invalid(case: Case) -> None:
    headers = case.signer(slot=2).sign(BODY, now=NOW)
    with pytest.raises(InvalidSignature):
        case.verifier(slots=(0, 1)).verify(BODY, headers, now=NOW)


@pytest.mark.parametrize("case", BODY_SIGNING_CASES, ids=case_id)
@pytest.mark.parametrize("tampered", [BODY + b" ", BODY.replace(b"4200", b"4201"), b""])
def test_verify_tampered_body_raises_invalid(case: Case, tampered: bytes) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    with pytest.raises(InvalidSignature):
        case.verifier().verify(tampered, headers, now=NOW)


@all_cases
def test_verify_each_missing_header_raises_missing(case: Case) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    assert headers
    for name in headers:
        incomplete = {key: value for key, value in headers.items() if key != name}
        with pytest.raises(MissingSignature, match=name):
            case.verifier().verify(BODY, incomplete, now=NOW)


@all_cases
def test_verify_no_headers_raises_missing(case: Case) -> None:
    with pytest.raises(MissingSignature):
        case.verifier().verify(BODY, {}, now=NOW)


@all_cases
def test_verify_malformed_header_raises_malformed(case: Case) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    broken = replace_header(headers, case.signature_header, case.malformed)
    with pytest.raises(MalformedSignature):
        case.verifier().verify(BODY, broken, now=NOW)


@all_cases
def test_verify_empty_header_raises_malformed(case: Case) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    broken = replace_header(headers, case.signature_header, "")
    with pytest.raises(MalformedSignature):
        case.verifier().verify(BODY, broken, now=NOW)


@timestamped_cases
@pytest.mark.parametrize("text", ["12.5", "abc", "1e9", "-1", "١٧١٤٥٦٤٨٠٠", "9" * 40, "0x10"])
def test_verify_non_integer_timestamp_raises_malformed(case: Case, text: str) -> None:
    assert case.with_timestamp is not None
    headers = case.with_timestamp(case.signer().sign(BODY, now=NOW), text)
    with pytest.raises(MalformedSignature):
        case.verifier().verify(BODY, headers, now=NOW)


@timestamped_cases
@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400 * 365])
def test_verify_timestamp_outside_tolerance_raises(case: Case, offset: int) -> None:
    headers = case.signer().sign(BODY, now=NOW + timedelta(seconds=offset))
    with pytest.raises(TimestampOutOfTolerance, match=f"{abs(offset)} s"):
        case.verifier().verify(BODY, headers, now=NOW)


@timestamped_cases
@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_verify_timestamp_at_tolerance_edge_passes(case: Case, offset: int) -> None:
    signed_at = NOW + timedelta(seconds=offset)
    headers = case.signer().sign(BODY, now=signed_at)
    assert case.verifier().verify(BODY, headers, now=NOW).timestamp == signed_at


@timestamped_cases
def test_verify_custom_tolerance_is_honoured(case: Case) -> None:
    ten_minutes_ago = case.signer().sign(BODY, now=NOW - timedelta(seconds=600))
    with pytest.raises(TimestampOutOfTolerance):
        case.verifier().verify(BODY, ten_minutes_ago, now=NOW)
    assert case.verifier(tolerance=900).verify(BODY, ten_minutes_ago, now=NOW)
    eleven_seconds_ago = case.signer().sign(BODY, now=NOW - timedelta(seconds=11))
    with pytest.raises(TimestampOutOfTolerance, match="tolerance 10 s"):
        case.verifier(tolerance=10).verify(BODY, eleven_seconds_ago, now=NOW)


@all_cases
@pytest.mark.parametrize("slot", [0, 1])
def test_verify_rotated_secrets_reports_matching_index(case: Case, slot: int) -> None:
    headers = case.signer(slot=slot).sign(BODY, now=NOW)
    assert case.verifier(slots=(0, 1)).verify(BODY, headers, now=NOW).secret_index == slot


@all_cases
@pytest.mark.parametrize("transform", [str.lower, str.upper, str.swapcase, str.title])
def test_verify_header_names_in_any_case_pass(case: Case, transform: Callable[[str], str]) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    recased = {transform(name): value for name, value in headers.items()}
    assert case.verifier().verify(BODY, recased, now=NOW).secret_index == 0


@all_cases
def test_verify_django_style_headers_pass(case: Case) -> None:
    headers = TitleCaseHeaders(case.signer().sign(BODY, now=NOW))
    assert case.verifier().verify(BODY, headers, now=NOW).scheme == case.scheme_name


@all_cases
def test_verify_error_messages_never_reveal_secrets(case: Case) -> None:
    verifier = case.verifier(slots=(0, 1))
    signed = case.signer().sign(BODY, now=NOW)
    expected = verifier.sign(BODY, now=NOW)[case.signature_header]
    attempts = [
        (BODY, case.signer(slot=2).sign(BODY, now=NOW)),
        (BODY, replace_header(signed, case.signature_header, case.malformed)),
    ]
    if case.signs_body:
        attempts.append((BODY + b"!", signed))
    if case.timestamped:
        attempts.append((BODY, case.signer().sign(BODY, now=NOW - timedelta(days=1))))
    messages = []
    for body, headers in attempts:
        with pytest.raises(SignatureError) as caught:
            verifier.verify(body, headers, now=NOW)
        messages.append(str(caught.value))
    for message in messages:
        assert message
        assert all(secret not in message for secret in case.secret_texts)
        assert all(part not in message for part in re.findall(r"[\w+/=]{20,}", expected))
