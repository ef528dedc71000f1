"""Endpoint secrets: generated, encrypted at rest, masked, rotated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from ironrelay.crypto import SecretUnreadable
from ironrelay.models import Endpoint

pytestmark = pytest.mark.django_db


def raw_column(endpoint: Endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM ironrelay_endpoint WHERE id = %s", [endpoint.pk]
        )
        return cursor.fetchone()[0]


def test_blank_secret_is_generated_as_whsec():
    endpoint = Endpoint.objects.create(url="https://example.com/hook", event_types=["*"])
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 20


def test_secret_is_encrypted_at_rest():
    endpoint = Endpoint.objects.create(url="https://example.com/hook")
    stored = raw_column(endpoint)
    assert endpoint.secret not in stored
    assert Endpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_masked_secret_hides_the_middle():
    endpoint = Endpoint(url="https://example.com/hook")
    endpoint.secret = "whsec_abcdefghijklmnopqrstuvwxyz"
    assert endpoint.masked_secret == "whsec_abcd…wxyz"
    assert "efghijklmnopqrstuv" not in endpoint.masked_secret


def test_str_never_shows_secret():
    endpoint = Endpoint.objects.create(url="https://example.com/hook")
    assert endpoint.secret not in str(endpoint) and endpoint.secret not in repr(endpoint)


def test_rotation_keeps_old_secret_signing_until_expiry():
    endpoint = Endpoint.objects.create(url="https://example.com/hook")
    old = endpoint.secret
    new = endpoint.rotate_secret(overlap=3600)
    endpoint.save()
    endpoint.refresh_from_db()
    assert endpoint.secret == new != old
    assert endpoint.signing_secrets() == [new, old]
    later = timezone.now() + timedelta(seconds=3601)
    assert endpoint.signing_secrets(now=later) == [new]


def test_secret_key_change_with_fallback_keeps_secrets_readable(settings):
    endpoint = Endpoint.objects.create(url="https://example.com/hook")
    secret = endpoint.secret
    with override_settings(SECRET_KEY="a-new-key", SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert Endpoint.objects.get(pk=endpoint.pk).secret == secret
    with (
        override_settings(SECRET_KEY="a-new-key", SECRET_KEY_FALLBACKS=[]),
        pytest.raises(SecretUnreadable, match="SECRET_KEY"),
    ):
        _ = Endpoint.objects.get(pk=endpoint.pk).secret


def test_explicit_encryption_keys_are_used():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    with override_settings(IRONRELAY={"ENCRYPTION_KEYS": [key]}):
        endpoint = Endpoint.objects.create(url="https://example.com/hook")
        assert (
            Fernet(key.encode()).decrypt(raw_column(endpoint).encode()).decode() == endpoint.secret
        )


@pytest.mark.parametrize(
    "filters, event, expected",
    [
        (["*"], "shop.order.created", True),
        (["shop.order.*"], "shop.order.created", True),
        (["shop.order.*"], "shop.invoice.paid", False),
        (["invoice.paid"], "invoice.paid", True),
        ([], "invoice.paid", False),
    ],
)
def test_endpoint_accepts_event_filters(filters, event, expected):
    assert Endpoint(url="https://x.test/", event_types=filters).accepts(event) is expected


def test_credentials_in_url_are_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no credentials"):
        Endpoint.objects.create(url="https://user:secret@hooks.example.com/")
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://hooks.example.com\\.evil.test/", "backslash"),
        ("https://%68ooks.example.com/", "parsers disagree"),
        ("https://[fe80::1%25eth0]/", "zone id"),
        ("ftp://hooks.example.com/", "scheme 'ftp' is not allowed"),
    ],
)
def test_url_deliveries_would_refuse_is_refused_on_save_and_clean(url, reason):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=f"Deliveries would refuse this URL: .*{reason}"):
        Endpoint.objects.create(url=url)
    with pytest.raises(ValidationError) as info:
        Endpoint(url=url).clean()
    assert reason in info.value.message_dict["url"][0]
    assert not Endpoint.objects.exists()


def test_clean_leaves_credentials_to_the_field_validator():
    from django.core.exceptions import ValidationError

    endpoint = Endpoint(url="https://user:secret@hooks.example.com/", event_types=["*"])
    endpoint.secret = "whsec_" + "a" * 32
    with pytest.raises(ValidationError) as info:
        endpoint.full_clean()
    assert len(info.value.message_dict["url"]) == 1  # said once, not twice
    assert "no credentials" in info.value.message_dict["url"][0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://hooks.example.com:0/hook", "port 0"), ("ftp://hooks.example.com/", "scheme 'ftp'")],
)
def test_admin_add_form_shows_the_refusal_as_a_field_error(admin_client, url, reason):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:ironrelay_endpoint_add"),
        {"url": url, "description": "", "event_types": '["*"]', "is_active": "on"},
    )
    assert response.status_code == 200  # the form again, not a redirect nor a 500
    assert reason in response.context["adminform"].form.errors["url"][0]
    assert not Endpoint.objects.exists()
