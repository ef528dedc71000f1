"""The models whose saves and deletes are sent as events, as registered (the catalog lists them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

ACTIONS = ("created", "updated", "deleted")
Serializer = Callable[[Model], Any]


@dataclass(frozen=True)
class ModelEvents:
    """A model registered for outgoing events: its actions and its payload serializer."""

    model: type[Model]
    actions: frozenset[str]
    serializer: Serializer

    def event_types(self) -> list[str]:
        """Return the event names it sends: <app_label>.<model_name>.<action>."""
        prefix = f"{self.model._meta.app_label}.{self.model._meta.model_name}"
        return [f"{prefix}.{action}" for action in ACTIONS if action in self.actions]


registered: dict[str, ModelEvents] = {}  # by model label
