"""The event types a customer may subscribe to, from the event catalog, as plain data."""

from __future__ import annotations

from typing import Any

from ironrelay.dashboard.forms import pattern_error

TEST_EVENT = "ironrelay.test"  # the type of the event "Send a test event" sends
PUBLIC_KEYS = ("name", "description", "schema", "example", "deprecated")


def catalog() -> list[dict[str, Any]]:
    """Return the catalog's event types (name, description, schema, example, deprecated)."""
    from ironrelay.outgoing.catalog import catalog_as_data

    # Not "model": which model sends an event is the site's business, not its customers'.
    return [{key: entry[key] for key in PUBLIC_KEYS} for entry in catalog_as_data()]


def event_names() -> list[str]:
    """Return the names of the catalog's event types that are not deprecated."""
    return [entry["name"] for entry in catalog() if not entry["deprecated"]]


def example(name: str) -> Any:
    """Return the catalog's example data for an event type, or a small test object."""
    for entry in catalog():
        if entry["name"] == name and entry["example"] is not None:
            return entry["example"]
    return {"test": True}


__all__ = ["TEST_EVENT", "catalog", "event_names", "example", "pattern_error"]
