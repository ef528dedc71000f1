"""Verify and sign Twilio requests (``X-Twilio-Signature``: HMAC of the URL and sorted params)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from .base import Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_base64, find_hmac_match, hmac_digest
from .exceptions import InvalidSignature, MalformedSignature
from .request_url import UrlSignedScheme, form_params, port_variants, sorted_params_text

SIGNATURE_HEADER = "X-Twilio-Signature"
# Present when a webhook is signed with a SharedKey: "key=<id>,algorithm=HMAC_SHA256".
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
BODY_HASH_PARAM = "bodySHA256"
ALGORITHMS = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}


def signature_algorithm(value: str | None) -> str:
    """Return the algorithm named in the signature-settings header (HMAC_SHA1 without one)."""
    for part in (value or "").split(","):
        name, separator, text = part.partition("=")
        if separator and name.strip() == "algorithm" and text.strip():
            algorithm = text.strip().upper()
            if algorithm not in ALGORITHMS:
                raise MalformedSignature(f"{SETTINGS_HEADER} names an unknown algorithm")
            return algorithm
    return "HMAC_SHA1"


def signed_text(url: str, body: bytes) -> bytes:
    """Return what Twilio signs: the URL, plus the sorted POST parameters unless it has a hash."""
    if BODY_HASH_PARAM in parse_qs(urlsplit(url).query):
        return url.encode("utf-8")  # a JSON body is covered by bodySHA256 in the URL instead
    return sorted_params_text(url, form_params(body, what="the body"))


def with_body_hash(url: str, body: bytes) -> str:
    """Return ``url`` with the bodySHA256 parameter Twilio adds when it sends a JSON body."""
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{BODY_HASH_PARAM}={hashlib.sha256(body).hexdigest()}"


class TwilioScheme(UrlSignedScheme):
    """Verify Twilio's HMAC-SHA1 (or SharedKey HMAC-SHA256) of the URL and its parameters."""

    name = "twilio"

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check X-Twilio-Signature against every configured auth token or shared key."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, SIGNATURE_HEADER)
        algorithm = signature_algorithm(lowered.get(SETTINGS_HEADER.lower()))
        hasher = ALGORITHMS[algorithm]
        size = hashlib.new(hasher).digest_size
        digest = decode_base64(value, what=f"{SIGNATURE_HEADER} header", size=size)
        target = self.target_url(url)
        expected_hash = parse_qs(urlsplit(target).query).get(BODY_HASH_PARAM)
        if expected_hash is not None:
            actual = hashlib.sha256(body).hexdigest().encode()
            if not hmac.compare_digest(actual, expected_hash[0].lower().encode("utf-8")):
                raise InvalidSignature(f"the body does not match the URL's {BODY_HASH_PARAM}")
        # Twilio may have signed the URL with or without its default port.
        for candidate in port_variants(target):
            message = signed_text(candidate, body)
            index = find_hmac_match(self._keys, message, [digest], algorithm=hasher)
            if index is not None:
                return Verified(self.name, index, content_digest=content_digest(message))
        raise InvalidSignature(f"{SIGNATURE_HEADER} matches none of the configured secrets")

    def sign(
        self,
        body: bytes,
        *,
        now: datetime | None = None,
        msg_id: str | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Return X-Twilio-Signature for a form ``body`` (or a URL carrying bodySHA256)."""
        message = signed_text(self.target_url(url), body)
        digest = hmac_digest(self._keys[0], message, "sha1")
        return {SIGNATURE_HEADER: base64.b64encode(digest).decode("ascii")}
