"""Storing accepted webhooks and running their @on_webhook handlers as queued tasks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, router, transaction
from django.db.models import Q
from django.utils import timezone

from ironrelay.handlers import rows, runs, storing
from ironrelay.handlers.registry import WebhookHandler, handler_by_path, handlers_for
from ironrelay.models import HandlerRun, IncomingWebhook
from ironrelay.signals import webhook_received
from ironrelay.tasks.decorator import TaskContext, task
from ironrelay.tasks.inserts import NewTask

logger = logging.getLogger("ironrelay.incoming")


class HandlerGone(LookupError):
    """A stored handler path is no longer registered with @on_webhook."""


@dataclass(frozen=True)
class Stored:
    """The result of storing a webhook: the record and whether it repeats an earlier one."""

    webhook: IncomingWebhook
    duplicate: bool = False


def store(**fields: Any) -> Stored:
    """Store a verified webhook with its handlers queued; send webhook_received on commit."""
    now = timezone.now()
    fields.setdefault("received_at", now)
    invalid = fields["status"] == IncomingWebhook.Status.INVALID
    handlers = [] if invalid else handlers_for(fields["source"], fields["event"])
    if not invalid and not handlers:
        fields["status"] = IncomingWebhook.Status.PROCESSED
    tasks = storing.handler_tasks(run_handler, handlers, now)
    try:
        new_id = _insert(fields, handlers, tasks, now)
    except IntegrityError:
        new_id = None  # the source's dedupe key is taken, now or by a request at the same moment
    if new_id is None:
        return _repeat(fields)
    webhook = IncomingWebhook(id=new_id, **fields)
    # Stored already: a receiver's save() must update this row, as for a record loaded from it.
    webhook._state.adding, webhook._state.db = False, router.db_for_write(IncomingWebhook)
    if not invalid:
        transaction.on_commit(lambda: _announce(webhook))
    return Stored(webhook)


def _insert(
    fields: dict[str, Any], handlers: list[WebhookHandler], tasks: list[NewTask], now: datetime
) -> int | None:
    """Store the webhook with its handlers queued; return its id, or None for a repeat."""
    if not storing.fits(tasks):
        with transaction.atomic():
            webhook = IncomingWebhook.objects.create(**fields)
            for handler in handlers:
                _queue_one(webhook, handler)
        return webhook.pk
    if storing.one_statement():
        return storing.insert(fields, tasks, now)
    with transaction.atomic():
        return storing.insert(fields, tasks, now)


def _repeat(fields: dict[str, Any]) -> Stored:
    earlier = _earlier(fields)
    if earlier is None:
        raise IntegrityError("the webhook conflicts with a stored one that cannot be found")
    return Stored(earlier, duplicate=True)


def _earlier(fields: dict[str, Any]) -> IncomingWebhook | None:
    """Return the stored webhook of the same source with the same delivery id or content hash."""
    repeats = Q()
    for key in ("delivery_id", "content_hash"):
        if fields.get(key):
            repeats |= Q(**{key: fields[key]})
    if not repeats:
        return None
    return IncomingWebhook.objects.filter(repeats, source=fields["source"]).order_by("pk").first()


def _announce(webhook: IncomingWebhook) -> None:
    for receiver, result in webhook_received.send_robust(sender=IncomingWebhook, webhook=webhook):
        if isinstance(result, Exception):
            logger.error(
                "webhook_received receiver %r failed for webhook #%s: %r",
                receiver,
                webhook.pk,
                result,
            )


def queue_handlers(webhook: IncomingWebhook) -> list[HandlerRun]:
    """Queue one task per matching handler (in the caller's transaction)."""
    handlers = handlers_for(webhook.source, webhook.event)
    if not handlers:
        IncomingWebhook.objects.filter(pk=webhook.pk).update(
            status=IncomingWebhook.Status.PROCESSED
        )
        webhook.status = IncomingWebhook.Status.PROCESSED
        return []
    return [_queue_one(webhook, handler) for handler in handlers]


def _queue_one(webhook: IncomingWebhook, handler: WebhookHandler) -> HandlerRun:
    queued = run_handler.using(**handler.task_options).defer(webhook.pk, handler.path)
    return HandlerRun.objects.create(webhook=webhook, handler=handler.path, task=queued)


def replay(webhook: IncomingWebhook) -> list[HandlerRun]:
    """Run the webhook's handlers again, as new tasks; earlier runs stay in the history."""
    with transaction.atomic():
        HandlerRun.objects.filter(webhook=webhook).update(replayed=True)
        IncomingWebhook.objects.filter(pk=webhook.pk).update(status=IncomingWebhook.Status.RECEIVED)
        webhook.status = IncomingWebhook.Status.RECEIVED
        return queue_handlers(webhook)


@task(takes_context=True)
def run_handler(context: TaskContext, webhook_id: int, handler_path: str) -> None:
    """Run one handler on one stored webhook (the task every handler run is)."""
    # What happened is the task's status and the HandlerRun's; a return value would only
    # repeat the arguments, and make the worker write each outcome row by row.
    handler = handler_by_path(handler_path)
    try:
        if handler is None:
            raise HandlerGone(f"Webhook handler {handler_path!r} is no longer registered")
        handler.func(rows.load_webhook(webhook_id))
    except Exception:
        if context.is_last_attempt:
            runs.finish(context.task_result.pk, webhook_id, HandlerRun.Status.FAILED)
        raise
    runs.finish(context.task_result.pk, webhook_id, HandlerRun.Status.SUCCESS)
