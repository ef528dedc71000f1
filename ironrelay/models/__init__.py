"""IronRelay's models: the task queue, workers, schedules, and incoming and outgoing webhooks."""

from ironrelay.models.flow import FlowLimit, Queue
from ironrelay.models.incoming import HandlerRun, IncomingWebhook
from ironrelay.models.metrics import AlertSent, MetricCounter
from ironrelay.models.outgoing import Delivery, DeliveryAttempt, Endpoint, OutgoingWebhook
from ironrelay.models.schedule import Schedule, ScheduleRun
from ironrelay.models.task import Task, Worker

__all__ = [
    "AlertSent",
    "Delivery",
    "DeliveryAttempt",
    "Endpoint",
    "FlowLimit",
    "HandlerRun",
    "IncomingWebhook",
    "MetricCounter",
    "OutgoingWebhook",
    "Queue",
    "Schedule",
    "ScheduleRun",
    "Task",
    "Worker",
]
