"""A webhook posted over real HTTP to a live server, handled by a real worker process."""

from __future__ import annotations

import json
import signal

import pytest
import requests

from ironrelay.handlers.sources import get_source
from ironrelay.models import IncomingWebhook, Worker
from tests.testapp.models import Execution
from tests.waiting import wait_until

pytestmark = pytest.mark.acceptance


def test_signed_webhook_over_http_is_handled_by_worker_process(live_server, start_worker):
    worker = start_worker("--concurrency", "2")
    body = json.dumps({"id": "evt_live", "type": "invoice.paid"}).encode()
    headers = {"Content-Type": "application/json", **get_source("stripe").scheme.sign(body)}
    url = f"{live_server.url}/ironrelay/incoming/stripe/"

    response = requests.post(url, data=body, headers=headers, timeout=10)
    assert response.status_code == 202
    webhook_id = response.json()["id"]
    assert wait_until(
        lambda: IncomingWebhook.objects.get(pk=webhook_id).status == "processed", timeout=60
    )
    assert Execution.objects.filter(label="invoice:invoice.paid").count() == 1

    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
    forged = {**headers, "Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v1=0")}
    assert requests.post(url, data=body, headers=forged, timeout=10).status_code == 401

    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert Execution.objects.filter(label="invoice:invoice.paid").count() == 1


def test_webhooks_stored_while_no_worker_runs_are_each_handled_once_by_workers_started_later(
    live_server, start_worker
):
    url = f"{live_server.url}/ironrelay/incoming/test/"
    ids = []
    for n in range(6):
        response = requests.post(url, json={"event": "ping", "value": n}, timeout=10)
        assert response.status_code == 202
        ids.append(response.json()["id"])
    assert not Execution.objects.exists()  # stored and queued, nothing ran

    workers = [start_worker("--concurrency", "2") for _ in range(2)]
    # Both running (signal handlers set) before the SIGTERM below, even if one did all the work.
    assert wait_until(lambda: Worker.objects.count() == 2, timeout=60)
    assert wait_until(
        lambda: IncomingWebhook.objects.filter(pk__in=ids, status="processed").count() == 6,
        timeout=60,
    )
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output
    labels = sorted(Execution.objects.values_list("label", flat=True))
    assert labels == sorted([f"ping:{i}" for i in ids] + [f"any:{i}" for i in ids])
