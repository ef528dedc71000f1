"""System checks name each wrong schedule: expression, time zone, task, options."""

from __future__ import annotations

import pytest

from ironrelay.checks import check_schedules

RECORD = "tests.testapp.tasks.record"


def messages_for(settings, schedules) -> list[tuple[str, str]]:
    settings.IRONRELAY = {**settings.IRONRELAY, "SCHEDULES": schedules}
    return [(m.id, m.msg) for m in check_schedules()]


def test_valid_schedules_pass(settings):
    assert (
        messages_for(
            settings,
            {
                "nightly": {"task": RECORD, "cron": "0 3 * * *", "timezone": "Europe/Berlin"},
                "poll": {"task": RECORD, "every": 30, "args": ["x"], "catch_up": "all"},
                "django-task": {"task": "tests.testapp.djtasks.add", "every": 60},
            },
        )
        == []
    )


@pytest.mark.parametrize(
    ("config", "expected_id", "words"),
    [
        ({"task": RECORD, "cron": "0 25 * * *"}, "ironrelay.E020", "invalid cron expression '0 25"),
        (
            {"task": RECORD, "cron": "0 3 * * *", "timezone": "Europe/Nowhere"},
            "ironrelay.E020",
            "unknown time zone 'Europe/Nowhere'",
        ),
        ({"task": "shop.tasks.missing", "every": 5}, "ironrelay.E021", "unknown task"),
        (
            {"task": "tests.testapp.models.Execution", "every": 5},
            "ironrelay.E021",
            "not an IronRelay task",
        ),
        ({"task": RECORD, "every": 0}, "ironrelay.E020", "'every' must be"),
        ({"task": RECORD, "every": 5, "catch_up": "some"}, "ironrelay.E020", "'catch_up'"),
        ({"task": RECORD, "every": 5, "args": [{1, 2}]}, "ironrelay.E020", "not JSON"),
        ({"task": RECORD, "every": 5, "cron": "* * * * *"}, "ironrelay.E020", "not both"),
    ],
)
def test_a_wrong_schedule_is_named_with_what_is_wrong(settings, config, expected_id, words):
    found = messages_for(settings, {"broken": config})
    assert len(found) == 1, found
    assert found[0][0] == expected_id
    assert "'broken'" in found[0][1] and words in found[0][1]


def test_unknown_option_and_missing_task_are_named(settings):
    [(_, unknown)] = messages_for(settings, {"x": {"task": RECORD, "every": 5, "evry": 1}})
    assert "IRONRELAY['SCHEDULES']['x']" in unknown and "evry" in unknown
    [(_, missing)] = messages_for(settings, {"y": {"every": 5}})
    assert "needs 'task'" in missing
