"""Verify and sign with configurable schemes: generic HMAC-SHA256, shared token, and none."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from datetime import datetime

from .base import Scheme, Verified, check_text_option, lowercase_headers, require_header
from .encoding import (
    SHA256_SIZE,
    content_digest,
    decode_base64,
    decode_hex_sha256,
    find_hmac_match,
    hmac_sha256,
    to_utf8,
)
from .exceptions import InvalidSignature, MalformedSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds

ENCODINGS = ("hex", "base64")


class HmacSha256Scheme(Scheme):
    """Verify an HMAC-SHA256 of the body (optionally timestamped) in a configurable header."""

    name = "hmac-sha256"
    options = frozenset({"header", "prefix", "encoding", "timestamp_header"})

    def configure(
        self,
        *,
        header: str = "X-Signature",
        prefix: str = "",
        encoding: str = "hex",
        timestamp_header: str | None = None,
    ) -> None:
        """Set the signature header, its prefix and encoding, and the optional timestamp header."""
        self.header = check_text_option(header, label=f"{self.name} option 'header'")
        self.prefix = check_text_option(
            prefix, label=f"{self.name} option 'prefix'", allow_empty=True
        )
        if encoding not in ENCODINGS:
            raise ValueError(f"{self.name} option 'encoding' must be one of {', '.join(ENCODINGS)}")
        self.encoding = encoding
        self.timestamp_header = (
            None
            if timestamp_header is None
            else check_text_option(timestamp_header, label=f"{self.name} option 'timestamp_header'")
        )

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature header (and timestamp, if configured) against every secret."""
        lowered = lowercase_headers(headers)
        value = require_header(lowered, self.header)
        timestamp_text = None
        if self.timestamp_header is not None:
            timestamp_text = require_header(lowered, self.timestamp_header)
        if not value.startswith(self.prefix):
            raise MalformedSignature(f"{self.header} header does not start with {self.prefix!r}")
        encoded = value[len(self.prefix) :]
        what = f"{self.header} header"
        if self.encoding == "hex":
            digest = decode_hex_sha256(encoded, what=what)
        else:
            digest = decode_base64(encoded, what=what, size=SHA256_SIZE)
        timestamp: int | None = None
        message = body
        if timestamp_text is not None:
            timestamp = parse_unix_timestamp(timestamp_text, what=f"{self.timestamp_header} header")
            message = timestamp_text.encode("ascii") + b"." + body
        index = find_hmac_match(self._keys, message, [digest])
        if index is None:
            raise InvalidSignature(f"{self.header} matches none of the configured secrets")
        signed_at = (
            None
            if timestamp is None
            else check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        )
        return Verified(self.name, index, signed_at, content_digest(message))

    def signed_headers(self) -> frozenset[str]:
        """Return the timestamp header, if one is configured: it is signed with the body."""
        names = () if self.timestamp_header is None else (self.timestamp_header.lower(),)
        return frozenset(names)

    def signs_timestamp(self) -> bool:
        """Return whether a timestamp header is configured (and so signed)."""
        return self.timestamp_header is not None

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the signature header (and timestamp header, if configured) for ``body``."""
        headers: dict[str, str] = {}
        message = body
        if self.timestamp_header is not None:
            timestamp = str(unix_seconds(now))
            headers[self.timestamp_header] = timestamp
            message = timestamp.encode("ascii") + b"." + body
        digest = hmac_sha256(self._keys[0], message)
        encoded = digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()
        headers[self.header] = self.prefix + encoded
        return headers


class TokenScheme(Scheme):
    """Verify a shared token sent verbatim in a header (e.g. GitLab's X-Gitlab-Token)."""

    name = "token"
    options = frozenset({"header"})
    # The token authenticates the sender; the body and every other header are not signed.
    signs_body = False

    def configure(self, *, header: str = "X-Webhook-Token") -> None:
        """Set the header that carries the token."""
        self.header = check_text_option(header, label=f"{self.name} option 'header'")

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the token header against every configured secret."""
        given = to_utf8(require_header(lowercase_headers(headers), self.header), what=self.header)
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(given, key):
                return Verified(scheme=self.name, secret_index=index, timestamp=None)
        raise InvalidSignature(f"{self.header} matches none of the configured secrets")

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the token header carrying the first secret."""
        return {self.header: self.secrets[0]}


class NoneScheme(Scheme):
    """Accept every request unsigned; for local development only."""

    name = "none"
    # Unsigned on purpose: there is nothing to check a request against.
    requires_secrets = False
    signs_body = False

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Accept the request without looking at it."""
        return Verified(scheme=self.name, secret_index=None, timestamp=None)

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return no headers, as an unsigned sender would."""
        return {}
