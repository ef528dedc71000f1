"""Each overview panel, summary.json section and link honours the permission of its list."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from ironrelay.dashboard.stats import PANELS
from ironrelay.models import Task
from ironrelay.outgoing.delivery import deliver
from ironrelay.tasks import claim
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

# What each panel shows, so a test can tell whether it is on the page.
MARKERS = {
    "tasks": ['data-count="tasks.', "Tasks finished", "<h2>Queues</h2>", "queue-of-secrets"],
    "incoming": ['data-count="incoming.'],
    "deliveries": ['data-count="deliveries.', "Deliveries finished"],
    "endpoints": ["Endpoints needing attention", "Troubled Acme"],
    "workers": ["Workers alive", "host-7:77:abc"],
}
LINK = re.compile(r'href="(/ironrelay/[^"]*)"')


@pytest.fixture
def scene():
    """One record behind every panel and every detail page."""
    task = factories.failed_task()
    Task.objects.create(task_path="tests.testapp.tasks.noop", queue_name="queue-of-secrets")
    hook = factories.webhook()
    factories.handler_run(hook)
    troubled = factories.endpoint(description="Troubled Acme", failing_since=timezone.now())
    sent = factories.delivery(troubled)
    deliver_task = Task.objects.create(
        task_path=deliver.path, args=[sent.message_id, troubled.pk], status="success"
    )
    claim.register_worker("host-7:77:abc", ["default"], 2)
    return {
        "task": task,
        "webhook": hook,
        "endpoint": troubled,
        "delivery": sent,
        "deliver_task": deliver_task,
    }


def login_without(client, django_user_model, panel: str | None):
    """Log in a staff user with every IronRelay permission but the view one of `panel`."""
    user = django_user_model.objects.create_user("partial", password="pw", is_staff=True)
    missing = PANELS[panel].split(".")[1] if panel else ""
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="ironrelay").exclude(codename=missing)
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("panel", sorted(PANELS))
def test_overview_hides_the_panels_of_lists_the_user_may_not_view(
    client, django_user_model, scene, panel
):
    login_without(client, django_user_model, panel)
    html = client.get(reverse("ironrelay:dashboard")).content.decode()
    for shown, markers in MARKERS.items():
        for marker in markers:
            assert (marker in html) == (shown != panel), (shown, marker)
    summary = client.get(reverse("ironrelay:summary_json")).json()
    expected = {"tasks", "incoming", "deliveries"} - {panel}
    assert set(summary) - {"at"} == expected


def test_overview_for_staff_without_any_permission_shows_no_figure(
    client, django_user_model, scene, django_assert_max_num_queries
):
    client.force_login(django_user_model.objects.create_user("s", password="pw", is_staff=True))
    with django_assert_max_num_queries(4):  # session, user, permissions: no table of ours
        html = client.get(reverse("ironrelay:dashboard")).content.decode()
    assert "may not view any IronRelay list" in html
    for markers in MARKERS.values():
        assert not any(marker in html for marker in markers)
    assert set(client.get(reverse("ironrelay:summary_json")).json()) == {"at"}


def pages(scene) -> list[str]:
    return [
        reverse("ironrelay:dashboard"),
        reverse("ironrelay:task_list") + "?kind=all",
        reverse("ironrelay:task_detail", args=[scene["handler_task"].pk]),
        reverse("ironrelay:task_detail", args=[scene["deliver_task"].pk]),
        reverse("ironrelay:webhook_list"),
        reverse("ironrelay:webhook_detail", args=[scene["webhook"].pk]),
        reverse("ironrelay:delivery_list"),
        reverse("ironrelay:delivery_detail", args=[scene["delivery"].pk]),
        reverse("ironrelay:endpoint_list"),
        reverse("ironrelay:endpoint_detail", args=[scene["endpoint"].pk]),
    ]


@pytest.mark.parametrize("panel", [None, *sorted(PANELS)])
def test_every_link_on_a_page_one_may_view_opens(client, django_user_model, scene, panel):
    scene["handler_task"] = scene["webhook"].handler_runs.get().task
    login_without(client, django_user_model, panel)
    links: set[str] = set()
    for url in pages(scene):
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        links.update(unescape(link) for link in LINK.findall(response.content.decode()))
    assert len(links) > 10
    for link in sorted(links):
        assert client.get(link).status_code == 200, (panel, link)
