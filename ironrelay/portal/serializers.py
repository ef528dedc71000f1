"""Endpoints, deliveries and attempts as the portal API's JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ironrelay import crypto
from ironrelay.dashboard.views import masked_headers
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint


def time(value: datetime | None) -> str | None:
    """Return an aware time as ISO 8601 in UTC with a Z, or None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """Return an endpoint as JSON; the secret only masked (reveal it with its own call)."""
    try:
        masked_secret: str | None = endpoint.masked_secret
    except crypto.SecretUnreadable:
        # Encrypted with a key the site no longer has: null, so the list stays whole.
        masked_secret = None
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "masked_secret": masked_secret,
        "custom_headers": masked_headers(endpoint),  # values masked, as everywhere; None unreadable
        "created_at": time(endpoint.created_at),
        "updated_at": time(endpoint.updated_at),
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """Return a delivery (one message to one endpoint) as JSON, without its attempts."""
    message = delivery.message
    return {
        "id": delivery.pk,
        "message_id": message.pk,
        "event_type": message.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": time(delivery.created_at),
        "last_attempt_at": time(delivery.last_attempt_at),
        "next_attempt_at": time(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
    }


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    """Return one attempt: what was sent and what came back."""
    return {
        "number": attempt.number,
        "at": time(attempt.at),
        "url": attempt.url,
        "request_headers": attempt.request_headers,
        "status_code": attempt.status_code,
        "response_headers": attempt.response_headers,
        "response_body": attempt.response_body,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
    }


def delivery_detail_json(delivery: Delivery) -> dict[str, Any]:
    """Return a delivery with its payload and every attempt."""
    return {
        **delivery_json(delivery),
        "payload": delivery.message.payload,
        "attempt_log": [attempt_json(a) for a in delivery.attempt_log.order_by("number")],
    }
