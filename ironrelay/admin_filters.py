"""Admin list filters that the model's own fields do not give."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ironrelay.models import Delivery


class TenantScopeFilter(admin.SimpleListFilter):
    """Endpoints of no tenant (they get every tenant's events) or of some tenant."""

    title = "tenant"
    parameter_name = "tenant_scope"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.field = "endpoint__tenant" if model is Delivery else "tenant"
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("none", "none (every tenant's events)"), ("some", "a tenant's")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "none":
            return queryset.filter(**{self.field: ""})
        if self.value() == "some":
            return queryset.exclude(**{self.field: ""})
        return queryset
