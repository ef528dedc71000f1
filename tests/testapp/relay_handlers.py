"""Webhook handlers of the test app (autodiscovered like any app's relay_handlers)."""

from __future__ import annotations

from ironrelay import on_webhook
from tests.testapp.models import Execution


@on_webhook("test", "ping")
def on_ping(webhook) -> None:
    Execution.objects.create(label=f"ping:{webhook.pk}", value=webhook.payload.get("value", 0))


@on_webhook("test", "*")
def on_any_test_event(webhook) -> None:
    Execution.objects.create(label=f"any:{webhook.pk}")


@on_webhook("stripe", "invoice.*")
def on_invoice(webhook) -> None:
    Execution.objects.create(label=f"invoice:{webhook.event}")


@on_webhook("test", "explode", max_attempts=2, retry_backoff=0.01, retry_jitter=0)
def exploding(webhook) -> None:
    Execution.objects.create(label=f"explode:{webhook.pk}")
    raise RuntimeError(f"handler exploded on webhook {webhook.pk}")


@on_webhook("github", "push")
def on_github_push(webhook) -> None:
    Execution.objects.create(label=f"push:{webhook.pk}")


@on_webhook("github", "delete")
def on_github_delete(webhook) -> None:
    Execution.objects.create(label=f"delete:{webhook.pk}")


@on_webhook("test", "tuned", queue="hooks", priority=7, max_attempts=4, timeout=12.5, delay=30)
def tuned(webhook) -> None:
    Execution.objects.create(label=f"tuned:{webhook.pk}")


@on_webhook("test", "one-at-a-time", unique_key="one-at-a-time")
def one_at_a_time(webhook) -> None:
    Execution.objects.create(label=f"one:{webhook.pk}")
