"""Verify and sign public-key signatures of ``<timestamp><body>`` (Discord's and SendGrid's)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .asymmetric import PublicKeyScheme
from .base import TimestampHeaderMixin, Verified
from .encoding import content_digest
from .exceptions import InvalidSignature
from .timestamps import check_tolerance, parse_unix_timestamp, unix_seconds


class TimestampedPublicKeyScheme(TimestampHeaderMixin, PublicKeyScheme):
    """Verify a signature of the timestamp header's text followed by the body."""

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature of timestamp + body against each public key."""
        value, timestamp_text = self.signature_and_timestamp(headers)
        signature = self.decode_signature(value)
        timestamp = parse_unix_timestamp(timestamp_text, what=f"{self.timestamp_header} header")
        message = timestamp_text.encode("ascii") + body
        index = self.check_each(lambda key: self.signature_matches(key, signature, message))
        if index is None:
            raise InvalidSignature(f"{self.signature_header} matches none of the configured keys")
        signed_at = check_tolerance(timestamp, now=now, tolerance=self.tolerance)
        return Verified(self.name, index, signed_at, content_digest(message))

    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the signature headers, signed with the test source's private key."""
        key = self.signing_key()
        timestamp = str(unix_seconds(now))
        signature = self.encode_signature(key, timestamp.encode("ascii") + body)
        return {self.timestamp_header: timestamp, self.signature_header: signature}

    @abstractmethod
    def decode_signature(self, value: str) -> bytes:
        """Return the raw signature in header ``value`` or raise MalformedSignature."""

    @abstractmethod
    def signature_matches(self, key: Any, signature: bytes, message: bytes) -> bool:
        """Return whether ``signature`` of ``message`` verifies with public ``key``."""

    @abstractmethod
    def encode_signature(self, key: Any, message: bytes) -> str:
        """Return the header text of ``message`` signed with private ``key``."""
