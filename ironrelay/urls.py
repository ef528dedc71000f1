"""URLs for include("ironrelay.urls"): the dashboard and the incoming webhook endpoint."""

from __future__ import annotations

from django.urls import path

from ironrelay.views import IncomingWebhookView

app_name = "ironrelay"
urlpatterns = [
    path("incoming/<str:source>/", IncomingWebhookView.as_view(), name="incoming"),
]
