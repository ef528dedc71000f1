"""jsonschema validation of incoming payloads: one schema per source, or one per event."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from jsonschema import validators
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator

MAX_MESSAGES = 20
TOO_DEEP_TO_CHECK = "the payload could not be checked: a value nests too deeply for the validator"


class SchemaConfigError(ValueError):
    """A configured schema cannot be loaded or is not a valid JSON Schema."""


def load_schema(value: dict[str, Any] | str, *, label: str) -> Validator:
    """Return a validator for an inline schema dict or a path to a JSON file."""
    if isinstance(value, str):
        path = Path(value)
        if not path.is_absolute():
            path = Path(getattr(settings, "BASE_DIR", Path.cwd())) / path
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaConfigError(
                f"{label}: cannot load JSON schema file {path}: {exc}"
            ) from None
    if not isinstance(value, dict):
        raise SchemaConfigError(f"{label}: a schema must be a dict or a path to a JSON file")
    cls = _linear_unique_items(validators.validator_for(value))
    try:
        cls.check_schema(value)
    except SchemaError as exc:
        raise SchemaConfigError(f"{label}: not a valid JSON Schema: {exc.message}") from None
    return cls(value, format_checker=cls.FORMAT_CHECKER)


class PayloadSchemas:
    """The schemas of one source: `schema` for every event, `schemas` by event name ("*" too)."""

    def __init__(self, source: str, schema: Any = None, schemas: dict[str, Any] | None = None):
        label = f"IRONRELAY['SOURCES'][{source!r}]"
        self.default = load_schema(schema, label=f"{label}['schema']") if schema else None
        if schemas is not None and not isinstance(schemas, dict):
            raise SchemaConfigError(f"{label}['schemas'] must map event names to schemas")
        self.by_event = {
            event: load_schema(value, label=f"{label}['schemas'][{event!r}]")
            for event, value in (schemas or {}).items()
        }

    def validator_for(self, event: str) -> Validator | None:
        """Return the validator that applies to `event`, if any."""
        return self.by_event.get(event) or self.by_event.get("*") or self.default

    def validate(self, event: str, payload: Any) -> list[dict[str, str]]:
        """Return the first MAX_MESSAGES validation messages (path and message); none if valid."""
        validator = self.validator_for(event)
        if validator is None:
            return []
        # Stop at the cap: a 1 MiB array can hold hundreds of thousands of wrong items, and
        # building every error first cost seconds and a gigabyte per request.
        try:
            found = list(itertools.islice(validator.iter_errors(payload), MAX_MESSAGES))
        except RecursionError:
            # Payloads nest at most MAX_DEPTH levels, but a format check can still recurse
            # deeply on one string: Python's re parser, for "regex", once per group.
            return [{"path": "$", "message": TOO_DEEP_TO_CHECK}]
        return [
            {"path": error.json_path, "message": error.message[:500]}
            for error in sorted(found, key=_path_order)
        ]


def _path_order(error: ValidationError) -> list[tuple[int, int | str]]:
    # Indexes in numeric order ($[2] before $[10]); a key and an index never compare directly.
    return [(0, part) if isinstance(part, int) else (1, str(part)) for part in error.path]


@functools.cache
def _linear_unique_items(cls: type[Validator]) -> type[Validator]:
    """Return cls with a uniqueItems that does not compare every pair of items."""
    if "uniqueItems" not in cls.VALIDATORS:
        return cls
    # jsonschema compares each pair of items it cannot sort (objects, mixed types): a 1 MiB
    # array of 250,000 such items would take hours.
    return validators.extend(cls, {"uniqueItems": _unique_items})


def _unique_items(validator: Validator, unique: bool, instance: Any, schema: Any) -> Any:
    if unique and validator.is_type(instance, "array"):
        seen: set[Hashable] = set()
        for item in instance:
            key = equality_key(item)
            if key in seen:
                yield ValidationError(f"{instance!r} has non-unique elements")
                return
            seen.add(key)


# bool apart from int (true is not 1), int with float (1 is 1.0); exact types, as json.loads makes.
_SCALAR_KINDS = {
    bool: "literal",
    type(None): "literal",
    int: "number",
    float: "number",
    str: "string",
}


def equality_key(value: Any) -> Hashable:
    """Return a key equal for values JSON Schema calls equal: 1 and 1.0, but not 1 and true."""
    kind = _SCALAR_KINDS.get(type(value))
    if kind is not None:
        return (kind, value)
    if isinstance(value, Mapping):
        return ("object", frozenset((key, equality_key(item)) for key, item in value.items()))
    if isinstance(value, Sequence):
        return ("array", tuple(equality_key(item) for item in value))
    return ("other", repr(value))  # not JSON; only a subclass of a JSON type lands here
