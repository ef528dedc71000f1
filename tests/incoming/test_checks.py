"""System checks on IRONRELAY["SOURCES"]."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ironrelay.checks import check_sources


def messages(sources: dict, debug: bool = False) -> list[tuple[str, str]]:
    with override_settings(IRONRELAY={"SOURCES": sources}, DEBUG=debug):
        return [(m.id, m.msg) for m in check_sources()]


def test_valid_sources_pass():
    assert messages({"s": {"scheme": "stripe", "secrets": ["whsec_x"]}}) == []


def test_signed_scheme_without_secrets_is_an_error():
    [(code, text)] = messages({"gh": {"scheme": "github"}})
    assert code == "ironrelay.E002"
    assert "'gh'" in text and "secret" in text


def test_single_string_secret_is_an_error():
    [(code, text)] = messages({"gh": {"scheme": "github", "secrets": "abc"}})
    assert code == "ironrelay.E002"
    assert "list of strings" in text


def test_unknown_scheme_is_an_error_listing_known_ones():
    [(code, text)] = messages({"x": {"scheme": "stripee", "secrets": ["a"]}})
    assert code == "ironrelay.E002"
    assert "stripee" in text and "stripe" in text


def test_unknown_option_is_an_error_naming_it():
    [(code, text)] = messages({"x": {"scheme": "github", "secrets": ["a"], "hedaer": "X"}})
    assert code == "ironrelay.E002"
    assert "hedaer" in text


def test_invalid_json_schema_is_an_error():
    [(code, text)] = messages(
        {"x": {"scheme": "none", "schema": {"type": "no-such-type"}}}, debug=True
    )
    assert code == "ironrelay.E002"
    assert "not a valid JSON Schema" in text


def test_missing_schema_file_is_an_error(tmp_path):
    [(code, text)] = messages(
        {"x": {"scheme": "none", "schema": str(tmp_path / "nope.json")}}, debug=True
    )
    assert code == "ironrelay.E002"
    assert "cannot load JSON schema file" in text


@pytest.mark.parametrize("debug, expected", [(False, ["ironrelay.W002"]), (True, [])])
def test_unsigned_source_warns_only_when_debug_is_off(debug, expected):
    assert [code for code, _ in messages({"t": {"scheme": "none"}}, debug=debug)] == expected


@pytest.mark.parametrize("value", ["contents", "", None, ["content"], 1])
def test_unknown_dedupe_value_is_an_error_naming_it(value):
    [(code, text)] = messages({"gh": {"scheme": "github", "secrets": ["a"], "dedupe": value}})
    assert code == "ironrelay.E002"
    assert f"IRONRELAY['SOURCES']['gh']['dedupe'] is {value!r}" in text
    assert "'content', 'delivery_id'" in text


@pytest.mark.parametrize("value", ["content", "delivery_id"])
def test_known_dedupe_values_pass_where_an_id_or_timestamp_is_signed(value):
    assert messages({"s": {"scheme": "stripe", "secrets": ["whsec_x"], "dedupe": value}}) == []


def test_dedupe_on_an_unsigned_delivery_id_warns():
    sources = {"gh": {"scheme": "github", "secrets": ["a"], "dedupe": "delivery_id"}}
    [(code, text)] = messages(sources)
    assert code == "ironrelay.W003"
    assert "'gh'" in text and "new id" in text


@pytest.mark.parametrize(
    "config",
    [
        {"scheme": "github", "secrets": ["a"]},  # the default, content
        {"scheme": "hmac-sha256", "secrets": ["a"], "id_key": "id", "dedupe": "delivery_id"},
        {"scheme": "token", "secrets": ["a"], "dedupe": "delivery_id"},
    ],
)
def test_no_dedupe_warning_where_the_id_is_signed_or_nothing_is(config):
    assert messages({"s": config}) == []
