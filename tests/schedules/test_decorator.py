"""The decorator forms: @task(cron=...) and @schedule above an IronRelay or django.tasks task."""

from __future__ import annotations

import importlib
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest

from ironrelay import schedule, task
from ironrelay.models import Schedule, Task
from ironrelay.tasks import schedule_manager, schedules
from ironrelay.tasks.scheduler import Scheduler
from ironrelay.tasks.schedules import ScheduleError, code_schedules, decorated_schedules

UTC = dt_timezone.utc
FIVE = "tests.testapp.scheduled_tasks.every_five_minutes"


@pytest.fixture
def decorated():
    """Register the module's schedules for one test, then forget them.

    Left registered, they would be synced and enqueued by in-process workers in other tests.
    """
    from tests.testapp import scheduled_tasks

    before = decorated_schedules()
    importlib.reload(scheduled_tasks)  # its decorators run (again): they register
    yield decorated_schedules()
    schedules._decorated.clear()
    schedules._decorated.update(before)


def test_task_with_cron_defines_a_schedule_named_after_the_task(decorated):
    definition = decorated[FIVE]
    assert (definition.task, definition.cron, definition.timezone, definition.catch_up) == (
        FIVE,
        "*/5 * * * *",
        "Europe/Berlin",
        "none",
    )


def test_schedule_above_a_django_task(decorated):
    definition = decorated["django-minutely"]
    assert definition.task == "tests.testapp.scheduled_tasks.django_minutely"
    assert (definition.every, definition.jitter) == (60, 2)


@pytest.mark.django_db
def test_decorated_schedules_are_synced_and_enqueue_their_task(decorated):
    schedule_manager.sync(code_schedules().values(), datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC))
    assert set(Schedule.objects.values_list("name", flat=True)) >= {FIVE, "django-minutely"}
    scheduler = Scheduler(lambda: datetime(2026, 5, 1, 12, 5, 0, 500000, tzinfo=UTC))
    assert scheduler.tick() == 2
    assert set(Task.objects.values_list("task_path", flat=True)) == {
        FIVE,
        "tests.testapp.scheduled_tasks.django_minutely",
    }


def test_a_bad_decorator_schedule_fails_at_import():
    with pytest.raises(ScheduleError, match="invalid cron expression"):

        @task(cron="every day")
        def broken() -> None: ...

    with pytest.raises(ScheduleError, match="goes above @task"):

        @schedule(every=5)
        def plain() -> None: ...


def test_a_settings_schedule_may_not_reuse_a_decorators_name(settings, decorated):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "SCHEDULES": {FIVE: {"task": FIVE, "every": 5}},
    }
    with pytest.raises(ScheduleError, match="already uses that name"):
        code_schedules()
