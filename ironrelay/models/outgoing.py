"""Outgoing webhooks: receiving endpoints, messages, and each delivery with its attempts."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from ironrelay import crypto
from ironrelay.destinations import BlockedDestination, parse_target
from ironrelay.endpoint_options import clean_headers, validate_transform
from ironrelay.handlers.registry import event_matches
from ironrelay.signing import generate_secret
from ironrelay.tasks.rates import validate_rate
from ironrelay.tenants import TENANT_MAX_LENGTH, validate_tenant


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def reject_credentials(url: str) -> None:
    """Refuse user:password@ in an endpoint URL: it would be shown and stored in clear."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError(
            "Put no credentials in the URL: it is shown in the dashboard and stored unencrypted. "
            "Receivers authenticate deliveries by their signature.",
            code="credentials_in_url",
        )


def validate_endpoint_url(url: str) -> None:
    """Refuse a URL that deliveries would refuse, read by the parser deliveries use (no DNS)."""
    reject_credentials(url)
    try:
        parse_target(url)
    except BlockedDestination as exc:
        raise ValidationError(
            "Deliveries would refuse this URL: %(reason)s.",
            code="undeliverable_url",
            params={"reason": exc},
        ) from None


def subscribes(patterns: list[str], event_type: str) -> bool:
    """Return whether any of an endpoint's event-type patterns matches `event_type`."""
    return any(event_matches(pattern, event_type) for pattern in patterns)


