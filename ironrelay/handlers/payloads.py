"""Turning a request body into a payload, and finding its event name and delivery id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from ironrelay.storable import too_deep, unstorable

# Form fields that senders fill with one JSON document when they are the only field.
JSON_FORM_FIELDS = ("payload", "mandrill_events")


class BadPayload(ValueError):
    """The body cannot be parsed as JSON or form data."""


def parse_body(body: bytes, content_type: str) -> Any:
    """Parse a JSON or form-encoded body; raise BadPayload with a reason otherwise."""
    if not body.strip():
        raise BadPayload("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8") from None
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        payload: Any = _parse_form(text)
    else:
        try:
            payload = _load_json(text, "the body")
        except BadPayload:
            raise
        except ValueError as exc:
            raise BadPayload(f"the body is not valid JSON: {exc}") from None
    check_storable(payload, "the body")
    return payload


def check_storable(value: Any, where: str) -> None:
    """Raise BadPayload if a database could not store value (see ironrelay.storable)."""
    problem = unstorable(value)
    if problem:
        raise BadPayload(f"{where} contains {problem}")


def _load_json(text: str, where: str) -> Any:
    """Parse JSON text (ValueError if it is not); BadPayload if it nests too deep to parse."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        # The parser recurses once per level; what parses is checked against MAX_DEPTH later.
        raise BadPayload(f"{where} contains {too_deep()}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_form(text: str) -> dict[str, Any]:
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise BadPayload(f"the body is not valid form data: {exc}") from None
    flat: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    # Slack interactivity (and Mandrill, as "mandrill_events") put a JSON document in one field.
    for name in JSON_FORM_FIELDS:
        if set(flat) == {name} and isinstance(flat[name], str):
            try:
                return {name: _load_json(flat[name], f"the form field {name!r}")}
            except BadPayload:
                raise
            except ValueError:
                pass
    return flat


def dig(payload: Any, dotted_key: str) -> str:
    """Return payload["a"]["b"] for "a.b" ("a.0" for a list's first item) as text, or ""."""
    value = payload
    for part in dotted_key.split("."):
        if isinstance(value, list) and _is_index(part) and int(part) < len(value):
            value = value[int(part)]  # batches (SendGrid, HubSpot, Mandrill) name their first
            continue
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _is_index(part: str) -> bool:
    # ASCII digits only, and short: int() of thousands of digits is slow or refused.
    return part.isascii() and part.isdigit() and len(part) < 10


Place = tuple[str, str]  # ("json", dotted key in the payload) or ("header", header name)

# Where each scheme's senders put the event name and the delivery id; the first place that
# holds a value wins.
NATURAL_PLACES: dict[str, tuple[tuple[Place, ...], tuple[Place, ...]]] = {
    # Provider pack. Batches (sendgrid, hubspot, mandrill) are named by their first item.
    "twilio": (
        (
            ("json", "EventType"),
            ("json", "MessageStatus"),
            ("json", "SmsStatus"),
            ("json", "CallStatus"),
        ),
        (("header", "I-Twilio-Idempotency-Token"),),
    ),
    "sendgrid": ((("json", "0.event"),), (("json", "0.sg_event_id"),)),
    "square": ((("json", "type"),), (("json", "event_id"),)),
    "zoom": ((("json", "event"),), (("header", "x-zm-trackingid"),)),
    "discord": ((("json", "event.type"), ("json", "type")), (("json", "id"),)),
    "hubspot": ((("json", "0.subscriptionType"),), (("json", "0.eventId"),)),
    "mandrill": ((("json", "mandrill_events.0.event"),), (("json", "mandrill_events.0._id"),)),
    # Core schemes.
    "stripe": ((("json", "type"),), (("json", "id"),)),
    "github": ((("header", "X-GitHub-Event"),), (("header", "X-GitHub-Delivery"),)),
    "standard": ((("json", "type"),), (("header", "webhook-id"), ("header", "svix-id"))),
    "shopify": ((("header", "X-Shopify-Topic"),), (("header", "X-Shopify-Webhook-Id"),)),
    "slack": (
        (("json", "event.type"), ("json", "type"), ("json", "command"), ("json", "payload.type")),
        (("json", "event_id"),),
    ),
}
_STANDARD_PLACES = NATURAL_PLACES["standard"]
# Provider pack: where each of these senders documents its event name and delivery id.
NATURAL_PLACES.update(
    {
        # The signed token is the delivery id: a replayed token is a duplicate.
        "mailgun": (
            (("json", "event-data.event"), ("json", "event")),
            (("json", "signature.token"), ("json", "token")),
        ),
        "paddle": ((("json", "event_type"),), (("json", "event_id"),)),
        "linear": (
            (("json", "type"), ("header", "Linear-Event")),
            (("header", "Linear-Delivery"),),
        ),
        "intercom": ((("json", "topic"),), (("json", "id"),)),
        "typeform": ((("json", "event_type"),), (("json", "event_id"),)),
        "calendly": ((("json", "event"),), ()),
        "postmark": ((("json", "RecordType"),), ()),
        "clerk": _STANDARD_PLACES,
        "resend": _STANDARD_PLACES,
        "svix": _STANDARD_PLACES,
    }
)
GENERIC_PLACES: tuple[tuple[Place, ...], tuple[Place, ...]] = ((("json", "event"),), ())


def read_places(places: tuple[Place, ...], payload: Any, headers: Mapping[str, str]) -> str:
    """Return the first non-empty value found in `places` ("" when none has one)."""
    for kind, name in places:
        value = str(headers.get(name, "")).strip() if kind == "header" else dig(payload, name)
        if value:
            return value
    return ""
