"""Endpoints added, edited and deleted from the dashboard and the admin; "Retry now"; the nav."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from ironrelay.dashboard.forms import EndpointForm, pattern_error
from ironrelay.models import Delivery, Endpoint, OutgoingWebhook, Task
from ironrelay.outgoing.delivery import deliver
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

ADD = "ironrelay:endpoint_add"
# From tests/settings.py's OUTGOING_MODELS.
MODEL_EVENTS = [
    "testapp.note.created",
    "testapp.order.created",
    "testapp.order.deleted",
    "testapp.order.updated",
    "testapp.product.created",
    "testapp.product.deleted",
    "testapp.product.updated",
]


def test_known_event_types_are_model_events_and_those_in_use():
    factories.endpoint(event_types=["invoice.paid", "shop.order.*", "*"])
    OutgoingWebhook.objects.create(event_type="customer.created", payload={})
    field = EndpointForm().fields["event_types"]
    offered = [value for value, _ in field.widget.widgets[0].choices]
    assert offered == sorted([*MODEL_EVENTS, "invoice.paid", "customer.created"])


@pytest.mark.parametrize("good", ["*", "shop.order.*", "invoice.paid", "a", "x-y:z_1.*"])
def test_event_patterns_that_are_accepted(good):
    assert pattern_error(good) is None


@pytest.mark.parametrize(
    "bad", ["shop.*.paid", "shop*", ".*", "**", "a b", "a\x00", "x" * 256, '["*"]', "{}"]
)
def test_event_patterns_that_are_refused(bad):
    assert pattern_error(bad)


def test_add_page_offers_model_events_as_checkboxes(admin_client):
    html = admin_client.get(reverse(ADD)).content.decode()
    for name in MODEL_EVENTS:
        assert f'value="{name}"' in html
    assert 'name="event_types_1"' in html and "Enter a valid JSON" not in html


def test_add_endpoint_with_ticked_and_typed_event_types(admin_client):
    response = admin_client.post(
        reverse(ADD),
        {
            "url": "hooks.example.com/in",
            "description": "Billing",
            "event_types_0": ["testapp.product.created"],
            "event_types_1": "shop.order.*, invoice.paid\ninvoice.paid",
        },
        follow=True,
    )
    added = Endpoint.objects.get()
    assert added.url == "https://hooks.example.com/in"
    assert added.event_types == ["testapp.product.created", "shop.order.*", "invoice.paid"]
    assert added.is_active and added.secret.startswith("whsec_")
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("ironrelay:endpoint_detail", args=[added.pk])
    assert added.masked_secret in html and added.secret not in html
    assert f"ironrelay_endpoint_secret {added.pk}" in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"url": "https://user:pw@hooks.example.com/"}, "Put no credentials in the URL"),
        ({"url": "ftp://hooks.example.com/"}, "Deliveries would refuse this URL: scheme"),
        ({"url": "http://hooks.example.com:0/"}, "Deliveries would refuse this URL: port 0"),
        ({"url": ""}, "This field is required"),
        ({"event_types_1": "shop.*.paid"}, "Not an event type or pattern"),
        ({"event_types_0": ["not.offered"]}, "Select a valid choice"),
        ({"description": "a\x00b"}, "Null characters are not allowed"),
    ],
)
def test_add_endpoint_refuses_bad_input_with_a_clear_error(admin_client, data, error):
    response = admin_client.post(reverse(ADD), {"url": "https://ok.example.com/", **data})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Endpoint.objects.exists()


def test_edit_page_ticks_known_types_and_lists_the_others(admin_client):
    target = factories.endpoint(event_types=["testapp.product.created", "shop.order.*", "*"])
    html = admin_client.get(reverse("ironrelay:endpoint_edit", args=[target.pk])).content.decode()
    assert 'value="testapp.product.created" id="id_event_types_0_4" checked' in html
    assert 'value="shop.order.*, *"' in html


def test_edit_endpoint_keeps_secret_and_the_workers_counters(admin_client):
    target = factories.endpoint(event_types=["*"])
    secret = target.secret
    Endpoint.objects.filter(pk=target.pk).update(consecutive_failures=4)  # the worker's write
    response = admin_client.post(
        reverse("ironrelay:endpoint_edit", args=[target.pk]),
        {"url": "https://moved.example.com/", "description": "Moved", "event_types_1": "a.*"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.url, target.description, target.event_types) == (
        "https://moved.example.com/",
        "Moved",
        ["a.*"],
    )
    assert (target.consecutive_failures, target.secret) == (4, secret)


def test_delete_asks_first_then_drops_the_endpoint_and_its_queued_attempts(admin_client):
    target = factories.endpoint(description="Old receiver")
    factories.delivery(target)
    waiting = factories.delivery(target, status="pending")
    url = reverse("ironrelay:endpoint_delete", args=[target.pk])
    html = admin_client.get(url).content.decode()
    assert "Delete Old receiver?" in html and "2, deleted with it (1 still pending" in html
    response = admin_client.post(url, follow=True)
    assert "Endpoint Old receiver deleted" in response.content.decode()
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    # The attempt already queued for the deleted delivery finishes quietly instead of failing.
    assert "nothing to send" in deliver(waiting.message_id, target.pk)


def test_endpoint_pages_offer_add_edit_delete_only_with_their_permissions(
    staff_client, admin_client
):
    target = factories.endpoint()
    detail = reverse("ironrelay:endpoint_detail", args=[target.pk])
    list_url = reverse("ironrelay:endpoint_list")
    links = [
        reverse(ADD),
        reverse("ironrelay:endpoint_edit", args=[target.pk]),
        reverse("ironrelay:endpoint_delete", args=[target.pk]),
    ]
    viewer = staff_client.get(list_url).content.decode() + staff_client.get(detail).content.decode()
    admin = admin_client.get(list_url).content.decode() + admin_client.get(detail).content.decode()
    for link in links:
        assert f'href="{link}"' not in viewer and f'href="{link}"' in admin


# -- the admin's endpoint form --------------------------------------------------------------------


def test_admin_takes_typed_patterns_instead_of_json(admin_client):
    response = admin_client.post(
        reverse("admin:ironrelay_endpoint_add"),
        {
            "url": "https://admin.example.com/",
            "event_types_0": ["testapp.note.created"],
            "event_types_1": "shop.order.*",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    added = Endpoint.objects.get()
    assert added.event_types == ["testapp.note.created", "shop.order.*"]


def test_admin_change_page_ticks_the_stored_event_types(admin_client):
    target = factories.endpoint(event_types=["testapp.note.created", "shop.order.*"])
    html = admin_client.get(reverse("admin:ironrelay_endpoint_change", args=[target.pk])).content
    assert b'value="testapp.note.created" id="id_event_types_0_0" checked' in html
    assert b'value="shop.order.*"' in html


def test_admin_index_says_deliveries(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Deliveries" in html and "Deliverys" not in html


# -- retry now -------------------------------------------------------------------------------------


def waiting_delivery(minutes: float = 30) -> tuple[Delivery, Task]:
    """A delivery whose attempt failed, with its retry queued `minutes` from now."""
    later = timezone.now() + timedelta(minutes=minutes)
    item = factories.delivery(status="pending", next_attempt_at=later, finished_at=None)
    retry = Task.objects.create(
        task_path=deliver.path, args=[item.message_id, item.endpoint_id], run_after=later
    )
    return item, retry


def test_retry_now_makes_the_queued_attempt_due(operator_client):
    item, retry = waiting_delivery()
    _, other_retry = waiting_delivery()
    detail = reverse("ironrelay:delivery_detail", args=[item.pk])
    assert b"Retry now" in operator_client.get(detail).content
    response = operator_client.post(
        reverse("ironrelay:delivery_retry_now", args=[item.pk]), follow=True
    )
    assert f"Delivery #{item.pk}: its next attempt is due now." in response.content.decode()
    retry.refresh_from_db()
    item.refresh_from_db()
    now = timezone.now()
    assert retry.status == "pending" and retry.run_after <= now
    assert item.next_attempt_at <= now
    assert b"Retry now" not in operator_client.get(detail).content
    other_retry.refresh_from_db()
    assert other_retry.run_after > now  # only this delivery's attempt


@pytest.mark.parametrize("status", ["failed", "delivered"])
def test_retry_now_changes_nothing_for_a_finished_delivery(operator_client, status):
    item = factories.delivery(status=status)
    detail = reverse("ironrelay:delivery_detail", args=[item.pk])
    assert b"Retry now" not in operator_client.get(detail).content
    response = operator_client.post(
        reverse("ironrelay:delivery_retry_now", args=[item.pk]), follow=True
    )
    assert "is not waiting for a retry: nothing changed" in response.content.decode()
    assert Delivery.objects.get(pk=item.pk).status == status


def test_retry_now_changes_nothing_when_the_attempt_is_already_due(operator_client):
    item, retry = waiting_delivery(minutes=-1)
    before = retry.run_after
    response = operator_client.post(
        reverse("ironrelay:delivery_retry_now", args=[item.pk]), follow=True
    )
    assert "nothing changed" in response.content.decode()
    retry.refresh_from_db()
    assert retry.run_after == before


# -- endpoint health wording and the nav -----------------------------------------------------------


def test_endpoint_retrying_is_not_called_failing_with_zero_failures(admin_client):
    factories.endpoint(description="Retrying Co", failing_since=timezone.now())
    failing = factories.endpoint(description="Failing Co", failing_since=timezone.now())
    Endpoint.objects.filter(pk=failing.pk).update(consecutive_failures=3)
    for url in (reverse("ironrelay:dashboard"), reverse("ironrelay:endpoint_list")):
        html = admin_client.get(url).content.decode()
        rows = {row.split("</tr>")[0] for row in html.split("<tr>")}
        [retrying_row] = [row for row in rows if "Retrying Co" in row]
        [failing_row] = [row for row in rows if "Failing Co" in row]
        assert ">retrying<" in retrying_row and ">failing<" not in retrying_row, url
        assert ">failing<" in failing_row, url
    html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
    assert "Deliveries given up in a row" in html and "Failed deliveries in a row" not in html


def test_nav_logs_out_with_a_post(admin_client):
    html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
    logout = reverse("admin:logout")
    assert f'<form class="logout" method="post" action="{logout}">' in html
    response = admin_client.post(logout, {"next": reverse("ironrelay:dashboard")})
    assert response.status_code == 302 and response["Location"] == reverse("ironrelay:dashboard")
    assert SESSION_KEY not in admin_client.session
    assert admin_client.get(reverse("ironrelay:dashboard"))["Location"].startswith("/admin/login/")
