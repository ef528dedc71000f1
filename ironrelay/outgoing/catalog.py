"""The event catalog: every event type the site sends, with its description, schema and example."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ironrelay.conf import get_settings
from ironrelay.outgoing.model_events import registered
from ironrelay.outgoing.model_schema import model_schema
from ironrelay.outgoing.serializers import model_to_payload

logger = logging.getLogger("ironrelay.outgoing")

ENTRY_KEYS = frozenset({"description", "schema", "example", "deprecated"})
MODES = ("error", "warn", "off")
MAX_ERROR_CHARS = 300  # of a validation message, which quotes the offending value


class CatalogError(ImproperlyConfigured):
    """IRONRELAY["EVENT_TYPES"] or EVENT_SCHEMA_VALIDATION is wrong."""


class EventDataError(ValueError):
    """An event's data does not match the schema of its event type."""


@dataclass(frozen=True)
class EventType:
    """One entry of the catalog."""

    name: str
    description: str = ""
    schema: dict[str, Any] | None = None  # None: nothing declared, data is not checked
    example: Any = None
    deprecated: bool = False
    model: str = ""  # the label of the model whose saves and deletes send it

    def as_data(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data (what the portal serves)."""
        return {
            "name": self.name,
            "description": self.description,
            "schema": self.schema,
            "example": self.example,
            "deprecated": self.deprecated,
            "model": self.model,
        }


@functools.cache
def event_catalog() -> dict[str, EventType]:
    """Return every event type by name: OUTGOING_MODELS events, then EVENT_TYPES over them."""
    entries = _model_events()
    declared = get_settings().EVENT_TYPES
    if not isinstance(declared, dict):
        raise CatalogError("IRONRELAY['EVENT_TYPES'] must be a dict of event name to options.")
    for name, options in declared.items():
        problem = _entry_problem(name, options)
        if problem:
            raise CatalogError(problem)
        base = entries.get(name, EventType(name))
        entries[name] = EventType(
            name=name,
            description=options.get("description", base.description),
            schema=options.get("schema", base.schema),
            example=options.get("example", base.example),
            deprecated=options.get("deprecated", base.deprecated),
            model=base.model,
        )
    return dict(sorted(entries.items()))


def catalog_as_data() -> list[dict[str, Any]]:
    """Return the catalog as a JSON-ready list, sorted by event name."""
    return [entry.as_data() for entry in event_catalog().values()]


def _model_events() -> dict[str, EventType]:
    entries: dict[str, EventType] = {}
    for label, registration in registered.items():
        model = registration.model
        serializer = registration.serializer
        schema: dict[str, Any] | None
        example: Any
        if serializer is model_to_payload:
            schema, example = model_schema(model)
        else:  # a custom serializer describes its output with .schema and .example, or not at all
            schema = getattr(serializer, "schema", None)
            example = getattr(serializer, "example", None)
        verbose = model._meta.verbose_name
        for name in registration.event_types():
            action = name.rsplit(".", 1)[1]
            entries[name] = EventType(
                name=name,
                description=f"A {verbose} was {action}.",
                schema=schema,
                example=example,
                model=label,
            )
    return entries


def _entry_problem(name: Any, options: Any) -> str:
    """Return what is wrong with one EVENT_TYPES entry, or ""."""
    where = f"IRONRELAY['EVENT_TYPES'][{name!r}]"
    if not isinstance(name, str) or not name or len(name) > 255:
        return f"{where}: an event name is a non-empty string of at most 255 characters."
    if not isinstance(options, dict):
        return f"{where} must be a dict with some of: {', '.join(sorted(ENTRY_KEYS))}."
    unknown = set(options) - ENTRY_KEYS
    if unknown:
        return (
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(ENTRY_KEYS))}."
        )
    if not isinstance(options.get("description", ""), str):
        return f"{where}['description'] must be text."
    if not isinstance(options.get("deprecated", False), bool):
        return f"{where}['deprecated'] must be True or False."
    schema = options.get("schema")
    if schema is not None:
        if not isinstance(schema, dict):
            return f"{where}['schema'] must be a JSON Schema (a dict)."
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            return f"{where}['schema'] is not a valid JSON Schema: {exc.message}"
        if "example" in options:
            error = _first_error(schema, options["example"])
            if error:
                return f"{where}['example'] does not match its schema: {error}"
    return ""


def config_problems() -> list[str]:
    """Return every problem of EVENT_TYPES and EVENT_SCHEMA_VALIDATION (for system checks)."""
    conf = get_settings()
    problems = []
    if conf.EVENT_SCHEMA_VALIDATION not in ("", *MODES):
        problems.append(
            f"IRONRELAY['EVENT_SCHEMA_VALIDATION'] is {conf.EVENT_SCHEMA_VALIDATION!r}; "
            f"use one of {', '.join(MODES)}."
        )
    if not isinstance(conf.EVENT_TYPES, dict):
        return [*problems, "IRONRELAY['EVENT_TYPES'] must be a dict of event name to options."]
    for name, options in conf.EVENT_TYPES.items():
        problem = _entry_problem(name, options)
        if problem:
            problems.append(problem)
    return problems


def validation_mode() -> str:
    """Return what send_webhook does with data that its schema refuses: error, warn or off."""
    mode = get_settings().EVENT_SCHEMA_VALIDATION
    if mode == "":
        return "error" if django_settings.DEBUG else "warn"
    if mode not in MODES:
        raise CatalogError(
            f"IRONRELAY['EVENT_SCHEMA_VALIDATION'] is {mode!r}; use one of {', '.join(MODES)}."
        )
    return mode


def validate_event(event_type: str, data: Any) -> None:
    """Check data against its event type's schema: raise, log or skip as the setting says."""
    mode = validation_mode()
    if mode == "off":
        return
    try:
        entry = event_catalog().get(event_type)
    except CatalogError as exc:
        if mode == "error":
            raise
        logger.warning("Event %s not checked: %s", event_type, exc)
        return
    if entry is None or entry.schema is None:
        return  # not in the catalog, or declared without a schema: nothing to check against
    error = _first_error(entry.schema, data, quote_data=mode == "error")
    if not error:
        return
    message = f"Data of event {event_type!r} does not match its schema: {error}"
    if mode == "error":
        raise EventDataError(message)
    logger.warning("%s (sent anyway: EVENT_SCHEMA_VALIDATION is 'warn')", message)


def _first_error(schema: dict[str, Any], data: Any, *, quote_data: bool = True) -> str:
    """Return the first validation error as "at <path>: <message>", or ""."""
    error = next(iter(_validator(_Frozen(schema)).iter_errors(data)), None)
    if error is None:
        return ""
    path = "/" + "/".join(str(part) for part in error.absolute_path)
    if not quote_data:  # for the log: jsonschema's message quotes the payload's values
        rule = "/" + "/".join(str(part) for part in error.absolute_schema_path)
        return f"at {path}: fails the schema's {error.validator!r} rule at {rule}"
    return f"at {path}: {error.message[:MAX_ERROR_CHARS]}"


class _Frozen:
    """A schema made hashable by identity, so compiled validators are cached per schema."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def __hash__(self) -> int:
        return id(self.schema)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and other.schema is self.schema


@functools.lru_cache(maxsize=512)
def _validator(frozen: _Frozen) -> Draft202012Validator:
    return Draft202012Validator(frozen.schema)


def clear_cache() -> None:
    """Forget the built catalog and compiled schemas (settings or registrations changed)."""
    event_catalog.cache_clear()
    _validator.cache_clear()


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "IRONRELAY":
        clear_cache()
