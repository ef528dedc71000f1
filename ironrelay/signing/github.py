"""Verify and sign GitHub webhooks (``X-Hub-Signature-256: sha256=<hex>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, lowercase_headers, require_header
from .encoding import content_digest, decode_hex_sha256, find_hmac_match, hmac_sha256
from .exceptions import InvalidSignature, MalformedSignature

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


class GitHubScheme(Scheme):
    """Verify GitHub's HMAC-SHA256 body signatures."""

    name = "github"

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the X-Hub-Signature-256 header against every configured secret."""
        value = require_header(lowercase_headers(headers), HEADER)
        if not value.startswith(PREFIX):
            raise MalformedSignature(f"{HEADER} header does not start with {PREFIX!r}")
        digest = decode_hex_sha256(value[len(PREFIX) :], what=f"{HEADER} header")
        index = find_hmac_match(self._keys, body, [digest])
        if index is None:
            raise InvalidSignature(f"{HEADER} matches none of the configured secrets")
        # Only the body is signed: X-GitHub-Event and X-GitHub-Delivery are not.
        return Verified(self.name, index, content_digest=content_digest(body))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return an X-Hub-Signature-256 header for ``body``."""
        return {HEADER: PREFIX + hmac_sha256(self._keys[0], body).hex()}
