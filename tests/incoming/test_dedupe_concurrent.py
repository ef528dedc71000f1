"""The same signed body posted many times at once is stored once (the unique constraint's job)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ironrelay.handlers.sources import get_source
from ironrelay.models import HandlerRun, IncomingWebhook

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 6


def test_concurrent_replays_with_new_delivery_ids_store_one_webhook(live_server):
    body = json.dumps({"ref": "refs/heads/main", "after": "c0ffee"}).encode()
    signature = get_source("github").scheme.sign(body)
    url = f"{live_server.url}/ironrelay/incoming/github/"

    def send(number: int) -> tuple[int, bool]:
        headers = {
            **signature,
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"delivery-{number}",
        }
        response = requests.post(url, data=body, headers=headers, timeout=30)
        return response.status_code, bool(response.json().get("duplicate"))

    with ThreadPoolExecutor(SENDERS) as pool:
        answers = sorted(pool.map(send, range(SENDERS)))
    assert answers == [(200, True)] * (SENDERS - 1) + [(202, False)]
    assert IncomingWebhook.objects.count() == 1
    assert HandlerRun.objects.count() == 1
