from __future__ import annotations

import pytest
from django.test import override_settings

from ironrelay.conf import SettingError, get_settings


def test_settings_defaults_apply_when_key_absent():
    with override_settings(IRONRELAY={}):
        assert get_settings().MAX_ATTEMPTS == 3
        assert get_settings().DEFAULT_QUEUE == "default"


def test_settings_follow_override_settings():
    with override_settings(IRONRELAY={"MAX_ATTEMPTS": 9}):
        assert get_settings().MAX_ATTEMPTS == 9
    assert get_settings().MAX_ATTEMPTS == 3


def test_settings_unknown_key_names_it():
    with (
        override_settings(IRONRELAY={"MAX_ATEMPTS": 9}),
        pytest.raises(SettingError, match="MAX_ATEMPTS"),
    ):
        get_settings()
