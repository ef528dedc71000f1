"""The SSRF guard of ironrelay.http: classification, allow list, URL checks, DNS (no traffic)."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from ironrelay.http import (
    BlockedDestination,
    HttpResult,
    UnresolvableDestination,
    check_destination,
    post,
)

REAL_GETADDRINFO = socket.getaddrinfo


def fake_dns(monkeypatch: pytest.MonkeyPatch, name: str, *addresses: str) -> list[str]:
    """Make `name` resolve to `addresses` (no addresses: fail); return the names looked up."""
    lookups: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != name:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        lookups.append(host)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "reserved"),
        ("198.18.0.1", "reserved"),
        ("192.0.2.1", "documentation"),
        ("[::1]", "loopback"),
        ("[::]", "unspecified"),
        ("[fe80::1]", "link-local"),
        ("[fc00::1]", "private"),
        ("[ff02::1]", "multicast"),
        ("[2001:db8::1]", "documentation"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[::ffff:169.254.169.254]", "link-local"),
        ("[64:ff9b::a9fe:a9fe]", "link-local"),  # NAT64 form of 169.254.169.254
        ("[2002:a00:1::1]", "private"),  # 6to4 form of 10.0.0.1
        ("2130706433", "loopback"),  # 127.0.0.1 written as one number
        ("0177.0.0.1", "loopback"),  # octal
        ("0x7f.1", "loopback"),  # hexadecimal, two parts
        ("[::127.0.0.1]", "IPv4-compatible"),  # Python calls this one global
        ("[::ffff:0:127.0.0.1]", "IPv4-compatible"),  # SIIT-translated: global to Python too
    ],
)
def test_check_destination_refuses_non_public_address(host: str, kind: str) -> None:
    with pytest.raises(BlockedDestination) as info:
        check_destination(f"http://{host}:8000/hook")
    assert kind in str(info.value)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://93.184.215.14/hook", "93.184.215.14"),
        ("https://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111"),
        ("https://[::ffff:93.184.215.14]/", "::ffff:93.184.215.14"),
    ],
)
def test_check_destination_allows_public_address(url: str, address: str) -> None:
    assert check_destination(url) == address


def test_check_destination_message_names_host_and_kind() -> None:
    with pytest.raises(BlockedDestination) as info:
        check_destination("https://10.0.0.5/hooks?token=s3cret")
    assert str(info.value) == (
        "10.0.0.5 is a private address"
        ' (to allow it, add "10.0.0.5/32" to IRONRELAY["OUTGOING_ALLOW"])'
    )


def test_check_destination_allow_list_cidr_admits_its_addresses_only() -> None:
    allow = ["127.0.0.1/32", "::1/128"]
    assert check_destination("http://127.0.0.1:8000/", allow) == "127.0.0.1"
    assert check_destination("http://[::1]:8000/", allow) == "::1"
    assert check_destination("http://[::ffff:127.0.0.1]:8000/", allow) == "::ffff:127.0.0.1"
    for outside in ("127.0.0.2", "10.0.0.1", "[fe80::1]"):
        with pytest.raises(BlockedDestination):
            check_destination(f"http://{outside}:8000/", allow)


def test_check_destination_allow_list_host_name_admits_that_name_only() -> None:
    assert check_destination("http://localhost:8000/", ["localhost"]) in {"127.0.0.1", "::1"}
    assert check_destination("http://LocalHost.:8000/", ["localhost"]) in {"127.0.0.1", "::1"}
    with pytest.raises(BlockedDestination):
        check_destination("http://127.0.0.1:8000/", ["localhost"])


def test_check_destination_allow_list_invalid_cidr_raises() -> None:
    with pytest.raises(ValueError, match="invalid CIDR"):
        check_destination("http://93.184.215.14/", ["10.0.0.0/33"])


@pytest.mark.parametrize(
    "url",
    ["ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/", "javascript:x"],
)
def test_check_destination_refuses_other_schemes(url: str) -> None:
    with pytest.raises(BlockedDestination, match="scheme"):
        check_destination(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # Where urllib.parse and urllib3 read different hosts (the first is the reported bypass).
        ("http://127.0.0.1:8000\\@93.184.215.14/", "backslash"),
        ("http://93.184.215.14\\@127.0.0.1:8000/", "backslash"),
        ("http://93.184.215.14\t@127.0.0.1:8000/", "space or a control character"),
        ("http://93.184.215.14 @127.0.0.1:8000/", "space or a control character"),
        ("http://%31%32%37.0.0.1:8000/", "parsers disagree"),
        # Userinfo is never sent (requests would turn it into an Authorization header).
        ("http://user:secret@93.184.215.14/", "user name or password"),
        ("http://127.0.0.1:8000@93.184.215.14/", "user name or password"),
        ("http://a@127.0.0.1:8000@93.184.215.14/", "user name or password"),
        ("http://93.184.215.14%40127.0.0.1/", "is not a valid host name"),
        ("http://[fe80::1%25eth0]:8000/", "zone id"),
        ("http://[::1%25lo]:8000/", "zone id"),
        ("http://93.184.215.14:0/", "port 0"),
        ("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:8000/", "not valid"),  # folds to "localhost" under UTS 46
        ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:8000/", "not valid"),  # fullwidth digits
        ("http://127.0.0.1:+80/", "not valid"),
    ],
)
def test_check_destination_refuses_ambiguous_url(url: str, reason: str) -> None:
    with pytest.raises(BlockedDestination, match=re.escape(reason)):
        check_destination(url, ["127.0.0.0/8", "fe80::/10", "::1/128"])


def test_check_destination_reads_idna_and_padded_ports_as_urllib3_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups = fake_dns(monkeypatch, "xn--bcher-kva.test", "93.184.215.14")
    assert check_destination("https://Bücher.test:0443/hook") == "93.184.215.14"
    assert lookups == ["xn--bcher-kva.test"]


@pytest.mark.parametrize("url", ["http:///hook", "http://93.184.215.14:99999/", "http://[::1/"])
def test_check_destination_refuses_malformed_url(url: str) -> None:
    with pytest.raises(BlockedDestination):
        check_destination(url)


def test_check_destination_refuses_name_resolving_to_loopback() -> None:
    with pytest.raises(BlockedDestination, match=r"^localhost resolves to .*loopback"):
        check_destination("http://localhost:8000/hook")


def test_check_destination_picks_first_allowed_of_mixed_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, "mixed.test", "10.0.0.5", "93.184.215.14", "93.184.215.15")
    assert check_destination("https://mixed.test/hook") == "93.184.215.14"


def test_check_destination_refuses_name_resolving_to_private_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, "intranet.test", "10.0.0.5", "fd00::5")
    with pytest.raises(
        BlockedDestination, match=r"^intranet.test resolves to 10\.0\.0\.5, a private"
    ):
        check_destination("https://intranet.test/hook")


def test_check_destination_dns_failure_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, "nowhere.invalid")
    with pytest.raises(UnresolvableDestination) as info:
        check_destination("https://nowhere.invalid/hook")
    assert str(info.value) == "DNS lookup failed for nowhere.invalid: Name or service not known"


def test_post_dns_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, "nowhere.invalid")
    result = post("https://nowhere.invalid/hook", b"{}", {})
    assert result.error.startswith("DNS lookup failed for nowhere.invalid")
    assert (result.status_code, result.blocked, result.ok) == (None, False, False)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (
            "http://10.0.0.5/hook?token=s3cret",
            'blocked: 10.0.0.5 is a private address (to allow it, add "10.0.0.5/32" to '
            'IRONRELAY["OUTGOING_ALLOW"])',
        ),
        ("ftp://93.184.215.14/", "blocked: scheme 'ftp' is not allowed (http and https only)"),
    ],
)
def test_post_blocked_destination_is_reported_not_raised(url: str, error: str) -> None:
    result = post(url, b"{}", {"Content-Type": "application/json"})
    assert result.error == error
    assert (result.status_code, result.blocked, result.ok, result.body) == (None, True, False, "")


def test_http_result_ok_needs_complete_2xx() -> None:
    assert HttpResult(204, {}, "", 1.0).ok
    assert not HttpResult(302, {}, "", 1.0).ok
    assert not HttpResult(200, {}, "", 1.0, error="timeout after 15 s reading the body").ok
