"""The sample's incoming webhook handlers; IronRelay imports this module at start-up."""

from __future__ import annotations

import logging

from ironrelay import on_webhook
from ironrelay.models import IncomingWebhook
from shop.models import Order

logger = logging.getLogger("shop")


@on_webhook("test", "ping")
def on_ping(webhook: IncomingWebhook) -> None:
    """Handle the README's curl example."""
    logger.info("ping received with value %s", webhook.payload.get("value"))


@on_webhook("stripe", "payment_intent.succeeded")
def on_payment(webhook: IncomingWebhook) -> None:
    """Mark the order named in the payment's metadata as paid."""
    intent = webhook.payload.get("data", {}).get("object", {})
    intent_id = intent.get("id", "(no id)")
    order_id = str(intent.get("metadata", {}).get("order_id", ""))
    order = Order.objects.filter(pk=order_id).first() if order_id.isdigit() else None
    if order is None:
        logger.warning("payment %s succeeded for no known order (order_id %r)", intent_id, order_id)
        return
    order.paid = True
    order.save(update_fields=["paid"])  # save(), not update(): the change is an outgoing event
    logger.info("payment %s succeeded: order %s marked paid", intent_id, order.pk)


@on_webhook("stripe", "invoice.*")
def on_invoice(webhook: IncomingWebhook) -> None:
    """Log every invoice event."""
    logger.info("Stripe invoice event %s", webhook.event)


@on_webhook("github", "push")
def on_push(webhook: IncomingWebhook) -> None:
    """Log pushes to the repository."""
    logger.info("GitHub push to %s", webhook.payload.get("ref", "(no ref)"))
