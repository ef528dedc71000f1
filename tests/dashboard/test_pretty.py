"""Stored JSON shown on the dashboard and in the admin."""

from __future__ import annotations

from ironrelay.prettyjson import pretty
from ironrelay.storable import MAX_DEPTH


def nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_pretty_indents_sorts_keys_and_keeps_unicode():
    assert pretty({"b": 1, "a": "Zoë"}) == '{\n  "a": "Zoë",\n  "b": 1\n}'


def test_pretty_shows_json_nested_at_the_limit():
    assert pretty(nested_list(MAX_DEPTH)).count("[") == MAX_DEPTH


def test_pretty_of_a_value_too_deep_to_print_is_a_note_not_a_crash():
    # Rows stored before nesting was limited can be this deep.
    assert pretty(nested_list(50_000)) == (
        f"(not shown: arrays or objects nested more than {MAX_DEPTH} levels deep)"
    )
