"""What a database can store as JSON: the values every backend takes in a JSON column."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# How deeply arrays and objects may nest in any JSON value IronRelay stores (an incoming payload,
# a task argument, keyword argument or return value, outgoing data). MariaDB refuses documents
# nested deeper than 31 and a value can sit one level down in its column (a task's argument
# list); it also keeps parsing, schema validation and pretty-printing far from Python's recursion
# limit.
MAX_DEPTH = 30


def unstorable(value: Any) -> str | None:
    """Return why some database would refuse value in a JSON or text column, or None.

    PostgreSQL refuses NUL characters and lone UTF-16 surrogates in text and jsonb, JSON has
    no NaN or Infinity (a body's 1e999 parses as Infinity), and MariaDB refuses deep nesting.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "a NUL character (\\u0000)"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone UTF-16 surrogate"
        elif isinstance(item, float) and not math.isfinite(item):
            return "a number out of range (NaN or Infinity)"
        elif isinstance(item, (Mapping, list, tuple)):
            if depth == MAX_DEPTH:
                return too_deep()
            if isinstance(item, Mapping):
                stack.extend((key, depth + 1) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return None


def too_deep() -> str:
    """Say what a value nested deeper than MAX_DEPTH contains."""
    return f"arrays or objects nested more than {MAX_DEPTH} levels deep"


def may_be_unstorable(json_text: str) -> bool:
    """Tell cheaply whether JSON text written with ensure_ascii needs a look with unstorable().

    Text with at most MAX_DEPTH brackets cannot nest deeper than that (strings may hold some).
    """
    return (
        "\\u0000" in json_text
        or "\\ud" in json_text
        or json_text.count("[") + json_text.count("{") > MAX_DEPTH
    )
