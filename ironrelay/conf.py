"""The one place IronRelay reads its settings: ``settings.IRONRELAY``, with defaults."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class SettingError(ImproperlyConfigured):
    """A value in settings.IRONRELAY is missing or wrong."""


@dataclass(frozen=True)
class RelaySettings:
    """Typed view of settings.IRONRELAY; each attribute is one key, its default the value here."""

    # Task queue
    DEFAULT_QUEUE: str = "default"
    MAX_ATTEMPTS: int = 3
    RETRY_BACKOFF: float = 2.0  # seconds before the first retry
    RETRY_BACKOFF_FACTOR: float = 2.0
    RETRY_BACKOFF_MAX: float = 3600.0
    RETRY_JITTER: float = 0.5  # a delay is drawn from [delay * (1 - jitter), delay]
    TASK_TIMEOUT: float | None = None
    TRACEBACK_MAX_CHARS: int = 20_000
    # PostgreSQL + psycopg 3: defer() runs one prepared INSERT per connection (ironrelay.tasks.db)
    PREPARED_STATEMENTS: bool = True

    # Worker
    WORKER_CONCURRENCY: int = 4
    WORKER_BATCH_SIZE: int = 100
    WORKER_POLL_INTERVAL: float = 1.0
    WORKER_HEARTBEAT_INTERVAL: float = 10.0
    WORKER_LEASE: float = 60.0  # a worker silent this long is dead; its tasks go back to pending
    WORKER_PROGRESS_EVERY: int = 1000  # log a progress line every N finished tasks
    # Flow control: {"emails": {"rate": "100/m", "concurrency": 5}} (ironrelay.tasks.flow)
    QUEUES: dict[str, dict[str, Any]] = field(default_factory=dict)

    # Schedules (ironrelay.tasks.scheduler; every worker runs one unless --no-schedules)
    SCHEDULES: dict[str, dict[str, Any]] = field(default_factory=dict)
    SCHEDULER_INTERVAL: float = 1.0  # seconds between a worker's looks for due schedules, at most
    SCHEDULE_MISSED_AFTER: float = 60.0  # a slot not enqueued this long after its time was missed
    SCHEDULE_CATCH_UP_MAX: int = 100  # runs enqueued at most for missed slots with catch_up="all"

    # SQLite tuning applied to every SQLite connection (WAL lets the web server and worker share it)
    SQLITE_PRAGMAS: bool = True
    SQLITE_BUSY_TIMEOUT_MS: int = 30_000

    # Incoming webhooks
    SOURCES: dict[str, dict[str, Any]] = field(default_factory=dict)
    INCOMING_MAX_BODY: int = 1024 * 1024
    SIGNATURE_TOLERANCE: int = 300

    # Outgoing webhooks
    OUTGOING_MODELS: dict[str, dict[str, Any]] = field(default_factory=dict)
    OUTGOING_QUEUE: str | None = None  # queue of delivery tasks (default: DEFAULT_QUEUE)
    # Seconds before each retry, after the first attempt (Standard Webhooks' recommendation).
    OUTGOING_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    OUTGOING_RETRY_JITTER: float = 0.1
    OUTGOING_RETRY_AFTER_MAX: float = 3600.0  # cap on a receiver's Retry-After
    OUTGOING_CONNECT_TIMEOUT: float = 5.0
    OUTGOING_READ_TIMEOUT: float = 15.0
    OUTGOING_RESPONSE_MAX_CHARS: int = 10_000  # response body kept per attempt
    OUTGOING_ALLOW: tuple[str, ...] = ()  # CIDRs and host names exempt from the SSRF guard
    ENDPOINT_DISABLE_AFTER_FAILURES: int = 10  # consecutive deliveries that gave up
    ENDPOINT_DISABLE_AFTER_DAYS: float = 5.0  # failing without a success for this long
    SECRET_ROTATION_OVERLAP: float = 86400.0  # seconds an old secret keeps signing
    ENCRYPTION_KEYS: tuple[str, ...] = ()  # Fernet keys; default: derived from SECRET_KEY
    # {dotted path: label} (or a list of paths): the payload transforms an endpoint may name
    OUTGOING_TRANSFORMS: dict[str, str] | list[str] = field(default_factory=dict)

    # Event catalog: {"invoice.paid": {"description", "schema", "example", "deprecated"}}
    EVENT_TYPES: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What send_webhook does with data its event's schema refuses: "error", "warn" or "off";
    # "" means "error" when DEBUG is on, else "warn" (an event is never lost in production).
    EVENT_SCHEMA_VALIDATION: str = ""

    # Customer portal (ironrelay.portal.urls)
    PORTAL_TENANT: str | None = None  # dotted path of a callable: request -> tenant key or None
    PORTAL_BASE_TEMPLATE: str = "ironrelay/portal/base.html"  # the host's page the portal fills
    PORTAL_TOKEN_MAX_AGE: float = 3600.0  # seconds a portal API token stays valid

    # Retention (ironrelay_prune)
    RETENTION_DAYS: float = 30.0

    # Metrics and alerts (docs/operations.md)
    METRICS: bool = False  # count finished tasks, retries, webhooks and deliveries in the database
    METRICS_FLUSH_INTERVAL: float = 10.0  # seconds a process keeps counts before writing them
    METRICS_TOKEN: str = ""  # bearer token for the metrics view (staff may always read it)
    METRICS_DEFAULT_REGISTRY: bool = True  # add the collector to prometheus_client's REGISTRY
    ALERT_MAIL_ADMINS: bool = False  # mail_admins() on a disabled endpoint, failed task or lag
    ALERT_QUEUE_LAG: float | None = None  # seconds the oldest due task may wait before an alert
    ALERT_INTERVAL: float = 3600.0  # one mail per alert kind and subject per this many seconds

    @classmethod
    def from_django(cls) -> RelaySettings:
        """Build the object from settings.IRONRELAY, naming any unknown key."""
        raw = getattr(django_settings, "IRONRELAY", {}) or {}
        if not isinstance(raw, dict):
            raise SettingError("settings.IRONRELAY must be a dict.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise SettingError(
                f"Unknown key(s) in settings.IRONRELAY: {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(known))}."
            )
        return cls(**raw)


@functools.cache
def get_settings() -> RelaySettings:
    """Return the current IronRelay settings (cached until settings.IRONRELAY changes)."""
    return RelaySettings.from_django()


@receiver(setting_changed)
def _reset_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "IRONRELAY":
        get_settings.cache_clear()
