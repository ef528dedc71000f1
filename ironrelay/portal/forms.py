"""Portal forms: an endpoint (pages and API), a test event, and recovery since a time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ironrelay.dashboard.forms import EndpointForm
from ironrelay.models import Endpoint
from ironrelay.portal import events

MAX_EVENT_TYPES = 100


class PortalEndpointForm(EndpointForm):
    """The dashboard's endpoint form, with the catalog's event types as the choices."""

    def event_type_choices(self) -> list[str]:
        # Never the patterns other endpoints use: those belong to other tenants.
        return events.event_names()


class EventTypeListField(forms.Field):
    """A JSON list of event types and patterns, as the API receives it."""

    default_error_messages = {"invalid": "A list of event type names or patterns."}

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(value) > MAX_EVENT_TYPES:
            raise ValidationError(f"At most {MAX_EVENT_TYPES} event types.", code="too_many")
        problems = [f"{p[:80]!r}: {error}" for p in value if (error := events.pattern_error(p))]
        if problems:
            raise ValidationError("Not an event type or pattern: " + "; ".join(problems))
        return list(dict.fromkeys(value))


class ApiEndpointForm(forms.ModelForm):
    """An endpoint as JSON: url, description, event_types; the model's SSRF rules check the URL."""

    url = forms.URLField(max_length=2000, assume_scheme="https")
    description = forms.CharField(max_length=255, required=False)
    event_types = EventTypeListField(required=False)

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types"]

    save_changes = EndpointForm.save_changes


class TestEventForm(forms.Form):
    """Which event type to send as a test: one of the catalog's, or the plain test event."""

    event_type = forms.CharField(max_length=255, required=False)

    def clean_event_type(self) -> str:
        name = self.cleaned_data["event_type"] or events.TEST_EVENT
        if name != events.TEST_EVENT and name not in events.event_names():
            raise ValidationError("Not an event type of the catalog.", code="unknown")
        return name


class RecoverForm(forms.Form):
    """Redeliver every failed delivery created since this time."""

    since = forms.DateTimeField(
        label="Failed since",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
