"""The handler the scripts count: one Execution row per run, labelled with the delivery id."""

from __future__ import annotations

import os
import time

from ironrelay import on_webhook
from ironrelay.models import IncomingWebhook
from tests.testapp.models import Execution

# db_outage.py --slow-handler: time a handler spends after its write (calling an API, say).
AFTER_WRITE = float(os.environ.get("SCRIPT_HANDLER_SECONDS", "0"))


@on_webhook("github", "*")
def record_delivery(webhook: IncomingWebhook) -> None:
    """Record that this webhook's handler ran (once per run, so repeats show as extra rows)."""
    Execution.objects.create(label=f"hook:{webhook.delivery_id}")
    if AFTER_WRITE:
        time.sleep(AFTER_WRITE)
