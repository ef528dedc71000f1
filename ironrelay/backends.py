"""The dotted path for Django's TASKS setting: ``"BACKEND": "ironrelay.backends.IronRelayBackend"``.

It exists so settings name a short, stable path while the backend itself lives with the rest of
the task side (ironrelay.tasks.backend); importing it needs django.tasks (Django 6) or the
django-tasks backport (Django 5.2: ``pip install 'django-ironrelay[backport]'``).
"""

from __future__ import annotations

from ironrelay.tasks.backend import IronRelayBackend, IronRelayTask

__all__ = ["IronRelayBackend", "IronRelayTask"]
