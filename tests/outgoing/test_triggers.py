"""Model events and send_webhook: what is created, when, with which payload."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from ironrelay import send_webhook
from ironrelay.models import Delivery, Endpoint, OutgoingWebhook, Task
from ironrelay.outgoing.messages import PayloadError
from ironrelay.storable import MAX_DEPTH
from tests.testapp.models import Note, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    return Endpoint.objects.create(
        url="http://127.0.0.1:9/hook", event_types=["testapp.*", "invoice.paid"]
    )


def events() -> list[str]:
    return list(OutgoingWebhook.objects.order_by("created_at").values_list("event_type", flat=True))


def test_create_update_delete_become_events(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        product = Product.objects.create(name="Lamp", price=Decimal("9.90"))
    with django_capture_on_commit_callbacks(execute=True):
        product.name = "Big lamp"
        product.save()
    with django_capture_on_commit_callbacks(execute=True):
        product.delete()
    assert events() == [
        "testapp.product.created",
        "testapp.product.updated",
        "testapp.product.deleted",
    ]
    assert Delivery.objects.count() == 3
    assert Task.objects.filter(task_path="ironrelay.outgoing.delivery.deliver").count() == 3


def test_default_payload_has_json_safe_fields(endpoint, django_capture_on_commit_callbacks):
    code = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        Product.objects.create(
            name="Lamp",
            price=Decimal("9.90"),
            code=code,
            released=date(2026, 1, 2),
            manual="manuals/a.pdf",
        )
    data = OutgoingWebhook.objects.get().payload
    assert data["name"] == "Lamp"
    assert data["price"] == "9.90"
    assert data["code"] == str(code)
    assert data["released"] == "2026-01-02"
    assert data["manual"] == "manuals/a.pdf"
    assert isinstance(data["updated"], str) and data["id"] > 0


def test_events_wait_for_commit(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Product.objects.create(name="Lamp")
        assert not OutgoingWebhook.objects.exists()
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_save_sends_nothing():
    Endpoint.objects.create(url="http://127.0.0.1:9/hook", event_types=["*"])
    with pytest.raises(RuntimeError), transaction.atomic():
        Product.objects.create(name="Ghost")
        raise RuntimeError("roll back")
    assert not OutgoingWebhook.objects.exists()
    assert not Delivery.objects.exists()
    Product.objects.create(name="Real")  # autocommit: the event is created at once
    assert events() == ["testapp.product.created"]


def test_only_configured_actions_fire_with_custom_serializer(
    endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = Note.objects.create(text="hello")
        note.text = "changed"
        note.save()
        note.delete()
    assert events() == ["testapp.note.created"]
    assert OutgoingWebhook.objects.get().payload == {"note": "HELLO"}


def test_queryset_update_and_bulk_create_do_not_fire(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Product.objects.bulk_create([Product(name="a"), Product(name="b")])
        Product.objects.update(name="c")
    assert events() == []


def test_send_webhook_targets_only_active_subscribed_endpoints(endpoint):
    Endpoint.objects.create(url="http://127.0.0.1:9/other", event_types=["shop.*"])
    Endpoint.objects.create(url="http://127.0.0.1:9/off", event_types=["*"], is_active=False)
    message = send_webhook("invoice.paid", {"id": 42})
    assert message.id.startswith("msg_")
    assert list(message.deliveries.values_list("endpoint_id", flat=True)) == [endpoint.pk]


def test_send_webhook_without_subscribers_is_still_recorded():
    message = send_webhook("nobody.listens", {"x": 1})
    assert OutgoingWebhook.objects.get().pk == message.pk
    assert not Delivery.objects.exists()


def test_send_webhook_non_json_data_names_the_event():
    with pytest.raises(PayloadError, match=r"invoice\.paid"):
        send_webhook("invoice.paid", {"amount": Decimal("1.0")})
    assert not OutgoingWebhook.objects.exists()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000])
def test_send_webhook_too_deeply_nested_data_names_the_event_and_the_limit(depth):
    data: list = []
    for _ in range(depth - 1):
        data = [data]
    with pytest.raises(PayloadError, match=rf"invoice\.paid.*nested more than {MAX_DEPTH}"):
        send_webhook("invoice.paid", data)
    assert not OutgoingWebhook.objects.exists()
