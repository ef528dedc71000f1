"""Log in through the admin, open every dashboard page, run a retry, a replay and a redeliver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ironrelay.models import Delivery, Endpoint, IncomingWebhook, Task
from ironrelay.outgoing.delivery import deliver
from tests.dashboard import factories
from tests.receiver import Receiver, Reply

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    with Receiver() as started:
        yield started


@pytest.fixture
def scene(receiver, django_user_model):
    """Data a developer would meet on a bad day: failures everywhere."""
    from ironrelay.tasks import claim

    django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pw")
    claim.register_worker("web-1:4242:5f2a9c1e", ["default"], 4)
    for i in range(8):
        Task.objects.create(
            task_path="shop.tasks.send_email", args=[i], status="success", attempts=1
        )
    task = factories.failed_task()
    Task.objects.create(
        task_path="shop.tasks.sync_inventory", status="pending", queue_name="inventory"
    )
    hook = factories.webhook(source="stripe", event="invoice.paid", delivery_id="evt_1Q2w3E")
    factories.handler_run(hook)
    factories.webhook(source="github", event="push", status="failed")
    factories.webhook(
        source="partner",
        event="sale",
        status="invalid",
        errors=[{"path": "$.amount", "message": "-5 is less than the minimum of 0"}],
    )
    receiver.script("/hook", Reply(503, body="maintenance"), Reply(200, body="thanks"))
    endpoint = factories.endpoint(url=receiver.url("/hook"), description="Acme order sync")
    factories.endpoint(
        url="https://gone.example.com/h", is_active=False, disabled_reason="answered 410 Gone"
    )
    sent = factories.delivery(endpoint)
    return {"task": task, "webhook": hook, "delivery": sent, "endpoint": endpoint}


def login(page, live_server) -> None:
    page.goto(f"{live_server.url}/ironrelay/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/ironrelay/")


def test_every_page_and_the_three_actions(page, live_server, scene, shoot, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "OUTGOING_ALLOW": ["127.0.0.1/32"]}
    login(page, live_server)
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator("svg.chart, figure.chart svg").count() == 2
    shoot(page, "01-overview")

    pages = {
        "02-tasks": reverse("ironrelay:task_list"),
        "03-task-detail": reverse("ironrelay:task_detail", args=[scene["task"].pk]),
        "04-incoming": reverse("ironrelay:webhook_list"),
        "05-incoming-detail": reverse("ironrelay:webhook_detail", args=[scene["webhook"].pk]),
        "06-deliveries": reverse("ironrelay:delivery_list"),
        "07-delivery-detail": reverse("ironrelay:delivery_detail", args=[scene["delivery"].pk]),
        "08-endpoints": reverse("ironrelay:endpoint_list"),
        "09-endpoint-detail": reverse("ironrelay:endpoint_detail", args=[scene["endpoint"].pk]),
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator("main h1").count() == 1
        shoot(page, name)

    # Retry the failed task.
    page.goto(live_server.url + pages["03-task-detail"])
    page.click("button:has-text('Retry')")
    assert "queued for another attempt" in page.locator(".messages").inner_text()
    assert page.locator("h1 .badge").inner_text() == "pending"
    assert Task.objects.get(pk=scene["task"].pk).status == "pending"
    shoot(page, "10-after-retry")

    # Replay the incoming webhook's handlers.
    page.goto(live_server.url + pages["05-incoming-detail"])
    page.click("button:has-text('Replay handlers')")
    assert "replayed: 1 handler task(s) queued" in page.locator(".messages").inner_text()
    assert page.locator("h1 .badge").inner_text() == "received"
    assert (
        IncomingWebhook.objects.get(pk=scene["webhook"].pk)
        .handler_runs.filter(replayed=False)
        .count()
        == 1
    )
    shoot(page, "11-after-replay")

    # Redeliver the failed delivery, then let a worker make the attempt against the receiver.
    page.goto(live_server.url + pages["07-delivery-detail"])
    page.click("button:has-text('Redeliver now')")
    assert "queued for another attempt now" in page.locator(".messages").inner_text()
    delivery = Delivery.objects.get(pk=scene["delivery"].pk)
    assert delivery.status == "pending"
    deliver(delivery.message_id, delivery.endpoint_id, manual=True)  # first reply: 503
    deliver(delivery.message_id, delivery.endpoint_id, manual=True)  # second reply: 200
    page.reload()
    assert page.locator("h1 .badge").inner_text() == "delivered"
    assert page.locator("details.attempt").count() == 3
    shoot(page, "12-after-redeliver")


def test_endpoint_add_edit_delete_and_retry_now(page, live_server, scene, shoot):
    login(page, live_server)
    page.goto(live_server.url + reverse("ironrelay:endpoint_list"))
    page.click("a:has-text('Add endpoint')")
    assert page.locator("main h1").inner_text() == "Add an endpoint"
    page.fill("#id_url", "https://billing.example.com/hooks")
    page.fill("#id_description", "Billing")
    page.check("input[value='testapp.product.created']")
    page.fill("input[name=event_types_1]", "shop.order.*, invoice.paid")
    shoot(page, "14-endpoint-add")
    page.click("button:has-text('Save')")
    added = Endpoint.objects.get(description="Billing")
    assert added.event_types == ["testapp.product.created", "shop.order.*", "invoice.paid"]
    assert f"ironrelay_endpoint_secret {added.pk}" in page.locator(".messages").inner_text()
    assert added.secret not in page.content()

    page.click("a:has-text('Edit')")
    assert page.is_checked("input[value='testapp.product.created']")
    page.uncheck("input[value='invoice.paid']")  # now a known type: this endpoint uses it
    page.fill("input[name=event_types_1]", "shop.*.paid")
    page.click("button:has-text('Save')")
    assert "Not an event type or pattern" in page.locator("main").inner_text()
    page.fill("input[name=event_types_1]", "shop.order.*")
    shoot(page, "15-endpoint-edit")
    page.click("button:has-text('Save')")
    added.refresh_from_db()
    assert added.event_types == ["testapp.product.created", "shop.order.*"]

    page.click("a:has-text('Delete')")
    shoot(page, "16-endpoint-delete")
    page.click("button:has-text('Delete endpoint')")
    assert "deleted" in page.locator(".messages").inner_text()
    assert not Endpoint.objects.filter(pk=added.pk).exists()

    # A delivery waiting for its retry: "Retry now" makes the queued attempt due.
    later = timezone.now() + timedelta(hours=2)
    waiting = factories.delivery(
        scene["endpoint"], status="pending", next_attempt_at=later, finished_at=None
    )
    retry = Task.objects.create(
        task_path=deliver.path,
        args=[waiting.message_id, waiting.endpoint_id],
        run_after=later,
    )
    page.goto(live_server.url + reverse("ironrelay:delivery_detail", args=[waiting.pk]))
    shoot(page, "17-delivery-waiting")
    page.click("button:has-text('Retry now')")
    assert "next attempt is due now" in page.locator(".messages").inner_text()
    retry.refresh_from_db()
    assert retry.run_after <= timezone.now()

    page.click("form.logout button")
    page.wait_for_url("**/admin/login/**")


def test_narrow_screen_layout(page, live_server, scene, shoot):
    login(page, live_server)
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(live_server.url + reverse("ironrelay:task_list"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 440, f"page is {width}px wide on a 420px screen"
    shoot(page, "13-tasks-narrow")
