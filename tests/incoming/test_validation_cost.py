"""Schema validation stops at the cap: a body of many wrong items builds few errors."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import _utils as jsonschema_utils

from ironrelay.handlers.validation import MAX_MESSAGES, TOO_DEEP_TO_CHECK, PayloadSchemas
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

INTEGERS = {"type": "array", "items": {"type": "integer"}}
WRONG_ITEMS = 20_000


@pytest.fixture
def errors_pulled(monkeypatch):
    """Count the errors anyone takes from the validator class sources with this schema use."""
    cls = type(PayloadSchemas("t", schema=INTEGERS).default)
    original = cls.iter_errors
    pulled: list[object] = []

    def counting(self, *args, **kwargs):
        for error in original(self, *args, **kwargs):
            pulled.append(error)
            yield error

    monkeypatch.setattr(cls, "iter_errors", counting)
    return pulled


def test_validate_stops_after_the_cap(errors_pulled):
    messages = PayloadSchemas("t", schema=INTEGERS).validate("", ["x"] * WRONG_ITEMS)
    assert len(messages) == MAX_MESSAGES
    assert len(errors_pulled) == MAX_MESSAGES
    assert messages[0] == {"path": "$[0]", "message": "'x' is not of type 'integer'"}
    assert [m["path"] for m in messages] == [f"$[{n}]" for n in range(MAX_MESSAGES)]


def test_validate_lists_every_error_below_the_cap(errors_pulled):
    payload = [1, "a", 2, "b", 3]
    assert [m["path"] for m in PayloadSchemas("t", schema=INTEGERS).validate("", payload)] == [
        "$[1]",
        "$[3]",
    ]
    assert len(errors_pulled) == 2


def test_endpoint_answers_422_with_at_most_the_cap(errors_pulled):
    sources = {
        **django_settings.IRONRELAY["SOURCES"],
        "numbers": {"scheme": "none", "schema": INTEGERS},
    }
    body = json.dumps(["x"] * WRONG_ITEMS).encode()
    with override_settings(IRONRELAY={**django_settings.IRONRELAY, "SOURCES": sources}):
        response = Client().post(
            "/ironrelay/incoming/numbers/", data=body, content_type="application/json"
        )
    assert response.status_code == 422, response.content[:300]
    assert len(response.json()["errors"]) == MAX_MESSAGES
    assert len(errors_pulled) == MAX_MESSAGES
    assert len(IncomingWebhook.objects.get().errors) == MAX_MESSAGES


UNIQUE = {"type": "array", "uniqueItems": True}


@pytest.fixture
def pairs_compared(monkeypatch):
    """Count jsonschema's pairwise comparisons of array items."""
    calls = [0]
    original = jsonschema_utils.equal

    def counting(one, two):
        calls[0] += 1
        return original(one, two)

    monkeypatch.setattr(jsonschema_utils, "equal", counting)
    return calls


def test_unique_items_of_unsortable_values_are_not_compared_pairwise(pairs_compared):
    # Mixed types and objects cannot be sorted: jsonschema then compares every pair.
    items = [value for n in range(1_000) for value in (n, str(n), {"n": n})]
    assert PayloadSchemas("t", schema=UNIQUE).validate("", items) == []
    assert pairs_compared[0] < len(items)


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, 1.0], False),
        ([{"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]}], False),
        ([[1, 2], [1, 2]], False),
        ([1, True], True),
        ([0, False, None, "", [], {}], True),
        ([{"a": [1]}, {"a": [True]}], True),
        ([[1, 2], [2, 1]], True),
        (["1", 1], True),
    ],
)
def test_unique_items_keeps_json_schema_equality(items, unique):
    messages = PayloadSchemas("t", schema=UNIQUE).validate("", items)
    assert (messages == []) is unique
    assert jsonschema_utils.uniq(items) is unique  # what jsonschema itself decides


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5])
    | st.text(max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(json_values, max_size=6))
def test_unique_items_agrees_with_jsonschema_on_any_array(items):
    found = PayloadSchemas("t", schema=UNIQUE).validate("", items) == []
    assert found is jsonschema_utils.uniq(items)


def test_a_string_too_nested_for_the_regex_format_check_fails_validation_not_the_request():
    # Python's re parser recurses once per group: a flat JSON string can exhaust the stack.
    pattern = "(" * 5_000 + ")" * 5_000
    schemas = PayloadSchemas(
        "t", schema={"type": "object", "properties": {"p": {"format": "regex"}}}
    )
    assert schemas.validate("", {"p": "(a)"}) == []
    messages = schemas.validate("", {"p": pattern})
    assert messages == [{"path": "$", "message": TOO_DEEP_TO_CHECK}]
