"""IronRelay's models: the task queue, workers, and incoming and outgoing webhooks."""

from ironrelay.models.incoming import HandlerRun, IncomingWebhook
from ironrelay.models.task import Task, Worker

__all__ = ["HandlerRun", "IncomingWebhook", "Task", "Worker"]
