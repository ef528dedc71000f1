"""Pausing and resuming queues: the command, the dashboard page and the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ironrelay.models import Endpoint, Queue
from ironrelay.tasks import queues
from tests.testapp.tasks import record

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("ironrelay_queue", *args, stdout=out)
    return out.getvalue()


def test_command_pauses_resumes_and_lists():
    record.using(queue="emails").defer("a")
    assert "emails is now paused" in run("pause", "emails")
    assert "already paused" in run("pause", "emails")
    listing = run("list")
    assert "emails" in listing and "paused" in listing
    assert "throttled" in listing and "rate 10/s, concurrency 2" in listing
    assert "emails is now running" in run("resume", "emails")
    assert "already running" in run("resume", "emails")
    assert not queues.is_paused("emails")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pause",), "needs the name"),
        (("list", "x"), "no queue name"),
        (("pause", "x" * 101), "1 to 100"),
    ],
)
def test_command_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_overview_counts_pending_and_running_per_queue():
    record.using(queue="emails").bulk_defer([("a",), ("b",)])
    info = {q.name: q for q in queues.overview()}
    assert info["emails"].pending == 2 and info["emails"].running == 0
    assert info["throttled"].concurrency == 2 and info["throttled"].rate == "10/s"


def test_dashboard_shows_and_switches_a_queue(operator_client):
    record.using(queue="emails").defer("a")
    page = operator_client.get(reverse("ironrelay:queue_list"))
    assert page.status_code == 200
    assert b'data-queue="emails"' in page.content and b"Pause" in page.content
    response = operator_client.post(reverse("ironrelay:queue_pause", args=["emails"]))
    assert response.status_code == 302 and queues.is_paused("emails")
    page = operator_client.get(reverse("ironrelay:queue_list"))
    assert b"paused" in page.content and b"Resume" in page.content
    operator_client.post(reverse("ironrelay:queue_resume", args=["emails"]))
    assert not queues.is_paused("emails")


def test_dashboard_switch_needs_the_change_permission(staff_client):
    response = staff_client.post(reverse("ironrelay:queue_pause", args=["emails"]))
    assert response.status_code == 403 and not queues.is_paused("emails")
    assert staff_client.get(reverse("ironrelay:queue_pause", args=["emails"])).status_code in (
        403,
        405,
    )


def test_admin_actions_pause_and_resume(admin_client):
    Queue.objects.create(name="emails")
    url = reverse("admin:ironrelay_queue_changelist")
    admin_client.post(url, {"action": "pause_queues", "_selected_action": ["emails"]})
    assert queues.is_paused("emails")
    admin_client.post(url, {"action": "resume_queues", "_selected_action": ["emails"]})
    assert not queues.is_paused("emails")
    assert admin_client.get(url).status_code == 200


def test_endpoint_limits_are_edited_in_the_dashboard_and_checked(operator_client):
    endpoint = Endpoint.objects.create(url="https://example.com/hook", event_types=["*"])
    url = reverse("ironrelay:endpoint_edit", args=[endpoint.pk])
    data = {"url": endpoint.url, "description": "", "event_types_1": "*"}
    bad = operator_client.post(url, {**data, "max_in_flight": "0", "rate": "often"})
    assert bad.status_code == 200 and b"100/m" in bad.content
    operator_client.post(url, {**data, "max_in_flight": "3", "rate": "10/s"})
    endpoint.refresh_from_db()
    assert (endpoint.max_in_flight, endpoint.rate, endpoint.is_limited) == (3, "10/s", True)
    detail = operator_client.get(reverse("ironrelay:endpoint_detail", args=[endpoint.pk]))
    assert b"3 in flight" in detail.content and b"rate 10/s" in detail.content
