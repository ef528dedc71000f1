"""What a database can store as JSON: the values every backend takes in a JSON column."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def unstorable(value: Any) -> str | None:
    """Return why some database would refuse value in a JSON or text column, or None.

    PostgreSQL refuses NUL characters and lone UTF-16 surrogates in text and jsonb, and JSON has
    no NaN or Infinity (a body's 1e999 parses as Infinity).
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "a NUL character (\\u0000)"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone UTF-16 surrogate"
        elif isinstance(item, float) and not math.isfinite(item):
            return "a number out of range (NaN or Infinity)"
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None


def may_be_unstorable(json_text: str) -> bool:
    """Tell cheaply whether JSON text written with ensure_ascii needs a look with unstorable()."""
    return "\\u0000" in json_text or "\\ud" in json_text
