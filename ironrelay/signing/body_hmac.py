"""Verify and sign HMACs of the raw body in a provider's header: Intercom and Typeform."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_base64
from .exceptions import InvalidSignature, MalformedSignature

_HEX = re.compile(r"[0-9a-fA-F]+")


class BodyHmacScheme(Scheme):
    """Verify ``<prefix><digest>`` in one header: an HMAC of exactly the body, no timestamp."""

    header: ClassVar[str]
    prefix: ClassVar[str]
    encoding: ClassVar[str]  # "hex" or "base64"
    digestmod: ClassVar[Any]  # a hashlib constructor

    def _digest(self, key: bytes, body: bytes) -> bytes:
        return hmac.new(key, body, self.digestmod).digest()

    def _decode(self, value: str) -> bytes:
        if not value.startswith(self.prefix):
            raise MalformedSignature(f"{self.header} header does not start with {self.prefix!r}")
        encoded = value[len(self.prefix) :]
        size = self.digestmod().digest_size
        what = f"{self.header} header"
        if self.encoding == "base64":
            return decode_base64(encoded, what=what, size=size)
        if len(encoded) != size * 2 or _HEX.fullmatch(encoded) is None:
            raise MalformedSignature(f"{what} is not a {size * 2}-character hex digest")
        return bytes.fromhex(encoded)

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature header against every configured secret."""
        given = self._decode(require_header(lowercase_headers(headers), self.header))
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(self._digest(key, body), given):
                # Only the body is signed: no header and no time, so replays dedupe on content.
                return Verified(self.name, index, content_digest=content_digest(body))
        raise InvalidSignature(f"{self.header} matches none of the configured secrets")

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the signature header for ``body`` signed with the first secret."""
        digest = self._digest(self._keys[0], body)
        encoded = base64.b64encode(digest).decode() if self.encoding == "base64" else digest.hex()
        return {self.header: self.prefix + encoded}


class IntercomScheme(BodyHmacScheme):
    """Verify Intercom's ``X-Hub-Signature: sha1=<hex>`` keyed with the app's client secret."""

    name = "intercom"
    header = "X-Hub-Signature"
    prefix = "sha1="
    encoding = "hex"
    # Intercom signs with HMAC-SHA1 only; SHA-1 is still sound as an HMAC hash.
    digestmod = hashlib.sha1


class TypeformScheme(BodyHmacScheme):
    """Verify Typeform's ``Typeform-Signature: sha256=<base64>`` keyed with the webhook secret."""

    name = "typeform"
    header = "Typeform-Signature"
    prefix = "sha256="
    encoding = "base64"
    digestmod = hashlib.sha256
