"""The sample's background tasks."""

from __future__ import annotations

import logging

from ironrelay import task
from shop.models import EmailLog

logger = logging.getLogger("shop")


@task
def send_email(user_id: int) -> str:
    """Pretend to email a user: the worker runs this after send_email.defer(user_id)."""
    EmailLog.objects.create(user_id=user_id)
    print("Send email to:", user_id)
    return f"email sent to user {user_id}"


@task(max_attempts=4, retry_backoff=5)
def flaky_sync(order_id: int) -> None:
    """Fail on purpose, to show retries with backoff and the error history."""
    raise ConnectionError(f"partner API unreachable while syncing order {order_id}")
