"""The portal API against its own OpenAPI document, checked by schemathesis."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from ironrelay.models import Endpoint
from ironrelay.portal.access import issue_token
from tests.portal.conftest import failed_delivery, make_customer

schema = schemathesis.openapi.from_wsgi("/webhooks/api/openapi.json", get_wsgi_application())
# The URL rules (SSRF guard, URLField) are more than "format: uri" says: a generated URL the
# schema allows may be refused with a 400, which this check would report.
# The document offers two ways in (session or bearer token): ignored_auth spoils the cookie of
# a request the valid token still authenticates, and calls the 200 a failure. test_api.py
# checks bad tokens (401) and no tenant (403) itself.
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth]

ON_REAL_IDS = [*EXCLUDED, schemathesis.checks.negative_data_rejection]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Keep the database connection open across WSGI requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def customer(db, django_user_model):
    return make_customer(django_user_model, "alice")


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_openapi_document(case, customer):
    headers = {"Authorization": f"Bearer {issue_token(customer.tenant)}"}
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
    if not case.path_parameters:
        return
    # Again on the customer's own endpoint and delivery (made anew if a DELETE took them).
    if not Endpoint.objects.filter(pk=customer.endpoint.pk).exists():
        customer.endpoint.pk = None
        customer.endpoint.save()
        customer.delivery = failed_delivery(customer.endpoint, customer.tenant)
    ids = {"endpoint_id": customer.endpoint.pk, "delivery_id": customer.delivery.pk}
    case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
    # A case may be negative only in the session cookie, which the token makes moot.
    case.call_and_validate(headers=headers, excluded_checks=ON_REAL_IDS)
