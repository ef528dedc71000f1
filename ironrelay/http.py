"""POST outgoing webhooks: one pooled session, timeouts, no redirects and an SSRF guard."""

from __future__ import annotations

import codecs
import email.message
import functools
import http.client
import logging
import os
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from ironrelay import __version__
from ironrelay.destinations import (
    BlockedDestination,
    DestinationError,
    Target,
    UnresolvableDestination,
    check_destination,
    classify_address,
    parse_target,
    pick_address,
)

__all__ = [
    "BlockedDestination",
    "DestinationError",
    "HttpResult",
    "UnresolvableDestination",
    "check_destination",
    "classify_address",
    "post",
]

logger = logging.getLogger("ironrelay.http")

USER_AGENT = f"IronRelay/{__version__}"
POOL_HOSTS = 64  # connection pools kept, one per (scheme, address, port, TLS name)
POOL_SIZE = 16  # idle keep-alive connections kept per pool


@dataclass(frozen=True)
class HttpResult:
    """What one POST produced: the response received, or the error that prevented one."""

    status_code: int | None
    headers: dict[str, str]
    body: str  # at most max_body characters
    duration_ms: float
    error: str = ""  # "" when a full response arrived
    truncated: bool = False  # the body was longer than max_body
    blocked: bool = False  # refused by the SSRF guard; retrying will not help

    @property
    def ok(self) -> bool:
        """Return whether a complete 2xx response arrived."""
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


class _PinnedRequest(requests.PreparedRequest):
    """A request that carries the target the guard parsed and the address it checked."""

    target: Target
    address: str


class _PinnedAdapter(HTTPAdapter):
    """Connect to a _PinnedRequest's checked address, whatever its URL says; refuse others."""

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        """Take scheme, address and port from the guard's check, and TLS's name from its host."""
        if not isinstance(request, _PinnedRequest):
            raise requests.exceptions.InvalidURL("the SSRF guard did not check this request")
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        target = request.target
        # The URL is never parsed again for where to connect: nothing is left to disagree about.
        host_params = {"scheme": target.scheme, "host": request.address, "port": target.port}
        if target.scheme != "https":
            return host_params, pool_kwargs
        # urllib3 sends this name as SNI and verifies the certificate against it while the
        # socket goes to the IP; being part of the pool key, names on one IP never share a pool.
        return host_params, {**pool_kwargs, "server_hostname": target.host}


_session_lock = threading.Lock()
_session_state: tuple[int, requests.Session] | None = None


def _session() -> requests.Session:
    """Return this process's session, creating it on first use (and again after a fork)."""
    global _session_state
    with _session_lock:
        if _session_state is None or _session_state[0] != os.getpid():
            session = requests.Session()
            session.trust_env = False  # no proxies, .netrc or CA bundles from the environment
            # Compressed bodies could expand far past max_body before the cap applies.
            session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
            adapter = _PinnedAdapter(pool_connections=POOL_HOSTS, pool_maxsize=POOL_SIZE)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _session_state = (os.getpid(), session)
        return _session_state[1]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float = 5,
    read_timeout: float = 15,
    allow: Sequence[str] = (),
    max_body: int = 10_000,
    ca_bundle: str | None = None,
) -> HttpResult:
    """POST `body` to `url` once; report network and guard failures in the result, never raise."""
    started = time.perf_counter()
    try:
        target = parse_target(url)
        ip = pick_address(target, allow)
    except BlockedDestination as exc:
        logger.warning("Refused delivery: %s", exc)
        return HttpResult(None, {}, "", _since(started), f"blocked: {exc}", blocked=True)
    except DestinationError as exc:
        logger.info("Delivery failed: %s", exc)
        return HttpResult(None, {}, "", _since(started), str(exc))

    # The name was resolved once, above; the connection goes to that IP (no second lookup, so
    # no DNS-rebinding window), while the Host header and, through _PinnedAdapter, TLS SNI and
    # certificate checks keep naming the original host. The URL is rebuilt from the checked
    # parts: no user name or password, nothing a later parser could read another way.
    session = _session()
    send_headers = CaseInsensitiveDict(session.headers)
    send_headers.update({name: value for name, value in headers.items() if name.lower() != "host"})
    send_headers["Host"] = target.host_header
    deadline = time.monotonic() + connect_timeout + read_timeout
    data, truncated, error = b"", False, ""
    try:
        request = _PinnedRequest()
        request.target, request.address = target, ip
        request.prepare_method("POST")
        request.url = _prepared_url(_pinned_url(target, ip))
        request.prepare_headers(send_headers)
        request.prepare_body(body, None)
        # No cookies, auth or hooks to prepare: the adapter is called directly (no session
        # cookies), and the URL, rebuilt from the checked parts, carries no user name.
        # Not session.send: given a 3xx it reads the whole body (to prepare the next hop),
        # stream=True notwithstanding.
        response = session.get_adapter(target.scheme + "://").send(
            request, stream=True, timeout=(connect_timeout, read_timeout), verify=ca_bundle or True
        )
    except requests.RequestException as exc:
        error = _describe(exc, connect_timeout, read_timeout)
        logger.info("POST to %s (%s) failed: %s", target.host, ip, error)
        return HttpResult(None, {}, "", _since(started), error)
    with response:
        try:
            data, truncated = _read_capped(response.raw, max_body, deadline)
        except _SlowBody:
            error = f"timeout after {connect_timeout + read_timeout:g} s reading the body"
        except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException) as exc:
            error = _describe(exc, connect_timeout, read_timeout)
    text = _decode(data, response.headers.get("Content-Type", ""), final=not truncated)
    duration_ms = _since(started)
    level = logging.INFO if error else logging.DEBUG
    logger.log(
        level, "POST to %s: %s in %.0f ms %s", target.host, response.status_code, duration_ms, error
    )
    return HttpResult(
        response.status_code, dict(response.headers), text[:max_body], duration_ms, error, truncated
    )


