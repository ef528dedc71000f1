"""The endpoint form of the dashboard and the admin, with its event-types field."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError

from ironrelay import crypto
from ironrelay.conf import get_settings
from ironrelay.endpoint_options import allowed_transforms, clean_headers
from ironrelay.models import Endpoint, OutgoingWebhook
from ironrelay.outgoing.catalog import CatalogError, event_catalog
from ironrelay.outgoing.model_events import ACTIONS

RECENT_MESSAGES = 1000  # how many of the newest messages lend their event types to the choices
SEPARATORS = re.compile(r"[\s,]+")


def known_event_types() -> list[str]:
    """Return the OUTGOING_MODELS events, then the event types endpoints and messages use."""
    names: set[str] = set()
    for label, options in get_settings().OUTGOING_MODELS.items():
        try:
            prefix = apps.get_model(label)._meta.label_lower
        except (LookupError, ValueError):
            prefix = label.lower()
        names.update(f"{prefix}.{action}" for action in options.get("events", ACTIONS))
    with contextlib.suppress(CatalogError):  # a system check names the bad EVENT_TYPES entry
        names.update(event_catalog())
    for patterns in Endpoint.objects.values_list("event_types", flat=True):
        names.update(p for p in patterns if isinstance(p, str) and pattern_error(p) is None)
    recent = OutgoingWebhook.objects.order_by("-created_at")[:RECENT_MESSAGES]
    names.update(recent.values_list("event_type", flat=True))
    # Patterns are typed, not ticked: the boxes are event types.
    return sorted(name for name in names if "*" not in name and pattern_error(name) is None)


def pattern_error(pattern: str) -> str | None:
    """Say what is wrong with an event type or pattern, or return None when it is fine."""
    if len(pattern) > 255:
        return "longer than 255 characters"
    if any(ord(char) < 32 or char in ",\x7f" or char.isspace() for char in pattern):
        return "contains a space, a comma or a control character"
    if any(char in "[]{}\"'" for char in pattern):
        return "contains a bracket or a quote: type names separated by commas, not JSON"
    if pattern == "*" or "*" not in pattern:
        return None
    if pattern.endswith(".*") and "*" not in pattern[:-2] and pattern[:-2]:
        return None
    return 'a "*" may only end a prefix ("shop.order.*") or stand alone ("*")'


class EventTypesWidget(forms.MultiWidget):
    """Checkboxes for the known event types, and a line for other types and patterns."""

    template_name = "ironrelay/widgets/event_types.html"  # one block: the admin lays it out too

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        other = forms.TextInput(
            attrs={
                "size": 60,
                "class": "vTextField",  # the admin's width for text inputs
                "placeholder": "other types or patterns: shop.order.*, invoice.paid",
                "aria-label": "Other event types or patterns",
            }
        )
        super().__init__([forms.CheckboxSelectMultiple(), other], attrs)

    def decompress(self, value: Any) -> list[Any]:
        patterns = [p for p in value or [] if isinstance(p, str)]
        known = {str(choice) for choice, _ in self.widgets[0].choices}
        return [
            [p for p in patterns if p in known],
            ", ".join(p for p in patterns if p not in known),
        ]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # A stored value is a list of patterns; a posted one is [ticked, typed].
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = self.decompress(value)
        return super().get_context(name, value, attrs)


class EventTypesField(forms.MultiValueField):
    """A list of event types and patterns: ticked from the known types or typed, never JSON."""

    widget = EventTypesWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            'Exact names, prefixes like "shop.order.*", or "*" for every event. None: the '
            "endpoint receives nothing.",
        )
        fields = (forms.MultipleChoiceField(required=False), forms.CharField(required=False))
        super().__init__(fields, require_all_fields=False, **kwargs)

    def set_choices(self, names: list[str], descriptions: dict[str, str] | None = None) -> None:
        """Offer these event types as checkboxes, each labelled with its description if given."""
        descriptions = descriptions or {}
        choices = [
            (name, f"{name} · {descriptions[name]}" if descriptions.get(name) else name)
            for name in names
        ]
        self.fields[0].choices = choices
        self.widget.widgets[0].choices = choices

    def compress(self, data_list: list[Any]) -> list[str]:
        ticked, typed = [*data_list, [], ""][:2]
        patterns = [*(ticked or []), *SEPARATORS.split(typed or "")]
        unique = list(dict.fromkeys(p for p in patterns if p))
        problems = [f"{p!r}: {error}" for p in unique if (error := pattern_error(p))]
        if problems:
            raise ValidationError("Not an event type or pattern: " + "; ".join(problems))
        return unique

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.clean(data) != list(initial or [])
        except ValidationError:
            return True


class CustomHeadersField(forms.CharField):
    """Headers as "Name: value" lines; a value shown masked and sent back unchanged is kept."""

    widget = forms.Textarea(
        attrs={
            "rows": 3,
            "cols": 60,
            "class": "vLargeTextField mono",
            "placeholder": "Authorization: Bearer …",
            "autocomplete": "off",
            "spellcheck": "false",
        }
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20_000)
        kwargs.setdefault(
            "help_text",
            'Sent with every delivery, one "Name: value" per line (for example the receiver\'s '
            "own auth header). Stored encrypted and shown masked: leave a masked value as it is "
            "to keep it.",
        )
        super().__init__(**kwargs)

    @staticmethod
    def masked_text(headers: dict[str, str]) -> str:
        """Return headers as lines with masked values (what a form shows)."""
        return "\n".join(f"{name}: {crypto.mask(value)}" for name, value in headers.items())

    def parse(self, text: str, stored: dict[str, str]) -> dict[str, str]:
        """Return the headers of `text`, a masked value replaced by the stored one."""
        headers: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise ValidationError(f'Line {number}: write "Name: value".')
            name, value = name.strip(), value.strip()
            if name in stored and value == crypto.mask(stored[name]):
                value = stored[name]
            headers[name] = value
        return clean_headers(headers)


class EndpointForm(forms.ModelForm):
    """URL, description, event types and custom headers; the model's validators check the URL."""

    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),  # the admin's width for URLs
        help_text="Where deliveries are POSTed. No credentials: receivers check the signature.",
    )
    event_types = EventTypesField()
    custom_headers = CustomHeadersField(label="Custom headers")

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_types"]
        if isinstance(field, EventTypesField):  # a subclass may swap the field out
            field.set_choices(self.event_type_choices())
        if "custom_headers" in self.fields and self.instance.headers_encrypted:
            self.initial["custom_headers"] = CustomHeadersField.masked_text(
                self.instance.custom_headers
            )

    def event_type_choices(self) -> list[str]:
        """Return the event types offered as checkboxes."""
        return known_event_types()

    def clean_custom_headers(self) -> dict[str, str]:
        stored = self.instance.custom_headers if self.instance.headers_encrypted else {}
        return CustomHeadersField().parse(self.cleaned_data.get("custom_headers") or "", stored)

    def save(self, commit: bool = True) -> Endpoint:
        endpoint = super().save(commit=False)
        if "custom_headers" in self.cleaned_data:
            endpoint.custom_headers = self.cleaned_data["custom_headers"]
        if commit:
            endpoint.save()
        return endpoint

    def save_changes(self) -> Endpoint:
        """Save only the form's fields of an endpoint: the worker writes its counters meanwhile."""
        endpoint = self.save(commit=False)
        columns = {field.name for field in Endpoint._meta.concrete_fields}
        fields = [name for name in self._meta.fields or [] if name in columns]
        fields.append("updated_at")
        if "custom_headers" in self.fields:
            fields.append("headers_encrypted")
        endpoint.save(update_fields=fields)
        return endpoint


class StaffEndpointForm(EndpointForm):
    """The staff's endpoint form (dashboard and admin): also the tenant and the transform."""

    class Meta:
        model = Endpoint
        fields = [
            "url",
            "description",
            "tenant",
            "event_types",
            "transform",
            "max_in_flight",
            "rate",
        ]
        widgets = {"tenant": forms.TextInput(attrs={"class": "vTextField", "size": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.transform
        options = {**allowed_transforms()}
        if current and current not in options:
            options[current] = f"{current} (no longer allowed)"
        self.fields["transform"].widget = forms.Select(
            choices=[("", "none: the event's data as it is"), *options.items()]
        )
