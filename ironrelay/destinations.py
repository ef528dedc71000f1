"""Decide where an outgoing request may go: parse its URL once, resolve it, refuse local places."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, TypeAlias
from urllib.parse import urlsplit

import urllib3.util

_IP: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
ALLOW_SETTING = 'IRONRELAY["OUTGOING_ALLOW"]'

_BLOCKED_KINDS = {
    "an unspecified": "0.0.0.0/8 ::/128",  # Linux connects 0.0.0.0 to the local host
    "a loopback": "127.0.0.0/8 ::1/128",
    # fec0::/10: deprecated site-local; 64:ff9b:1::/48: local-use NAT64.
    "a private": "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fec0::/10 64:ff9b:1::/48",
    "a shared (CGNAT)": "100.64.0.0/10",
    "a link-local": "169.254.0.0/16 fe80::/10",  # 169.254.169.254 is the cloud metadata service
    "a multicast": "224.0.0.0/4 ff00::/8",
    "a documentation": "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32 3fff::/20",
    # Deprecated IPv4-compatible (::a.b.c.d) and SIIT-translated (::ffff:0:a.b.c.d) forms: Python
    # calls them global, yet a translator on the path may carry them to the IPv4 address inside.
    "an IPv4-compatible IPv6": "::/96 ::ffff:0:0:0/96",
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


class Target(NamedTuple):
    """A URL as urllib3 reads it, checked and stripped of everything but what a request needs."""

    scheme: str
    host: str  # ASCII (IDNA), lower case, no brackets, no trailing dot
    port: int
    explicit_port: bool  # the URL names a port other than the scheme's default
    request_uri: str  # path and query, percent-encoded as urllib3 sends them

    @property
    def host_header(self) -> str:
        """Return the Host header that names this target."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.explicit_port else host


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


@lru_cache(maxsize=1024)  # pure: the same URL reads the same way; DNS is asked on every call below
def parse_target(url: str) -> Target:
    """Read `url` the way urllib3 does; raise BlockedDestination if anything in it is refused."""
    # Parsers disagree about these (urllib.parse drops tabs and reads "\" as part of the host,
    # urllib3 and browsers end the host there): refusing them leaves nothing to disagree about.
    if _SPACE_OR_CONTROL.search(url):
        raise BlockedDestination("the URL contains a space or a control character")
    if "\\" in url:
        raise BlockedDestination("the URL contains a backslash")
    try:
        parts = urllib3.util.parse_url(url)
    except ValueError:  # LocationParseError, and int() of odd ports
        raise BlockedDestination("the URL is not valid") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS:
        raise BlockedDestination(f"scheme {scheme!r} is not allowed (http and https only)")
    if not parts.host:
        raise BlockedDestination("the URL has no host")
    if parts.auth is not None:
        raise BlockedDestination("the URL has a user name or password (user@host), never sent")
    host = parts.host.removeprefix("[").removesuffix("]").rstrip(".")
    if ":" in host and "%" in host:
        raise BlockedDestination("the URL has an IPv6 zone id (%...), which is not allowed")
    if ":" not in host and not _HOST_NAME.fullmatch(host):
        raise BlockedDestination(f"{host!r} is not a valid host name")
    if parts.port == 0:
        raise BlockedDestination("port 0 is not valid")
    port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
    if not _others_agree(url, host, parts.port):
        raise BlockedDestination("URL parsers disagree on the URL's host or port")
    return Target(scheme, host, port, port != _DEFAULT_PORTS[scheme], parts.request_uri)


def _others_agree(url: str, host: str, port: int | None) -> bool:
    """Return whether urllib.parse (as Django, the dashboard and people read URLs) agrees."""
    try:
        split = urlsplit(url)
        split_host, split_port = (split.hostname or "").rstrip("."), split.port
        if not split_host.isascii():  # urllib.parse leaves IDNA to its callers
            split_host = (urllib3.util.parse_url(f"//{split_host}").host or "").rstrip(".")
    except ValueError:
        return False
    return (split_host, split_port) == (host, port)


def pick_address(target: Target, allow: Sequence[str] = ()) -> str:
    """Resolve the target once; return the first address the guard (or `allow`) lets through."""
    networks, names = _parse_allow(tuple(allow))
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
    bare = address.partition("%")[0]
    cidr = f"{bare}/128" if ":" in bare else f"{bare}/32"
    hint = f'(to allow it, add "{cidr}" to {ALLOW_SETTING})'
    if address == target.host:
        raise BlockedDestination(f"{address} is {kind} {hint}")
    raise BlockedDestination(f"{target.host} resolves to {address}, {kind} {hint}")


def check_destination(url: str, allow: Sequence[str] = ()) -> str:
    """Return the IP a delivery to `url` would connect to; raise DestinationError if none."""
    return pick_address(parse_target(url), allow)
