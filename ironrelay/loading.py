"""Load a callable named by a dotted path in the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string


def import_callable(path: str) -> Callable[..., Any]:
    """Import `path` and return it, or raise ImportError saying why it cannot be called."""
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ImportError(f"{path!r} cannot be imported: {exc}") from None
    if not callable(found):
        raise ImportError(f"{path!r} is not callable")
    return found
