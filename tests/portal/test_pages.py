"""Portal pages: each operation through the HTML forms, as a customer does it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ironrelay.models import Delivery, Endpoint, Task
from tests.portal.conftest import make_customer

pytestmark = pytest.mark.django_db


def page(name: str, *args: object) -> str:
    return reverse(f"ironrelay_portal:{name}", args=args)


def test_add_endpoint_with_catalog_event_types(alice):
    form = alice.client.get(page("endpoint_add"))
    assert b'value="invoice.paid"' in form.content and b'value="invoice.voided"' in form.content
    response = alice.client.post(
        page("endpoint_add"),
        {"url": "https://new.example.com/in", "event_types_0": ["invoice.paid"]},
    )
    endpoint = Endpoint.objects.get(url="https://new.example.com/in")
    assert response.url == page("endpoint_detail", endpoint.pk)
    assert endpoint.event_types == ["invoice.paid"] and endpoint.tenant == alice.tenant


def test_add_form_never_offers_other_tenants_patterns(alice, bob):
    bob.endpoint.event_types = ["bob.secret.project.*", "bob.private"]
    bob.endpoint.save()
    form = alice.client.get(page("endpoint_add"))
    assert b"bob.private" not in form.content and b"bob.secret" not in form.content


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://10.1.2.3:8000/",
        "http://localhost:8000/",
        "https://u:p@example.com/",
    ],
)
def test_add_refuses_urls_deliveries_would_refuse(alice, url):
    response = alice.client.post(page("endpoint_add"), {"url": url})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not Endpoint.objects.filter(url=url).exists()


def test_edit_and_delete(alice):
    response = alice.client.post(
        page("endpoint_edit", alice.endpoint.pk),
        {"url": "https://moved.example.com/in", "description": "moved", "event_types_1": "*"},
    )
    assert response.status_code == 302
    alice.endpoint.refresh_from_db()
    assert (alice.endpoint.url, alice.endpoint.event_types) == (
        "https://moved.example.com/in",
        ["*"],
    )
    confirm = alice.client.get(page("endpoint_delete", alice.endpoint.pk))
    assert b"1 message" in confirm.content
    alice.client.post(page("endpoint_delete", alice.endpoint.pk))
    assert not Endpoint.objects.filter(pk=alice.endpoint.pk).exists()


def test_secret_is_masked_until_revealed_by_post(alice):
    secret = alice.endpoint.secret
    detail = alice.client.get(page("endpoint_detail", alice.endpoint.pk))
    assert secret.encode() not in detail.content
    assert alice.endpoint.masked_secret.encode() in detail.content
    assert alice.client.get(page("secret_reveal", alice.endpoint.pk)).status_code == 405
    revealed = alice.client.post(page("secret_reveal", alice.endpoint.pk))
    assert secret.encode() in revealed.content
    assert "no-store" in revealed["Cache-Control"]


def test_rotate_secret(alice):
    old = alice.endpoint.secret
    alice.client.post(page("secret_rotate", alice.endpoint.pk))
    alice.endpoint.refresh_from_db()
    assert alice.endpoint.secret != old and old in alice.endpoint.signing_secrets()


def test_send_test_event_opens_its_delivery(alice):
    response = alice.client.post(
        page("send_test", alice.endpoint.pk), {"event_type": "invoice.paid"}
    )
    delivery = Delivery.objects.exclude(pk=alice.delivery.pk).get(endpoint=alice.endpoint)
    assert response.url == page("delivery_detail", alice.endpoint.pk, delivery.pk)
    shown = alice.client.get(response.url)
    assert b"in_1001" in shown.content and b"No attempt yet" in shown.content


def test_delivery_page_shows_every_attempt_and_response(alice):
    shown = alice.client.get(page("delivery_detail", alice.endpoint.pk, alice.delivery.pk))
    assert b"HTTP 500" in shown.content and f"oops from {alice.tenant}".encode() in shown.content


def test_redeliver_recover_disable_enable(alice):
    tasks = Task.objects.count()
    alice.client.post(page("redeliver", alice.endpoint.pk, alice.delivery.pk))
    assert Task.objects.count() == tasks + 1
    Delivery.objects.filter(pk=alice.delivery.pk).update(status="failed")
    alice.client.post(page("recover", alice.endpoint.pk), {"since": "2000-01-01T00:00"})
    assert Task.objects.count() == tasks + 2
    bad = alice.client.post(page("recover", alice.endpoint.pk), {"since": "soon"})
    assert bad.status_code == 200 and bad.context["recover_form"].errors
    alice.client.post(page("disable", alice.endpoint.pk))
    alice.endpoint.refresh_from_db()
    assert not alice.endpoint.is_active
    alice.client.post(page("redeliver", alice.endpoint.pk, alice.delivery.pk))
    assert Task.objects.count() == tasks + 2  # disabled: nothing queued
    alice.client.post(page("enable", alice.endpoint.pk))
    alice.endpoint.refresh_from_db()
    assert alice.endpoint.is_active


def test_message_log_filters_by_status(alice):
    detail = alice.client.get(page("endpoint_detail", alice.endpoint.pk) + "?status=delivered")
    assert b"No messages delivered yet" in detail.content
    detail = alice.client.get(page("endpoint_detail", alice.endpoint.pk) + "?status=failed")
    assert page("delivery_detail", alice.endpoint.pk, alice.delivery.pk).encode() in detail.content


def test_event_types_page_shows_descriptions_and_examples(alice):
    shown = alice.client.get(page("event_types"))
    assert b"An invoice was paid in full." in shown.content and b"in_1001" in shown.content


def test_posts_need_the_csrf_token(django_user_model):
    carol = make_customer(django_user_model, "carol", enforce_csrf_checks=True)
    assert carol.client.post(page("disable", carol.endpoint.pk)).status_code == 403
    carol.endpoint.refresh_from_db()
    assert carol.endpoint.is_active


def test_pages_are_403_without_a_tenant(db, admin_client):
    assert Client().get(page("endpoint_list")).status_code == 403
    assert admin_client.get(page("endpoint_list")).status_code == 403


def test_pages_fill_the_host_base_template(alice, settings, tmp_path):
    (tmp_path / "host_base.html").write_text(
        "<html><body><header>HOST SITE</header>{% block extra_head %}{% endblock %}"
        "<main>{% block content %}{% endblock %}</main></body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    settings.IRONRELAY = {**settings.IRONRELAY, "PORTAL_BASE_TEMPLATE": "host_base.html"}
    shown = alice.client.get(page("endpoint_list"))
    assert b"<header>HOST SITE</header>" in shown.content
    assert b'class="irp"' in shown.content and b"portal.css" in shown.content


def test_missing_portal_tenant_setting_names_it(alice, settings):
    from ironrelay.conf import SettingError

    settings.IRONRELAY = {k: v for k, v in settings.IRONRELAY.items() if k != "PORTAL_TENANT"}
    with pytest.raises(SettingError, match="PORTAL_TENANT"):
        alice.client.get(page("endpoint_list"))


def test_custom_headers_are_shown_masked_and_kept(alice):
    alice.client.post(
        page("endpoint_edit", alice.endpoint.pk),
        {"url": alice.endpoint.url, "custom_headers": "X-Receiver-Key: key_0123456789abcdef"},
    )
    alice.endpoint.refresh_from_db()
    assert alice.endpoint.custom_headers == {"X-Receiver-Key": "key_0123456789abcdef"}
    form = alice.client.get(page("endpoint_edit", alice.endpoint.pk))
    assert b"0123456789" not in form.content and b"X-Receiver-Key" in form.content


def test_system_check_names_a_portal_tenant_that_cannot_be_imported(settings):
    from ironrelay.checks import check_portal

    settings.IRONRELAY = {**settings.IRONRELAY, "PORTAL_TENANT": "tests.portal.no_such.tenant_for"}
    errors = check_portal()
    assert [e.id for e in errors] == ["ironrelay.E040"]
    assert "PORTAL_TENANT" in errors[0].msg
    settings.IRONRELAY = {**settings.IRONRELAY, "PORTAL_TENANT": "tests.portal.tenants.tenant_for"}
    assert check_portal() == []
