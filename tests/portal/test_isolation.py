"""Isolation: a tenant never sees, changes or learns of another tenant's endpoints or messages."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, reverse

from ironrelay.models import Delivery, DeliveryAttempt, Endpoint, OutgoingWebhook, Task
from ironrelay.portal import urls as portal_urls

pytestmark = pytest.mark.django_db

MISSING = 987654321


@dataclass(frozen=True)
class Route:
    """One portal URL: its name, method, whether it names a delivery, and what it posts."""

    name: str
    method: str
    delivery: bool = False
    body: object = None


# Every portal route that names an endpoint (and a delivery), with a request that would work on
# the caller's own objects.
OBJECT_ROUTES = [
    Route("endpoint_detail", "get"),
    Route("endpoint_edit", "get"),
    Route("endpoint_edit", "post", body={"url": "https://evil.example.com/", "description": "x"}),
    Route("endpoint_delete", "get"),
    Route("endpoint_delete", "post"),
    Route("secret_reveal", "post"),
    Route("secret_rotate", "post"),
    Route("send_test", "post", body={"event_type": "invoice.paid"}),
    Route("recover", "post", body={"since": "2000-01-01T00:00"}),
    Route("enable", "post"),
    Route("disable", "post"),
    Route("delivery_detail", "get", delivery=True),
    Route("redeliver", "post", delivery=True),
    Route("api_endpoint", "get"),
    Route("api_endpoint", "patch", body={"description": "hijacked"}),
    Route("api_endpoint", "delete"),
    Route("api_secret", "post"),
    Route("api_secret_rotate", "post"),
    Route("api_enable", "post"),
    Route("api_disable", "post"),
    Route("api_send_test", "post", body={"event_type": "invoice.paid"}),
    Route("api_recover", "post", body={"since": "2000-01-01T00:00:00Z"}),
    Route("api_deliveries", "get"),
    Route("api_delivery", "get", delivery=True),
    Route("api_redeliver", "post", delivery=True),
]
# Routes without an object: they list the caller's own things, or none.
LIST_ROUTES = {"endpoint_list", "event_types", "endpoint_add"}
API_LIST_ROUTES = {"api_endpoints", "api_event_types", "api_openapi"}


def call(client, route: Route, endpoint_pk: object, delivery_pk: object = None):
    args = [endpoint_pk, delivery_pk] if route.delivery else [endpoint_pk]
    url = reverse(f"ironrelay_portal:{route.name}", args=args)
    if route.name.startswith("api_"):
        data = json.dumps(route.body) if route.body is not None else ""
        return getattr(client, route.method)(url, data, content_type="application/json")
    if route.method == "post":
        return client.post(url, route.body or {})
    return client.get(url)


def without_path(response) -> bytes:
    """Return the body without the request's path (Django's 404 page names it)."""
    return response.content.replace(response.request["PATH_INFO"].encode(), b"PATH")


def snapshot():
    """Return every row the portal could change, as comparable values."""
    return (
        list(Endpoint.objects.order_by("pk").values()),
        list(Delivery.objects.order_by("pk").values()),
        list(DeliveryAttempt.objects.order_by("pk").values()),
        list(OutgoingWebhook.objects.order_by("pk").values()),
        Task.objects.count(),
    )


def test_every_portal_route_is_walked():
    named = {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern)}
    walked = {r.name for r in OBJECT_ROUTES} | LIST_ROUTES | API_LIST_ROUTES
    assert named == walked


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: f"{r.method}-{r.name}")
def test_other_tenants_objects_are_not_found_and_unchanged(route, alice, bob, internal_endpoint):
    """Alice gets 404 for Bob's endpoint, Bob's delivery under her endpoint, and internal ones."""
    internal_delivery = Delivery.objects.get(endpoint=internal_endpoint)
    before = snapshot()
    attempts = [(bob.endpoint.pk, bob.delivery.pk), (internal_endpoint.pk, internal_delivery.pk)]
    if route.delivery:
        # Her own endpoint with somebody else's delivery is no way in either.
        attempts += [
            (alice.endpoint.pk, bob.delivery.pk),
            (alice.endpoint.pk, internal_delivery.pk),
        ]
    for endpoint_pk, delivery_pk in attempts:
        response = call(alice.client, route, endpoint_pk, delivery_pk)
        assert response.status_code == 404, (endpoint_pk, delivery_pk, response.content[:200])
        own = endpoint_pk == alice.endpoint.pk
        missing = call(alice.client, route, endpoint_pk if own else MISSING, MISSING)
        # Nothing tells "another tenant's" from "no such one": same status, same body.
        assert missing.status_code == 404
        assert without_path(response) == without_path(missing)
        for text in (bob.endpoint.url, bob.tenant, "oops from", bob.endpoint.secret):
            assert text.encode() not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: f"{r.method}-{r.name}")
def test_own_objects_are_served(route, alice, bob):
    """The same request on Alice's own objects works: the 404s above are the tenant filter's."""
    response = call(alice.client, route, alice.endpoint.pk, alice.delivery.pk)
    assert response.status_code in (200, 201, 202, 302), response.content[:300]


def test_lists_show_only_own_endpoints(alice, bob, internal_endpoint):
    pages = [
        alice.client.get(reverse("ironrelay_portal:endpoint_list")),
        alice.client.get(reverse("ironrelay_portal:api_endpoints")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert alice.endpoint.url.encode() in response.content
        for text in (bob.endpoint.url, bob.endpoint.description, internal_endpoint.url):
            assert text.encode() not in response.content
    ids = [e["id"] for e in pages[1].json()["data"]]
    assert ids == [alice.endpoint.pk]


def test_message_logs_show_only_own_deliveries(alice, bob):
    bob_message = bob.delivery.message_id
    detail = alice.client.get(reverse("ironrelay_portal:endpoint_detail", args=[alice.endpoint.pk]))
    api = alice.client.get(reverse("ironrelay_portal:api_deliveries", args=[alice.endpoint.pk]))
    assert alice.delivery.message_id.encode() in api.content
    for response in (detail, api):
        assert bob_message.encode() not in response.content
    assert [d["id"] for d in api.json()["data"]] == [alice.delivery.pk]


def test_created_endpoints_belong_to_the_creator(alice, bob):
    page = alice.client.post(
        reverse("ironrelay_portal:endpoint_add"),
        {"url": "https://a.example.com/new", "event_types_0": ["invoice.paid"]},
    )
    api = bob.client.post(
        reverse("ironrelay_portal:api_endpoints"),
        {"url": "https://b.example.com/new", "event_types": ["invoice.paid"]},
        content_type="application/json",
    )
    assert page.status_code == 302 and api.status_code == 201
    assert Endpoint.objects.get(url="https://a.example.com/new").tenant == alice.tenant
    assert Endpoint.objects.get(url="https://b.example.com/new").tenant == bob.tenant


def test_redeliver_queues_only_own_delivery(alice, bob):
    before = Task.objects.count()
    url = reverse("ironrelay_portal:api_redeliver", args=[bob.endpoint.pk, bob.delivery.pk])
    assert alice.client.post(url).status_code == 404
    assert Task.objects.count() == before
    bob.delivery.refresh_from_db()
    assert bob.delivery.status == Delivery.Status.FAILED


def test_a_customer_cannot_set_the_tenant_or_site_options(alice, bob):
    """Extra form or JSON fields never move an endpoint to another tenant."""
    alice.client.post(
        reverse("ironrelay_portal:endpoint_edit", args=[alice.endpoint.pk]),
        {"url": alice.endpoint.url, "tenant": bob.tenant, "transform": "os.system"},
    )
    created = alice.client.post(
        reverse("ironrelay_portal:endpoint_add"),
        {"url": "https://a.example.com/x", "tenant": bob.tenant, "transform": "os.system"},
    )
    patched = alice.client.patch(
        reverse("ironrelay_portal:api_endpoint", args=[alice.endpoint.pk]),
        json.dumps({"tenant": bob.tenant}),
        content_type="application/json",
    )
    assert created.status_code == 302 and patched.status_code == 400
    assert set(Endpoint.objects.values_list("tenant", flat=True)) == {alice.tenant, bob.tenant}
    assert Endpoint.objects.filter(tenant=bob.tenant).count() == 1
    mine = Endpoint.objects.filter(tenant=alice.tenant)
    assert not any(e.transform for e in mine)


def test_a_moved_endpoint_keeps_its_old_tenants_deliveries_hidden(alice, bob):
    """Staff move Alice's endpoint to Bob: Bob never sees the messages made for Alice."""
    Endpoint.objects.filter(pk=alice.endpoint.pk).update(tenant=bob.tenant)
    endpoint, old = alice.endpoint.pk, alice.delivery
    listed = [
        bob.client.get(reverse("ironrelay_portal:endpoint_detail", args=[endpoint])),
        bob.client.get(reverse("ironrelay_portal:api_deliveries", args=[endpoint])),
    ]
    for response in listed:
        assert response.status_code == 200
        assert old.message_id.encode() not in response.content
    assert listed[1].json()["data"] == []
    for name in ("delivery_detail", "api_delivery", "redeliver", "api_redeliver"):
        response = call(
            bob.client,
            Route(name, "post" if "redeliver" in name else "get", True),
            endpoint,
            old.pk,
        )
        assert response.status_code == 404, name
        assert f"oops from {alice.tenant}".encode() not in response.content
