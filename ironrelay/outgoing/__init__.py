"""Outgoing webhooks: events from models and code become signed POSTs to endpoints."""

from ironrelay.outgoing.messages import send_webhook
from ironrelay.outgoing.triggers import register

__all__ = ["register", "send_webhook"]
