"""Stored JSON shown to staff (dashboard and admin): indented, and never a crash."""

from __future__ import annotations

import json
from typing import Any

from ironrelay.storable import too_deep


def pretty(value: Any) -> str:
    """Return JSON indented for reading, or a note when it nests too deep to print."""
    try:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except RecursionError:
        # Only a row stored before nesting was limited can get here; the page still loads.
        return f"(not shown: {too_deep()})"