class Endpoint(models.Model):
    """A URL that receives signed webhooks for the event types it subscribes to."""

    id = models.BigAutoField(primary_key=True)
    url = models.URLField(max_length=2000, validators=[reject_credentials])
    description = models.CharField(max_length=255, blank=True, default="")
    event_types = models.JSONField(
        default=list, blank=True, help_text='Exact names, prefixes like "shop.order.*", or "*".'
    )
    is_active = models.BooleanField(default=True)
    tenant = models.CharField(
        max_length=TENANT_MAX_LENGTH,
        blank=True,
        default="",
        validators=[validate_tenant],
        help_text="The customer that owns this endpoint (ironrelay.tenant_key), e.g. "
        '"billing.customer:42". Blank: it receives the events of every tenant.',
    )
    # {"name": "value"} as encrypted JSON: often the receiver's own credentials.
    headers_encrypted = models.TextField(blank=True, default="", editable=False)
    transform = models.CharField(
        max_length=255,
        blank=True,
        default="",
        validators=[validate_transform],
        help_text="Dotted path of a function (event type, data) -> data to send; one of "
        "IRONRELAY['OUTGOING_TRANSFORMS'].",
    )
    secret_encrypted = models.TextField(editable=False)
    # [{"secret": <encrypted>, "expires_at": <ISO time>}]: old secrets that still sign.
    previous_secrets = models.JSONField(default=list, blank=True, editable=False)
    signing_key_encrypted = models.TextField(blank=True, default="", editable=False)  # whsk_ key
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    consecutive_failures = models.PositiveIntegerField(default=0)  # deliveries that gave up
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Flow control, enforced by the claim across every worker (ironrelay.tasks.flow).
    max_in_flight = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Deliveries to this endpoint running at once, over all workers (empty: none).",
    )
    rate = models.CharField(
        max_length=20,
        blank=True,
        default="",
        validators=[validate_rate],
        help_text='Deliveries started per period, spaced evenly: "10/s", "100/m" (empty: none).',
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            # The fan-out's lookup: tenant IN (key, '') AND is_active.
            models.Index(fields=["tenant", "is_active"], name="ironrelay_ep_tenant"),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def save(self, *args: object, **kwargs: object) -> None:
        # Rows written without save() (bulk_create, update(), fixtures) are checked again by
        # the SSRF guard on every delivery: this only gives the error early.
        validate_endpoint_url(self.url)
        if not self.secret_encrypted:
            self.secret = generate_secret()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Refuse a URL deliveries would refuse (the field's own validators run first)."""
        try:
            validate_endpoint_url(self.url)
        except ValidationError as exc:
            if exc.code != "credentials_in_url":  # the field's validator reports that one
                raise ValidationError({"url": exc}) from None

    @property
    def secret(self) -> str:
        """The primary signing secret (whsec_...), decrypted."""
        return crypto.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = crypto.encrypt(value)

    @property
    def masked_secret(self) -> str:
        return crypto.mask(self.secret)

    @property
    def signing_key(self) -> str:
        """The Ed25519 private key (whsk_...) for v1a signatures, or ""."""
        return crypto.decrypt(self.signing_key_encrypted) if self.signing_key_encrypted else ""

    @signing_key.setter
    def signing_key(self, value: str) -> None:
        self.signing_key_encrypted = crypto.encrypt(value) if value else ""

    @property
    def custom_headers(self) -> dict[str, str]:
        """The headers sent with every delivery, decrypted."""
        if not self.headers_encrypted:
            return {}
        return dict(json.loads(crypto.decrypt(self.headers_encrypted)))

    @custom_headers.setter
    def custom_headers(self, value: dict[str, str] | None) -> None:
        cleaned = clean_headers(value)
        self.headers_encrypted = crypto.encrypt(json.dumps(cleaned)) if cleaned else ""

    @property
    def masked_headers(self) -> dict[str, str]:
        """The custom headers with each value masked, for pages and logs."""
        return {name: crypto.mask(value) for name, value in self.custom_headers.items()}

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The primary secret, then rotated-out secrets that have not expired."""
        now = now or timezone.now()
        old = [
            crypto.decrypt(entry["secret"])
            for entry in self.previous_secrets
            if datetime.fromisoformat(entry["expires_at"]) > now
        ]
        return [self.secret, *old]

    def rotate_secret(self, new_secret: str | None = None, overlap: float | None = None) -> str:
        """Make a new primary secret; the old one keeps signing for `overlap` seconds."""
        from ironrelay.conf import get_settings

        overlap = get_settings().SECRET_ROTATION_OVERLAP if overlap is None else overlap
        now = timezone.now()
        expires = (now + timedelta(seconds=overlap)).isoformat()
        kept = [e for e in self.previous_secrets if datetime.fromisoformat(e["expires_at"]) > now]
        self.previous_secrets = [{"secret": self.secret_encrypted, "expires_at": expires}, *kept]
        self.secret = new_secret or generate_secret()
        return self.secret

    def accepts(self, event_type: str) -> bool:
        """Return whether this endpoint subscribes to `event_type`."""
        return subscribes(self.event_types, event_type)

    @property
    def is_limited(self) -> bool:
        """Return whether deliveries to this endpoint wait for a concurrency or rate slot."""
        return bool(self.max_in_flight or self.rate)


class OutgoingWebhook(models.Model):
    """One event to send: the same message (and webhook-id) goes to every subscribed endpoint."""

    id = models.CharField(max_length=40, primary_key=True, default=new_message_id, editable=False)
    event_type = models.CharField(max_length=255)
    payload = models.JSONField()
    tenant = models.CharField(max_length=TENANT_MAX_LENGTH, blank=True, default="")  # "" = none
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="ironrelay_out_created"),
            models.Index(fields=["event_type", "created_at"], name="ironrelay_out_event"),
            models.Index(fields=["tenant", "created_at"], name="ironrelay_out_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class Delivery(models.Model):
    """One message to one endpoint, with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first attempt or a retry
        DELIVERED = "delivered"
        FAILED = "failed"  # gave up: retries exhausted, 410 Gone, or endpoint disabled

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["message", "endpoint"], name="ironrelay_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="ironrelay_dl_status"),
            models.Index(fields=["endpoint", "status", "created_at"], name="ironrelay_dl_endpoint"),
            models.Index(fields=["created_at"], name="ironrelay_dl_created"),
            models.Index(fields=["status", "finished_at"], name="ironrelay_dl_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} -> endpoint {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what was sent and what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    url = models.URLField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, default="")
    duration_ms = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300
