"""Delivering one message to one endpoint: sign, POST, record the attempt, schedule a retry."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from ironrelay import http, tracing
from ironrelay.conf import get_settings
from ironrelay.metrics import counters
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint, Task
from ironrelay.outgoing import batch, records
from ironrelay.outgoing.request import RequestError, build_request
from ironrelay.signals import endpoint_disabled
from ironrelay.tasks import queue, sidecar
from ironrelay.tasks.decorator import TaskFunction, task
from ironrelay.tasks.rates import ENDPOINT_KEY_PREFIX

logger = logging.getLogger("ironrelay.outgoing")


# max_attempts covers crashes; HTTP failures follow OUTGOING_RETRY_SCHEDULE below. Each claimed
# batch's deliveries are read together (three queries) before its tasks run.
@task(max_attempts=3, prepare=batch.load)
def deliver(message_id: str, endpoint_id: int, manual: bool = False) -> str:
    """Make one delivery attempt (the task every delivery attempt is)."""
    loaded = batch.take(message_id, endpoint_id)
    if loaded is None:
        try:
            delivery = Delivery.objects.select_related("message", "endpoint").get(
                message_id=message_id, endpoint_id=endpoint_id
            )
        except Delivery.DoesNotExist:
            return "delivery deleted (with its endpoint or message): nothing to send"
        signer = None
    else:
        delivery, signer = loaded.delivery, loaded.signer
    if delivery.status == Delivery.Status.DELIVERED:
        return "already delivered"
    if not delivery.endpoint.is_active:
        _finish(delivery, Delivery.Status.FAILED, error="endpoint is disabled")
        return "endpoint disabled"
    result, record = attempt(delivery, signer)
    if result.ok:
        _count(delivery, "delivered")
        _finish(delivery, Delivery.Status.DELIVERED, save=False)
        # Written in the transaction that writes this task's success, with the other successes
        # of its batch: a success is never recorded without its attempt.
        sidecar.write_with_outcome(records.write_successes, records.Success(delivery, record))
        return f"delivered ({result.status_code})"
    record.save()
    _on_failure(delivery, result, manual)
    return f"attempt {delivery.attempts} failed: {result.error or result.status_code}"


def delivery_task(endpoint: Endpoint, **options: object) -> TaskFunction:
    """Return the deliver task as deliveries to this endpoint are queued (with its limits)."""
    options.setdefault("queue", get_settings().OUTGOING_QUEUE)
    if endpoint.is_limited:
        # The claim reads the endpoint's limits from its row by this key (ironrelay.tasks.flow).
        options["concurrency_key"] = ENDPOINT_KEY_PREFIX + "{endpoint_id}"
    return deliver.using(**options)


def attempt(
    delivery: Delivery, signer: batch.EndpointSigner | None = None
) -> tuple[http.HttpResult, DeliveryAttempt]:
    """POST the message once; return what happened and its attempt record, not yet saved."""
    conf = get_settings()
    now = timezone.now()
    number = delivery.attempts + 1
    attributes = {
        "ironrelay.endpoint.id": delivery.endpoint_id,
        "ironrelay.message.id": delivery.message_id,
        "ironrelay.delivery.attempt": number,
    }
    with tracing.span("ironrelay.deliver", **attributes) as span:
        try:
            body, headers, recorded = build_request(delivery, now, signer)
        except RequestError as exc:
            # Recorded as a failed attempt that sent nothing; retried on the schedule (a fix
            # deployed meanwhile is picked up).
            result = http.HttpResult(None, {}, "", 0.0, str(exc))
            recorded = {}
        else:
            result = http.post(
                delivery.endpoint.url,
                body,
                headers,
                connect_timeout=conf.OUTGOING_CONNECT_TIMEOUT,
                read_timeout=conf.OUTGOING_READ_TIMEOUT,
                allow=conf.OUTGOING_ALLOW,
                max_body=conf.OUTGOING_RESPONSE_MAX_CHARS,
            )
            recorded = {**recorded, "User-Agent": http.USER_AGENT}
        if result.status_code is not None:
            tracing.set_attribute(span, "http.response.status_code", result.status_code)
        if not result.ok:
            tracing.mark_failed(span, result.error or f"HTTP {result.status_code}")
    record = DeliveryAttempt(
        delivery=delivery,
        number=number,
        at=now,
        url=delivery.endpoint.url,
        request_headers=recorded,
        status_code=result.status_code,
        response_headers=result.headers,
        response_body=result.body,
        duration_ms=result.duration_ms,
        error=result.error,
    )
    delivery.attempts = number
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500] or ("" if result.ok else f"HTTP {result.status_code}")
    return result, record


def _on_failure(delivery: Delivery, result: http.HttpResult, manual: bool) -> None:
    endpoint = delivery.endpoint
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=delivery.last_attempt_at
    )
    if result.status_code == 410:
        _count(delivery, "failed")
        _finish(delivery, Delivery.Status.FAILED)
        disable(endpoint, "the endpoint answered 410 Gone")
        return
    delay = None if (manual or result.blocked) else retry_delay(delivery.attempts, result)
    _count(delivery, "failed" if delay is None else "retry")
    if delay is None:
        _finish(delivery, Delivery.Status.FAILED)
        Endpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        delivery.save(update_fields=_progress_fields)
        delivery_task(endpoint, run_after=delivery.next_attempt_at).defer(
            delivery.message_id, endpoint.pk
        )
    logger.warning(
        "Delivery of %s to endpoint %s failed (attempt %s: %s); %s",
        delivery.message_id,
        endpoint.pk,
        delivery.attempts,
        delivery.last_error,
        f"retry in {delay:.0f} s" if delay is not None else "giving up",
    )
    _disable_if_failing(endpoint.pk)


_progress_fields = records.PROGRESS_FIELDS


def _count(delivery: Delivery, outcome: str) -> None:
    labels = {"endpoint": str(delivery.endpoint_id), "outcome": outcome}
    counters.add(counters.DELIVERY_ATTEMPTS, labels)


def _finish(delivery: Delivery, status: str, error: str = "", *, save: bool = True) -> None:
    delivery.status = status
    delivery.finished_at = timezone.now()
    delivery.next_attempt_at = None
    if error:
        delivery.last_error = error
    if save:
        delivery.save(update_fields=_progress_fields)


def retry_delay(attempts_made: int, result: http.HttpResult) -> float | None:
    """Return seconds until the next attempt, or None when the schedule is exhausted."""
    conf = get_settings()
    schedule = conf.OUTGOING_RETRY_SCHEDULE
    if attempts_made > len(schedule):
        return None
    delay = float(schedule[attempts_made - 1])
    delay *= 1 + random.uniform(-conf.OUTGOING_RETRY_JITTER, conf.OUTGOING_RETRY_JITTER)
    if result.status_code in (429, 503):
        header = next((v for k, v in result.headers.items() if k.lower() == "retry-after"), "")
        asked = parse_retry_after(header)
        if asked is not None:
            delay = min(max(asked, 1.0), conf.OUTGOING_RETRY_AFTER_MAX)
    return max(delay, 0.0)


def parse_retry_after(value: str) -> float | None:
    """Read a Retry-After header: seconds, or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - timezone.now()).total_seconds(), 0.0)


