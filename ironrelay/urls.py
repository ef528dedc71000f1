"""URLs for include("ironrelay.urls"): the dashboard and the incoming webhook endpoint."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "ironrelay"
urlpatterns: list[URLPattern] = []
