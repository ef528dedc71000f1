"""Form fields for JSON that staff type in the admin: parsed safely, checked for shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from ironrelay.models import Endpoint
from ironrelay.storable import MAX_DEPTH, unstorable


class SafeJSONField(forms.JSONField):
    """A JSON form field whose too-deep or unstorable input is a form error, not a 500."""

    def to_python(self, value: Any) -> Any:
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise ValidationError(
                f"Enter JSON nested at most {MAX_DEPTH} levels deep.", code="invalid"
            ) from None
        problem = unstorable(converted)
        if problem:
            raise ValidationError(f"This JSON contains {problem}.", code="invalid")
        return converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)  # shown back as typed, with the error above


class EventTypesField(SafeJSONField):
    """A JSON list of event names: exact, prefixes like "shop.order.*", or "*"."""

    def to_python(self, value: Any) -> Any:
        converted = super().to_python(value)
        if converted is None:
            return []
        if not isinstance(converted, list) or not all(isinstance(x, str) for x in converted):
            raise ValidationError(
                'Enter a JSON list of event names, such as ["shop.order.*"].', code="invalid"
            )
        return converted


class EndpointForm(forms.ModelForm):
    """The admin's endpoint form: event types must be a list of names."""

    event_types = EventTypesField(
        required=False, help_text=Endpoint._meta.get_field("event_types").help_text
    )

    class Meta:
        model = Endpoint
        fields = ("event_types",)  # the admin adds the others, with its own field options
