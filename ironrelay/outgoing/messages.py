"""Creating outgoing messages and one queued delivery per subscribed endpoint."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from ironrelay.conf import get_settings
from ironrelay.models import Delivery, Endpoint, OutgoingWebhook
from ironrelay.models.outgoing import subscribes
from ironrelay.storable import unstorable
from ironrelay.tasks.rates import ENDPOINT_KEY_PREFIX
from ironrelay.tenants import tenant_key

logger = logging.getLogger("ironrelay.outgoing")


class PayloadError(TypeError):
    """An event's data cannot be sent as JSON."""


def send_webhook(event_type: str, data: Any, tenant: Any = None) -> OutgoingWebhook:
    """Store an event and queue its delivery to every active endpoint subscribed to it.

    With a `tenant` (a model instance or a key), that tenant's endpoints and the endpoints
    without a tenant receive it; without one, only endpoints without a tenant do.
    Inside a transaction, nothing is sent unless the transaction commits.
    """
    from ironrelay.outgoing.catalog import validate_event

    key = tenant_key(tenant)
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
    validate_event(event_type, data)
    endpoints = subscribed_endpoints(event_type, key)
    with transaction.atomic():
        message = OutgoingWebhook.objects.create(event_type=event_type, payload=data, tenant=key)
        queue_deliveries(message, endpoints)
    logger.info("Event %s %s queued for %s endpoint(s)", event_type, message.id, len(endpoints))
    return message


class EndpointIds(list[int]):
    """Endpoint ids, and which of them have flow-control limits (read by the same query)."""

    limited: frozenset[int] = frozenset()


def subscribed_endpoints(event_type: str, tenant: str) -> EndpointIds:
    """Return the ids of active endpoints of `tenant` (and of no tenant) subscribed to the event."""
    # One indexed query (tenant, is_active) that reads four columns: the rows of the other
    # tenants are never read. Event-type patterns are matched here, on that small set, the
    # same way on every database.
    rows = (
        Endpoint.objects.filter(is_active=True, tenant__in={tenant, ""})
        .order_by()  # any order: sorting would cost a temporary B-tree on SQLite
        .values_list("id", "event_types", "max_in_flight", "rate")
    )
    found = [row for row in rows if subscribes(row[1], event_type)]
    ids = EndpointIds(row[0] for row in found)
    ids.limited = frozenset(row[0] for row in found if row[2] or row[3])
    return ids


def queue_deliveries(message: OutgoingWebhook, endpoints: list[int]) -> list[Delivery]:
    """Create a delivery per endpoint id and queue its first attempt (caller's transaction)."""
    from ironrelay.outgoing.delivery import deliver

    if not endpoints:
        return []
    deliveries = Delivery.objects.bulk_create(
        [Delivery(message=message, endpoint_id=pk) for pk in endpoints]
    )
    # Deliveries to endpoints with limits carry the endpoint's key; the rest take the fast lane.
    if isinstance(endpoints, EndpointIds):
        limited: frozenset[int] | set[int] = endpoints.limited
    else:
        limited = set(
            Endpoint.objects.filter(pk__in=endpoints)
            .filter(Q(max_in_flight__isnull=False) | ~Q(rate=""))
            .values_list("pk", flat=True)
        )
    plain = [pk for pk in endpoints if pk not in limited]
    queue_name = get_settings().OUTGOING_QUEUE
    if plain:
        deliver.using(queue=queue_name).bulk_defer([(message.id, pk) for pk in plain])
    if limited:
        # The claim reads each endpoint's limits from its row by this key (ironrelay.tasks.flow).
        keyed = deliver.using(
            queue=queue_name, concurrency_key=ENDPOINT_KEY_PREFIX + "{endpoint_id}"
        )
        keyed.bulk_defer([(message.id, pk) for pk in endpoints if pk in limited])
    return deliveries
