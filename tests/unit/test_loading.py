"""import_callable: the one loader of callables named in the settings."""

from __future__ import annotations

import pytest

from ironrelay.conf import SettingError
from ironrelay.loading import import_callable
from ironrelay.portal.access import _load


def test_import_callable_returns_the_callable():
    assert import_callable("tests.outgoing.transforms.flat").__name__ == "flat"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("tests.outgoing.nowhere.gone", "cannot be imported"),
        ("tests.outgoing.transforms.NOT_CALLABLE", "is not callable"),
    ],
)
def test_import_callable_says_why_it_cannot_load(path, why):
    with pytest.raises(ImportError, match=why):
        import_callable(path)


def test_portal_tenant_errors_name_the_setting_and_the_reason():
    with pytest.raises(SettingError, match=r"PORTAL_TENANT.*NOT_CALLABLE.*is not callable"):
        _load("tests.outgoing.transforms.NOT_CALLABLE")
