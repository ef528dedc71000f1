"""ironrelay.http.post against a real receiver on 127.0.0.1 (no mocked HTTP)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ironrelay import __version__
from ironrelay.destinations import parse_target
from ironrelay.http import HttpResult, _PinnedRequest, _session, check_destination, post
from tests.receiver import Receiver, Reply

ALLOW = ["127.0.0.1/32"]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture
def localhost_is_127() -> None:
    # A name on the allow list is used as resolved; the receiver listens on 127.0.0.1 only.
    if check_destination("http://localhost/", ["localhost"]) != "127.0.0.1":
        pytest.skip("localhost does not resolve to 127.0.0.1 first here")


def post_in_thread(*args: Any, **kwargs: Any) -> HttpResult:
    """Run post() in a thread so a hang fails the test instead of blocking the run."""
    results: list[HttpResult] = []
    thread = threading.Thread(target=lambda: results.append(post(*args, **kwargs)), daemon=True)
    thread.start()
    thread.join(30)
    assert results, "post() did not return within 30 s"
    return results[0]


def test_post_success_records_response(receiver: Receiver) -> None:
    receiver.script("/hook", Reply(200, {"X-Reply": "yes"}, "thanks"))
    result = post(
        receiver.url("/hook?x=1"), b'{"id": 42}', {**JSON, "webhook-id": "msg_1"}, allow=ALLOW
    )
    assert (result.status_code, result.body, result.error, result.ok) == (200, "thanks", "", True)
    assert result.headers["X-Reply"] == "yes"
    assert result.duration_ms > 0
    [request] = receiver.requests
    assert (request.method, request.path, request.body) == ("POST", "/hook?x=1", b'{"id": 42}')
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_1"


def test_post_user_agent_names_ironrelay(receiver: Receiver) -> None:
    post(receiver.url("/hook"), b"{}", JSON, allow=ALLOW)
    [request] = receiver.requests
    assert request.headers["user-agent"] == f"IronRelay/{__version__}"


def test_post_server_error_recorded(receiver: Receiver) -> None:
    receiver.script("/hook", Reply(500, body="boom"))
    result = post(receiver.url("/hook"), b"{}", JSON, allow=ALLOW)
    assert (result.status_code, result.body, result.error, result.ok) == (500, "boom", "", False)


def test_post_timeout_reports_read_timeout(receiver: Receiver) -> None:
    receiver.script("/slow", Reply(delay=10))
    result = post(receiver.url("/slow"), b"{}", JSON, allow=ALLOW, read_timeout=0.5)
    assert result.error == "timeout after 0.5 s"
    assert result.status_code is None
    assert 500 <= result.duration_ms < 5000  # waited for the timeout, not for the receiver
    assert len(receiver.requests) == 1


def test_post_slow_body_stops_at_deadline(receiver: Receiver) -> None:
    # 200 bytes, one every 50 ms: each read is quick, the whole body would take 10 s.
    receiver.script("/drip", Reply(body="x" * 200, trickle=0.05))
    result = post(
        receiver.url("/drip"), b"{}", JSON, allow=ALLOW, connect_timeout=0.5, read_timeout=0.5
    )
    assert result.error == "timeout after 1 s reading the body"
    assert result.status_code == 200
    assert result.duration_ms < 5000


def test_post_connection_refused_reports_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = post(f"http://127.0.0.1:{port}/hook", b"{}", JSON, allow=ALLOW)
    assert (result.status_code, result.error) == (None, "connection refused")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_post_redirect_not_followed(receiver: Receiver, status: int) -> None:
    receiver.script("/hook", Reply(status, {"Location": receiver.url("/elsewhere")}, ""))
    result = post(receiver.url("/hook"), b"{}", JSON, allow=ALLOW)
    assert result.status_code == status
    assert result.headers["Location"] == receiver.url("/elsewhere")
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_post_redirect_with_endless_body_still_capped(receiver: Receiver) -> None:
    # requests' Session.send reads a 3xx body in full; this one never ends.
    location = {"Location": receiver.url("/elsewhere")}
    receiver.script("/hook", Reply(302, location, b"r" * 65536, action="endless"))
    result = post_in_thread(receiver.url("/hook"), b"{}", JSON, allow=ALLOW, max_body=100)
    assert (result.status_code, result.body, result.truncated) == (302, "r" * 100, True)


def test_post_huge_body_truncated(receiver: Receiver) -> None:
    receiver.script("/big", Reply(body=b"b" * 65536, action="endless"))
    result = post_in_thread(receiver.url("/big"), b"{}", JSON, allow=ALLOW, max_body=1000)
    assert (result.status_code, result.body, result.truncated) == (200, "b" * 1000, True)
    assert result.error == ""


def test_post_body_at_limit_not_truncated(receiver: Receiver) -> None:
    receiver.script("/exact", Reply(body="e" * 1000))
    result = post(receiver.url("/exact"), b"{}", JSON, allow=ALLOW, max_body=1000)
    assert (result.body, result.truncated) == ("e" * 1000, False)


def test_post_truncation_keeps_whole_characters(receiver: Receiver) -> None:
    receiver.script("/utf8", Reply(body="é" * 1000))  # two bytes each
    result = post(receiver.url("/utf8"), b"{}", JSON, allow=ALLOW, max_body=101)
    assert (result.body, result.truncated) == ("é" * 50, True)


def test_post_body_decoded_with_declared_charset(receiver: Receiver) -> None:
    latin = {"Content-Type": "text/plain; charset=iso-8859-1"}
    receiver.script("/latin", Reply(200, latin, "café".encode("latin-1")))
    receiver.script("/broken", Reply(200, {}, b"caf\xe9"))  # not UTF-8, nothing declared
    assert post(receiver.url("/latin"), b"{}", JSON, allow=ALLOW).body == "café"
    assert post(receiver.url("/broken"), b"{}", JSON, allow=ALLOW).body == "caf\ufffd"


def test_post_connection_reset_reports_error(receiver: Receiver) -> None:
    receiver.script("/reset", Reply(action="reset"))
    result = post(receiver.url("/reset"), b"{}", JSON, allow=ALLOW)
    assert result.status_code is None
    assert result.error in {"connection reset", "connection closed without a response"}


def test_post_garbage_response_reports_error(receiver: Receiver) -> None:
    receiver.script("/garbage", Reply(action="garbage"))
    result = post(receiver.url("/garbage"), b"{}", JSON, allow=ALLOW)
    assert (result.status_code, result.error) == (None, "invalid HTTP response")


def test_post_loopback_blocked_without_allow_list(receiver: Receiver) -> None:
    result = post(receiver.url("/hook"), b"{}", JSON)
    assert result.error == (
        "blocked: 127.0.0.1 is a loopback address"
        ' (to allow it, add "127.0.0.1/32" to IRONRELAY["OUTGOING_ALLOW"])'
    )
    assert result.blocked
    assert receiver.requests == []


def test_post_keeps_original_host_header(receiver: Receiver, localhost_is_127: None) -> None:
    result = post(receiver.url("/hook", host="localhost"), b"{}", JSON, allow=["localhost"])
    assert result.status_code == 200
    [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{receiver.port}"


def test_post_ignores_host_header_from_caller(receiver: Receiver) -> None:
    post(receiver.url("/hook"), b"{}", {**JSON, "host": "evil.example"}, allow=ALLOW)
    [request] = receiver.requests
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


def test_post_connects_to_the_address_it_checked(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer passes the guard; any later lookup would get another one.
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.255.255.1"])

    def rebinding_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    result = post(receiver.url("/hook", host="rebind.test"), b"{}", JSON, allow=ALLOW)
    assert (result.status_code, result.error) == (200, "")
    assert receiver.requests[0].headers["host"] == f"rebind.test:{receiver.port}"
    assert next(answers) == "10.255.255.1"  # looked up exactly once


def test_post_reuses_pooled_connection(receiver: Receiver) -> None:
    for _ in range(3):
        assert post(receiver.url("/hook"), b"{}", JSON, allow=ALLOW).ok
    assert len({r.client_port for r in receiver.requests}) == 1


def test_post_never_reuses_a_connection_for_another_checked_address(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same name and port, checked to 127.0.0.1 and then to 127.0.0.2 (a second receiver
    # on the same port): the kept connection to the first address must not carry the second.
    with Receiver(host="127.0.0.2", port=receiver.port) as other:
        answers = iter(["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.1"])
        real_getaddrinfo = socket.getaddrinfo

        def moving_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host == "moving.test":
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
            return real_getaddrinfo(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", moving_getaddrinfo)
        url = receiver.url("/hook", host="moving.test")
        for _ in range(4):
            assert post(url, b"{}", JSON, allow=["127.0.0.0/8"]).ok
        assert len(receiver.requests) == 3 and len(other.requests) == 1
        assert len({r.client_port for r in receiver.requests}) == 1  # kept alive meanwhile


def test_post_concurrent_deliveries_all_arrive(receiver: Receiver) -> None:
    results: list[HttpResult] = []

    def deliver(n: int) -> None:
        results.append(post(receiver.url(f"/hook/{n}"), b"{}", JSON, allow=ALLOW))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [r.status_code for r in results] == [200] * 12
    assert sorted(r.path for r in receiver.requests) == sorted(f"/hook/{n}" for n in range(12))


# HTTPS: a CA of our own and a certificate for "localhost" only (no IP address in it).


def _certificate(
    subject: str, key: Any, issuer: x509.Name, signer: Any, ca: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    )
    if ca:
        flags = dict.fromkeys(
            ["content_commitment", "key_encipherment", "data_encipherment"], False
        )
        flags.update(key_agreement=False, encipher_only=False, decipher_only=False)
        usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **flags)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (CA bundle, server certificate chain + key) for a "localhost" certificate."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "IronRelay test CA")])
    ca = _certificate("IronRelay test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate("localhost", leaf_key, ca_name, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    key_pem = leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "server.pem").write_bytes(leaf.public_bytes(pem) + key_pem)
    return folder / "ca.pem", folder / "server.pem"


@pytest.fixture
def tls_receiver(tls_files: tuple[Path, Path]) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files[1])
    with Receiver(tls=context) as started:
        yield started


def test_post_https_verifies_certificate_for_original_host(
    tls_receiver: Receiver, tls_files: tuple[Path, Path], localhost_is_127: None
) -> None:
    url = tls_receiver.url("/hook", host="localhost")
    result = post(url, b"{}", JSON, allow=["localhost"], ca_bundle=str(tls_files[0]))
    assert (result.status_code, result.error) == (200, "")
    assert tls_receiver.sni_names == ["localhost"]
    assert tls_receiver.requests[0].headers["host"] == f"localhost:{tls_receiver.port}"


def test_post_https_certificate_for_other_name_is_tls_error(
    tls_receiver: Receiver, tls_files: tuple[Path, Path]
) -> None:
    result = post(tls_receiver.url("/hook"), b"{}", JSON, allow=ALLOW, ca_bundle=str(tls_files[0]))
    assert result.error.startswith("TLS error: ")
    assert "mismatch" in result.error
    assert tls_receiver.requests == []


def test_post_https_untrusted_certificate_is_tls_error(
    tls_receiver: Receiver, localhost_is_127: None
) -> None:
    result = post(tls_receiver.url("/hook", host="localhost"), b"{}", JSON, allow=["localhost"])
    assert result.error.startswith("TLS error: ")
    assert "certificate" in result.error
    assert tls_receiver.requests == []


# The SSRF guard holds at the HTTP layer, whatever URL the caller passes.


def test_post_userinfo_before_public_host_never_reaches_loopback(receiver: Receiver) -> None:
    # urllib.parse reads the host after the "@" (public); urllib3 ends the host at the "\".
    result = post(f"http://127.0.0.1:{receiver.port}\\@93.184.215.14/", b"{}", JSON)
    assert (result.status_code, result.blocked) == (None, True)
    assert result.error == "blocked: the URL contains a backslash"
    assert receiver.requests == []


def test_post_never_sends_url_credentials(receiver: Receiver) -> None:
    # requests would send them as "Authorization: Basic ...".
    result = post(receiver.url("/hook").replace("//", "//user:secret@"), b"{}", JSON, allow=ALLOW)
    assert result.error == "blocked: the URL has a user name or password (user@host), never sent"
    assert receiver.requests == []


def test_post_sends_path_and_query_as_urllib3_encodes_them(receiver: Receiver) -> None:
    post(receiver.url("/a/../hook?q=é&at=@"), b"{}", JSON, allow=ALLOW)
    [request] = receiver.requests
    assert request.path == "/hook?q=%C3%A9&at=@"


def test_session_connects_to_the_checked_address_not_the_url_host(receiver: Receiver) -> None:
    request = _PinnedRequest()
    request.target, request.address = parse_target(receiver.url("/hook")), "127.0.0.1"
    request.prepare(method="POST", url=f"http://192.0.2.1:{receiver.port}/hook", data=b"{}")
    with _session().get_adapter("http://").send(request, timeout=5) as response:
        assert response.status_code == 200
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_session_refuses_a_request_the_guard_did_not_check(receiver: Receiver) -> None:
    request = requests.Request("POST", receiver.url("/hook"), data=b"{}").prepare()
    with pytest.raises(requests.exceptions.InvalidURL, match="SSRF guard did not check"):
        _session().get_adapter("http://").send(request, timeout=5)
    assert receiver.requests == []
