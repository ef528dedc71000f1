"""python manage.py demo_receiver: a local webhook receiver that verifies and prints events."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ironrelay.models import Endpoint
from ironrelay.signing import SignatureError, StandardScheme


class Command(BaseCommand):
    help = "Receive IronRelay's outgoing webhooks on 127.0.0.1, verify them and print each event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args: Any, **options: Any) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", options["port"]), _Handler)
        self.stdout.write(
            f"Demo receiver listening on http://127.0.0.1:{options['port']}/webhooks/"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
        # The secrets are looked up on every request, so a rotated secret is picked up at once.
        secrets = [s for e in Endpoint.objects.filter(url=url) for s in e.signing_secrets()]
        try:
            StandardScheme(secrets).verify(body, dict(self.headers.items()))
        except (SignatureError, ValueError) as exc:
            print(f"[demo receiver] REJECTED {self.path}: {exc}", flush=True)
            self._answer(401, b"bad signature")
            return
        event = json.loads(body)
        print(
            f"[demo receiver] verified {event['type']} {self.headers['webhook-id']} for "
            f"{self.path}: "
            f"{json.dumps(event['data'])[:300]}",
            flush=True,
        )
        self._answer(200, b"ok")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
