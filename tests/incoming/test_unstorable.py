"""Bodies and headers that parse but that a database cannot store are a 400, never a 503 or 500."""

from __future__ import annotations

import json
import math

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironrelay.handlers.payloads import BadPayload, parse_body
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

UNSTORABLE = [
    (b"Infinity", "application/json", "not valid JSON"),
    (b'{"a": NaN}', "application/json", "not valid JSON"),
    (b'{"a": -Infinity}', "application/json", "not valid JSON"),
    (b'{"amount": 1e999}', "application/json", "out of range"),
    (b'{"note": "a\\u0000b"}', "application/json", "NUL"),
    (b'{"a\\u0000": 1}', "application/json", "NUL"),
    (b'["\\ud800"]', "application/json", "surrogate"),
    (b"note=a%00b", "application/x-www-form-urlencoded", "NUL"),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), UNSTORABLE)
def test_unstorable_body_is_refused_with_its_reason(body, content_type, reason):
    with pytest.raises(BadPayload, match=reason):
        parse_body(body, content_type)


@pytest.mark.parametrize(("body", "content_type", "reason"), UNSTORABLE)
def test_endpoint_answers_400_for_unstorable_body_and_stores_nothing(body, content_type, reason):
    response = Client().post("/ironrelay/incoming/test/", data=body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]
    assert not IncomingWebhook.objects.exists()


def test_endpoint_answers_400_for_nul_in_a_header():
    response = Client().post(
        "/ironrelay/incoming/test/",
        data=b'{"event": "ping"}',
        content_type="application/json",
        headers={"X-Note": "a\x00b"},
    )
    assert response.status_code == 400
    assert "a header contains a NUL" in response.json()["error"]
    assert not IncomingWebhook.objects.exists()


def test_big_but_finite_numbers_and_unicode_are_stored():
    body = '{"amount": 1e308, "n": 12345678901234567890, "name": "Zoë ✓ 😀"}'.encode()
    response = Client().post(
        "/ironrelay/incoming/test/", data=body, content_type="application/json"
    )
    assert response.status_code == 202
    assert same(IncomingWebhook.objects.get().payload, json.loads(body))


def same(stored, sent):
    """Compare JSON values; numbers by value (PostgreSQL's jsonb may turn 1e308 into an integer)."""
    if isinstance(sent, bool) or sent is None or isinstance(sent, str):
        return stored == sent
    if isinstance(sent, (int, float)):
        return isinstance(stored, (int, float)) and math.isclose(stored, sent, rel_tol=1e-15)
    if isinstance(sent, list):
        return len(stored) == len(sent) and all(map(same, stored, sent))
    return stored.keys() == sent.keys() and all(same(stored[k], sent[k]) for k in sent)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=json_values)
def test_any_json_document_is_stored_as_sent_or_refused_with_400(document):
    IncomingWebhook.objects.all().delete()
    body = json.dumps(document).encode("utf-8", "surrogatepass")
    response = Client().post(
        "/ironrelay/incoming/test/", data=body, content_type="application/json"
    )
    assert response.status_code in (202, 400), response.content
    if response.status_code == 202:
        assert same(IncomingWebhook.objects.get().payload, json.loads(body))
    else:
        assert not IncomingWebhook.objects.exists()
