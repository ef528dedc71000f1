"""Schema validation stops at the cap: a body of many wrong items builds few errors."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings
from jsonschema import validators

from ironrelay.handlers.validation import MAX_MESSAGES, PayloadSchemas
from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db

INTEGERS = {"type": "array", "items": {"type": "integer"}}
WRONG_ITEMS = 20_000


@pytest.fixture
def errors_pulled(monkeypatch):
    """Count the errors anyone takes from the schema's validator class."""
    cls = validators.validator_for(INTEGERS)
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
    sources = {**settings.IRONRELAY["SOURCES"], "numbers": {"scheme": "none", "schema": INTEGERS}}
    body = json.dumps(["x"] * WRONG_ITEMS).encode()
    with override_settings(IRONRELAY={**settings.IRONRELAY, "SOURCES": sources}):
        response = Client().post(
            "/ironrelay/incoming/numbers/", data=body, content_type="application/json"
        )
    assert response.status_code == 422, response.content[:300]
    assert len(response.json()["errors"]) == MAX_MESSAGES
    assert len(errors_pulled) == MAX_MESSAGES
    assert len(IncomingWebhook.objects.get().errors) == MAX_MESSAGES
