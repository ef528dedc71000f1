"""Factories that fill in defaults, for dashboard tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ironrelay.models import (
    Delivery,
    DeliveryAttempt,
    Endpoint,
    HandlerRun,
    IncomingWebhook,
    OutgoingWebhook,
    Task,
)


def failed_task(**fields: Any) -> Task:
    defaults = {
        "task_path": "tests.testapp.tasks.always_fails",
        "status": Task.Status.FAILED,
        "attempts": 2,
        "max_attempts": 2,
        "finished_at": timezone.now(),
        "errors": [
            {
                "attempt": n,
                "at": timezone.now().isoformat(),
                "worker_id": "host:1:abc",
                "exception_class_path": "builtins.ValueError",
                "message": f"this task always fails ({n})",
                "traceback": f"Traceback (most recent call last):\nValueError: attempt {n}",
            }
            for n in (1, 2)
        ],
    }
    return Task.objects.create(**{**defaults, **fields})


def webhook(**fields: Any) -> IncomingWebhook:
    defaults = {
        "source": "test",
        "event": "ping",
        "payload": {"event": "ping", "value": 123},
        "headers": {"Content-Type": "application/json", "User-Agent": "curl/8"},
        "remote_addr": "127.0.0.1",
        "status": IncomingWebhook.Status.PROCESSED,
    }
    return IncomingWebhook.objects.create(**{**defaults, **fields})


def handler_run(hook: IncomingWebhook, **fields: Any) -> HandlerRun:
    task = Task.objects.create(
        task_path="ironrelay.handlers.dispatch.run_handler",
        args=[hook.pk, "tests.testapp.relay_handlers.on_ping"],
        status=Task.Status.SUCCESS,
        attempts=1,
        finished_at=timezone.now(),
    )
    defaults = {
        "handler": "tests.testapp.relay_handlers.on_ping",
        "task": task,
        "status": "success",
    }
    return HandlerRun.objects.create(webhook=hook, **{**defaults, **fields})


def endpoint(**fields: Any) -> Endpoint:
    defaults = {"url": "https://hooks.example.com/ironrelay", "event_types": ["*"]}
    return Endpoint.objects.create(**{**defaults, **fields})


def delivery(target: Endpoint | None = None, status: str = "failed", **fields: Any) -> Delivery:
    message = OutgoingWebhook.objects.create(event_type="shop.order.created", payload={"id": 7})
    defaults = {
        "attempts": 1,
        "last_status_code": 500,
        "last_error": "HTTP 500",
        "finished_at": timezone.now(),
    }
    made = Delivery.objects.create(
        message=message, endpoint=target or endpoint(), status=status, **{**defaults, **fields}
    )
    DeliveryAttempt.objects.create(
        delivery=made,
        number=1,
        url=made.endpoint.url,
        request_headers={"webhook-id": message.id},
        status_code=500,
        response_headers={"Content-Type": "text/plain"},
        response_body="internal error",
        duration_ms=12.5,
    )
    return made
