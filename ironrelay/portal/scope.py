"""What one tenant may reach: every portal lookup starts from TenantScope.endpoints()."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from ironrelay.models import Delivery, Endpoint


@dataclass(frozen=True)
class TenantScope:
    """The endpoints, deliveries and attempts of one tenant, and nothing else."""

    tenant: str

    def endpoints(self) -> QuerySet[Endpoint]:
        """Return this tenant's endpoints: the one tenant filter of the portal."""
        return Endpoint.objects.filter(tenant=self.tenant)

    def endpoint(self, pk: object) -> Endpoint:
        """Return one of this tenant's endpoints; another tenant's is as missing as none (404)."""
        try:
            return self.endpoints().get(pk=int(str(pk)))
        except (Endpoint.DoesNotExist, ValueError, OverflowError):
            raise Http404("No such endpoint.") from None

    def deliveries(self, endpoint: Endpoint) -> QuerySet[Delivery]:
        """Return this tenant's (or untenanted) messages' deliveries to one of its endpoints."""
        # The endpoint alone is not enough: staff may move an endpoint to another tenant, and its
        # old deliveries (payloads, attempts) are still the previous tenant's.
        return Delivery.objects.filter(
            endpoint=endpoint, message__tenant__in=(self.tenant, "")
        ).select_related("message")

    def delivery(self, endpoint: Endpoint, pk: object) -> Delivery:
        """Return one delivery to one of this tenant's endpoints, or 404."""
        try:
            return self.deliveries(endpoint).get(pk=int(str(pk)))
        except (Delivery.DoesNotExist, ValueError, OverflowError):
            raise Http404("No such delivery.") from None

    def new_endpoint(self) -> Endpoint:
        """Return an unsaved endpoint that belongs to this tenant."""
        return Endpoint(tenant=self.tenant)
