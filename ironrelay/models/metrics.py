"""Counters every process adds to, read at scrape time, and the last time each alert was sent."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MetricCounter(models.Model):
    """One monotonic series (name + labels) of a Prometheus counter, summed over processes."""

    # sha1 of name and labels: a short unique key whatever the label values' length.
    key = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=100)
    labels = models.TextField(default="{}")  # JSON object, keys sorted
    value = models.FloatField(default=0)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} = {self.value:g}"


class AlertSent(models.Model):
    """When an alert of one kind about one subject was last mailed (for rate limiting)."""

    key = models.CharField(max_length=40, primary_key=True)  # sha1 of kind and subject
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=255)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}"
