"""Every portal page in Chromium at desktop width and on a 390 px phone; nothing may overflow."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ironrelay import tenant_key
from ironrelay.models import Delivery, DeliveryAttempt, Endpoint, OutgoingWebhook

pytestmark = [pytest.mark.acceptance, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG_URL = "https://hooks.customer-integrations.example.com/api/v2/webhooks/receive/" + "x" * 140
LONG_EVENT = "billing.subscription_schedule.phase_transition_completed_with_prorations_v2"
CATALOG = {
    "invoice.paid": {
        "description": "An invoice was paid in full.",
        "schema": {"type": "object", "properties": {"invoice_id": {"type": "string"}}},
        "example": {"invoice_id": "in_1001", "amount": 4200, "currency": "eur"},
    },
    LONG_EVENT: {
        "description": "A subscription schedule moved to its next phase. " * 4,
        "example": {"lines": [{"sku": "SKU-" + "A" * 80, "note": "word " * 30}]},
    },
}


@pytest.fixture
def portal_scene(django_user_model, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "EVENT_TYPES": CATALOG}
    user = django_user_model.objects.create_user("acme", password="pw")
    tenant = tenant_key(user)
    endpoint = Endpoint.objects.create(
        url=LONG_URL,
        description="Acme order sync " + "long " * 12,
        event_types=["invoice.paid", LONG_EVENT, "shop.order.*"],
        tenant=tenant,
    )
    Endpoint.objects.create(
        url="https://acme.example.com/old",
        tenant=tenant,
        is_active=False,
        disabled_reason="answered 410 Gone " * 6,
    )
    message = OutgoingWebhook.objects.create(
        event_type=LONG_EVENT, payload=CATALOG[LONG_EVENT]["example"], tenant=tenant
    )
    delivery = Delivery.objects.create(
        message=message,
        endpoint=endpoint,
        status="failed",
        attempts=2,
        last_status_code=503,
        last_error="ConnectionError: " + "upstream timed out; " * 20,
        finished_at=timezone.now(),
    )
    for number in (1, 2):
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            url=LONG_URL,
            request_headers={"webhook-id": message.pk, "webhook-signature": "v1," + "s" * 88},
            status_code=503,
            response_headers={"X-Request-Id": "r" * 120},
            response_body="<html>" + "maintenance " * 80 + "</html>",
            error="ConnectionError: " + "upstream did not answer; " * 8,
        )
    client = Client()
    client.force_login(user)
    return {
        "endpoint": endpoint,
        "delivery": delivery,
        "session": client.cookies["sessionid"].value,
    }


def log_in(page, live_server, scene) -> None:
    page.context.add_cookies(
        [{"name": "sessionid", "value": scene["session"], "url": live_server.url}]
    )


def portal_pages(scene) -> dict[str, str]:
    pk = scene["endpoint"].pk
    return {
        "portal-01-endpoints": reverse("ironrelay_portal:endpoint_list"),
        "portal-02-endpoint": reverse("ironrelay_portal:endpoint_detail", args=[pk]),
        "portal-03-add": reverse("ironrelay_portal:endpoint_add"),
        "portal-04-edit": reverse("ironrelay_portal:endpoint_edit", args=[pk]),
        "portal-05-delete": reverse("ironrelay_portal:endpoint_delete", args=[pk]),
        "portal-06-message": reverse(
            "ironrelay_portal:delivery_detail", args=[pk, scene["delivery"].pk]
        ),
        "portal-07-event-types": reverse("ironrelay_portal:event_types"),
    }


def assert_fits(page, path: str) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{path} is {scroll}px wide on a {inner}px screen"
    # Nothing cut off inside a box either; code blocks and inputs scroll on purpose.
    clipped = page.evaluate(
        """[...document.querySelectorAll('.irp *')]
            .filter(e => e.scrollWidth > e.clientWidth + 1
                         && getComputedStyle(e).overflowX !== 'visible'
                         && !['PRE', 'INPUT', 'SELECT'].includes(e.tagName) && e.clientWidth > 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert clipped == [], f"{path}: content cut off in {clipped}"


@pytest.mark.parametrize("size", SIZES)
def test_every_portal_page_fits(page, live_server, portal_scene, shoot, size):
    log_in(page, live_server, portal_scene)
    page.set_viewport_size(SIZES[size])
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    for name, path in portal_pages(portal_scene).items():
        assert page.goto(live_server.url + path).status == 200, path
        shoot(page, f"{name}-{size}")
        assert_fits(page, path)
    # The secret, revealed by its button (a POST), fits too.
    page.goto(live_server.url + portal_pages(portal_scene)["portal-02-endpoint"])
    page.get_by_role("button", name="Reveal").click()
    secret = page.locator("#irp-secret")
    assert secret.inner_text() == portal_scene["endpoint"].secret
    shoot(page, f"portal-08-secret-revealed-{size}")
    assert_fits(page, "secret revealed")
    assert failed == []


def test_add_an_endpoint_and_send_a_test_event(page, live_server, portal_scene):
    log_in(page, live_server, portal_scene)
    page.set_viewport_size(SIZES["phone"])
    page.goto(live_server.url + reverse("ironrelay_portal:endpoint_add"))
    page.get_by_label("URL").fill("https://new.acme.example.com/hooks")
    page.get_by_label("invoice.paid").check()
    page.get_by_role("button", name="Save").click()
    assert "added" in page.locator(".irp-messages").inner_text()
    created = Endpoint.objects.get(url="https://new.acme.example.com/hooks")
    assert created.event_types == ["invoice.paid"]
    page.get_by_label("Event type").select_option("invoice.paid")
    page.get_by_role("button", name="Send").click()
    assert "in_1001" in page.locator("pre.irp-code").first.inner_text()
    assert Delivery.objects.filter(endpoint=created).count() == 1
