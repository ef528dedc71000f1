"""One adapter per queue system under test, all with the interface of adapters.base.System."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.base import System

# Report column order: IronRelay first, then the peers.
SYSTEM_KEYS = ("ironrelay", "procrastinate", "django_tasks_db", "django_q2", "celery")


def get_system(key: str) -> System:
    """Return the adapter for a system key (importing it does not need Django set up)."""
    if key not in SYSTEM_KEYS:
        raise SystemExit(f"Unknown system {key!r}; choose from {', '.join(SYSTEM_KEYS)}.")
    return importlib.import_module(f"adapters.{key}").SYSTEM
