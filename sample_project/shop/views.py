"""A tiny page that defers tasks, so the sample shows the queue from a browser."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shop.models import EmailLog
from shop.tasks import flaky_sync, send_email


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "flaky":
            flaky_sync.defer(1)
        else:
            send_email.defer(int(request.POST.get("user_id") or 10))
        return redirect("home")
    return render(request, "shop/home.html", {"emails": EmailLog.objects.order_by("-id")[:10]})
