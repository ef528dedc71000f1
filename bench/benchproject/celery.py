"""The Celery app of the Celery + Redis peer: Redis broker, Celery's defaults, results ignored.

`celery -A benchproject worker` finds `app` here. Settings come from Django's settings under the
CELERY_ prefix (adapters/celery.py sets them), the way Celery's Django guide sets a project up.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

app = Celery("benchproject", include=["benchproject.tasks_celery"])
app.config_from_object("django.conf:settings", namespace="CELERY")
