"""Flow control held by three real worker processes: keys, rates, paused queues, endpoints."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ironrelay.models import Delivery, Endpoint, Task, Worker
from tests.testapp.flow_tasks import process_order, ticked
from tests.testapp.models import Execution
from tests.testapp.tasks import record
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def three_workers(start_worker: Any) -> None:
    for _ in range(3):
        start_worker("--concurrency", "4", "--batch-size", "10")
    assert wait_until(lambda: Worker.objects.count() == 3, timeout=60)


def test_concurrency_one_key_never_runs_twice_at_once(start_worker, tmp_path: Path):
    log = tmp_path / "intervals.txt"
    orders = range(1, 9)
    # A key's tasks are next to each other in claim order: without the limit they would run
    # side by side.
    calls = [((order, str(log)), {"hold": 0.05}) for order in orders for _ in range(3)]
    # Each worker holds at most 3 tasks (2 threads + 1 claimed ahead): 8 keys need all three.
    for _ in range(3):
        start_worker("--concurrency", "2", "--batch-size", "1")
    assert wait_until(lambda: Worker.objects.count() == 3, timeout=60)
    process_order.bulk_defer(calls)
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 24, timeout=120)
    runs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for line in log.read_text().splitlines():
        order, start, end = line.split()
        runs[order].append((float(start), float(end)))
    assert sorted(runs) == [str(n) for n in orders] and all(len(r) == 3 for r in runs.values())
    for order, intervals in runs.items():
        intervals.sort()
        for (_, end), (start, _) in itertools.pairwise(intervals):
            assert start >= end, f"order {order}: a run started before the previous one ended"
    # The keys are independent: different orders ran at the same time somewhere.
    everything = sorted(i for r in runs.values() for i in r)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(everything))
    holders = {ids[0] for ids in Task.objects.values_list("worker_ids", flat=True)}
    assert len(holders) >= 2  # more than one process shared the keys


def test_rate_of_five_per_second_holds_over_ten_seconds(start_worker, tmp_path: Path):
    log = tmp_path / "starts.txt"
    three_workers(start_worker)
    ticked.bulk_defer([(str(log),) for _ in range(51)])
    assert wait_until(lambda: Task.objects.filter(status="success").count() == 51, timeout=60)
    starts = sorted(float(line) for line in log.read_text().splitlines())
    span = starts[-1] - starts[0]
    rate = (len(starts) - 1) / span
    assert 4.5 <= rate <= 5.5, f"{rate:.2f}/s over {span:.1f} s"
    # Smooth, no burst: a second holds 5 starts, plus at most one a late worker caught up on
    # and one at the window's edge (unlimited, all 51 would start within a second).
    most = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert most <= 7, f"{most} starts within one second"


def test_paused_queue_runs_nothing_until_resumed(start_worker):
    call_command("ironrelay_queue", "pause", "parked")
    # Parked tasks come first in claim order: a claim that took the canary skipped them.
    record.using(queue="parked", priority=10).bulk_defer([(f"parked{n}",) for n in range(5)])
    three_workers(start_worker)
    record.defer("canary")
    assert wait_until(lambda: Execution.objects.filter(label="canary").exists(), timeout=60)
    assert not Execution.objects.filter(label__startswith="parked").exists()
    assert Task.objects.filter(queue_name="parked", status="pending").count() == 5
    call_command("ironrelay_queue", "resume", "parked")
    assert wait_until(lambda: Execution.objects.filter(label__startswith="parked").count() == 5, 60)


class _Counting(BaseHTTPRequestHandler):
    """Answer 200 after a pause; count requests in flight per path."""

    lock = threading.Lock()
    in_flight: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            self.in_flight[self.path] += 1
            self.most[self.path] = max(self.most[self.path], self.in_flight[self.path])
        time.sleep(0.2)  # a slow receiver, so deliveries overlap
        with self.lock:
            self.in_flight[self.path] -= 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_endpoint_limit_holds_under_fan_out_and_others_proceed(start_worker):
    from ironrelay.outgoing import send_webhook

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        Endpoint.objects.create(url=f"{base}/small", event_types=["*"], max_in_flight=2)
        Endpoint.objects.create(url=f"{base}/big", event_types=["*"])
        three_workers(start_worker)
        for n in range(12):
            send_webhook("thing.happened", {"n": n})
        delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
        assert wait_until(lambda: delivered.count() == 24, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert _Counting.most["/small"] == 2, dict(_Counting.most)
    assert _Counting.most["/big"] > 2, dict(_Counting.most)
