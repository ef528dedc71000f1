"""Portal pages that change endpoints: add, edit and delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from ironrelay.portal import render
from ironrelay.portal.access import portal_page
from ironrelay.portal.forms import PortalEndpointForm
from ironrelay.portal.scope import TenantScope

FORM = "endpoint_form.html"


@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def endpoint_add(request: HttpRequest, scope: TenantScope) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PortalEndpointForm(data, instance=scope.new_endpoint())
    if form.is_valid():
        endpoint = form.save()
        render.tell(request, f"Endpoint {endpoint} added. Reveal its signing secret below.")
        return redirect("ironrelay_portal:endpoint_detail", endpoint.pk)
    return render.page(request, FORM, {"form": form, "title": "Add an endpoint"})


@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def endpoint_edit(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    data = request.POST if request.method == "POST" else None
    form = PortalEndpointForm(data, instance=endpoint)
    if form.is_valid():
        endpoint = form.save_changes()
        render.tell(request, f"Endpoint {endpoint} saved.")
        return redirect("ironrelay_portal:endpoint_detail", endpoint.pk)
    context = {"form": form, "endpoint": endpoint, "title": f"Edit {endpoint}"}
    return render.page(request, FORM, context)


@require_http_methods(["GET", "HEAD", "POST"])
@portal_page
def endpoint_delete(request: HttpRequest, scope: TenantScope, pk: str) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    if request.method == "POST":
        name = str(endpoint)
        endpoint.delete()
        render.tell(request, f"Endpoint {name} deleted, with its message log.")
        return redirect("ironrelay_portal:endpoint_list")
    context = {"endpoint": endpoint, "deliveries": scope.deliveries(endpoint).count()}
    return render.page(request, "endpoint_confirm_delete.html", context)
