"""Every dashboard page on a 390 px phone, with long real-world data: nothing may overflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ironrelay.models import DeliveryAttempt, Schedule, Task
from ironrelay.tasks import schedule_manager
from tests.browser.test_dashboard_browser import login
from tests.dashboard import factories

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_URL = "https://hooks.partner-integrations.example.com/api/v2/webhooks/receive/" + "x" * 140
LONG_EVENT = "billing.subscription_schedule.phase_transition_completed_with_prorations_v2"
LONG_MESSAGE = "ConnectionError: " + "upstream did not answer within the deadline; " * 8
TRACEBACK = "Traceback (most recent call last):\n" + "".join(
    f'  File "/srv/app/.venv/lib/python3.12/site-packages/shop/integrations/partner_{n}.py", '
    f"line {n * 17}, in sync_inventory_for_warehouse_with_a_long_name\n"
    f"    response = session.post(url_{'z' * 90}, json=payload)\n"
    for n in range(6)
)
BIG_PAYLOAD = {
    "id": "evt_" + "9" * 60,
    "type": LONG_EVENT,
    "data": {
        "object": {
            "lines": [{"n": i, "sku": "SKU-" + "A" * 80, "note": "word " * 30} for i in range(30)],
            "url": LONG_URL,
        }
    },
}


@pytest.fixture
def phone_scene(django_user_model):
    """A busy day with long names, URLs, errors, tracebacks and payloads everywhere."""
    from ironrelay.tasks import claim

    django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pw")
    claim.register_worker("web-1.internal.example.com:4242:5f2a9c1e7b", ["default", "emails"], 4)
    errors = [
        {
            "attempt": n,
            "at": timezone.now().isoformat(),
            "worker_id": "web-1.internal.example.com:4242:5f2a9c1e7b",
            "exception_class_path": "requests.exceptions.ConnectionError",
            "message": LONG_MESSAGE,
            "traceback": TRACEBACK,
        }
        for n in (1, 2, 3)
    ]
    task = factories.failed_task(
        task_path="shop.integrations.partner_inventory.sync_inventory_for_warehouse_with_a_long_name",
        args=[BIG_PAYLOAD],
        kwargs={"url": LONG_URL},
        errors=errors,
        attempts=3,
        max_attempts=3,
    )
    Task.objects.create(
        task_path="shop.tasks.send_email",
        status="pending",
        queue_name="emails-with-a-rather-long-queue-name",
        run_after=timezone.now() + timedelta(minutes=5),
    )
    hook = factories.webhook(
        source="stripe",
        event=LONG_EVENT,
        delivery_id="evt_" + "1Q2w3E" * 12,
        payload=BIG_PAYLOAD,
        headers={"Stripe-Signature": "t=1700000000,v1=" + "a" * 128, "User-Agent": "Stripe/1.0"},
        received_at=timezone.now() - timedelta(days=2),
    )
    factories.handler_run(
        hook,
        handler="shop.relay_handlers.on_subscription_schedule_phase_transition_completed",
        status="failed",
    )
    factories.webhook(
        source="partner",
        event=LONG_EVENT,
        status="invalid",
        errors=[{"path": "$.data.object.lines[0].sku", "message": LONG_MESSAGE}],
    )
    target = factories.endpoint(url=LONG_URL, description="Acme order sync " + "long " * 12)
    factories.endpoint(
        url=LONG_URL + "/gone", is_active=False, disabled_reason="answered 410 Gone " * 6
    )
    sent = factories.delivery(target)
    sent.last_error = LONG_MESSAGE[:500]
    sent.save()
    sent.message.event_type = LONG_EVENT
    sent.message.payload = BIG_PAYLOAD
    sent.message.save()
    DeliveryAttempt.objects.filter(delivery=sent).update(
        url=LONG_URL,
        error=LONG_MESSAGE,
        response_body="<html>" + "maintenance " * 80 + "</html>",
        response_headers={"X-Request-Id": "r" * 120},
    )
    schedule = schedule_manager.save_definition(
        Schedule(name="nightly-partner-reconciliation-report-for-every-region"),
        {
            "task_path": "tests.testapp.tasks.record",
            "cron": "30 2 * * 1-5",
            "timezone": "America/Argentina/ComodRivadavia",
            "args": [LONG_EVENT],
        },
    )
    schedule_manager.run_now(schedule)
    return {
        "task": task,
        "webhook": hook,
        "delivery": sent,
        "endpoint": target,
        "schedule": schedule,
    }


def phone_pages(scene) -> dict[str, str]:
    return {
        "phone-01-overview": reverse("ironrelay:dashboard"),
        "phone-02-tasks": reverse("ironrelay:task_list"),
        "phone-03-task-detail": reverse("ironrelay:task_detail", args=[scene["task"].pk]),
        "phone-04-incoming": reverse("ironrelay:webhook_list"),
        "phone-05-incoming-detail": reverse("ironrelay:webhook_detail", args=[scene["webhook"].pk]),
        "phone-06-deliveries": reverse("ironrelay:delivery_list"),
        "phone-07-delivery-detail": reverse(
            "ironrelay:delivery_detail", args=[scene["delivery"].pk]
        ),
        "phone-08-endpoints": reverse("ironrelay:endpoint_list"),
        "phone-09-endpoint-detail": reverse(
            "ironrelay:endpoint_detail", args=[scene["endpoint"].pk]
        ),
        "phone-10-endpoint-add": reverse("ironrelay:endpoint_add"),
        "phone-11-endpoint-edit": reverse("ironrelay:endpoint_edit", args=[scene["endpoint"].pk]),
        "phone-12-endpoint-delete": reverse(
            "ironrelay:endpoint_delete", args=[scene["endpoint"].pk]
        ),
        "phone-13-schedules": reverse("ironrelay:schedule_list"),
        "phone-14-schedule-detail": reverse(
            "ironrelay:schedule_detail", args=[scene["schedule"].pk]
        ),
        "phone-15-schedule-edit": reverse("ironrelay:schedule_edit", args=[scene["schedule"].pk]),
        "phone-16-queues": reverse("ironrelay:queue_list"),
    }


def test_no_page_is_wider_than_a_phone(page, live_server, phone_scene, shoot):
    login(page, live_server)
    page.set_viewport_size(PHONE)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    for name, path in phone_pages(phone_scene).items():
        assert page.goto(live_server.url + path).status == 200, path
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        shoot(page, name)
        # Without a linked icon the browser asks for /favicon.ico, which a reusable app can't serve.
        icon = page.evaluate(
            "fetch(document.querySelector('link[rel~=icon]')?.href ?? '/favicon.ico')"
            ".then(r => [r.status, r.headers.get('content-type')])"
        )
        assert icon == [200, "image/svg+xml"], path
        assert scroll <= inner, f"{path} is {scroll}px wide on a {inner}px screen"
        # Nothing may be cut off inside a scrolling box either (a table or card wider than itself);
        # code blocks and text inputs scroll on purpose, visually hidden table heads are 1 px wide.
        clipped = page.evaluate(
            """[...document.querySelectorAll('main *')]
                .filter(e => e.scrollWidth > e.clientWidth + 1
                             && getComputedStyle(e).overflowX !== 'visible'
                             && !['PRE', 'INPUT'].includes(e.tagName) && e.clientWidth > 1)
                .map(e => e.tagName + '.' + e.className)"""
        )
        assert clipped == [], f"{path}: content cut off in {clipped}"
    assert missing == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("task_list", "failed"), ("webhook_list", "invalid"), ("delivery_list", "failed")],
)
def test_lists_show_status_on_a_phone(page, live_server, phone_scene, name, status):
    login(page, live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse(f"ironrelay:{name}"))
    badge = page.locator(f"main .badge:text-is('{status}')").first
    box = badge.bounding_box()
    assert box is not None and badge.is_visible()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_every_nav_link_fits_on_a_phone(page, live_server, phone_scene):
    login(page, live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("ironrelay:dashboard"))
    links = page.locator("header nav a")
    assert links.count() == 7
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], links.nth(
            i
        ).inner_text()
