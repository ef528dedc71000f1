"""Portal actions on an endpoint or a delivery: POST only, CSRF-checked, for its tenant only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ironrelay.portal import operations, render
from ironrelay.portal.access import portal_page
from ironrelay.portal.forms import RecoverForm, TestEventForm
from ironrelay.portal.pages import detail_context
from ironrelay.portal.scope import TenantScope


def _to_endpoint(pk: object) -> HttpResponse:
    return redirect("ironrelay_portal:endpoint_detail", pk)


@require_POST
@never_cache
@portal_page
def secret_reveal(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    """Show the endpoint page with its secret in full (a POST: never cached or prefetched)."""
    endpoint = scope.endpoint(pk)
    context = detail_context(request, scope, endpoint, revealed_secret=endpoint.secret)
    return render.page(request, "endpoint_detail.html", context)


@require_POST
@portal_page
def secret_rotate(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    operations.rotate_secret(endpoint)
    render.tell(
        request,
        f"New secret {endpoint.masked_secret}: the previous one keeps signing for a while, so "
        "update your receiver soon.",
    )
    return _to_endpoint(endpoint.pk)


@require_POST
@portal_page
def send_test(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    form = TestEventForm(request.POST)
    if not form.is_valid():
        render.tell(request, "Choose an event type of the catalog.", messages.ERROR)
        return _to_endpoint(endpoint.pk)
    try:
        delivery = operations.send_test(endpoint, form.cleaned_data["event_type"])
    except operations.EndpointDisabled as exc:
        render.tell(request, str(exc), messages.WARNING)
        return _to_endpoint(endpoint.pk)
    render.tell(request, "Test event queued: this page shows the response once it is sent.")
    return redirect("ironrelay_portal:delivery_detail", endpoint.pk, delivery.pk)


@require_POST
@portal_page
def redeliver(request: HttpRequest, scope: TenantScope, pk: str, delivery_pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    delivery = scope.delivery(endpoint, delivery_pk)
    try:
        operations.redeliver(delivery)
    except (operations.EndpointDisabled, operations.DeliveryInProgress) as exc:
        render.tell(request, str(exc), messages.WARNING)
    else:
        render.tell(request, "Queued for another attempt now.")
    return redirect("ironrelay_portal:delivery_detail", endpoint.pk, delivery.pk)


@require_POST
@portal_page
def recover(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    form = RecoverForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, scope, endpoint, recover_form=form)
        return render.page(request, "endpoint_detail.html", context)
    try:
        done = operations.recover(endpoint, scope.deliveries(endpoint), form.cleaned_data["since"])
    except operations.EndpointDisabled as exc:
        render.tell(request, str(exc), messages.WARNING)
    else:
        more = " More remain: recover again to queue the next ones." if done.more else ""
        render.tell(request, f"{done.queued} failed message(s) queued for another attempt.{more}")
    return _to_endpoint(endpoint.pk)


@require_POST
@portal_page
def enable(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    operations.enable(endpoint)
    render.tell(request, f"Endpoint {endpoint} enabled.")
    return _to_endpoint(endpoint.pk)


@require_POST
@portal_page
def disable(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    operations.disable(endpoint)
    render.tell(request, f"Endpoint {endpoint} disabled: nothing is sent to it until enabled.")
    return _to_endpoint(endpoint.pk)
