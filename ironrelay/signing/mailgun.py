"""Verify and sign Mailgun webhooks: a body ``signature`` object signs timestamp + token."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from .base import Scheme, Verified, lowercase_headers
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256, to_utf8
from .exceptions import InvalidSignature, MalformedSignature, MissingSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

# Mailgun's tokens are 50 characters; anything far longer is not one.
MAX_TOKEN = 256
FIELDS = ("timestamp", "token", "signature")


def signature_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """Return the signature fields: the JSON body's ``signature`` object or the form's fields."""
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise MalformedSignature("form body cannot be parsed for Mailgun's signature") from None
        return {key: values[0] for key, values in form.items() if len(values) == 1}
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise MissingSignature("body is not JSON, so it has no Mailgun signature object") from None
    fields = payload.get("signature") if isinstance(payload, dict) else None
    if fields is None:
        raise MissingSignature("body has no Mailgun signature object")
    if not isinstance(fields, dict):
        raise MalformedSignature("body's signature is not an object")
    return fields


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise MissingSignature(f"Mailgun signature has no {name}")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # some senders give the timestamp as a JSON number
    if not isinstance(value, str) or not value.strip():
        raise MalformedSignature(f"Mailgun signature {name} is not text")
    return value.strip()


class MailgunScheme(Scheme):
    """Verify Mailgun's HMAC-SHA256 of ``<timestamp><token>`` with the webhook signing key."""

    name = "mailgun"
    # Only timestamp + token are signed: event-data can be changed by anyone replaying a
    # captured request, so the signed token is the delivery id that dedupes replays.
    signs_body = False

    def signs_timestamp(self) -> bool:
        """Return True: the signature object's timestamp is signed with the token."""
        return True

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the body's signature (or parent-signature) against every signing key."""
        content_type = str(lowercase_headers(headers).get("content-type", ""))
        fields = signature_fields(body, content_type)
        timestamp_text, token, signature = (_text(fields, name) for name in FIELDS)
        if len(token) > MAX_TOKEN:
            raise MalformedSignature(f"Mailgun token is longer than {MAX_TOKEN} characters")
        timestamp = parse_unix_timestamp(timestamp_text, what="Mailgun timestamp")
        digests = [decode_hex_sha256(signature, what="Mailgun signature")]
        if "parent-signature" in fields:
            # Subaccount events carry the primary account's signature too.
            parent = _text(fields, "parent-signature")
            digests.append(decode_hex_sha256(parent, what="Mailgun parent-signature"))
        message = timestamp_text.encode("ascii") + to_utf8(token, what="Mailgun token")
        index = find_hmac_match(self._keys, message, digests)
        if index is None:
            raise InvalidSignature("Mailgun signature matches none of the configured keys")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Refuse: Mailgun's signature travels in the body (use ``sign_request``)."""
        raise ValueError("mailgun signs inside the body: use sign_request()")

    def sign_request(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Put a signature object (``msg_id`` as the token) into a JSON object body."""
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("mailgun signs a JSON object body")
        timestamp = str(unix_seconds(now))
        token = msg_id or secrets.token_hex(25)
        digest = hmac_sha256(self._keys[0], (timestamp + token).encode())
        payload["signature"] = {"timestamp": timestamp, "token": token, "signature": digest.hex()}
        return json.dumps(payload).encode(), {"Content-Type": "application/json"}
