from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User


@pytest.fixture
def staff_client(client, django_user_model):
    """A staff user with view permissions only."""
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__startswith="view_", content_type__app_label="ironrelay")
    )
    client.force_login(user)
    return client


@pytest.fixture
def operator_client(client, django_user_model):
    """A staff user with view and change permissions on IronRelay's models."""
    user: User = django_user_model.objects.create_user("operator", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="ironrelay", codename__regex=r"^(view|change)_"
        )
    )
    client.force_login(user)
    return client
