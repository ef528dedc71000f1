"""Turn what the queue wrote back into counts and signals (in memory: no query per task)."""

from __future__ import annotations

import logging
from datetime import datetime

from ironrelay.metrics import counters
from ironrelay.models import Task
from ironrelay.signals import task_failed

logger = logging.getLogger("ironrelay.queue")


def task_written(task: Task, started_at: datetime, now: datetime) -> None:
    """Count a run whose outcome was written; send task_failed if it failed for good."""
    labels = {"task": task.task_path, "queue": task.queue_name}
    if task.status == Task.Status.PENDING:
        counters.add(counters.TASK_RETRIES, labels)
    else:
        counters.add(counters.TASKS_FINISHED, {**labels, "status": task.status})
    counters.observe_duration(task.task_path, task.queue_name, now - started_at)
    if task.status == Task.Status.FAILED:
        # Robustly: the outcome is written, and a receiver's bug must not stop the worker.
        for receiver, result in task_failed.send_robust(sender=Task, task=task):
            if isinstance(result, Exception):
                logger.error(
                    "task_failed receiver %r failed for task #%s: %r", receiver, task.pk, result
                )
