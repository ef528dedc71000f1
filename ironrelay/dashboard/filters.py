"""Filters, search and pagination for the dashboard's lists, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

PER_PAGE = 50
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


@dataclass
class ListFilter:
    """Which query-string keys filter which fields, and which fields the search looks in."""

    exact: dict[str, str] = field(default_factory=dict)  # query key -> field lookup
    search: tuple[str, ...] = ()  # fields searched with icontains
    time_field: str = ""  # field the "since" range applies to
    numeric_search_field: str = "pk"  # a number in the search box also matches this

    def apply(self, request: HttpRequest, queryset: QuerySet) -> tuple[QuerySet, dict[str, str]]:
        """Return the filtered queryset and the active filters (for the form and links)."""
        active: dict[str, str] = {}
        for key, lookup in self.exact.items():
            value = request.GET.get(key, "").strip()
            if value:
                queryset = queryset.filter(**{lookup: value})
                active[key] = value
        since = request.GET.get("since", "")
        if self.time_field and since in RANGES:
            queryset = queryset.filter(
                **{f"{self.time_field}__gte": timezone.now() - RANGES[since]}
            )
            active["since"] = since
        text = request.GET.get("q", "").strip()[:200]
        if text and self.search:
            query = Q()
            for name in self.search:
                query |= Q(**{f"{name}__icontains": text})
            if text.isdigit():
                query |= Q(**{self.numeric_search_field: int(text)})
            queryset = queryset.filter(query)
            active["q"] = text
        return queryset, active


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    """Return the requested page (out-of-range numbers give the last page)."""
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def choices(values: list[str]) -> list[dict[str, Any]]:
    return [{"value": value, "label": value} for value in values]
