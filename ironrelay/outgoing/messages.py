"""Creating outgoing messages and one queued delivery per subscribed endpoint."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction

from ironrelay.models import Delivery, Endpoint, OutgoingWebhook
from ironrelay.storable import unstorable

logger = logging.getLogger("ironrelay.outgoing")


class PayloadError(TypeError):
    """An event's data cannot be sent as JSON."""


def send_webhook(event_type: str, data: Any) -> OutgoingWebhook:
    """Store an event and queue its delivery to every active endpoint subscribed to it.

    Inside a transaction, nothing is sent unless the transaction commits.
    """
    try:
        json.dumps(data, allow_nan=False)
    except RecursionError:
        pass  # nested too deep: unstorable() below says so without recursing
    except (TypeError, ValueError) as exc:
        raise PayloadError(
            f"Data of event {event_type!r} is not JSON serializable: {exc}"
        ) from None
    problem = unstorable(data)
    if problem:
        raise PayloadError(f"Data of event {event_type!r} contains {problem}")
    endpoints = [e for e in Endpoint.objects.filter(is_active=True) if e.accepts(event_type)]
    with transaction.atomic():
        message = OutgoingWebhook.objects.create(event_type=event_type, payload=data)
        queue_deliveries(message, endpoints)
    logger.info("Event %s %s queued for %s endpoint(s)", event_type, message.id, len(endpoints))
    return message


def queue_deliveries(message: OutgoingWebhook, endpoints: list[Endpoint]) -> list[Delivery]:
    """Create a delivery per endpoint and queue its first attempt (in the caller's transaction)."""
    from ironrelay.outgoing.delivery import delivery_task

    if not endpoints:
        return []
    deliveries = Delivery.objects.bulk_create(
        [Delivery(message=message, endpoint=endpoint) for endpoint in endpoints]
    )
    # Deliveries to endpoints with limits carry the endpoint's key; the rest take the fast lane.
    for limited in (False, True):
        group = [e for e in endpoints if e.is_limited is limited]
        if group:
            delivery_task(group[0]).bulk_defer([(message.id, e.pk) for e in group])
    return deliveries
