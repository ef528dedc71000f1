"""Share what schemes that sign the called URL need: the URL option, form parameters, ports."""

from __future__ import annotations

import base64
import hashlib
from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from .base import Scheme, Verified, check_text_option, lowercase_headers, require_header
from .encoding import content_digest, decode_base64, find_hmac_match, hmac_digest
from .exceptions import InvalidSignature, MalformedSignature

DEFAULT_PORTS = {"http": 80, "https": 443}


def check_url(value: object, *, label: str) -> str:
    """Return ``value`` after checking it is an absolute http(s) URL."""
    url = check_text_option(value, label=label)
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        raise ValueError(f"{label} must be an absolute http:// or https:// URL")
    return url


def form_params(body: bytes, *, what: str) -> dict[str, list[str]]:
    """Return the form-encoded ``body`` as each name's values, for signing them sorted."""
    try:
        # Lenient like the providers' own parsers; undecodable escapes refused, not replaced.
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise MalformedSignature(f"{what} is not form data, so no signature can match") from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def sorted_params_text(url: str, params: Mapping[str, list[str]]) -> bytes:
    """Return the URL followed by every parameter name and value, sorted, with no separators."""
    # Names and then each name's distinct values in code-point order, as the providers sort.
    parts = [url]
    for name in sorted(params):
        parts += [name + value for value in sorted(set(params[name]))]
    return "".join(parts).encode("utf-8")


def port_variants(url: str) -> tuple[str, ...]:
    """Return ``url`` as given plus its form with the default port added or removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    userinfo = userinfo + "@" if userinfo else ""
    try:
        port = parts.port
    except ValueError:
        raise MalformedSignature("the signed URL has an invalid port") from None
    default = DEFAULT_PORTS.get(parts.scheme)
    if port is None and default is not None:
        other = parts._replace(netloc=f"{userinfo}{host}:{default}").geturl()
    elif port is not None and port == default:
        other = parts._replace(netloc=f"{userinfo}{host}").geturl()
    else:
        return (url,)
    return (url, other)


class UrlSignedScheme(Scheme):
    """Verify signatures that cover the URL the sender called (the view passes it in)."""

    # The URL the provider was given, when Django cannot rebuild it (behind a proxy).
    options = frozenset({"url"})

    def configure(self, *, url: str | None = None) -> None:
        """Set the URL the provider calls, used when no ``url`` is passed to verify or sign."""
        self.url = None if url is None else check_url(url, label=f"{self.name} option 'url'")

    def target_url(self, url: str | None) -> str:
        """Return the URL to check the signature against: the one passed, else the option."""
        chosen = self.url if url is None else url
        if chosen is None:
            raise ValueError(
                f"the {self.name} scheme signs the URL the sender called: pass url=... "
                "or set the 'url' option"
            )
        return chosen

    @abstractmethod
    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check the signature of ``body`` sent with ``method`` to ``url``."""

    @abstractmethod
    def sign(
        self,
        body: bytes,
        *,
        now: datetime | None = None,
        msg_id: str | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Return the headers a sender would send with ``body`` to ``url``."""


class UrlHmacScheme(UrlSignedScheme):
    """Verify one header's base64 HMAC of a message made from the called URL and the body."""

    header: str  # where the signature travels
    algorithm: str  # hashlib name of the HMAC's hash

    @abstractmethod
    def signed_message(self, url: str, body: bytes) -> bytes:
        """Return the bytes the provider signs for ``body`` sent to ``url``."""

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> Verified:
        """Check the signature header against every configured key."""
        value = require_header(lowercase_headers(headers), self.header)
        size = hashlib.new(self.algorithm).digest_size
        digest = decode_base64(value, what=f"{self.header} header", size=size)
        message = self.signed_message(self.target_url(url), body)
        index = find_hmac_match(self._keys, message, [digest], algorithm=self.algorithm)
        if index is None:
            raise InvalidSignature(f"{self.header} matches none of the configured secrets")
        # No signed time bounds replays: the source dedupes on this digest.
        return Verified(self.name, index, content_digest=content_digest(message))

    def sign(
        self,
        body: bytes,
        *,
        now: datetime | None = None,
        msg_id: str | None = None,
        url: str | None = None,
        method: str = "POST",
    ) -> dict[str, str]:
        """Return the signature header for ``body`` sent to ``url``."""
        digest = hmac_digest(
            self._keys[0], self.signed_message(self.target_url(url), body), self.algorithm
        )
        return {self.header: base64.b64encode(digest).decode("ascii")}
