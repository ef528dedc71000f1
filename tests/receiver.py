"""A real HTTP(S) receiver on 127.0.0.1 that records requests and answers from a script."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str = b"ok"
    delay: float = 0  # seconds to wait before answering
    # "reset": close the connection abruptly (TCP RST) without answering;
    # "garbage": send bytes that are not HTTP, then close;
    # "endless": send `body` over and over (chunked) until the client goes away.
    action: Literal["respond", "reset", "garbage", "endless"] = "respond"
    trickle: float = 0  # seconds to wait between body bytes


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names lower-cased
    body: bytes
    client_port: int  # the same on two requests when the client reused its connection


class Receiver:
    """Serve on 127.0.0.1 on a free port in a thread; use as a context manager."""

    host = "127.0.0.1"

    def __init__(
        self, tls: ssl.SSLContext | None = None, host: str | None = None, port: int = 0
    ) -> None:
        self.host = host or self.host
        self.tls = tls
        self.sni_names: list[str | None] = []  # server names TLS clients asked for
        self._scripts: dict[str, list[Reply]] = {}
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server = _Server((self.host, port), _Handler)
        self._server.receiver = self
        if tls is not None:
            tls.sni_callback = self._record_sni
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # wakes handlers that are waiting out a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Return the URL of `path`, naming the receiver `host` (default 127.0.0.1)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer requests to `path` with `replies` in order, repeating the last one."""
        with self._changed:
            self._scripts[path] = list(replies)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Return the requests received so far."""
        with self._changed:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedRequest]:
        """Return the requests once at least `count` arrived; raise AssertionError on timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"{len(self._requests)} requests arrived, not {count}")
            return list(self._requests)

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            replies = self._scripts.get(urlsplit(request.path).path, [Reply()])
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _record_sni(self, sslobj: Any, name: str | None, context: ssl.SSLContext) -> None:
        self.sni_names.append(name)


class _Server(ThreadingHTTPServer):
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients hanging up mid-answer is what many tests provoke."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is exercised
    timeout = 60  # an idle kept-alive connection does not hold its thread forever
    server: _Server

    def do_POST(self) -> None:
        """Record the request, then answer as scripted."""
        self._answer()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log each request to stderr."""

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver = self.server.receiver
        request = ReceivedRequest(self.command, self.path, headers, body, self.client_address[1])
        reply = receiver._record(request)
        if reply.delay and receiver._stopping.wait(reply.delay):
            return
        content = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.close_connection = reply.action != "respond"
        if reply.action == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if reply.action == "garbage":
            self.wfile.write(b"\x00\xff\xfe garbage, not an HTTP status line\r\n\r\n")
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.action == "endless":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"%x\r\n%s\r\n" % (len(content), content)
            while not receiver._stopping.is_set():
                self.wfile.write(chunk)  # raises once the client has closed the connection
            return
        if "content-length" not in {name.lower() for name in reply.headers}:
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(content)
            return
        for i in range(len(content)):
            if receiver._stopping.wait(reply.trickle):
                return
            self.wfile.write(content[i : i + 1])
