"""URLs for include("ironrelay.metrics.urls"): the Prometheus scrape target."""

from __future__ import annotations

from django.urls import path

from ironrelay.metrics.exposition import metrics, require_prometheus_client

require_prometheus_client()

app_name = "ironrelay_metrics"
urlpatterns = [path("", metrics, name="metrics")]
