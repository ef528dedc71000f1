"""Serve IronRelay's metrics to Prometheus, and add them to prometheus_client's default registry."""

from __future__ import annotations

import hmac
import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ironrelay.conf import get_settings

try:
    import prometheus_client
except ImportError:  # the optional extra is not installed
    prometheus_client = None  # type: ignore[assignment]

logger = logging.getLogger("ironrelay.metrics")

_registry = None
_registered_default = False


def _own_registry() -> prometheus_client.CollectorRegistry:
    global _registry
    if _registry is None:
        from ironrelay.metrics.collector import IronRelayCollector

        _registry = prometheus_client.CollectorRegistry(auto_describe=True)
        _registry.register(IronRelayCollector())
    return _registry


def require_prometheus_client() -> None:
    """Raise ImproperlyConfigured, naming the extra to install, if prometheus_client is missing."""
    if prometheus_client is None:
        raise ImproperlyConfigured(
            "IronRelay metrics need prometheus_client: pip install 'django-ironrelay[prometheus]'"
        )


def register_default() -> bool:
    """Add the collector to prometheus_client's REGISTRY once, when installed and wanted."""
    global _registered_default
    if prometheus_client is None or _registered_default:
        return False
    if not get_settings().METRICS_DEFAULT_REGISTRY:
        return False
    from ironrelay.metrics.collector import IronRelayCollector

    prometheus_client.REGISTRY.register(IronRelayCollector())
    _registered_default = True
    return True


def _allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    token = get_settings().METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Answer a Prometheus scrape: staff, or a bearer token equal to METRICS_TOKEN."""
    if not _allowed(request):
        response = HttpResponse("metrics need staff or a bearer token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="ironrelay-metrics"'
        return response
    body = prometheus_client.generate_latest(_own_registry())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
