"""Hostile endpoint URLs never make ironrelay.http.post connect where the SSRF guard refuses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ironrelay.http import classify_address, post
from tests.receiver import Receiver

JSON = {"Content-Type": "application/json"}
PUBLIC = "93.184.216.34"  # what the guard lets through; the sealed network refuses it
# Test names that resolve without DNS; every other name fails to resolve.
NAMES = {"public.test": PUBLIC, "loopback.test": "127.0.0.1", "localhost": "127.0.0.1"}
HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

REAL_GETADDRINFO = socket.getaddrinfo


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(address.partition("%")[0])


def _is_loopback(address: str) -> bool:
    ip = _ip(address)
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


@contextmanager
def sealed_network() -> Iterator[list[str]]:
    """Resolve only numeric hosts and NAMES; record every connect, refuse those off loopback."""
    connects: list[str] = []

    def getaddrinfo(host: Any, port: Any, family: int = 0, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().rstrip(".") in NAMES:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (NAMES[name.lower().rstrip(".")], port))
            ]
        try:  # numeric forms only: "127.1", "2130706433", "::1" (no query leaves the machine)
            return REAL_GETADDRINFO(
                host, port, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
            )
        except (socket.gaierror, UnicodeError):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connects.append(str(address[0]))
        if not _is_loopback(str(address[0])):
            raise ConnectionRefusedError("tests connect to loopback only")
        real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket.socket, "connect", connect)
        yield connects


def refused(connects: list[str], allow: tuple[str, ...] = ()) -> list[str]:
    """Return the connects that went to an address the guard refuses (and `allow` does not)."""
    networks = [ipaddress.ip_network(cidr) for cidr in allow]
    return [
        a
        for a in connects
        if classify_address(_ip(a)) is not None and not any(_ip(a) in net for net in networks)
    ]


# Spellings of the receiver's address (127.0.0.1) and of other local places.
LOOPBACK = [
    "127.0.0.1",
    "127.1",
    "127.000.000.001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f000001",
    "2130706433",
    "017700000001",
    "127.0.0.1.",
    "0.0.0.0",
    "0",
    "localhost",
    "LOCALHOST",
    "loopback.test",
    "[::1]",
    "[::]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:1::1]",
    "[::1%25lo]",
    "[::ffff:127.0.0.1%25lo]",
    "[fe80::1%25lo]",
    "%31%32%37.0.0.1",
    "127%2e0%2e0%2e1",
    "\uff11\uff12\uff17.\uff10.\uff10.\uff11",  # fullwidth digits
    "127。0。0。1",  # ideographic full stops
    "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ",  # circled letters that fold to "localhost"
    "loca\u217chost",  # ROMAN NUMERAL FIFTY for the l
]
DECOYS = [PUBLIC, "public.test", "[2606:4700:4700::1111]", "user", "user:pass", ""]
# What parsers split an authority on, or disagree about.
SEPARATORS = ["\\@", "\\", "@", "%5C@", "%40", "\t@", " @", "#@", "?@", "/@", "@@", ":@"]
SCHEMES = ["http", "HTTP", "https", "hTTp"]
SLASHES = ["//", "//", "//", "///", "/\\", "\\\\", "/"]  # mostly the usual two
PATHS = ["/", "", "/hook?x=1", "\\hook", "#frag", "?@" + PUBLIC, "/%2e%2e/", "//" + PUBLIC + "/"]


@st.composite
def hostile_urls(draw: st.DrawFn, port: int) -> str:
    """Build a URL around the receiver's port that some parser reads as a loopback address."""
    ports = [f":{port}", f":0{port}", "", f":{port + 65536}", f":{port}:80", f":+{port}", ":0"]
    local = draw(st.sampled_from(LOOPBACK)) + draw(st.sampled_from(ports))
    decoy = draw(st.sampled_from(DECOYS))
    separator = draw(st.sampled_from(SEPARATORS))
    # The loopback part before the separator (userinfo to some parsers) or after it (the host).
    left, right = draw(st.sampled_from([(local, decoy), (decoy, local), (local, "")]))
    # Mostly characters parsers treat specially, sometimes any character at all.
    noise = draw(st.text(st.sampled_from("@\\/:?#%[]. \t5") | st.characters(), max_size=3))
    scheme = draw(st.sampled_from(SCHEMES))
    slashes = draw(st.sampled_from(SLASHES))
    path = draw(st.sampled_from(PATHS))
    return f"{scheme}:{slashes}{left}{separator if right else ''}{right}{noise}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def test_hostile_urls_never_connect_where_the_guard_refuses(receiver: Receiver) -> None:
    with sealed_network() as connects:

        @HOSTILE
        @example(url=f"http://127.0.0.1:{receiver.port}\\@{PUBLIC}/")  # the reported bypass
        @given(url=hostile_urls(receiver.port))
        def check(url: str) -> None:
            connects.clear()
            hits = len(receiver.requests)
            result = post(url, b"{}", JSON, connect_timeout=2, read_timeout=2)
            assert refused(connects) == [], f"{url!r} connected: {result}"
            assert len(receiver.requests) == hits, f"{url!r} reached the receiver: {result}"

        check()


def test_sealed_network_counts_hits_when_loopback_is_allowed(receiver: Receiver) -> None:
    # The control: the same harness does see connects and hits once the guard allows them.
    allow = ("127.0.0.0/8",)
    with sealed_network() as connects:
        for host in ("127.0.0.1", "127.1", "2130706433", "loopback.test"):
            assert post(f"http://{host}:{receiver.port}/hook", b"{}", JSON, allow=allow).ok
    assert set(connects) == {"127.0.0.1"}  # one connection or more (they are pooled)
    assert refused(connects) == connects  # what the oracle flags when loopback is not allowed
    assert refused(connects, allow) == []
    assert len(receiver.requests) == 4


def test_sealed_network_refuses_connects_off_loopback() -> None:
    with sealed_network() as connects:
        result = post(f"http://{PUBLIC}/hook", b"{}", JSON)
    assert connects == [PUBLIC]
    assert (result.status_code, result.error) == (None, "connection refused")
