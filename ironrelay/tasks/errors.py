"""Exceptions of the task side."""

from __future__ import annotations


class TaskNotFound(LookupError):
    """A stored task path no longer names an importable @task function."""


class TaskArgumentError(TypeError):
    """A task argument or option cannot be stored (not JSON, or a bad option)."""


class WorkerLost(Exception):
    """The worker holding a task stopped sending heartbeats."""
