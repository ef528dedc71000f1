"""Two customers (tenants), each with an endpoint and a failed delivery; an internal endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from ironrelay import tenant_key
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint, OutgoingWebhook

CATALOG = {
    "invoice.paid": {
        "description": "An invoice was paid in full.",
        "schema": {
            "type": "object",
            "required": ["invoice_id", "amount"],
            "properties": {"invoice_id": {"type": "string"}, "amount": {"type": "integer"}},
        },
        "example": {"invoice_id": "in_1001", "amount": 4200},
    },
    "invoice.voided": {
        "description": "An invoice was voided.",
        "schema": {"type": "object"},
        "example": {"invoice_id": "in_1002"},
    },
}


@dataclass
class Customer:
    """A customer of the test project, with what it owns."""

    user: object
    tenant: str
    endpoint: Endpoint
    delivery: Delivery
    client: Client


@pytest.fixture(autouse=True)
def _catalog(settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "EVENT_TYPES": CATALOG}


def make_customer(django_user_model, name: str, **client_options: object) -> Customer:
    user = django_user_model.objects.create_user(name, password="pw")
    tenant = tenant_key(user)
    endpoint = Endpoint.objects.create(
        url=f"https://hooks.{name}.example.com/in",
        description=f"{name}'s receiver",
        event_types=["invoice.*"],
        tenant=tenant,
    )
    delivery = failed_delivery(endpoint, tenant)
    client = Client(**client_options)
    client.force_login(user)
    return Customer(user, tenant, endpoint, delivery, client)


def failed_delivery(endpoint: Endpoint, tenant: str) -> Delivery:
    message = OutgoingWebhook.objects.create(
        event_type="invoice.paid", payload={"invoice_id": f"in_{tenant}"}, tenant=tenant
    )
    delivery = Delivery.objects.create(
        message=message,
        endpoint=endpoint,
        status=Delivery.Status.FAILED,
        attempts=1,
        last_status_code=500,
        finished_at=timezone.now(),
    )
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=1,
        url=endpoint.url,
        request_headers={"webhook-id": message.pk},
        status_code=500,
        response_body=f"oops from {tenant}",
    )
    return delivery


@pytest.fixture
def alice(db, django_user_model) -> Customer:
    return make_customer(django_user_model, "alice")


@pytest.fixture
def bob(db, django_user_model) -> Customer:
    return make_customer(django_user_model, "bob")


@pytest.fixture
def internal_endpoint(db) -> Endpoint:
    """An endpoint without a tenant: the site's own, never shown in the portal."""
    endpoint = Endpoint.objects.create(url="https://internal.example.com/hook", event_types=["*"])
    failed_delivery(endpoint, "")
    return endpoint
