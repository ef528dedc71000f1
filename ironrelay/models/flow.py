"""Flow control state: queues an operator paused, and the next slot of each rate limit."""

from __future__ import annotations

from django.db import models


class Queue(models.Model):
    """A named queue's operator state; a queue without a row is running."""

    name = models.CharField(max_length=100, primary_key=True)
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FlowLimit(models.Model):
    """One limit's shared state: the time its next task may start, and a lock for its key.

    Keys are ``rate:task:<path>``, ``rate:queue:<name>``, ``rate:endpoint:<id>`` and
    ``key:<concurrency key>``; a claim locks the rows of the limits it checks, so two workers
    never both take the last slot.
    """

    key = models.CharField(max_length=300, primary_key=True)
    next_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
