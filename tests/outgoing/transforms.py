"""Payload transforms that test endpoints name."""

from __future__ import annotations

from typing import Any

NOT_CALLABLE = 42


def flat(event_type: str, data: Any) -> Any:
    """Wrap the data the way a chat service wants it."""
    return {"text": f"{event_type}: {data.get('id')}", "event": event_type}


def broken(event_type: str, data: Any) -> Any:
    """Fail the way a transform with a bug does."""
    return data["missing"]


def unserializable(event_type: str, data: Any) -> Any:
    """Return something JSON cannot carry."""
    return {"when": object()}
