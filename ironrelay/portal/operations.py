"""What a customer can do to an endpoint, shared by the pages and the JSON API."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ironrelay.models import Delivery, Endpoint, OutgoingWebhook
from ironrelay.outgoing import delivery as outgoing
from ironrelay.outgoing.messages import queue_deliveries
from ironrelay.portal import events


class EndpointDisabled(Exception):
    """The endpoint is disabled: enable it before redelivering."""


def send_test(endpoint: Endpoint, event_type: str) -> Delivery:
    """Queue a test event (the catalog's example) to this endpoint only; refuse a disabled one."""
    if not endpoint.is_active:
        raise EndpointDisabled("The endpoint is disabled: enable it before sending a test event.")
    with transaction.atomic():
        message = OutgoingWebhook.objects.create(
            event_type=event_type, payload=events.example(event_type), tenant=endpoint.tenant
        )
        (delivery,) = queue_deliveries(message, [endpoint.pk])
    delivery.message, delivery.endpoint = message, endpoint
    return delivery


def redeliver(delivery: Delivery) -> None:
    """Queue one more attempt of a delivery, or raise EndpointDisabled."""
    if not delivery.endpoint.is_active:
        raise EndpointDisabled("The endpoint is disabled: enable it before redelivering.")
    outgoing.redeliver(delivery)


def recover(endpoint: Endpoint, since: datetime) -> int:
    """Queue a new attempt of every failed delivery since `since`; return how many."""
    if not endpoint.is_active:
        raise EndpointDisabled("The endpoint is disabled: enable it before recovering.")
    return outgoing.redeliver_failed(endpoint, since)


def rotate_secret(endpoint: Endpoint) -> str:
    """Give the endpoint a new secret (the old one signs until it expires); return it."""
    secret = endpoint.rotate_secret()
    endpoint.save(update_fields=["secret_encrypted", "previous_secrets", "updated_at"])
    return secret


def enable(endpoint: Endpoint) -> None:
    """Deliver to the endpoint again."""
    outgoing.enable(endpoint)
    endpoint.refresh_from_db()


def disable(endpoint: Endpoint) -> None:
    """Stop delivering to the endpoint until it is enabled."""
    outgoing.disable(endpoint, "disabled by the customer in the portal")
    endpoint.refresh_from_db()
