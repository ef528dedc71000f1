"""Admin defences against crafted input: ids that are no ids, NUL characters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from ironrelay.dashboard.filters import BIGINT_MAX


def is_valid_pk(model: type[models.Model], raw: str) -> bool:
    """Return whether `raw` can be looked up as the model's primary key on every database."""
    pk = model._meta.pk
    if pk is None:  # abstract models only; ours all have one
        return False
    try:
        value = pk.to_python(raw)
    except ValidationError:
        return False
    if isinstance(value, int):
        return -BIGINT_MAX <= value <= BIGINT_MAX
    return "\x00" not in str(value)


class CraftedInputAdmin(admin.ModelAdmin):
    """Answer crafted ids and NUL characters with a 400, a 404 or a skip, never a 500."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # PostgreSQL refuses NUL in text: a search or filter holding one would crash the query.
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("A query parameter contains a NUL character.")
        return super().changelist_view(request, extra_context)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        if "\x00" in object_id:
            return None
        return super().get_object(request, object_id, from_field)

    def response_action(self, request: HttpRequest, queryset: QuerySet, **kwargs: Any) -> Any:
        # kwargs: Django 6 adds action_location; pass on whatever this Django gives.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        valid = [raw for raw in selected if is_valid_pk(self.model, raw)]
        if len(valid) != len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset, **kwargs)
