"""Filters, search and pagination for the dashboard's lists, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

PER_PAGE = 50
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
BIGINT_MAX = 2**63 - 1  # the largest id a BigAutoField holds on every database


def text() -> forms.CharField:
    """Accept text a database can compare: no NUL, not longer than a column."""
    return forms.CharField(max_length=255)


def record_id() -> forms.IntegerField:
    """Accept an ASCII-digit id that fits a bigint ("²" is a digit to str.isdigit, not to int)."""
    return forms.IntegerField(min_value=1, max_value=BIGINT_MAX)


def clean(form_field: forms.Field, raw: str) -> Any:
    """Return the value `form_field` makes of `raw`, or None when it refuses it."""
    try:
        return form_field.clean(raw)
    except ValidationError:
        return None


def clean_ids(raw: list[str]) -> list[int]:
    """Return the values that are record ids, dropping anything else."""
    ids = [clean(record_id(), value) for value in raw]
    return [value for value in ids if value is not None]


@dataclass
class ListFilter:
    """Which query-string keys filter which fields, and which fields the search looks in.

    A value its form field refuses (text where an id belongs, NUL, too long) is ignored.
    """

    exact: dict[str, str] = field(default_factory=dict)  # query key -> field lookup
    ids: frozenset[str] = frozenset()  # keys of `exact` whose values are record ids
    search: tuple[str, ...] = ()  # fields searched with icontains
    time_field: str = ""  # field the "since" range applies to
    numeric_search_field: str = "pk"  # a number in the search box also matches this

    def apply(self, request: HttpRequest, queryset: QuerySet) -> tuple[QuerySet, dict[str, str]]:
        """Return the filtered queryset and the active filters (for the form and links)."""
        active: dict[str, str] = {}
        for key, lookup in self.exact.items():
            raw = request.GET.get(key, "").strip()
            value = clean(record_id() if key in self.ids else text(), raw) if raw else None
            if value is not None:
                queryset = queryset.filter(**{lookup: value})
                active[key] = str(value)
        since = request.GET.get("since", "")
        if self.time_field and since in RANGES:
            queryset = queryset.filter(
                **{f"{self.time_field}__gte": timezone.now() - RANGES[since]}
            )
            active["since"] = since
        search = clean(text(), request.GET.get("q", "").strip()[:200])
        if search and self.search:
            query = Q()
            for name in self.search:
                query |= Q(**{f"{name}__icontains": search})
            number = clean(record_id(), search)
            if number is not None:
                query |= Q(**{self.numeric_search_field: number})
            queryset = queryset.filter(query)
            active["q"] = search
        return queryset, active


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    """Return the requested page (out-of-range numbers give the last page)."""
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def choices(values: list[str]) -> list[dict[str, Any]]:
    return [{"value": value, "label": value} for value in values]
