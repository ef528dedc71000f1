"""What one endpoint is sent for a message: its data (through its transform), body and headers."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from ironrelay import crypto
from ironrelay.endpoint_options import TransformError, clean_headers, load_transform
from ironrelay.models import Delivery
from ironrelay.outgoing.batch import EndpointSigner
from ironrelay.storable import unstorable

MAX_ERROR_CHARS = 300


class RequestError(Exception):
    """The request for a delivery cannot be built (transform or custom headers); nothing is sent."""


def endpoint_data(delivery: Delivery) -> Any:
    """Return the data the endpoint gets: the message's, through the endpoint's transform."""
    message, path = delivery.message, delivery.endpoint.transform
    if not path:
        return message.payload
    try:
        function = load_transform(path)
    except TransformError as exc:
        raise RequestError(str(exc)) from None
    try:
        # A copy: a transform that edits its argument must not change what others are sent.
        data = function(message.event_type, copy.deepcopy(message.payload))
    except Exception as exc:
        raise RequestError(
            f"transform {path!r} failed: {type(exc).__name__}: {str(exc)[:MAX_ERROR_CHARS]}"
        ) from exc
    try:
        json.dumps(data, allow_nan=False)
        problem = unstorable(data)
    except (TypeError, ValueError, RecursionError) as exc:
        problem = f"data JSON cannot carry ({type(exc).__name__}: {str(exc)[:MAX_ERROR_CHARS]})"
    if problem:
        raise RequestError(f"transform {path!r} returned {problem}")
    return data


def message_body(delivery: Delivery, data: Any) -> bytes:
    """Return the JSON body of the delivery's message carrying `data`."""
    message = delivery.message
    document = {
        "type": message.event_type,
        "timestamp": message.created_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def custom_headers(delivery: Delivery) -> dict[str, str]:
    """Return the endpoint's custom headers, checked again (rows may be written without save())."""
    try:
        return clean_headers(delivery.endpoint.custom_headers)
    except ValidationError as exc:
        raise RequestError(f"custom headers refused: {'; '.join(exc.messages)}") from None


def signed_headers(
    delivery: Delivery, body: bytes, now: datetime, signer: EndpointSigner | None = None
) -> dict[str, str]:
    """Return Standard Webhooks headers: v1 for every live secret, v1a when a key is set."""
    signer = signer or EndpointSigner(delivery.endpoint, now)
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signer.sign(delivery.message_id, timestamp, body, now),
    }


def build_request(
    delivery: Delivery, now: datetime, signer: EndpointSigner | None = None
) -> tuple[bytes, dict[str, str], dict[str, str]]:
    """Return the body, the headers to send, and the headers to record (custom values masked)."""
    body = message_body(delivery, endpoint_data(delivery))
    custom = custom_headers(delivery)
    signed = signed_headers(delivery, body, now, signer)
    # Custom names never match the signed ones (clean_headers refuses them): nothing to override.
    recorded = {**{name: crypto.mask(value) for name, value in custom.items()}, **signed}
    return body, {**custom, **signed}, recorded
