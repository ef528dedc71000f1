"""Opt-in alert mails (ALERT_MAIL_ADMINS): a disabled endpoint, a task failed for good, queue lag.

Each kind of alert about one subject (an endpoint, a task path, a queue) is mailed at most once
per ALERT_INTERVAL, across every process: the time of the last mail is a row in the database,
and only the process whose UPDATE or INSERT of that row succeeds sends the mail.

The mail itself goes out from one daemon thread: the callers are the worker's loop and its
write-back, and a hung mail server (EMAIL_TIMEOUT is None by default) must not stop heartbeats.
"""

from __future__ import annotations

import hashlib
import logging
import queue as stdlib_queue
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import mail_admins
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from ironrelay.conf import get_settings
from ironrelay.metrics import readings
from ironrelay.models import AlertSent, Endpoint, Task
from ironrelay.signals import endpoint_disabled, queue_lagging, task_failed

logger = logging.getLogger("ironrelay.alerts")

_recent: dict[str, float] = {}  # alert key -> monotonic time its last mail was sent

MAX_QUEUED_MAILS = 100
_mails: stdlib_queue.Queue[tuple[str, str, str]] = stdlib_queue.Queue(maxsize=MAX_QUEUED_MAILS)
_sender: threading.Thread | None = None
_sender_lock = threading.Lock()


def claim_alert(kind: str, subject: str) -> bool:
    """Return True if this process may mail the alert now (none sent within ALERT_INTERVAL)."""
    interval = get_settings().ALERT_INTERVAL
    subject = subject[:255]
    key = hashlib.sha1(f"{kind}\0{subject}".encode(), usedforsecurity=False).hexdigest()
    # A burst of failures asks again and again: once this process knows of a recent mail,
    # it answers without a query.
    known = _recent.get(key)
    if known is not None and time.monotonic() - known < interval:
        return False
    now = timezone.now()
    cutoff = now - timedelta(seconds=interval)
    if AlertSent.objects.filter(key=key, sent_at__lte=cutoff).update(sent_at=now):
        _recent[key] = time.monotonic()
        return True
    try:
        with transaction.atomic():
            AlertSent.objects.create(key=key, kind=kind, subject=subject, sent_at=now)
    except IntegrityError:  # sent recently, by this or another process
        sent_at = AlertSent.objects.filter(key=key).values_list("sent_at", flat=True).first()
        if sent_at is not None:
            _recent[key] = time.monotonic() - max((now - sent_at).total_seconds(), 0.0)
        return False
    _recent[key] = time.monotonic()
    return True


def forget_recent() -> None:
    """Forget which alerts this process knows were mailed (tests)."""
    _recent.clear()


def send(kind: str, subject: str, title: str, message: str) -> bool:
    """Mail the site's ADMINS about one alert unless it was mailed within ALERT_INTERVAL."""
    conf = get_settings()
    if not conf.ALERT_MAIL_ADMINS:
        return False
    try:
        if not claim_alert(kind, subject):
            return False
    except DatabaseError:
        logger.exception("Could not record alert %s for %s; not mailing it", kind, subject)
        return False
    hours = conf.ALERT_INTERVAL / 3600
    footer = f"\n\nFurther {kind} alerts about this are not mailed for {hours:g} hour(s)."
    try:
        _mails.put_nowait((kind, f"IronRelay: {title}", message + footer))
    except stdlib_queue.Full:  # the mail server is hung or slow: drop rather than grow or block
        logger.error("Alert mail queue is full; dropping the %s alert about %s", kind, subject)
        return False
    _start_sender()
    return True


def _start_sender() -> None:
    global _sender
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_send_mails, name="ironrelay-alert-mail", daemon=True)
            _sender.start()


def _send_mails() -> None:
    while True:
        kind, subject, body = _mails.get()
        try:
            mail_admins(subject, body)
        except Exception:  # a mail server's failure must not end the sender thread
            logger.exception("Could not mail the %s alert", kind)
        finally:
            _mails.task_done()


def wait_for_mails() -> None:
    """Block until every queued alert mail was handed to the mail backend (tests)."""
    _mails.join()


def on_endpoint_disabled(*, endpoint: Endpoint, reason: str, **kwargs: Any) -> None:
    """Mail that an endpoint was disabled (endpoint_disabled receiver)."""
    # The host only: a stored URL may carry a token in its path, query or userinfo.
    host = urlsplit(endpoint.url).hostname or "?"
    name = endpoint.description or f"endpoint {endpoint.pk}"  # str(endpoint) may be the URL
    send(
        "endpoint-disabled",
        str(endpoint.pk),
        f"endpoint {endpoint.pk} ({host}) disabled",
        f"Deliveries to {name} (at host {host}) stopped: {reason}.",
    )


def on_task_failed(*, task: Task, **kwargs: Any) -> None:
    """Mail that a task failed for good (task_failed receiver), once per task path."""
    error = task.last_error or {}
    send(
        "task-failed",
        task.task_path,
        f"task {task.task_path} failed",
        f"Task {task.task_path} #{task.pk} (queue {task.queue_name}) failed after "
        f"{task.attempts} attempt(s): {error.get('exception_class_path', 'unknown error')}: "
        f"{str(error.get('message', ''))[:500]}",
    )


def check_queue_lag() -> list[str]:
    """Signal and mail each queue whose oldest due task waited over ALERT_QUEUE_LAG; name them."""
    limit = get_settings().ALERT_QUEUE_LAG
    if limit is None:
        return []
    lagging = []
    for queue in readings.lagging_candidates():
        if queue.oldest_due_age > limit:
            lagging.append(queue.name)
            for receiver, result in queue_lagging.send_robust(
                sender=Task, queue=queue.name, lag=queue.oldest_due_age
            ):
                if isinstance(result, Exception):
                    logger.error("queue_lagging receiver %r failed: %r", receiver, result)
            send(
                "queue-lag",
                queue.name,
                f"queue {queue.name} is {queue.oldest_due_age:.0f} s behind",
                f"The oldest due task of queue {queue.name} has waited "
                f"{queue.oldest_due_age:.0f} s (limit {limit:g} s); {queue.due} task(s) are due "
                f"and {queue.running} running.",
            )
    return lagging


def connect() -> None:
    """Connect the alert receivers to IronRelay's signals (AppConfig.ready)."""
    endpoint_disabled.connect(on_endpoint_disabled, dispatch_uid="ironrelay.alerts.endpoint")
    task_failed.connect(on_task_failed, dispatch_uid="ironrelay.alerts.task")
