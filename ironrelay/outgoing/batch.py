"""Load a claimed batch's deliveries together, each endpoint's secrets decrypted once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ironrelay.models import Delivery, Endpoint, OutgoingWebhook, Task
from ironrelay.signing import StandardSigner

# A loaded delivery older than this is read again: the batch it came with ran long.
MAX_AGE = 5.0  # seconds
MAX_LOADED = 10_000  # entries kept for tasks that never ran (taken back at a stop)

Key = tuple[str, int]  # (message id, endpoint id): a deliver task's arguments


class EndpointSigner:
    """Sign for one endpoint with its secrets decrypted and decoded once."""

    def __init__(self, endpoint: Endpoint, now: datetime) -> None:
        self.endpoint = endpoint
        self._keys = [endpoint.signing_key] if endpoint.signing_key else []
        expiries = [
            datetime.fromisoformat(entry["expires_at"]) for entry in endpoint.previous_secrets
        ]
        # Which secrets sign changes when a rotated-out one expires.
        self._valid_until = min((e for e in expiries if e > now), default=None)
        self._signer = StandardSigner(endpoint.signing_secrets(now), self._keys)

    def sign(self, msg_id: str, timestamp: int, body: bytes, now: datetime) -> str:
        """Return the webhook-signature value, signed with the secrets valid at `now`."""
        signer = self._signer
        if self._valid_until is not None and now >= self._valid_until:
            signer = StandardSigner(self.endpoint.signing_secrets(now), self._keys)
        return signer.sign(msg_id, timestamp, body)


@dataclass(frozen=True)
class Loaded:
    """A delivery read for a batch, with its endpoint's signer (shared by the batch)."""

    delivery: Delivery
    signer: EndpointSigner
    at: float  # monotonic time it was read


_lock = threading.Lock()
_loaded: dict[Key, Loaded] = {}


def load(tasks: Sequence[Task]) -> None:
    """Read the deliveries of claimed deliver tasks at once, for their threads to take."""
    counts = Counter(key for task in tasks if (key := _key(task.args)) is not None)
    # Two tasks for one delivery (a redelivery next to a retry) each read it when they run.
    wanted = {key for key, count in counts.items() if count == 1}
    if not wanted:
        return
    # Three queries whatever the batch: each message and endpoint is read (and its JSON decoded)
    # once, not once per delivery as a join would.
    rows = Delivery.objects.filter(
        message_id__in={m for m, _ in wanted}, endpoint_id__in={e for _, e in wanted}
    )
    deliveries = [d for d in rows if (d.message_id, d.endpoint_id) in wanted]
    messages = OutgoingWebhook.objects.in_bulk({d.message_id for d in deliveries})
    endpoints = Endpoint.objects.in_bulk({d.endpoint_id for d in deliveries})
    now, at = timezone.now(), time.monotonic()
    signers = {pk: _signer(endpoint, now) for pk, endpoint in endpoints.items()}
    found: dict[Key, Loaded] = {}
    for delivery in deliveries:
        message, signer = messages.get(delivery.message_id), signers.get(delivery.endpoint_id)
        if message is None or signer is None:
            # Deleted meanwhile, or a secret that cannot sign: its task reads it and says so.
            continue
        delivery.message, delivery.endpoint = message, signer.endpoint
        found[(delivery.message_id, delivery.endpoint_id)] = Loaded(delivery, signer, at)
    with _lock:
        if len(_loaded) > MAX_LOADED:
            _loaded.clear()
        _loaded.update(found)


def take(message_id: str, endpoint_id: int) -> Loaded | None:
    """Return the delivery loaded for this task's batch, once; None if absent or too old."""
    with _lock:
        loaded = _loaded.pop((message_id, endpoint_id), None)
    if loaded is None or time.monotonic() - loaded.at > MAX_AGE:
        return None
    return loaded


def _signer(endpoint: Endpoint, now: datetime) -> EndpointSigner | None:
    try:
        return EndpointSigner(endpoint, now)
    except Exception:  # an unreadable secret or key: the delivery's own run reports it
        return None


def _key(args: Sequence[object]) -> Key | None:
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], int):
        return None
    return args[0], args[1]
