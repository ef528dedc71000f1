"""Portal forms: an endpoint (pages and API), a test event, and recovery since a time."""

from __future__ import annotations

import ipaddress
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ironrelay.conf import get_settings
from ironrelay.dashboard.forms import EndpointForm, EventTypesField
from ironrelay.destinations import DestinationError, parse_target, pick_address
from ironrelay.endpoint_options import clean_headers
from ironrelay.models import Endpoint
from ironrelay.portal import events

MAX_EVENT_TYPES = 100


def refuse_local_url(url: str) -> str:
    """Refuse a URL naming a local or private address, as deliveries would (no DNS lookup).

    A host name is resolved and checked again by every delivery: this gives customers the
    error as they type the URL.
    """
    try:
        target = parse_target(url)
    except DestinationError:
        return url  # the model's validator explains what is wrong with it
    host = target.host
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationError("Deliveries never go to localhost: give a public URL.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return url
    try:
        pick_address(target, get_settings().OUTGOING_ALLOW)  # a literal: no DNS query
    except DestinationError as exc:
        raise ValidationError(
            "Deliveries would refuse this URL: %(reason)s.", params={"reason": exc}
        ) from None
    return url


class PortalEndpointForm(EndpointForm):
    """The dashboard's endpoint form for customers: URL, description, event types, headers.

    Never the tenant or the transform: those are the site's to set, not its customers'.
    """

    class Meta(EndpointForm.Meta):
        fields = ["url", "description", "event_types"]

    def clean_url(self) -> str:
        return refuse_local_url(self.cleaned_data["url"])

    def event_type_choices(self) -> list[str]:
        # Never the patterns other endpoints use: those belong to other tenants.
        return events.event_names()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        if isinstance(field, EventTypesField):
            described = {e["name"]: e["description"] for e in events.catalog()}
            field.set_choices(self.event_type_choices(), described)


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


class HeadersField(forms.Field):
    """Custom headers as the API receives them: a JSON object of header name to value."""

    def to_python(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None  # not given: the stored headers stay
        return clean_headers(value)


class ApiEndpointForm(forms.ModelForm):
    """An endpoint as JSON: url, description, event_types, custom_headers (SSRF rules apply)."""

    url = forms.URLField(max_length=2000, assume_scheme="https")
    description = forms.CharField(max_length=255, required=False)
    event_types = EventTypeListField(required=False)
    custom_headers = HeadersField(required=False)

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types"]

    def clean_url(self) -> str:
        return refuse_local_url(self.cleaned_data["url"])

    def save(self, commit: bool = True) -> Endpoint:
        endpoint = super().save(commit=False)
        if self.cleaned_data.get("custom_headers") is not None:
            endpoint.custom_headers = self.cleaned_data["custom_headers"]
        if commit:
            endpoint.save()
        return endpoint

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
