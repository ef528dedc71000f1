"""The queue's tables: one row per task, one row per live worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Task(models.Model):
    """A deferred call of a @task function; fields follow django.tasks' TaskResult."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCESS = "success"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.BigAutoField(primary_key=True)
    task_path = models.CharField(max_length=255)
    queue_name = models.CharField(max_length=100, default="default")
    priority = models.SmallIntegerField(default=0)  # higher runs first
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    enqueued_at = models.DateTimeField(default=timezone.now)
    run_after = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    timeout = models.FloatField(null=True, blank=True)
    # Held only while the task is pending: a second pending task with the same key is refused.
    unique_key = models.CharField(max_length=255, null=True, blank=True)
    worker_id = models.CharField(max_length=100, blank=True, default="")
    worker_ids = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    return_value = models.JSONField(null=True, blank=True)
    # Set by cancel() on a running task: the worker tells the task, and it ends cancelled.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # W3C trace context of the code that deferred the task (OpenTelemetry), for the run's span.
    trace_context = models.JSONField(null=True, blank=True)
    # "" for a task no limit applies to, which the claim takes in its fast lane; otherwise the
    # concurrency key it counts against (or its task path), claimed by ironrelay.tasks.flow.
    flow_key = models.CharField(max_length=255, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["status", "queue_name", "-priority", "run_after"],
                name="ironrelay_task_claim",
            ),
            # A worker for every queue claims in this order: read in index order, a claim stops
            # after its batch instead of sorting every pending task, and InnoDB's
            # SELECT ... FOR UPDATE SKIP LOCKED locks only the rows it returns.
            # flow_key = '' is an equality, so unlimited tasks are still read in index order
            # and limited ones waiting for a slot are never scanned by the fast lane.
            models.Index(
                fields=["status", "flow_key", "-priority", "run_after", "id"],
                name="ironrelay_task_flow_due",
            ),
            models.Index(fields=["status", "finished_at"], name="ironrelay_task_finished"),
        ]
        # A constraint rather than unique=True: on PostgreSQL that would add a second index
        # (varchar_pattern_ops, for LIKE) that every defer() pays for and nothing uses.
        constraints = [
            models.UniqueConstraint(fields=["unique_key"], name="ironrelay_task_unique_key"),
        ]
        # Every index costs each defer(); running tasks are found through the claim index.

    def __str__(self) -> str:
        return f"{self.task_path} #{self.pk} ({self.status})"

    @property
    def last_error(self) -> dict | None:
        """Return the newest recorded error, if any."""
        return self.errors[-1] if self.errors else None

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCESS, self.Status.FAILED, self.Status.CANCELLED}

    def wait(self, timeout: float | None = None) -> Task:
        """Block until the task finishes; return this record, refreshed (see tasks.waiting)."""
        from ironrelay.tasks.waiting import wait

        return wait(self, timeout)

    async def await_result(self, timeout: float | None = None) -> Task:
        """Wait for the task from async code (wait(), run in a thread)."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.wait, thread_sensitive=False)(timeout)


class Worker(models.Model):
    """A running ironrelay_worker process, kept alive by heartbeats."""

    id = models.CharField(max_length=100, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list, blank=True)
    concurrency = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    last_heartbeat = models.DateTimeField(default=timezone.now, db_index=True)
    tasks_done = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.id
