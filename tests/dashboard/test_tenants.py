"""Tenants, custom headers and transforms in the staff dashboard and the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ironrelay.crypto import encrypt, mask
from ironrelay.models import Endpoint
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

TOKEN = "Bearer rcv_0123456789abcdefghijklmnop"


def acme_and_globex() -> tuple[Endpoint, Endpoint, Endpoint]:
    return (
        factories.endpoint(url="https://acme.example.com/hook", tenant="crm.customer:1"),
        factories.endpoint(url="https://globex.example.com/hook", tenant="crm.customer:2"),
        factories.endpoint(url="https://internal.example.com/hook"),
    )


def test_endpoint_list_filters_by_tenant(admin_client):
    acme_and_globex()
    url = reverse("ironrelay:endpoint_list")
    html = admin_client.get(url, {"tenant": "crm.customer:1"}).content.decode()
    assert "acme.example.com" in html
    assert "globex.example.com" not in html and "internal.example.com" not in html
    everything = admin_client.get(url).content.decode()
    assert all(host in everything for host in ["acme", "globex", "internal"])
    assert 'name="tenant"' in everything


def test_delivery_list_filters_by_the_endpoint_tenant(admin_client):
    acme, globex, internal = acme_and_globex()
    mine = factories.delivery(acme)
    theirs = factories.delivery(globex)
    factories.delivery(internal)
    response = admin_client.get(reverse("ironrelay:delivery_list"), {"tenant": "crm.customer:1"})
    listed = [d.pk for d in response.context["page"]]
    assert listed == [mine.pk] and theirs.pk not in listed
    # The endpoint menu offers only that tenant's endpoints.
    assert [e.pk for e in response.context["endpoints"]] == [acme.pk]


def test_delivery_list_takes_an_endpoint_id_when_there_are_too_many(admin_client):
    secret = encrypt("whsec_" + "A" * 32)
    Endpoint.objects.bulk_create(
        [
            Endpoint(url=f"https://e{n}.example.com/", tenant=f"t:{n}", secret_encrypted=secret)
            for n in range(201)
        ]
    )
    html = admin_client.get(reverse("ironrelay:delivery_list")).content.decode()
    assert 'type="number" name="endpoint"' in html and "e150.example.com" not in html


def test_add_endpoint_with_tenant_headers_and_transform(admin_client, settings):
    settings.IRONRELAY = {
        **settings.IRONRELAY,
        "OUTGOING_TRANSFORMS": {"tests.outgoing.transforms.flat": "Chat message"},
    }
    admin_client.post(
        reverse("ironrelay:endpoint_add"),
        {
            "url": "https://acme.example.com/hook",
            "tenant": "crm.customer:1",
            "event_types_1": "*",
            "transform": "tests.outgoing.transforms.flat",
            "custom_headers": f"Authorization: {TOKEN}\nX-Team: billing-team-7",
        },
    )
    added = Endpoint.objects.get()
    assert added.tenant == "crm.customer:1"
    assert added.transform == "tests.outgoing.transforms.flat"
    assert added.custom_headers == {"Authorization": TOKEN, "X-Team": "billing-team-7"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"custom_headers": "webhook-signature: v1,x"}, "cannot be replaced"),
        ({"custom_headers": "no colon here"}, "Line 1"),
        ({"transform": "os.system"}, "os.system is not one of IRONRELAY"),
        ({"tenant": "a\tb"}, "control characters"),
    ],
)
def test_bad_endpoint_options_are_form_errors(admin_client, data, error):
    response = admin_client.post(
        reverse("ironrelay:endpoint_add"),
        {"url": "https://ok.example.com/", "event_types_1": "*", **data},
    )
    assert response.status_code == 200 and error in response.content.decode()
    assert not Endpoint.objects.exists()


def test_edit_page_shows_header_values_masked_and_keeps_them(admin_client):
    endpoint = Endpoint(url="https://acme.example.com/hook", event_types=["*"])
    endpoint.custom_headers = {"Authorization": TOKEN}
    endpoint.save()
    edit = reverse("ironrelay:endpoint_edit", args=[endpoint.pk])
    html = admin_client.get(edit).content.decode()
    assert mask(TOKEN) in html and "0123456789abcdef" not in html
    admin_client.post(
        edit,
        {
            "url": endpoint.url,
            "event_types_1": "*",
            "custom_headers": f"Authorization: {mask(TOKEN)}\nX-New: added-value",
        },
    )
    endpoint.refresh_from_db()
    assert endpoint.custom_headers == {"Authorization": TOKEN, "X-New": "added-value"}
    admin_client.post(edit, {"url": endpoint.url, "event_types_1": "*", "custom_headers": ""})
    endpoint.refresh_from_db()
    assert endpoint.custom_headers == {} and endpoint.headers_encrypted == ""


def test_detail_page_shows_tenant_and_masked_headers(admin_client):
    endpoint = Endpoint(url="https://acme.example.com/hook", tenant="crm.customer:1")
    endpoint.custom_headers = {"Authorization": TOKEN}
    endpoint.save()
    html = admin_client.get(reverse("ironrelay:endpoint_detail", args=[endpoint.pk])).content
    html = html.decode()
    assert "crm.customer:1" in html and mask(TOKEN) in html
    assert "0123456789abcdef" not in html


def test_admin_finds_endpoints_by_tenant_and_scope(admin_client):
    acme, globex, internal = acme_and_globex()
    url = reverse("admin:ironrelay_endpoint_changelist")
    found = admin_client.get(url, {"q": "crm.customer:2"}).context["cl"].result_list
    assert [e.pk for e in found] == [globex.pk]
    untenanted = admin_client.get(url, {"tenant_scope": "none"}).context["cl"].result_list
    assert [e.pk for e in untenanted] == [internal.pk]
    tenanted = admin_client.get(url, {"tenant_scope": "some"}).context["cl"].result_list
    assert {e.pk for e in tenanted} == {acme.pk, globex.pk}


def test_admin_delivery_list_filters_by_tenant_scope(admin_client):
    acme, _, internal = acme_and_globex()
    mine, other = factories.delivery(acme), factories.delivery(internal)
    url = reverse("admin:ironrelay_delivery_changelist")
    found = admin_client.get(url, {"tenant_scope": "some"}).context["cl"].result_list
    assert [d.pk for d in found] == [mine.pk] and other.pk not in [d.pk for d in found]
    found = admin_client.get(url, {"q": "crm.customer:1"}).context["cl"].result_list
    assert [d.pk for d in found] == [mine.pk]


def test_admin_edit_keeps_masked_header_and_sets_tenant(admin_client):
    endpoint = Endpoint(url="https://acme.example.com/hook", event_types=["*"])
    endpoint.custom_headers = {"Authorization": TOKEN}
    endpoint.save()
    change = reverse("admin:ironrelay_endpoint_change", args=[endpoint.pk])
    html = admin_client.get(change).content.decode()
    assert mask(TOKEN) in html and "0123456789abcdef" not in html
    response = admin_client.post(
        change,
        {
            "url": endpoint.url,
            "description": "",
            "tenant": "crm.customer:9",
            "event_types_1": "*",
            "transform": "",
            "custom_headers": f"Authorization: {mask(TOKEN)}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.tenant == "crm.customer:9"
    assert endpoint.custom_headers == {"Authorization": TOKEN}


def test_base_endpoint_form_cannot_set_tenant_or_transform():
    """Forms built on EndpointForm for customers must not let them pick their tenant."""
    from ironrelay.dashboard.forms import EndpointForm, StaffEndpointForm

    assert "tenant" not in EndpointForm().fields and "transform" not in EndpointForm().fields
    assert "custom_headers" in EndpointForm().fields
    assert {"tenant", "transform"} <= set(StaffEndpointForm().fields)
    endpoint = Endpoint.objects.create(url="https://acme.example.com/", tenant="crm.customer:1")
    form = EndpointForm(
        {"url": endpoint.url, "event_types_1": "*", "tenant": "crm.customer:2"}, instance=endpoint
    )
    assert form.is_valid(), form.errors
    form.save_changes()
    endpoint.refresh_from_db()
    assert endpoint.tenant == "crm.customer:1" and endpoint.event_types == ["*"]
