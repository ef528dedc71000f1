"""Outgoing delivery throughput: IronRelay's worker against a bare loop of signed POSTs.

A fast receiver runs on 127.0.0.1 in its own process (HTTP/1.1 keep-alive, TCP_NODELAY,
answering every POST 200 "ok"). Then, in one run:

1. bare: N Standard-Webhooks-signed POSTs (the JSON body a delivery sends) from T threads, each
   with its own requests.Session: the ceiling for this machine, client and receiver;
2. ironrelay: N events via send_webhook() to one endpoint, stored in one transaction, then
   drained by one `ironrelay_worker --concurrency T` process; counted done when the database
   says every delivery is delivered (and every attempt is recorded);
3. fan-out: 1 event via send_webhook() to F endpoints: deliveries created per second, then
   delivered per second by the same worker.

It prints both rates and the ratio ironrelay/bare. The endpoints are on 127.0.0.1, which the SSRF
guard refuses: the scripts' settings (tests.settings) allow it with OUTGOING_ALLOW
["127.0.0.1/32"]. Exit status 0 only when every delivery was delivered once, with one attempt
recorded each, and the receiver got exactly the requests sent.

    .venv/bin/python scripts/outgoing_throughput.py --db sqlite
    .venv/bin/python scripts/outgoing_throughput.py --db postgres --events 2000 --threads 8
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _common import (
    Processes,
    ScratchDatabase,
    free_port,
    new_session,
    print_table,
    run_dir,
    verdict,
    wait_until,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


# -- the receiver (its own process) ----------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # TCP_NODELAY on each accepted connection
    server: _CountingServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.posts += 1
        self._reply(b"ok")

    def do_GET(self) -> None:
        with self.server.lock:
            figures = {"posts": self.server.posts, "connections": self.server.connections}
        self._reply(json.dumps(figures).encode())

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log each request."""


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.lock = threading.Lock()
        self.posts = 0
        self.connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)


def serve(port: int) -> None:
    """Run the receiver until killed."""
    _CountingServer(port).serve_forever()


def receiver_figures(port: int) -> dict[str, int]:
    """Return how many POSTs and TCP connections the receiver has seen."""
    with new_session() as session:
        return session.get(f"http://127.0.0.1:{port}/count", timeout=10).json()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# -- the runs ----------------------------------------------------------------------------------


def bare_run(port: int, count: int, threads: int) -> float:
    """POST `count` signed bodies from `threads` threads; return the seconds it took."""
    from ironrelay.signing import sign_standard

    url = f"http://127.0.0.1:{port}/bare"
    shares = [count // threads + (i < count % threads) for i in range(threads)]
    errors: list[str] = []

    def post_many(n: int, offset: int) -> None:
        with new_session() as session:
            for i in range(offset, offset + n):
                msg_id = f"msg_bare_{i}"
                body = json.dumps(
                    {"type": "bench.event", "timestamp": "2026-01-01T00:00:00Z", "data": {"n": i}},
                    separators=(",", ":"),
                ).encode()
                stamp = int(time.time())
                headers = {
                    "Content-Type": "application/json",
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(stamp),
                    "webhook-signature": sign_standard(msg_id, stamp, body, [SECRET]),
                }
                response = session.post(url, data=body, headers=headers, timeout=(5, 15))
                if response.status_code != 200:
                    errors.append(f"bare POST answered {response.status_code}")

    workers = []
    offset = 0
    for n in shares:
        workers.append(threading.Thread(target=post_many, args=(n, offset)))
        offset += n
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])
    return time.perf_counter() - started


def wait_delivered(expected: int, timeout: float) -> float | None:
    """Poll until `expected` deliveries are delivered; return the time it held, or None."""
    from ironrelay.models import Delivery

    if Delivery.objects.count() != expected:
        return None
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
    if wait_until(lambda: delivered.count() >= expected, timeout, interval=0.02):
        return time.perf_counter()
    return None


def check_records(expected: int, label: str, failures: list[str]) -> None:
    """Every delivery delivered once, with exactly one attempt recorded."""
    from ironrelay.models import Delivery, DeliveryAttempt

    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
    attempts = DeliveryAttempt.objects.count()
    if (delivered, attempts) != (expected, expected):
        failures.append(f"{label}: {delivered} delivered, {attempts} attempts, not {expected}")


def reset_outgoing() -> None:
    """Remove every endpoint, message, delivery and task of a previous phase."""
    from ironrelay.models import Endpoint, OutgoingWebhook, Task

    OutgoingWebhook.objects.all().delete()
    Endpoint.objects.all().delete()
    Task.objects.all().delete()


def relay_run(
    port: int, count: int, timeout: float, cpu: Callable[[], float]
) -> tuple[float, float, float] | None:
    """Store `count` events for one endpoint in one transaction; return (store s, drain s, cpu s).

    The worker CPU is counted from the commit: while the events are stored, the worker only
    polls, and a slow store (a loaded machine) would otherwise inflate its figure.
    """
    from django.db import transaction

    from ironrelay import send_webhook
    from ironrelay.models import Endpoint

    Endpoint.objects.create(
        url=f"http://127.0.0.1:{port}/relay", secret=SECRET, event_types=["bench.*"]
    )
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(count):
            send_webhook("bench.event", {"n": i})
    committed, cpu_before = time.perf_counter(), cpu()
    done = wait_delivered(count, timeout)
    return None if done is None else (committed - started, done - committed, cpu() - cpu_before)


