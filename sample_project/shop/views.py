"""A tiny page that defers tasks, so the sample shows the queue from a browser."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ironrelay import send_webhook
from shop.models import Customer, EmailLog, Order
from shop.tasks import flaky_sync, send_email, thank_customer


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "flaky":
            flaky_sync.defer(1)
        elif action == "order":
            Order.objects.create(customer_email="ann@example.com", total=Decimal("42.50"))
        elif action == "customer-order":
            # The order's event goes to its customer's endpoints (and untenanted ones) only.
            customer = Customer.objects.filter(user__username=request.POST.get("customer")).first()
            Order.objects.create(
                customer=customer, customer_email="buyer@example.com", total=Decimal("9.99")
            )
        elif action == "pay":
            order = Order.objects.filter(paid=False).order_by("id").first()
            if order:
                order.paid = True
                order.save()
        elif action == "thank":
            result = thank_customer.enqueue(Order.objects.count())
            request.session["thank_result"] = result.id
        elif action == "custom":
            customer = Customer.objects.filter(user__username=request.POST.get("customer")).first()
            send_webhook("invoice.paid", {"invoice": "INV-1", "amount": "42.50"}, tenant=customer)
        else:
            send_email.defer(int(request.POST.get("user_id") or 10))
        return redirect("home")
    thank_result = None
    if request.session.get("thank_result"):
        try:
            thank_result = thank_customer.get_result(request.session["thank_result"])
        except Exception:  # TaskResultDoesNotExist: gone with a reset database
            request.session.pop("thank_result")
    context = {
        "thank_result": thank_result,
        "emails": EmailLog.objects.order_by("-id")[:10],
        "orders": Order.objects.select_related("customer").order_by("-id")[:10],
        "customers": Customer.objects.select_related("user").order_by("id"),
    }
    return render(request, "shop/home.html", context)
