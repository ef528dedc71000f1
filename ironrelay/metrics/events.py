"""Turn what the queue wrote back into counts and signals (in memory: no query per task)."""

from __future__ import annotations

import logging
from datetime import datetime

from ironrelay.conf import get_settings
from ironrelay.metrics import counters
from ironrelay.models import Task
from ironrelay.signals import task_failed

logger = logging.getLogger("ironrelay.queue")


def task_written(task: Task, started_at: datetime, now: datetime) -> None:
    """Count a run whose outcome was written; send task_failed if it failed for good."""
    if get_settings().METRICS:
        seconds = (now - started_at).total_seconds()
        counters.count_run(task.task_path, task.queue_name, task.status, seconds)
    if task.status == Task.Status.FAILED:
        # Robustly: the outcome is written, and a receiver's bug must not stop the worker.
        for receiver, result in task_failed.send_robust(sender=Task, task=task):
            if isinstance(result, Exception):
                logger.error(
                    "task_failed receiver %r failed for task #%s: %r", receiver, task.pk, result
                )
