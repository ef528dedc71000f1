"""Schedules: periodic and cron tasks, and the slots they enqueued (one row per slot, unique)."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class Schedule(models.Model):
    """A task enqueued on a cron expression or every N seconds, by whichever worker comes first."""

    class CatchUp(models.TextChoices):
        LATEST = "latest", "one run for the missed slots"
        ALL = "all", "each missed slot (capped)"
        NONE = "none", "skip missed slots"

    name = models.CharField(max_length=200, unique=True)
    task_path = models.CharField(max_length=255)
    cron = models.CharField(max_length=200, blank=True, default="")
    every = models.PositiveIntegerField(null=True, blank=True)  # seconds
    timezone = models.CharField(max_length=64, blank=True, default="")  # blank: TIME_ZONE
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue_name = models.CharField(max_length=100, blank=True, default="")  # blank: the task's
    priority = models.SmallIntegerField(null=True, blank=True)  # null: the task's
    jitter = models.FloatField(default=0.0)  # seconds a run may start after its slot, at random
    catch_up = models.CharField(max_length=10, choices=CatchUp.choices, default=CatchUp.LATEST)
    enabled = models.BooleanField(default=True)  # part of the definition
    paused = models.BooleanField(default=False)  # an operator's switch, never touched by sync
    defined_in_code = models.BooleanField(default=False)  # settings or decorator: read-only
    # The next slot to enqueue; NULL while disabled or paused. Workers look only at due rows.
    next_run = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)  # slot of the newest run
    last_task_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    # Changed by each edit of the definition, never by the scheduler: a worker that read the
    # row before an edit cannot enqueue with the old definition.
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["next_run", "id"], name="ironrelay_schedule_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.enabled and not self.paused


class ScheduleRun(models.Model):
    """One slot of a schedule and the task enqueued for it; (schedule, slot) is unique."""

    # No index of its own: the unique (schedule, slot) constraint's index starts with it.
    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    slot = models.DateTimeField()  # the time the run was due (UTC); "run now": the click
    task_id = models.BigIntegerField(null=True, blank=True)  # the Task row (may be pruned)
    manual = models.BooleanField(default=False)  # "run now", not a slot of the timing
    enqueued_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-slot"]
        # The exactly-once guarantee: a second worker's INSERT of the same slot fails.
        constraints = [
            models.UniqueConstraint(fields=["schedule", "slot"], name="ironrelay_schedule_slot")
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.slot.isoformat()}"
