"""JSON Schema and an example of the payload model_to_payload makes from a model's fields."""

from __future__ import annotations

from typing import Any

from django.db import models

# Checked in order: subclasses before the classes they extend.
_TYPES: list[tuple[type[models.Field[Any, Any]], dict[str, Any], Any]] = [
    (models.BooleanField, {"type": "boolean"}, True),
    (models.IntegerField, {"type": "integer"}, 1),  # and the auto, big, small and positive ones
    (models.FloatField, {"type": "number"}, 1.5),
    # DjangoJSONEncoder writes decimals, UUIDs, times and durations as text.
    (models.DecimalField, {"type": "string", "format": "decimal"}, "9.99"),
    (
        models.UUIDField,
        {"type": "string", "format": "uuid"},
        "5f0c7f2e-8a4b-4c1e-9d3a-2b6f1e0a7c44",
    ),
    (models.DateTimeField, {"type": "string", "format": "date-time"}, "2026-01-31T12:00:00Z"),
    (models.DateField, {"type": "string", "format": "date"}, "2026-01-31"),
    (models.TimeField, {"type": "string", "format": "time"}, "12:00:00"),
    (models.DurationField, {"type": "string", "format": "duration"}, "P0DT01H00M00S"),
    (models.EmailField, {"type": "string", "format": "email"}, "someone@example.com"),
    (models.URLField, {"type": "string", "format": "uri"}, "https://example.com/"),
    (models.GenericIPAddressField, {"type": "string"}, "192.0.2.1"),
    (models.FileField, {"type": "string"}, "uploads/file.pdf"),  # the file's name
    (models.BinaryField, {"type": "string", "contentEncoding": "base16"}, "00ff"),
    (models.JSONField, {}, {}),
    (models.CharField, {"type": "string"}, "text"),
    (models.TextField, {"type": "string"}, "text"),
]


def field_schema(field: models.Field[Any, Any]) -> tuple[dict[str, Any], Any]:
    """Return the JSON Schema of one field's payload value, and an example value."""
    if field.is_relation and field.target_field is not None:  # foreign key: the related pk
        schema, example = field_schema(field.target_field)
        schema = {**schema, "description": f"Primary key of a {field.related_model._meta.label}"}
    else:
        schema, example = next(
            ((dict(s), e) for kind, s, e in _TYPES if isinstance(field, kind)), ({}, None)
        )
        if field.choices and not field.is_relation:
            values = [value for value, _label in field.flatchoices]
            if values and all(isinstance(v, (str, int)) for v in values):
                schema["enum"] = values
                example = values[0]
        max_length = getattr(field, "max_length", None)
        if schema.get("type") == "string" and max_length and "format" not in schema:
            schema["maxLength"] = max_length
    if field.verbose_name and not field.is_relation:
        schema["title"] = str(field.verbose_name)
    if field.null or isinstance(field, models.FileField):
        if "type" in schema:
            schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema, example


def model_schema(model: type[models.Model]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the JSON Schema of model_to_payload(instance) for `model`, and an example."""
    properties: dict[str, Any] = {}
    example: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        properties[field.attname], example[field.attname] = field_schema(field)
    schema = {
        "type": "object",
        "title": model._meta.verbose_name.title(),
        "properties": properties,
        "required": list(properties),
    }
    return schema, example
