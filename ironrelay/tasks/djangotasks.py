"""Django's task API under one set of names: django.tasks (Django 6) or the backport (5.2).

The backport (``pip install django-ironrelay[backport]``) has the same classes and functions; only
two exception names differ (``InvalidTaskError`` for ``InvalidTask``, ``InvalidTaskBackendError``
for ``InvalidTaskBackend``), and they are exported here under Django 6's names.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from django.core.exceptions import ImproperlyConfigured

if find_spec("django.tasks") is not None:
    from django.tasks import TaskContext, TaskResult, TaskResultStatus, task, task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import Task, TaskError
    from django.tasks.exceptions import (
        InvalidTask,
        InvalidTaskBackend,
        TaskResultDoesNotExist,
        TaskResultMismatch,
    )
    from django.tasks.signals import task_enqueued, task_finished, task_started

    SOURCE = "django.tasks"
else:
    try:
        from django_tasks import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            TaskContext,
            TaskResult,
            TaskResultStatus,
            task,
            task_backends,
        )
        from django_tasks.backends.base import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            BaseTaskBackend,
        )
        from django_tasks.base import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            Task,
            TaskError,
        )
        from django_tasks.exceptions import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            InvalidTaskBackendError as InvalidTaskBackend,
        )
        from django_tasks.exceptions import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            InvalidTaskError as InvalidTask,
        )
        from django_tasks.exceptions import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            TaskResultDoesNotExist,
            TaskResultMismatch,
        )
        from django_tasks.signals import (  # type: ignore[no-redef,assignment,import-not-found,unused-ignore]
            task_enqueued,
            task_finished,
            task_started,
        )
    except ImportError as exc:
        raise ImproperlyConfigured(
            "ironrelay.backends.IronRelayBackend needs django.tasks (Django 6) or, on Django 5.2, "
            "the django-tasks backport: pip install 'django-ironrelay[backport]' and add "
            "'django_tasks' to INSTALLED_APPS."
        ) from exc

    SOURCE = "django_tasks"


def is_django_task(value: Any) -> bool:
    """Return whether `value` is a django.tasks Task (what @django.tasks.task returns)."""
    return isinstance(value, Task)


__all__ = [
    "SOURCE",
    "BaseTaskBackend",
    "InvalidTask",
    "InvalidTaskBackend",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultMismatch",
    "TaskResultStatus",
    "is_django_task",
    "task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
