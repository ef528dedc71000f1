"""python manage.py ironrelay_send_test SOURCE: post a correctly signed sample webhook."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from ironrelay.conf import get_settings
from ironrelay.handlers.sources import Source, get_source
from ironrelay.signing import UrlSignedScheme
from ironrelay.storable import MAX_DEPTH

# Providers that send a batch: the sample is its one item, found under this prefix.
BATCH_PREFIXES = {"sendgrid": "0.", "hubspot": "0.", "mandrill": "mandrill_events.0."}
# Providers that post form fields rather than JSON.
FORM_SCHEMES = frozenset({"twilio", "mandrill"})

# Stripe's id prefixes for the objects its commonly handled events are about.
STRIPE_ID_PREFIXES = {
    "payment_intent": "pi",
    "charge": "ch",
    "invoice": "in",
    "customer": "cus",
    "customer.subscription": "sub",
    "checkout.session": "cs",
}


class Command(BaseCommand):
    help = "Send a signed sample webhook for a configured source to a running server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="A source name from IRONRELAY['SOURCES'].")
        parser.add_argument("--event", default="ping", help="Event name to send.")
        parser.add_argument(
            "--data", default="{}", help="JSON object merged (deeply) into the sample payload."
        )
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The server's base URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["source"]
        source = get_source(name)
        if source is None:
            known = ", ".join(sorted(get_settings().SOURCES)) or "none configured"
            raise CommandError(f"Unknown source {name!r} (known: {known}).")
        try:
            extra = json.loads(options["data"])
        except ValueError as exc:
            raise CommandError(f"--data is not valid JSON: {exc}") from None
        except RecursionError:
            raise CommandError(f"--data nests more than {MAX_DEPTH} levels deep.") from None
        if not isinstance(extra, dict):
            raise CommandError("--data must be a JSON object.")
        payload, headers = sample_request(source, options["event"], extra)
        body, headers["Content-Type"] = encode_sample(source, payload)
        url = options["url"].rstrip("/") + reverse("ironrelay:incoming", args=[name])
        try:
            body, signed = sign_sample(source, body, url, headers.get("webhook-id"))
            headers.update(signed)
        except ValueError as exc:  # e.g. a public-key source without a test private_key
            raise CommandError(f"Cannot sign for source {name!r}: {exc}") from None
        try:
            response = requests.post(url, data=body, headers=headers, timeout=15)
        except requests.RequestException as exc:
            raise CommandError(f"Could not reach {url}: {exc}") from None
        self.stdout.write(f"POST {url} -> {response.status_code} {response.text[:500]}")


def sample_request(source: Source, event: str, extra: dict[str, Any]) -> tuple[dict, dict]:
    """Build a payload and headers that carry `event` and a fresh delivery id where the source
    expects them."""
    delivery_id = f"evt_test_{uuid.uuid4().hex[:16]}"
    # The id is in the body too, so sources that dedupe on the body see each sample as new.
    payload: dict[str, Any] = {"livemode": False, "sample": True, "sample_id": delivery_id}
    if source.scheme.name == "stripe":
        payload.update(_stripe_event_body(event))
    _merge(payload, extra)
    headers = {"Content-Type": "application/json", "webhook-id": delivery_id}
    prefix = BATCH_PREFIXES.get(source.scheme.name, "")
    for places, value in ((source.event_places, event), (source.id_places, delivery_id)):
        if not places:
            continue
        kind, key = places[0]
        if kind == "header":
            headers[key] = value
        else:
            _put(payload, key.removeprefix(prefix), value)
    return payload, headers


def encode_sample(source: Source, payload: dict[str, Any]) -> tuple[bytes, str]:
    """Return the body and content type the source's provider would send ``payload`` as."""
    name = source.scheme.name
    item: Any = [payload] if name in BATCH_PREFIXES else payload
    if name == "mandrill":
        item = {"mandrill_events": json.dumps(item)}
    if name not in FORM_SCHEMES:
        return json.dumps(item).encode(), "application/json"
    fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in item.items()}
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def sign_sample(
    source: Source, body: bytes, url: str, msg_id: str | None
) -> tuple[bytes, dict[str, str]]:
    """Return the body to send and its signature headers; URL-signing schemes sign the URL."""
    scheme = source.scheme
    if isinstance(scheme, UrlSignedScheme):
        # The server checks against its 'url' option when set, so sign that one then.
        return body, scheme.sign(body, url=scheme.url or url)
    # Some schemes (Mailgun, Linear) sign inside the body, so they may return a new one.
    return scheme.sign_request(body, msg_id=msg_id)


def _stripe_event_body(event: str) -> dict[str, Any]:
    """Return the parts of a Stripe event that handlers read: the object the event is about."""
    object_type = event.rsplit(".", 1)[0] if "." in event else event
    prefix = STRIPE_ID_PREFIXES.get(object_type, object_type.replace(".", "_"))
    return {
        "object": "event",
        "data": {
            "object": {
                "id": f"{prefix}_test_{uuid.uuid4().hex[:16]}",
                "object": object_type,
                "metadata": {},
            }
        },
    }


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge `extra` into `target`, nested objects key by key."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _put(payload: dict[str, Any], dotted_key: str, value: str) -> None:
    *parents, last = dotted_key.split(".")
    for part in parents:
        payload = payload.setdefault(part, {})
    payload[last] = value
