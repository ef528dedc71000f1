"""What a customer can do to an endpoint, shared by the pages and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ironrelay.models import Delivery, Endpoint, OutgoingWebhook
from ironrelay.outgoing import delivery as outgoing
from ironrelay.outgoing.messages import queue_deliveries
from ironrelay.portal import events

# Recover reaches back at most this far (older failures are history, not a backlog to replay)
# and queues at most this many deliveries per call (call again for the rest), so one request
# never queues an unbounded number of POSTs to the customer's URL.
RECOVER_MAX_AGE = timedelta(days=30)
RECOVER_BATCH = 1000
REDELIVERABLE = (Delivery.Status.FAILED, Delivery.Status.DELIVERED)


class EndpointDisabled(Exception):
    """The endpoint is disabled: enable it before redelivering."""


class DeliveryInProgress(Exception):
    """The delivery is still pending (its attempt or a retry is queued): nothing to redeliver."""


@dataclass(frozen=True)
class Recovered:
    """What one recover call queued, from when, and whether failed deliveries remain."""

    queued: int
    since: datetime
    more: bool


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
    """Queue one more attempt of a finished delivery (failed or delivered), never a pending one."""
    if not delivery.endpoint.is_active:
        raise EndpointDisabled("The endpoint is disabled: enable it before redelivering.")
    with transaction.atomic():
        # Locked: repeated POSTs must not stack attempts while one is queued.
        status = Delivery.objects.select_for_update().get(pk=delivery.pk).status
        if status not in REDELIVERABLE:
            raise DeliveryInProgress(
                "This delivery is still pending: wait for its attempt to finish, then redeliver."
            )
        outgoing.redeliver(delivery)


def recover(endpoint: Endpoint, deliveries: QuerySet[Delivery], since: datetime) -> Recovered:
    """Queue new attempts of failed `deliveries` since `since`, within the bounds above."""
    if not endpoint.is_active:
        raise EndpointDisabled("The endpoint is disabled: enable it before recovering.")
    since = max(since, timezone.now() - RECOVER_MAX_AGE)
    queued = outgoing.redeliver_failed(endpoint, since, limit=RECOVER_BATCH, among=deliveries)
    more = deliveries.filter(status=Delivery.Status.FAILED, created_at__gte=since).exists()
    return Recovered(queued, since, more)


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
