"""Arbitrary headers and bodies: verify raises only SignatureError subclasses and never passes."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironrelay.signing import NoneScheme, SignatureError

from .cases import BODY, CASES, NOW, Case, case_id


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


NOW_SECONDS = int(NOW.timestamp())
HEADER_NAMES = sorted(
    {name for case in CASES for name in case.signer().sign(BODY, now=NOW)}
    | {"svix-id", "svix-timestamp", "svix-signature", "X-Hub-Signature", "Content-Type"}
)

# Any code point, surrogates included, since header values can arrive decoded as latin-1 or worse.
any_text = st.text(st.characters(exclude_categories=()), max_size=120)
hexish = st.one_of(
    st.binary(min_size=32, max_size=32).map(bytes.hex),
    st.binary(max_size=40).map(bytes.hex),
    st.text("0123456789abcdefABCDEF"),
)
base64ish = st.one_of(
    st.binary(min_size=32, max_size=32).map(b64),
    st.binary(min_size=64, max_size=64).map(b64),
    st.binary(max_size=70).map(b64),
    st.text("ABCDEFabcdef0123456789+/=", max_size=90),
)
timestampish = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=NOW_SECONDS - 600, max_value=NOW_SECONDS + 600).map(str),
    any_text,
)
stripe_like = st.builds(
    lambda t, entries: ",".join([f"t={t}", *entries]),
    timestampish,
    st.lists(
        st.builds("{}={}".format, st.sampled_from(["v1", "v0", "t", ""]), hexish),
        max_size=5,
    ),
)
standard_like = st.lists(
    st.builds("{},{}".format, st.sampled_from(["v1", "v1a", "v2", ""]), base64ish),
    max_size=5,
).map(" ".join)
prefixed = st.builds(
    "{}{}".format, st.sampled_from(["sha256=", "v0=", ""]), st.one_of(hexish, base64ish)
)
header_values = st.one_of(
    any_text, timestampish, hexish, base64ish, stripe_like, standard_like, prefixed
)


def reshaped(value: str, *, is_signature: bool) -> st.SearchStrategy[str]:
    """Return values shaped like a genuine one, its digests replaced by random bytes."""
    parts = re.split(r"([A-Za-z0-9+/]{40,}={0,2})", value)
    if len(parts) == 1:
        # A timestamp or id may stay genuine; a plain token signature must not.
        return header_values if is_signature else st.just(value) | header_values
    pieces: list[st.SearchStrategy[str]] = []
    for position, part in enumerate(parts):
        if position % 2 == 0:
            pieces.append(st.just(part))
        elif re.fullmatch("[0-9a-f]+", part):
            pieces.append(
                st.binary(min_size=len(part) // 2, max_size=len(part) // 2).map(bytes.hex)
            )
        else:
            size = len(base64.b64decode(part))
            pieces.append(st.binary(min_size=size, max_size=size).map(b64))
    return st.tuples(*pieces).map("".join)


header_names = st.one_of(
    st.sampled_from(HEADER_NAMES).flatmap(
        lambda name: st.sampled_from([name, name.lower(), name.upper()])
    ),
    any_text,
)
headers_strategy = st.dictionaries(header_names, header_values, max_size=8)
fuzz_settings = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@fuzz_settings
@given(body=st.binary(max_size=300), headers=headers_strategy)
def test_verify_arbitrary_input_raises_only_signature_errors(
    case: Case, body: bytes, headers: dict[str, str]
) -> None:
    scheme = case.verifier(slots=(0, 1))
    with pytest.raises(SignatureError):
        scheme.verify(body, headers, now=NOW)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@fuzz_settings
@given(data=st.data(), body=st.binary(max_size=300))
def test_verify_expected_headers_with_arbitrary_values_never_pass(
    case: Case, data: st.DataObject, body: bytes
) -> None:
    genuine = case.signer().sign(BODY, now=NOW)
    shapes = {
        name: reshaped(value, is_signature=name == case.signature_header) | header_values
        for name, value in genuine.items()
    }
    headers = data.draw(st.fixed_dictionaries(shapes))
    with pytest.raises(SignatureError):
        case.verifier(slots=(0, 1)).verify(body, headers, now=NOW)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@fuzz_settings
@given(data=st.data(), value=header_values)
def test_verify_valid_headers_with_one_value_replaced_never_pass(
    case: Case, data: st.DataObject, value: str
) -> None:
    headers = case.signer().sign(BODY, now=NOW)
    name = data.draw(st.sampled_from(sorted(headers)))
    if value.strip() == headers[name]:
        value += "x"
    with pytest.raises(SignatureError):
        case.verifier().verify(BODY, {**headers, name: value}, now=NOW)


@fuzz_settings
@given(body=st.binary(max_size=300), headers=headers_strategy)
def test_none_verify_arbitrary_input_always_passes(body: bytes, headers: dict[str, str]) -> None:
    assert NoneScheme().verify(body, headers, now=NOW).scheme == "none"
