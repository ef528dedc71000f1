"""Deeply nested JSON is a 400 naming the limit, never a 500, on every way into the endpoint."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from ironrelay.handlers.payloads import BadPayload, parse_body
from ironrelay.handlers.validation import PayloadSchemas
from ironrelay.models import IncomingWebhook
from ironrelay.storable import MAX_DEPTH

pytestmark = pytest.mark.django_db

REASON = f"nested more than {MAX_DEPTH} levels deep"
FORM = "application/x-www-form-urlencoded"


def arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


TOO_DEEP = [
    pytest.param(arrays(MAX_DEPTH + 1), "application/json", id="arrays-just-over"),
    pytest.param(objects(MAX_DEPTH + 1), "application/json", id="objects-just-over"),
    pytest.param(arrays(900), "application/json", id="arrays-900-parse-in-python"),
    pytest.param(arrays(1_000), "application/json", id="arrays-1000"),
    pytest.param(objects(1_000), "application/json", id="objects-1000"),
    pytest.param("[" * 100_000, "application/json", id="unclosed-arrays-100k"),
    pytest.param("payload=" + quote(arrays(1_000)), FORM, id="form-field-1000"),
    pytest.param("payload=" + quote(objects(MAX_DEPTH)), FORM, id="form-field-wrapped-over"),
]


@pytest.mark.parametrize(("body", "content_type"), TOO_DEEP)
def test_endpoint_answers_400_naming_the_depth_and_stores_nothing(body, content_type):
    response = Client().post(
        "/ironrelay/incoming/test/", data=body.encode(), content_type=content_type
    )
    assert response.status_code == 400, response.content[:300]
    assert REASON in response.json()["error"]
    assert not IncomingWebhook.objects.exists()


@pytest.mark.parametrize(("body", "content_type"), TOO_DEEP)
def test_parse_body_refuses_deep_nesting_with_its_reason(body, content_type):
    with pytest.raises(BadPayload, match=REASON):
        parse_body(body.encode(), content_type)


@pytest.mark.parametrize("body", [arrays(MAX_DEPTH), objects(MAX_DEPTH)])
def test_nesting_at_the_limit_is_stored_on_every_database(body):
    response = Client().post(
        "/ironrelay/incoming/test/", data=body.encode(), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    assert IncomingWebhook.objects.get().payload == parse_body(body.encode(), "application/json")


def test_form_field_nested_at_the_limit_less_one_is_stored():
    body = "payload=" + quote(objects(MAX_DEPTH - 1))
    response = Client().post("/ironrelay/incoming/test/", data=body.encode(), content_type=FORM)
    assert response.status_code == 202, response.content


def test_recursive_schema_validates_a_payload_at_the_limit():
    node = {"type": "array", "maxItems": 1, "items": {"$ref": "#/$defs/node"}}
    schemas = PayloadSchemas("t", schema={"$ref": "#/$defs/node", "$defs": {"node": node}})
    deepest = parse_body(arrays(MAX_DEPTH).encode(), "application/json")
    assert schemas.validate("", deepest) == []
    wide = parse_body(("[" * (MAX_DEPTH - 1) + "[], []" + "]" * (MAX_DEPTH - 1)).encode(), "")
    assert [e["message"] for e in schemas.validate("", wide)] == ["[[], []] is too long"]
