"""Django signals IronRelay sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after an accepted incoming webhook is committed; kwargs: webhook (IncomingWebhook).
webhook_received = Signal()

# Sent when an outgoing endpoint is disabled; kwargs: endpoint (Endpoint), reason (str).
endpoint_disabled = Signal()

# Sent by the worker when a task fails for good (no attempt left); kwargs: task (Task).
task_failed = Signal()

# Sent by each worker's periodic check (every WORKER_LEASE / 2 s) while a queue's oldest due task
# has waited longer than ALERT_QUEUE_LAG; kwargs: queue (str), lag (float, seconds).
queue_lagging = Signal()
