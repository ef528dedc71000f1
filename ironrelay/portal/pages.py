"""Portal pages that show: endpoints, one endpoint with its message log, a delivery, events."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from ironrelay.models import Delivery, Endpoint
from ironrelay.portal import events, render
from ironrelay.portal.access import portal_page
from ironrelay.portal.forms import RecoverForm
from ironrelay.portal.scope import TenantScope
from ironrelay.prettyjson import pretty

PER_PAGE = 25


@portal_page
def endpoint_list(request: HttpRequest, scope: TenantScope) -> HttpResponse:
    endpoints = scope.endpoints().order_by("id")
    return render.page(request, "endpoint_list.html", {"endpoints": endpoints})


@portal_page
def endpoint_detail(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    return render.page(request, "endpoint_detail.html", detail_context(request, scope, endpoint))


def detail_context(
    request: HttpRequest, scope: TenantScope, endpoint: Endpoint, **more: Any
) -> dict[str, Any]:
    """Return what the endpoint page shows: the endpoint, its message log, the action forms."""
    deliveries = scope.deliveries(endpoint).order_by("-id")
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    else:
        status = ""
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    subscribed = [name for name in events.event_names() if endpoint.accepts(name)]
    return {
        "endpoint": endpoint,
        "page": page,
        "status": status,
        "statuses": Delivery.Status.values,
        "test_types": [events.TEST_EVENT, *subscribed],
        "recover_form": more.pop("recover_form", None) or RecoverForm(),
        **more,
    }


@portal_page
def delivery_detail(
    request: HttpRequest, scope: TenantScope, pk: str, delivery_pk: str
) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    delivery = scope.delivery(endpoint, delivery_pk)
    attempts = [
        {
            "attempt": attempt,
            "request_headers": sorted(attempt.request_headers.items()),
            "response_headers": sorted(attempt.response_headers.items()),
        }
        for attempt in delivery.attempt_log.order_by("-number")
    ]
    context = {
        "endpoint": endpoint,
        "delivery": delivery,
        "payload": pretty(delivery.message.payload),
        "attempts": attempts,
    }
    return render.page(request, "delivery_detail.html", context)


@portal_page
def event_types(request: HttpRequest, scope: TenantScope) -> HttpResponse:
    entries = [
        {**entry, "schema_text": pretty(entry["schema"]), "example_text": pretty(entry["example"])}
        for entry in events.catalog()
    ]
    return render.page(request, "event_types.html", {"event_types": entries})
