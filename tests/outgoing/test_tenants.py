"""Tenants in the fan-out: a tenant's endpoints get only its events, found by an indexed lookup."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay import send_webhook, tenant_key
from ironrelay.crypto import encrypt
from ironrelay.models import Delivery, Endpoint, OutgoingWebhook
from ironrelay.outgoing import register
from ironrelay.outgoing.messages import subscribed_endpoints
from ironrelay.outgoing.triggers import register_from_settings
from ironrelay.tenants import TenantKeyError
from tests.testapp.models import Customer, Note, Order

pytestmark = pytest.mark.django_db


def endpoint(tenant: str = "", events: list[str] | None = None, **fields) -> Endpoint:
    return Endpoint.objects.create(
        url="https://example.com/hook", event_types=events or ["*"], tenant=tenant, **fields
    )


def receivers(message: OutgoingWebhook) -> set[int]:
    return set(Delivery.objects.filter(message=message).values_list("endpoint_id", flat=True))


def many_tenants(tenants: int, per_tenant: int) -> None:
    """Store tenants x endpoints rows in a few statements (bulk_create skips save())."""
    secret = encrypt("whsec_" + "A" * 32)
    Endpoint.objects.bulk_create(
        [
            Endpoint(
                url=f"https://example.com/t{t}/{n}",
                event_types=["invoice.*"],
                tenant=f"billing.customer:{t}",
                secret_encrypted=secret,
            )
            for t in range(tenants)
            for n in range(per_tenant)
        ],
        batch_size=500,
    )


def test_tenant_event_reaches_its_endpoints_and_untenanted_ones_only():
    acme, globex = Customer.objects.create(name="Acme"), Customer.objects.create(name="Globex")
    mine = endpoint(tenant_key(acme))
    theirs = endpoint(tenant_key(globex))
    internal = endpoint("")
    message = send_webhook("invoice.paid", {"id": 1}, tenant=acme)
    assert receivers(message) == {mine.pk, internal.pk}
    assert message.tenant == f"testapp.customer:{acme.pk}"
    assert theirs.pk not in receivers(send_webhook("invoice.paid", {"id": 2}, tenant=acme))


def test_tenant_given_as_key_string_is_the_same_tenant():
    customer = Customer.objects.create(name="Acme")
    mine = endpoint(tenant_key(customer))
    message = send_webhook("invoice.paid", {"id": 1}, tenant=f"testapp.customer:{customer.pk}")
    assert receivers(message) == {mine.pk}


def test_event_without_tenant_reaches_only_untenanted_endpoints():
    endpoint("testapp.customer:1")
    internal = endpoint("")
    message = send_webhook("invoice.paid", {"id": 1})
    assert receivers(message) == {internal.pk}
    assert message.tenant == ""


def test_tenant_endpoints_still_filter_by_event_type_and_activity():
    wanted = endpoint("acme", ["invoice.*"])
    endpoint("acme", ["order.created"])
    endpoint("acme", ["*"], is_active=False)
    message = send_webhook("invoice.paid", {"id": 1}, tenant="acme")
    assert receivers(message) == {wanted.pk}


def test_bad_tenant_is_refused_before_anything_is_stored():
    with pytest.raises(TenantKeyError):
        send_webhook("invoice.paid", {"id": 1}, tenant=Customer(name="unsaved"))
    with pytest.raises(TenantKeyError):
        send_webhook("invoice.paid", {"id": 1}, tenant=["acme"])
    assert not OutgoingWebhook.objects.exists()


def test_model_events_belong_to_the_tenant_attribute(django_capture_on_commit_callbacks):
    acme, globex = Customer.objects.create(name="Acme"), Customer.objects.create(name="Globex")
    mine = endpoint(tenant_key(acme), ["testapp.order.*"])
    theirs = endpoint(tenant_key(globex), ["testapp.order.*"])
    with django_capture_on_commit_callbacks(execute=True):
        order = Order.objects.create(customer=acme, total="9.50")
    message = OutgoingWebhook.objects.get(event_type="testapp.order.created")
    assert message.tenant == tenant_key(acme)
    assert receivers(message) == {mine.pk}
    with django_capture_on_commit_callbacks(execute=True):
        order.delete()
    deleted = OutgoingWebhook.objects.get(event_type="testapp.order.deleted")
    assert receivers(deleted) == {mine.pk}
    assert theirs.pk not in {d.endpoint_id for d in Delivery.objects.all()}


def test_model_event_tenant_read_without_a_query(django_capture_on_commit_callbacks):
    customer = Customer.objects.create(name="Acme")
    order = Order.objects.create(customer=customer)
    fresh = Order.objects.get(pk=order.pk)  # customer not loaded
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        fresh.total = 3
        fresh.save()
    assert not any("testapp_customer" in q["sql"] for q in queries.captured_queries)


def test_one_tenants_event_among_many_costs_few_queries_and_reads_its_rows(
    django_assert_max_num_queries,
):
    many_tenants(300, 3)
    internal = endpoint("", ["invoice.*"])
    # Savepoint, message, deliveries, tasks, and the endpoint lookup: never one per endpoint.
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(8):
        message = send_webhook("invoice.paid", {"id": 1}, tenant="billing.customer:123")
    assert len(receivers(message)) == 4 and internal.pk in receivers(message)
    [lookup] = [q["sql"] for q in queries.captured_queries if "ironrelay_endpoint" in q["sql"]]
    # The tenant is filtered by the database (its index), not by loading every row.
    assert '"tenant" IN' in lookup.replace("`", '"')


def test_subscribed_endpoints_of_a_tenant_skip_other_tenants():
    many_tenants(50, 3)
    ids = subscribed_endpoints("invoice.paid", "billing.customer:7")
    tenants = set(Endpoint.objects.filter(pk__in=ids).values_list("tenant", flat=True))
    assert len(ids) == 3 and tenants == {"billing.customer:7"}


@pytest.fixture
def note_registration():
    """Register testapp.Note differently in a test, then as tests/settings.py has it."""
    yield
    register("testapp.Note", ["created"], "tests.testapp.tasks.note_payload")


def test_tenant_attribute_may_hold_a_key_string(
    note_registration, django_capture_on_commit_callbacks
):
    register("testapp.Note", ["created"], "tests.testapp.tasks.note_payload", tenant="text")
    mine = endpoint("team-7", ["testapp.note.*"])
    endpoint("team-8", ["testapp.note.*"])
    with django_capture_on_commit_callbacks(execute=True):
        Note.objects.create(text="team-7")
    message = OutgoingWebhook.objects.get()
    assert message.tenant == "team-7" and receivers(message) == {mine.pk}


def test_unknown_tenant_attribute_is_a_configuration_error(note_registration):
    with pytest.raises(ImproperlyConfigured, match="has no attribute 'owner'"):
        register("testapp.Note", ["created"], tenant="owner.account")


def test_unknown_outgoing_model_option_is_named():
    with pytest.raises(ImproperlyConfigured, match=r"unknown option.*tennant"):
        register_from_settings({"testapp.Order": {"events": ["created"], "tennant": "customer"}})