def fanout_run(
    port: int, endpoints: int, timeout: float, cpu: Callable[[], float]
) -> tuple[float, float, float] | None:
    """Send one event to `endpoints` endpoints; return (store s, drain s, worker cpu s)."""
    from ironrelay import send_webhook
    from ironrelay.models import Endpoint

    template = Endpoint(url=f"http://127.0.0.1:{port}/fanout", secret=SECRET)
    Endpoint.objects.bulk_create(
        [
            Endpoint(
                url=f"{template.url}/{i}",
                secret_encrypted=template.secret_encrypted,
                event_types=["bench.*"],
            )
            for i in range(endpoints)
        ]
    )
    started = time.perf_counter()
    send_webhook("bench.fanout", {"n": 0})
    committed, cpu_before = time.perf_counter(), cpu()
    done = wait_delivered(endpoints, timeout)
    return None if done is None else (committed - started, done - committed, cpu() - cpu_before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "mysql"], default="sqlite")
    parser.add_argument("--events", type=int, default=2000, help="POSTs of the bare and relay runs")
    parser.add_argument("--threads", type=int, default=8, help="client threads = worker threads")
    parser.add_argument("--fanout", type=int, default=1000, help="endpoints of one event (0: skip)")
    parser.add_argument("--timeout", type=float, default=240, help="bound on each drain, seconds")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="py-spy record the worker (samples holding the GIL) into FILE",
    )
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not (1 <= args.events <= 100_000 and 1 <= args.threads <= 64 and args.fanout <= 10_000):
        parser.error("bounds: 1-100000 events, 1-64 threads, at most 10000 fan-out endpoints")

    db = ScratchDatabase.for_vendor(args.db, "outgoing")
    db.create()
    try:
        db.configure_django(SCRIPT_POLL_INTERVAL="0.02")
        db.migrate()
        logging.getLogger("ironrelay").setLevel(logging.WARNING)  # not a line per event
        with run_dir(Processes(), keep_logs=args.keep_logs) as procs:
            figures, failures = measure(procs, args)
    finally:
        db.drop()
    print_table(f"outgoing_throughput --db {args.db} --threads {args.threads}", figures)
    return verdict(failures)


def measure(procs: Processes, args: argparse.Namespace) -> tuple[list, list[str]]:
    """Run the bare loop, the relay run and the fan-out; return the table and the failures."""
    load_before = os.getloadavg()
    failures: list[str] = []
    port = free_port()
    procs.start("receiver", os.path.abspath(__file__), "--serve", str(port))
    if not wait_until(lambda: _answers(port), timeout=30):
        raise RuntimeError(f"the receiver did not start: {procs.tail('receiver')}")
    procs.start_worker("worker", concurrency=args.threads)
    procs.worker_id("worker")
    if args.profile:
        procs.start(
            "py-spy",
            "-c",
            "import os,sys; os.execvp('py-spy', ['py-spy', *sys.argv[1:]])",
            "record", "--threads", "--gil", "--format", "raw", "-o", args.profile,
            "--pid", str(procs.started["worker"].pid),
        )  # fmt: skip

    cpu = time.process_time()
    bare_seconds = bare_run(port, args.events, args.threads)
    bare_cpu_ms = (time.process_time() - cpu) * 1000 / args.events
    bare_rate = args.events / bare_seconds

    def worker_cpu() -> float:
        return procs.cpu_seconds("worker")

    relay = relay_run(port, args.events, args.timeout, worker_cpu)
    figures: list[tuple[str, object]] = [
        ("bare signed POSTs", f"{args.events} in {bare_seconds:.2f} s = {bare_rate:.0f}/s"),
    ]
    if relay is None:
        failures.append(f"relay: not all {args.events} deliveries delivered in {args.timeout} s")
    else:
        store, drain, relay_cpu = relay
        relay_rate = args.events / drain
        relay_cpu_ms = relay_cpu * 1000 / args.events
        figures += [
            (
                "CPU per POST: bare client / relay worker (drain)",
                f"{bare_cpu_ms:.2f} / {relay_cpu_ms:.2f} ms",
            ),
            (
                "relay events stored",
                f"{args.events} in {store:.2f} s = {args.events / store:.0f}/s",
            ),
            ("relay delivered", f"{args.events} in {drain:.2f} s = {relay_rate:.0f}/s"),
            ("ratio relay/bare", f"{relay_rate / bare_rate:.2f}x"),
        ]
    check_records(args.events, "relay", failures)
    posts = args.events * 2
    if args.fanout:
        reset_outgoing()
        fan = fanout_run(port, args.fanout, args.timeout, worker_cpu)
        posts += args.fanout
        if fan is None:
            failures.append(f"fan-out: not all {args.fanout} delivered in {args.timeout} s")
        else:
            store, drain, fan_cpu = fan
            fan_cpu_ms = fan_cpu * 1000 / args.fanout
            figures += [
                (
                    f"fan-out 1 event -> {args.fanout} endpoints stored",
                    f"{store:.2f} s = {args.fanout / store:.0f} deliveries/s",
                ),
                (
                    "fan-out delivered",
                    f"{drain:.2f} s = {args.fanout / drain:.0f}/s "
                    f"({args.fanout / drain / bare_rate:.2f}x bare), "
                    f"worker CPU {fan_cpu_ms:.2f} ms each",
                ),
            ]
        check_records(args.fanout, "fan-out", failures)
    seen = receiver_figures(port)
    if seen["posts"] != posts:
        failures.append(f"the receiver got {seen['posts']} POSTs, not {posts}")
    figures += [
        ("receiver POSTs / TCP connections", f"{seen['posts']} / {seen['connections']}"),
        ("load average before / after", f"{load_before[0]:.2f} / {os.getloadavg()[0]:.2f}"),
    ]
    return figures, failures


if __name__ == "__main__":
    sys.exit(main())