def _disable_if_failing(endpoint_id: int) -> None:
    conf = get_settings()
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    if not endpoint.is_active:
        return
    if endpoint.consecutive_failures >= conf.ENDPOINT_DISABLE_AFTER_FAILURES:
        disable(endpoint, f"{endpoint.consecutive_failures} deliveries in a row failed")
    elif endpoint.failing_since and timezone.now() - endpoint.failing_since >= timedelta(
        days=conf.ENDPOINT_DISABLE_AFTER_DAYS
    ):
        disable(endpoint, f"failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")


def disable(endpoint: Endpoint, reason: str) -> None:
    """Stop delivering to an endpoint, log it and send the endpoint_disabled signal."""
    changed = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:255], disabled_at=timezone.now()
    )
    if changed:
        endpoint.is_active, endpoint.disabled_reason = False, reason[:255]
        # The host only: a stored URL may carry a token in its path, query or userinfo.
        host = urlsplit(endpoint.url).hostname or "?"
        logger.warning("Endpoint %s (host %s) disabled: %s", endpoint.pk, host, reason)
        endpoint_disabled.send(sender=Endpoint, endpoint=endpoint, reason=reason)


def enable(endpoint: Endpoint) -> None:
    """Deliver to an endpoint again, with a clean failure record."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_active=True,
        disabled_reason="",
        disabled_at=None,
        consecutive_failures=0,
        failing_since=None,
    )


def redeliver(delivery: Delivery) -> None:
    """Queue one more attempt of a delivery now (no automatic retries after it)."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING, finished_at=None, next_attempt_at=timezone.now()
    )
    delivery_task(delivery.endpoint).defer(delivery.message_id, delivery.endpoint_id, manual=True)


def retry_now(delivery: Delivery) -> bool:
    """Make the queued next attempt of a delivery waiting for a retry due now."""
    if delivery.status != Delivery.Status.PENDING:
        return False
    waiting = Task.objects.filter(
        task_path=deliver.path,
        status=Task.Status.PENDING,
        args__0=delivery.message_id,
        args__1=delivery.endpoint_id,
    ).values_list("id", flat=True)
    if not queue.run_now(list(waiting)):
        return False
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )
    return True


def redeliver_failed(
    endpoint: Endpoint,
    since: datetime,
    limit: int | None = None,
    among: QuerySet[Delivery] | None = None,
) -> int:
    """Queue a new attempt of the failed deliveries to `endpoint` created since `since`.

    Oldest first, at most `limit` of them, and only those in `among` when given; return how
    many were queued.
    """
    rows = (Delivery.objects.all() if among is None else among).filter(
        endpoint=endpoint, status=Delivery.Status.FAILED, created_at__gte=since
    )
    with transaction.atomic():
        # Locked, so two recovers at once cannot queue the same delivery twice.
        picked = list(
            rows.select_for_update().order_by("id").values_list("id", "message_id")[:limit]
        )
        if not picked:
            return 0
        Delivery.objects.filter(pk__in=[pk for pk, _ in picked]).update(
            status=Delivery.Status.PENDING, finished_at=None, next_attempt_at=timezone.now()
        )
        delivery_task(endpoint).bulk_defer(
            [((message_id, endpoint.pk), {"manual": True}) for _, message_id in picked]
        )
    return len(picked)
