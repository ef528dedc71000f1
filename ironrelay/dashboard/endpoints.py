"""Endpoint pages: add, edit and delete, each behind its permission, POSTs CSRF-checked."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from ironrelay import crypto
from ironrelay.dashboard.access import staff_view
from ironrelay.dashboard.forms import StaffEndpointForm
from ironrelay.models import Delivery, Endpoint

FORM_TEMPLATE = "ironrelay/dashboard/endpoint_form.html"
# A command name, not a secret (the linters see "secret" in it).
SECRET_COMMAND = "python manage.py ironrelay_endpoint_secret"  # noqa: S105  # nosec B105


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.add_endpoint")
def endpoint_add(request: HttpRequest) -> HttpResponse:
    form = StaffEndpointForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        endpoint = form.save()
        messages.success(
            request,
            f"Endpoint {endpoint} added with secret {crypto.mask(endpoint.secret)}. Give its "
            f"receiver the full secret, printed on the server by: {SECRET_COMMAND} {endpoint.pk}",
        )
        return redirect("ironrelay:endpoint_detail", endpoint.pk)
    context = {"form": form, "title": "Add an endpoint", "section": "endpoints"}
    return render(request, FORM_TEMPLATE, context)


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.change_endpoint")
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    form = StaffEndpointForm(request.POST if request.method == "POST" else None, instance=endpoint)
    if form.is_valid():
        endpoint = form.save_changes()
        messages.success(request, f"Endpoint {endpoint} saved.")
        return redirect("ironrelay:endpoint_detail", endpoint.pk)
    context = {
        "form": form,
        "endpoint": endpoint,
        "title": f"Edit {endpoint}",
        "section": "endpoints",
    }
    return render(request, FORM_TEMPLATE, context)


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect  # even in a project without CsrfViewMiddleware
@staff_view("ironrelay.delete_endpoint")
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "POST":
        name = str(endpoint)
        endpoint.delete()
        messages.success(request, f"Endpoint {name} deleted, with its deliveries.")
        return redirect("ironrelay:endpoint_list")
    deliveries = Delivery.objects.filter(endpoint=endpoint)
    context = {
        "endpoint": endpoint,
        "deliveries": deliveries.count(),
        "pending": deliveries.filter(status=Delivery.Status.PENDING).count(),
        "section": "endpoints",
    }
    return render(request, "ironrelay/dashboard/endpoint_confirm_delete.html", context)
