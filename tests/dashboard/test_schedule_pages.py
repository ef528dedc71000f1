"""Schedule pages of the dashboard and the admin: list, detail, add/edit, actions, overview."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ironrelay.models import Schedule, ScheduleRun, Task
from ironrelay.tasks import schedule_manager
from ironrelay.tasks.schedules import ScheduleDefinition

pytestmark = pytest.mark.django_db

RECORD = "tests.testapp.tasks.record"
FORM = {
    "name": "nightly",
    "task_path": RECORD,
    "cron": "0 3 * * *",
    "every": "",
    "timezone": "Europe/Berlin",
    "args": '["report"]',
    "kwargs": '{"value": 2}',
    "queue_name": "",
    "priority": "",
    "jitter": "0",
    "catch_up": "latest",
    "enabled": "on",
}


def in_db(**values) -> Schedule:
    values = {"task_path": RECORD, "every": 3600, **values}
    return schedule_manager.save_definition(Schedule(name=values.pop("name", "db")), values)


def in_code(name: str = "code", **options) -> Schedule:
    options = {"every": 60, **options}
    schedule_manager.sync([ScheduleDefinition(name=name, task=RECORD, **options)])
    return Schedule.objects.get(name=name)


def test_list_says_when_in_words_and_shows_state(staff_client):
    in_db(name="nightly", every=None, cron="0 3 * * *", timezone="Europe/Berlin")
    paused = in_code("poller", every=30)
    schedule_manager.pause(paused)
    page = staff_client.get(reverse("ironrelay:schedule_list")).content.decode()
    assert "At 03:00 every day (Europe/Berlin)" in page
    assert "Every 30 seconds" in page
    assert "paused" in page and "in code" in page
    assert "Run now" not in page  # view permission only


def test_detail_shows_next_five_times_and_last_runs_linked_to_tasks(operator_client):
    schedule = in_db(every=None, cron="0 3 * * *", timezone="Europe/Berlin")
    task = schedule_manager.run_now(schedule)
    page = operator_client.get(reverse("ironrelay:schedule_detail", args=[schedule.pk]))
    html = page.content.decode()
    assert html.count("<li>") >= 5
    upcoming = page.context["timing"]["upcoming"]
    assert len(upcoming) == 5
    assert [at.astimezone(ZoneInfo("Europe/Berlin")).hour for at in upcoming] == [3] * 5
    assert upcoming == sorted(set(upcoming))
    assert reverse("ironrelay:task_detail", args=[task.pk]) in html
    assert "status-pending" in html and "run now" in html


def test_add_creates_a_database_schedule_that_is_due_at_its_next_slot(admin_client):
    response = admin_client.post(reverse("ironrelay:schedule_add"), FORM)
    assert response.status_code == 302
    schedule = Schedule.objects.get(name="nightly")
    assert not schedule.defined_in_code
    assert (schedule.args, schedule.kwargs) == (["report"], {"value": 2})
    assert schedule.next_run is not None and schedule.next_run > timezone.now()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"cron": "0 25 * * *"}, "cron", "invalid cron expression"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "unknown time zone"),
        ({"task_path": "shop.tasks.gone"}, "task_path", "unknown task"),
        ({"every": "30"}, "every", "not both"),
        ({"cron": ""}, "every", "neither"),
        ({"args": '{"a": 1}'}, "args", "'args' must be a list"),
        ({"args": "[not json"}, "args", "Enter a valid JSON"),
        ({"priority": "500"}, "priority", "-100 to 100"),
    ],
)
def test_a_bad_definition_is_refused_with_the_reason_on_its_field(
    admin_client, changes, field, words
):
    response = admin_client.post(reverse("ironrelay:schedule_add"), {**FORM, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and words.lower() in " ".join(errors[field]).lower(), errors
    assert not Schedule.objects.exists()


def test_edit_changes_the_timing_and_next_run(admin_client):
    schedule = in_db(every=3600)
    before = schedule.next_run
    response = admin_client.post(
        reverse("ironrelay:schedule_edit", args=[schedule.pk]),
        {**FORM, "name": "db", "cron": "", "every": "5"},
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.every == 5 and schedule.next_run < before


def test_code_schedules_cannot_be_edited_or_deleted_in_the_dashboard(admin_client):
    schedule = in_code(every=60)
    edit = admin_client.post(
        reverse("ironrelay:schedule_edit", args=[schedule.pk]), {**FORM, "name": "code"}
    )
    assert edit.status_code == 302
    admin_client.post(reverse("ironrelay:schedule_delete", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.every == 60 and schedule.cron == ""
    page = admin_client.get(reverse("ironrelay:schedule_detail", args=[schedule.pk]))
    assert reverse("ironrelay:schedule_edit", args=[schedule.pk]) not in page.content.decode()


def test_pause_resume_and_run_now(operator_client):
    schedule = in_code(every=60)
    operator_client.post(reverse("ironrelay:schedule_pause", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.paused and schedule.next_run is None
    operator_client.post(reverse("ironrelay:schedule_resume", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert not schedule.paused and schedule.next_run is not None
    operator_client.post(reverse("ironrelay:schedule_run_now", args=[schedule.pk]))
    assert Task.objects.get().task_path == RECORD
    assert ScheduleRun.objects.get().manual


def test_actions_need_the_change_permission_and_post(staff_client):
    schedule = in_db()
    assert (
        staff_client.post(reverse("ironrelay:schedule_run_now", args=[schedule.pk])).status_code
        == 403
    )
    assert (
        staff_client.get(reverse("ironrelay:schedule_pause", args=[schedule.pk])).status_code == 405
    )
    assert not Task.objects.exists()


def test_delete_keeps_the_tasks_it_enqueued(admin_client):
    schedule = in_db()
    task = schedule_manager.run_now(schedule)
    admin_client.post(reverse("ironrelay:schedule_delete", args=[schedule.pk]))
    assert not Schedule.objects.exists() and not ScheduleRun.objects.exists()
    assert Task.objects.filter(pk=task.pk).exists()


def test_overview_lists_schedules_whose_last_run_failed(admin_client):
    failing, fine = in_db(name="failing"), in_db(name="fine")
    bad = schedule_manager.run_now(failing)
    good = schedule_manager.run_now(fine)
    Task.objects.filter(pk=bad.pk).update(status=Task.Status.FAILED)
    Task.objects.filter(pk=good.pk).update(status=Task.Status.SUCCESS)
    page = admin_client.get(reverse("ironrelay:dashboard"))
    assert [s.name for s in page.context["failing_schedules"]] == ["failing"]
    html = page.content.decode()
    assert "Schedules whose last run failed" in html
    # The panel is in the page's body, once, and the title is the page's name alone.
    assert html.count("Schedules whose last run failed") == 1
    assert re.search(r"<title>Overview\b[^<]*</title>", html)


def test_admin_adds_through_the_manager_and_shows_code_schedules_read_only(admin_client):
    response = admin_client.post(
        reverse("admin:ironrelay_schedule_add"), {**FORM, "name": "from-admin"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Schedule.objects.get(name="from-admin").next_run is not None
    code = in_code()
    page = admin_client.get(reverse("admin:ironrelay_schedule_change", args=[code.pk]))
    assert page.status_code == 200 and b'name="every"' not in page.content
    admin_client.post(
        reverse("admin:ironrelay_schedule_changelist"),
        {"action": "pause_schedules", "_selected_action": [code.pk]},
    )
    assert Schedule.objects.get(pk=code.pk).paused


def test_admin_bulk_delete_goes_through_the_manager(admin_client, monkeypatch):
    deleted = []
    real_delete = schedule_manager.delete

    def recording_delete(schedule: Schedule) -> None:
        deleted.append(schedule.name)
        real_delete(schedule)

    monkeypatch.setattr(schedule_manager, "delete", recording_delete)
    database, other, code = in_db(), in_db(name="other"), in_code()
    schedule_manager.run_now(database)
    changelist = reverse("admin:ironrelay_schedule_changelist")
    selected = {"action": "delete_selected", "post": "yes"}
    admin_client.post(changelist, {**selected, "_selected_action": [database.pk, other.pk]})
    assert sorted(deleted) == ["db", "other"]
    assert not ScheduleRun.objects.exists() and Task.objects.count() == 1
    # A selection with a code-defined schedule is refused whole, as deleting that one alone is.
    response = admin_client.post(changelist, {**selected, "_selected_action": [code.pk]})
    assert response.status_code == 403
    assert list(Schedule.objects.values_list("name", flat=True)) == ["code"]


def test_a_broken_database_schedule_is_shown_not_crashed_on(staff_client):
    schedule = in_db()
    Schedule.objects.filter(pk=schedule.pk).update(cron="bogus", every=None)
    page = staff_client.get(reverse("ironrelay:schedule_detail", args=[schedule.pk]))
    assert page.status_code == 200 and "Not runnable" in page.content.decode()
