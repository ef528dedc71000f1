"""The event types a customer may subscribe to, from the event catalog, as plain data."""

from __future__ import annotations

from typing import Any

from ironrelay.conf import get_settings
from ironrelay.dashboard.forms import pattern_error

TEST_EVENT = "ironrelay.test"  # the type of the event "Send a test event" sends


def catalog() -> list[dict[str, Any]]:
    """Return the event types with description, schema, example and deprecated flag, by name."""
    try:
        from ironrelay.outgoing import catalog as event_catalog
    except ImportError:  # pragma: no cover - the catalog module arrives with the tenants work
        configured = get_settings().EVENT_TYPES
        return [_entry({"name": name, **configured[name]}) for name in sorted(configured)]
    return [_entry(entry) for entry in event_catalog.portal_entries()]


def _bare(name: str) -> dict[str, Any]:
    return {"name": name, "description": "", "schema": {}, "example": {}, "deprecated": False}


def _entry(entry: Any) -> dict[str, Any]:
    data = entry if isinstance(entry, dict) else vars(entry)
    return {**_bare(str(data["name"])), **{k: data[k] for k in _bare("") if k in data}}


def event_names() -> list[str]:
    """Return the names of the catalog's event types that are not deprecated."""
    return [entry["name"] for entry in catalog() if not entry["deprecated"]]


def example(name: str) -> Any:
    """Return the catalog's example data for an event type, or a small test object."""
    for entry in catalog():
        if entry["name"] == name and entry["example"] not in ({}, None):
            return entry["example"]
    return {"test": True}


__all__ = ["TEST_EVENT", "catalog", "event_names", "example", "pattern_error"]