@functools.lru_cache(maxsize=4096)
def _prepared_url(url: str) -> str:
    """Return `url` as requests prepares it (parsed, checked, requoted): the same every time."""
    request = requests.PreparedRequest()
    request.prepare_url(url, None)
    return str(request.url)


def _pinned_url(target: Target, ip: str) -> str:
    """Return the URL of the request: the checked IP for its host, the target's path and query."""
    netloc = f"[{ip}]:{target.port}" if ":" in ip else f"{ip}:{target.port}"
    return f"{target.scheme}://{netloc}{target.request_uri}"


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class _SlowBody(Exception):
    """The body did not arrive by the deadline."""


def _read_capped(raw: Any, max_body: int, deadline: float) -> tuple[bytes, bool]:
    """Read at most max_body + 1 bytes; return (the first max_body, whether there was more)."""
    # read1 returns whatever has arrived, so a trickling server cannot outlast the deadline by
    # more than one read timeout; urllib3 1.x lacks it and falls back to read.
    read = getattr(raw, "read1", None) or raw.read
    chunks: list[bytes] = []
    size = 0
    while size <= max_body:
        if time.monotonic() > deadline:
            raise _SlowBody
        chunk = read(max_body + 1 - size, decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:max_body], size > max_body


def _decode(data: bytes, content_type: str, *, final: bool) -> str:
    """Decode leniently with the declared charset, else UTF-8."""
    encoding = "utf-8"
    if "charset" in content_type.lower():  # parsing the header costs more than a short body
        message = email.message.Message()
        message["Content-Type"] = content_type
        encoding = message.get_content_charset() or "utf-8"
    try:
        b"".decode(encoding)  # refuses unknown names and bytes-to-bytes codecs such as zlib
    except (LookupError, ValueError):
        encoding = "utf-8"
    # A truncated body may end inside a multi-byte character: drop that tail, don't mangle it.
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=final)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield `exc` and every exception it wraps (requests and urllib3 nest them deeply)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None))
        stack.extend(e for e in (*linked, *current.args) if isinstance(e, BaseException))


def _describe(exc: BaseException, connect_timeout: float, read_timeout: float) -> str:
    """Say what went wrong in a few words; exception texts are avoided as they hold the URL."""
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS error: {cause.verify_message or cause.reason}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause.__class__.__name__}"
    checks: list[tuple[type[BaseException] | tuple[type[BaseException], ...], str]] = [
        (requests.ConnectTimeout, f"connect timeout after {connect_timeout:g} s"),
        (
            (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError),
            f"timeout after {read_timeout:g} s",
        ),
        (ConnectionRefusedError, "connection refused"),
        (http.client.RemoteDisconnected, "connection closed without a response"),
        (ConnectionResetError, "connection reset"),
        ((http.client.HTTPException, urllib3.exceptions.ProtocolError), "invalid HTTP response"),
        (urllib3.exceptions.DecodeError, "undecodable response body"),
    ]
    for kinds, text in checks:
        if any(isinstance(cause, kinds) for cause in causes):
            return text
    return f"request failed ({exc.__class__.__name__})"
