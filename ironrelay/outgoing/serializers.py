"""The default payload of a model event: the instance's fields as JSON-safe values."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import FileField, Model


def model_to_payload(instance: Model) -> dict[str, Any]:
    """Return the instance's concrete fields: dates as ISO text, decimals and UUIDs as text,
    files as their names, foreign keys as the related primary key."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        if isinstance(field, FileField):
            value = value.name if value else None
        elif isinstance(value, (bytes, memoryview)):
            value = bytes(value).hex()
        data[field.attname] = value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
