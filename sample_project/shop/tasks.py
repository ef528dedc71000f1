"""The sample's background tasks."""

from __future__ import annotations

import logging

from ironrelay import schedule, task
from shop.models import EmailLog

try:
    from django.tasks import task as django_task  # Django 6
except ImportError:
    from django_tasks import task as django_task  # Django 5.2: the django-tasks backport

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


@task(concurrency=1, concurrency_key="order:{order_id}", rate="2/s")
def recalculate_order(order_id: int) -> None:
    """Flow control: never two runs for the same order at once, two starts a second at most."""
    logger.info("Recalculating order %s", order_id)


@django_task(priority=10)
def thank_customer(order_id: int) -> str:
    """A django.tasks task: TASKS sends it to IronRelayBackend, and ironrelay_worker runs it."""
    logger.info("Thanking the customer of order %s", order_id)
    return f"thanked the customer of order {order_id}"


@task(cron="*/5 * * * *")
def tidy_email_log() -> int:
    """Run every five minutes by the @task(cron=...) schedule: keep the newest 100 log rows."""
    oldest_kept = list(EmailLog.objects.order_by("-id").values_list("id", flat=True)[99:100])
    if not oldest_kept:
        return 0
    return EmailLog.objects.filter(id__lt=oldest_kept[0]).delete()[0]


@schedule(every=60, name="heartbeat", catch_up="none")
@django_task
def heartbeat() -> str:
    """A django.tasks task scheduled every minute with @schedule; see the Schedules page."""
    logger.info("Sample heartbeat")
    return "alive"
