"""Endpoint tenants, custom headers (encrypted, masked, checked) and the transform allow-list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

import ironrelay
from ironrelay.endpoint_options import TransformError, clean_headers, load_transform
from ironrelay.models import Endpoint
from ironrelay.tenants import TenantKeyError, tenant_key
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db

TOKEN = "Bearer sk_live_0123456789abcdefghij"


def stored_headers(endpoint: Endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT headers_encrypted FROM ironrelay_endpoint WHERE id = %s", [endpoint.pk]
        )
        return cursor.fetchone()[0]


def test_tenant_key_of_a_model_instance_is_label_and_pk():
    note = Note.objects.create(text="x")
    assert ironrelay.tenant_key(note) == f"testapp.note:{note.pk}"


def test_tenant_key_of_a_string_or_int_or_none():
    assert tenant_key("acme") == "acme"
    assert tenant_key(7) == "7"
    assert tenant_key(None) == ""


def test_tenant_key_refuses_unsaved_instances_and_other_types():
    with pytest.raises(TenantKeyError, match="unsaved"):
        tenant_key(Note(text="x"))
    with pytest.raises(TenantKeyError, match="not float"):
        tenant_key(1.5)
    with pytest.raises(TenantKeyError, match="longer than 200"):
        tenant_key("x" * 201)
    with pytest.raises(TenantKeyError, match="control"):
        tenant_key("a\nb")


def test_endpoint_tenant_field_validates():
    endpoint = Endpoint(url="https://example.com/hook", tenant=" acme")
    with pytest.raises(ValidationError) as info:
        endpoint.full_clean()
    assert "tenant" in info.value.message_dict


def test_custom_headers_are_encrypted_at_rest():
    endpoint = Endpoint(url="https://example.com/hook")
    endpoint.custom_headers = {"Authorization": TOKEN}
    endpoint.save()
    assert "sk_live" not in stored_headers(endpoint)
    assert Endpoint.objects.get(pk=endpoint.pk).custom_headers == {"Authorization": TOKEN}


def test_custom_headers_masked_never_show_the_value():
    endpoint = Endpoint(url="https://example.com/hook")
    endpoint.custom_headers = {"Authorization": TOKEN, "X-Short": "abc"}
    masked = endpoint.masked_headers
    assert set(masked) == {"Authorization", "X-Short"}
    assert "0123456789abcdef" not in masked["Authorization"]
    assert "abc" not in masked["X-Short"]


def test_no_custom_headers_stores_nothing():
    endpoint = Endpoint.objects.create(url="https://example.com/hook")
    endpoint.custom_headers = {}
    assert endpoint.headers_encrypted == "" and endpoint.custom_headers == {}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"webhook-signature": "v1,x"}, "cannot be replaced"),
        ({"Content-Type": "text/plain"}, "cannot be replaced"),
        ({"Host": "evil"}, "cannot be replaced"),
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"X-A": "line\r\nX-Injected: 1"}, "control characters"),
        ({"X-A": "ok", "x-a": "twice"}, "given twice"),
        ({"X-A": 5}, "must be text"),
        ({"X-A": "snow ☃"}, "cannot carry"),
        (["X-A"], "mapping"),
        ({f"X-{i}": "v" for i in range(21)}, "At most 20"),
    ],
)
def test_bad_custom_headers_are_refused(headers, message):
    with pytest.raises(ValidationError, match=message):
        clean_headers(headers)


def test_refused_header_value_is_not_in_the_error():
    with pytest.raises(ValidationError) as info:
        clean_headers({"X-Key": "secret-value\n"})
    assert "secret-value" not in str(info.value)


@override_settings(IRONRELAY={"OUTGOING_TRANSFORMS": {"tests.outgoing.transforms.flat": "Flat"}})
def test_transform_must_be_listed():
    endpoint = Endpoint(url="https://example.com/hook", transform="os.system")
    with pytest.raises(ValidationError) as info:
        endpoint.full_clean()
    assert "transform" in info.value.message_dict
    endpoint.transform = "tests.outgoing.transforms.flat"
    endpoint.full_clean()


def test_load_transform_refuses_unlisted_paths_even_if_stored():
    with pytest.raises(TransformError, match="not listed"):
        load_transform("shutil.rmtree")


@override_settings(
    IRONRELAY={
        "OUTGOING_TRANSFORMS": {
            "tests.outgoing.nowhere.gone": "Gone",
            "tests.outgoing.transforms.NOT_CALLABLE": "Not callable",
        }
    }
)
def test_load_transform_says_why_it_cannot_run():
    with pytest.raises(TransformError, match="cannot be imported"):
        load_transform("tests.outgoing.nowhere.gone")
    with pytest.raises(TransformError, match="not callable"):
        load_transform("tests.outgoing.transforms.NOT_CALLABLE")
