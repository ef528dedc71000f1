"""Define the Scheme interface, its verdict and the helpers every scheme shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from .exceptions import MalformedSignature, MissingSignature


@dataclass(frozen=True)
class Verified:
    """Describe an accepted signature: its scheme, the matching key, signed time and content."""

    scheme: str
    secret_index: int | None
    timestamp: datetime | None = None
    # SHA-256 hex of exactly the bytes the signature covers; None when it covers no content.
    content_digest: str | None = None


@dataclass(frozen=True)
class Handshake:
    """Describe the answer to a sender's setup check: a reply, never an event to store."""

    reply: dict[str, Any] | None
    status: int = 200


def lowercase_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` keyed by lower-case names, for case-insensitive lookup."""
    return {str(name).lower(): value for name, value in headers.items()}


def require_header(headers: Mapping[str, str], name: str) -> str:
    """Return the stripped value of header ``name`` from lower-cased ``headers``."""
    value = headers.get(name.lower())
    if value is None:
        raise MissingSignature(f"{name} header is missing")
    if not isinstance(value, str):
        raise MalformedSignature(f"{name} header is not text")
    value = value.strip()
    if not value:
        raise MalformedSignature(f"{name} header is empty")
    return value


def check_text_list(values: Sequence[str], *, label: str) -> tuple[str, ...]:
    """Return ``values`` as a tuple after checking it is a list of non-empty strings."""
    if isinstance(values, str | bytes):
        raise TypeError(f"{label} must be a list of strings, not a single string")
    checked = tuple(values)
    for position, value in enumerate(checked):
        if not isinstance(value, str):
            raise TypeError(f"{label}[{position}] must be a string")
        if not value:
            raise ValueError(f"{label}[{position}] is empty")
    return checked


def check_text_option(value: object, *, label: str, allow_empty: bool = False) -> str:
    """Return ``value`` after checking it is a string (non-empty unless allowed)."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a string")
    if not value and not allow_empty:
        raise ValueError(f"{label} must not be empty")
    return value


class Scheme(ABC):
    """Verify incoming and sign outgoing webhooks for one signature scheme."""

    name: ClassVar[str]
    # False only for schemes that accept requests without any secret (the unsigned "none").
    requires_secrets: ClassVar[bool] = True
    # Keyword options accepted besides ``tolerance``; each is a keyword of ``configure``.
    options: ClassVar[frozenset[str]] = frozenset()
    # The options among ``options`` a source must set (e.g. a fixed user name).
    required_options: ClassVar[frozenset[str]] = frozenset()
    # Whether the signature covers the body (False for a shared token or no signature): parts
    # of the request it does not cover can be changed by anyone who replays it.
    signs_body: ClassVar[bool] = True
    # Whether the provider checks the URL with an unsigned HEAD before it sends (Mandrill).
    answers_head: ClassVar[bool] = False

    def __init__(
        self, secrets: Sequence[str] = (), *, tolerance: int = 300, **options: Any
    ) -> None:
        unknown = sorted(set(options) - self.options)
        if unknown:
            accepted = ", ".join(sorted(self.options)) or "none"
            raise TypeError(
                f"{self.name} scheme got unknown option(s) {', '.join(map(repr, unknown))}"
                f" (accepted: {accepted})"
            )
        missing = sorted(self.required_options - set(options))
        if missing:
            raise TypeError(f"{self.name} scheme needs option(s) {', '.join(map(repr, missing))}")
        if isinstance(tolerance, bool) or not isinstance(tolerance, int):
            raise TypeError("tolerance must be an integer number of seconds")
        if tolerance < 0:
            raise ValueError("tolerance must not be negative")
        self.tolerance = tolerance
        self.secrets = check_text_list(secrets, label=f"{self.name} scheme secrets")
        self._keys = self.decode_secrets(self.secrets)
        self.configure(**options)
        if self.requires_secrets and not self.has_keys():
            raise ValueError(f"{self.name} scheme needs at least one secret")

    def __repr__(self) -> str:
        # Never show the secrets themselves, only how many there are.
        count = len(self.secrets)
        return f"<{type(self).__name__} {count} secret(s), tolerance {self.tolerance} s>"

    # (*args, **options) lets each subclass declare its own keyword-only options with defaults.
    def configure(self, *args: Any, **options: Any) -> None:
        """Apply scheme-specific options, already checked against ``options``."""
        if args or options:  # the subclass lists options but forgot to override this method
            raise NotImplementedError(f"{type(self).__name__} must override configure()")

    def decode_secrets(self, secrets: tuple[str, ...]) -> tuple[bytes, ...]:
        """Turn configured secrets into HMAC keys (UTF-8 bytes unless a scheme says otherwise)."""
        keys = []
        for position, secret in enumerate(secrets):
            try:
                keys.append(secret.encode("utf-8"))
            except UnicodeEncodeError:
                label = f"{self.name} scheme secrets[{position}]"
                raise ValueError(f"{label} is not valid text") from None
        return tuple(keys)

    def has_keys(self) -> bool:
        """Return whether any secret or key is configured to verify with."""
        return bool(self.secrets)

    def signed_headers(self) -> frozenset[str]:
        """Return the lower-case names of headers (besides the signature) the signature covers."""
        return frozenset()

    def signs_timestamp(self) -> bool:
        """Return whether the signature covers a timestamp checked against ``tolerance``."""
        return False

    def handshake(self, payload: Any, verified: Verified) -> Handshake | None:
        """Return the answer to a verified setup check (URL validation, ping), or None."""
        return None

    @abstractmethod
    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> Verified:
        """Check the signature of ``body`` in ``headers`` or raise a SignatureError subclass."""

    @abstractmethod
    def sign(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> dict[str, str]:
        """Return the headers a sender would send with ``body``, signed with the first secret."""

    def sign_request(
        self, body: bytes, *, now: datetime | None = None, msg_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Return the body and headers a sender sends; body-signing schemes edit the body."""
        return body, self.sign(body, now=now, msg_id=msg_id)


class TimestampHeaderMixin:
    """Read a signature header plus the Unix-time header the signature covers with the body."""

    signature_header: ClassVar[str]
    timestamp_header: ClassVar[str]

    def signed_headers(self) -> frozenset[str]:
        """Return the timestamp header, which is signed with the body."""
        return frozenset({self.timestamp_header.lower()})

    def signs_timestamp(self) -> bool:
        """Return True: the timestamp header is signed with the body."""
        return True

    def signature_and_timestamp(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """Return the signature and timestamp header values, each required."""
        lowered = lowercase_headers(headers)
        return (
            require_header(lowered, self.signature_header),
            require_header(lowered, self.timestamp_header),
        )
