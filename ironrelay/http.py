"""POST outgoing webhooks: one pooled session, timeouts, no redirects and an SSRF guard."""

from __future__ import annotations

import codecs
import email.message
import http.client
import ipaddress
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import idna
import requests
import urllib3
from requests.adapters import HTTPAdapter

from ironrelay import __version__

logger = logging.getLogger("ironrelay.http")

USER_AGENT = f"IronRelay/{__version__}"
POOL_HOSTS = 64  # connection pools kept, one per (scheme, address, port, TLS name)
POOL_SIZE = 16  # idle keep-alive connections kept per pool

_IP: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")

_BLOCKED_KINDS = {
    "an unspecified": "0.0.0.0/8 ::/128",  # Linux connects 0.0.0.0 to the local host
    "a loopback": "127.0.0.0/8 ::1/128",
    # fec0::/10: deprecated site-local; 64:ff9b:1::/48: local-use NAT64.
    "a private": "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fec0::/10 64:ff9b:1::/48",
    "a shared (CGNAT)": "100.64.0.0/10",
    "a link-local": "169.254.0.0/16 fe80::/10",  # 169.254.169.254 is the cloud metadata service
    "a multicast": "224.0.0.0/4 ff00::/8",
    "a documentation": "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32 3fff::/20",
}
_BLOCKED_RANGES: tuple[tuple[_Network, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind)
    for kind, cidrs in _BLOCKED_KINDS.items()
    for cidr in cidrs.split()
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationError(Exception):
    """The URL cannot be delivered to."""


class BlockedDestination(DestinationError):
    """The URL resolves to an address deliveries may not reach."""


class UnresolvableDestination(DestinationError):
    """The URL's host name does not resolve."""


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


class _Target(NamedTuple):
    scheme: str
    host: str  # ASCII (IDNA), lower case, no brackets
    port: int
    explicit_port: bool
    userinfo: str
    path: str
    query: str


def classify_address(ip: _IP) -> str | None:
    """Return the kind of non-public range `ip` is in ("a private address"), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches wherever the IPv4 one does.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            kind = classify_address(embedded)
            return f"{kind} (embedded in IPv6)" if kind else None
    for network, kind in _BLOCKED_RANGES:
        if ip in network:
            return f"{kind} address"
    # Whatever else IANA does not route publicly: benchmarking, protocol assignments, 240/4...
    return None if ip.is_global else "a reserved address"


@lru_cache(maxsize=64)
def _parse_allow(allow: tuple[str, ...]) -> tuple[tuple[_Network, ...], frozenset[str]]:
    networks: list[_Network] = []
    names: set[str] = set()
    for entry in (e.strip() for e in allow):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if "/" in entry:
                raise ValueError(f"invalid CIDR in delivery allow list: {entry!r}") from None
            names.add(entry.lower().rstrip("."))
    return tuple(networks), frozenset(names)


def _split(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").rstrip(".")
        if host and not host.isascii():
            host = idna.encode(host, uts46=True).decode("ascii")
    except (ValueError, idna.IDNAError):
        raise BlockedDestination("the URL is not valid") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BlockedDestination(f"scheme {scheme!r} is not allowed (http and https only)")
    if not host:
        raise BlockedDestination("the URL has no host")
    if ":" not in host and not _HOST_NAME.fullmatch(host):
        raise BlockedDestination(f"{host!r} is not a valid host name")
    userinfo = parts.netloc.rpartition("@")[0]
    port_or_default = port if port is not None else _DEFAULT_PORTS[scheme]
    explicit = port is not None and port != _DEFAULT_PORTS[scheme]
    return _Target(scheme, host, port_or_default, explicit, userinfo, parts.path, parts.query)


def _pick_address(target: _Target, allow: tuple[str, ...]) -> str:
    networks, names = _parse_allow(allow)
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise UnresolvableDestination(f"DNS lookup failed for {target.host}: {reason}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnresolvableDestination(f"DNS lookup failed for {target.host}: no addresses")
    if target.host in names:
        return addresses[0]
    refused: tuple[str, str] | None = None
    for address in addresses:
        ip = ipaddress.ip_address(address)
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if any(ip in net or (mapped is not None and mapped in net) for net in networks):
            return address
        kind = classify_address(ip)
        if kind is None:
            return address
        refused = refused or (address, kind)
    if refused is None:  # getaddrinfo returned nothing at all
        raise UnresolvableDestination(f"DNS lookup for {target.host} returned no address")
    address, kind = refused
    if address == target.host:
        raise BlockedDestination(f"{address} is {kind}")
    raise BlockedDestination(f"{target.host} resolves to {address}, {kind}")


def check_destination(url: str, allow: Sequence[str] = ()) -> str:
    """Return the IP a delivery to `url` would connect to; raise DestinationError if none."""
    return _pick_address(_split(url), tuple(allow))


class _PinnedAdapter(HTTPAdapter):
    """Connect to the IP in the URL; use the Host header's name for TLS SNI and verification."""

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        """Add the Host header's name as server_hostname to https pools."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = urlsplit("//" + request.headers.get("Host", "")).hostname
        if host_params["scheme"] != "https" or not name:
            return host_params, pool_kwargs
        # urllib3 sends this name as SNI and verifies the certificate against it while the
        # socket goes to the IP; being part of the pool key, names on one IP never share a pool.
        return host_params, {**pool_kwargs, "server_hostname": name}


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
        target = _split(url)
        ip = _pick_address(target, tuple(allow))
    except BlockedDestination as exc:
        logger.warning("Refused delivery: %s", exc)
        return HttpResult(None, {}, "", _since(started), f"blocked: {exc}", blocked=True)
    except DestinationError as exc:
        logger.info("Delivery failed: %s", exc)
        return HttpResult(None, {}, "", _since(started), str(exc))

    # The name was resolved once, above; the URL now holds that IP, so urllib3 connects to it
    # without a second lookup (no DNS-rebinding window), while the Host header and, through
    # _PinnedAdapter, TLS SNI and certificate checks keep naming the original host.
    pinned_url, host_header = _pin(target, ip)
    send_headers = {name: value for name, value in headers.items() if name.lower() != "host"}
    session = _session()
    deadline = time.monotonic() + connect_timeout + read_timeout
    data, truncated, error = b"", False, ""
    try:
        request = session.prepare_request(
            requests.Request(
                "POST", pinned_url, headers={**send_headers, "Host": host_header}, data=body
            )
        )
        # Not session.send: given a 3xx it reads the whole body (to prepare the next hop),
        # stream=True notwithstanding.
        response = session.get_adapter(pinned_url).send(
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


def _pin(target: _Target, ip: str) -> tuple[str, str]:
    """Return the URL with `ip` for its host, and the Host header naming the original host."""
    netloc = f"[{ip}]:{target.port}" if ":" in ip else f"{ip}:{target.port}"
    if target.userinfo:
        netloc = f"{target.userinfo}@{netloc}"
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = f"{host}:{target.port}" if target.explicit_port else host
    return urlunsplit((target.scheme, netloc, target.path or "/", target.query, "")), host_header


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
