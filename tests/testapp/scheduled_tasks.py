"""Tasks scheduled with decorators; imported by the tests that need them (not autodiscovered)."""

from __future__ import annotations

from ironrelay import schedule, task
from ironrelay.tasks.djangotasks import task as django_task
from tests.testapp.models import Execution


@task(cron="*/5 * * * *", timezone="Europe/Berlin", catch_up="none")
def every_five_minutes() -> None:
    Execution.objects.create(label="five")


@schedule(every=60, jitter=2, name="django-minutely")
@django_task
def django_minutely() -> None:
    Execution.objects.create(label="django-minutely")
