"""Django signals IronRelay sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after an accepted incoming webhook is committed; kwargs: webhook (IncomingWebhook).
webhook_received = Signal()

# Sent when an outgoing endpoint is disabled; kwargs: endpoint (Endpoint), reason (str).
endpoint_disabled = Signal()
