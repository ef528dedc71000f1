"""The fixed statement that loads a handler run's webhook gives what the ORM would."""

from __future__ import annotations

from datetime import datetime

import pytest

from ironrelay.handlers.rows import load_webhook
from ironrelay.models import IncomingWebhook


@pytest.mark.django_db
def test_load_webhook_matches_the_orm_field_by_field():
    stored = IncomingWebhook.objects.create(
        source="test",
        event="ping",
        delivery_id="d-1",
        content_hash="ab" * 32,
        payload={"nested": {"list": [1, 2.5, None, "é"]}, "flag": True},
        headers={"X-Test": "1"},
        remote_addr="127.0.0.1",
        errors=["a message"],
    )
    loaded = load_webhook(stored.pk)
    expected = IncomingWebhook.objects.get(pk=stored.pk)
    for field in IncomingWebhook._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert isinstance(loaded.received_at, datetime)
    assert loaded.received_at.tzinfo is not None
    assert loaded.payload["nested"]["list"] == [1, 2.5, None, "é"]


@pytest.mark.django_db
def test_load_webhook_gives_an_instance_a_save_updates():
    stored = IncomingWebhook.objects.create(source="test", event="ping", payload=None)
    loaded = load_webhook(stored.pk)
    assert loaded.payload is None
    assert loaded._state.adding is False
    loaded.event = "pong"
    loaded.save()
    assert IncomingWebhook.objects.count() == 1
    assert IncomingWebhook.objects.get(pk=stored.pk).event == "pong"


@pytest.mark.django_db
def test_load_webhook_of_a_missing_id_raises_does_not_exist():
    with pytest.raises(IncomingWebhook.DoesNotExist):
        load_webhook(987654321)
