"""The task list labels IronRelay's own tasks with what they serve, and hides them by default."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ironrelay.models import Task
from tests.dashboard import factories

DELIVER = "ironrelay.outgoing.delivery.deliver"
RUN_HANDLER = "ironrelay.handlers.dispatch.run_handler"

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks():
    mine = Task.objects.create(task_path="shop.tasks.send_email", args=[1])
    run = factories.handler_run(factories.webhook())
    sent = factories.delivery(factories.endpoint())
    deliver = Task.objects.create(task_path=DELIVER, args=[sent.message_id, sent.endpoint_id])
    manual = Task.objects.create(
        task_path=DELIVER, args=[sent.message_id, sent.endpoint_id], kwargs={"manual": True}
    )
    return {"mine": mine, "run": run, "delivery": sent, "deliver": deliver, "manual": manual}


def task_list(client, **params) -> str:
    return client.get(reverse("ironrelay:task_list"), params).content.decode()


def detail(pk: int) -> str:
    return reverse("ironrelay:task_detail", args=[pk])


def test_default_list_hides_internal_tasks_and_says_so(admin_client, tasks):
    html = task_list(admin_client)
    assert detail(tasks["mine"].pk) in html
    assert detail(tasks["deliver"].pk) not in html
    assert detail(tasks["run"].task_id) not in html
    assert "3 internal tasks (webhook deliveries and handler runs) hidden" in html
    assert "?kind=all" in html


def test_all_kinds_label_what_each_internal_task_serves(admin_client, tasks):
    html = task_list(admin_client, kind="all")
    webhook_url = reverse("ironrelay:webhook_detail", args=[tasks["run"].webhook_id])
    delivery_url = reverse("ironrelay:delivery_detail", args=[tasks["delivery"].pk])
    assert f'<a href="{webhook_url}">webhook #{tasks["run"].webhook_id} · on_ping</a>' in html
    assert f'<a href="{delivery_url}">delivery #{tasks["delivery"].pk}</a>' in html
    assert f"delivery #{tasks['delivery'].pk} (manual)" in html
    assert detail(tasks["mine"].pk) in html
    assert "internal tasks (webhook" not in html


def test_internal_kind_lists_only_internal_tasks(admin_client, tasks):
    html = task_list(admin_client, kind="internal")
    assert detail(tasks["mine"].pk) not in html
    assert detail(tasks["deliver"].pk) in html and detail(tasks["run"].task_id) in html


def test_filtering_by_an_internal_task_path_shows_it(admin_client, tasks):
    html = task_list(admin_client, task=RUN_HANDLER)
    assert detail(tasks["run"].task_id) in html


def test_unknown_kind_shows_everything(admin_client, tasks):
    html = task_list(admin_client, kind="<bogus>")
    assert detail(tasks["mine"].pk) in html and detail(tasks["deliver"].pk) in html


def test_deleted_delivery_is_named_without_a_link(admin_client, tasks):
    tasks["delivery"].delete()
    html = task_list(admin_client, kind="internal")
    assert f"delivery of {tasks['delivery'].message_id} (deleted)" in html


def test_task_detail_says_what_it_serves(admin_client, tasks):
    html = admin_client.get(detail(tasks["deliver"].pk)).content.decode()
    delivery_url = reverse("ironrelay:delivery_detail", args=[tasks["delivery"].pk])
    assert f'<dt>Serves</dt><dd><a href="{delivery_url}">' in html


def test_overview_counts_link_to_every_kind(admin_client, tasks):
    html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
    assert "?status=pending&amp;kind=all" in html


def test_labels_take_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(60):
        factories.handler_run(factories.webhook())
        sent = factories.delivery(factories.endpoint())
        Task.objects.create(task_path=DELIVER, args=[sent.message_id, sent.endpoint_id])
    with django_assert_max_num_queries(12):
        html = task_list(admin_client, kind="all")
    assert html.count("for <a href=") == 50
