"""Incoming webhooks as received, and each handler's run of them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IncomingWebhook(models.Model):
    """One verified request to /ironrelay/incoming/<source>/."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        FAILED = "failed"
        INVALID = "invalid"

    id = models.BigAutoField(primary_key=True)
    source = models.CharField(max_length=100)
    event = models.CharField(max_length=255, blank=True, default="")
    # Null for invalid webhooks, so a corrected resend with the same id is not taken for a repeat.
    delivery_id = models.CharField(max_length=255, null=True, blank=True)
    # SHA-256 (hex) of the signed content, for sources that dedupe on it; null otherwise and
    # for invalid webhooks. Kept apart from delivery_id, which stays the sender's own id.
    content_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    payload = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    errors = models.JSONField(default=list, blank=True)  # schema validation messages

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="ironrelay_incoming_unique_delivery"
            ),
            models.UniqueConstraint(
                fields=["source", "content_hash"], name="ironrelay_incoming_unique_content"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "received_at"], name="ironrelay_in_source"),
            models.Index(fields=["status", "received_at"], name="ironrelay_in_status"),
            models.Index(fields=["event", "received_at"], name="ironrelay_in_event"),
            models.Index(fields=["received_at"], name="ironrelay_in_received"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event or '(no event)'} #{self.pk}"


class HandlerRun(models.Model):
    """One @on_webhook handler's run of one webhook, carried out by a queued task."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCESS = "success"
        FAILED = "failed"

    webhook = models.ForeignKey(
        IncomingWebhook, on_delete=models.CASCADE, related_name="handler_runs"
    )
    handler = models.CharField(max_length=255)  # dotted path of the handler function
    task = models.ForeignKey(
        "ironrelay.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    replayed = models.BooleanField(default=False)  # superseded by a later replay
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.handler} for webhook #{self.webhook_id} ({self.status})"
