"""The event catalog: declared and model events, schema validation, checks, OpenAPI output."""

from __future__ import annotations

import io
import json
import logging
from decimal import Decimal

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_save
from django.test import override_settings
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ironrelay import send_webhook
from ironrelay.checks import check_outgoing_options
from ironrelay.models import OutgoingWebhook
from ironrelay.outgoing import register
from ironrelay.outgoing.catalog import EventDataError, catalog_as_data, event_catalog
from ironrelay.outgoing.model_events import registered
from ironrelay.outgoing.openapi import openapi_document
from ironrelay.outgoing.serializers import model_to_payload
from tests.testapp.models import Customer, Order, Product

pytestmark = pytest.mark.django_db

INVOICE_SCHEMA = {
    "type": "object",
    "required": ["id", "amount"],
    "properties": {"id": {"type": "integer"}, "amount": {"type": "string"}},
}
EVENT_TYPES = {
    "invoice.paid": {
        "description": "An invoice was paid in full.",
        "schema": INVOICE_SCHEMA,
        "example": {"id": 42, "amount": "19.99"},
    },
    "invoice.voided": {"description": "Old name.", "deprecated": True},
    "testapp.order.created": {"description": "A customer placed an order."},
}


def relay(settings, **options):
    settings.IRONRELAY = {**settings.IRONRELAY, **options}


def test_model_events_are_listed_with_a_schema_from_their_fields():
    catalog = event_catalog()
    for name in ["testapp.product.created", "testapp.product.updated", "testapp.order.deleted"]:
        assert name in catalog
    product = catalog["testapp.product.created"]
    assert product.model == "testapp.Product"
    properties = product.schema["properties"]
    assert properties["id"]["type"] == "integer"
    assert properties["price"] == {"type": "string", "format": "decimal", "title": "price"}
    assert properties["code"]["type"] == ["string", "null"]
    assert properties["manual"]["type"] == ["string", "null"]
    assert set(product.schema["required"]) == set(properties)


def test_model_payloads_match_their_derived_schema():
    customer = Customer.objects.create(name="Acme")
    order = Order.objects.create(customer=customer, total=Decimal("12.30"), state="paid")
    product = Product.objects.create(name="Lamp", price=Decimal("9.99"))
    catalog = event_catalog()
    for instance, name in [(order, "testapp.order.created"), (product, "testapp.product.created")]:
        entry = catalog[name]
        jsonschema.validate(model_to_payload(instance), entry.schema)
        jsonschema.validate(entry.example, entry.schema)
    assert catalog["testapp.order.created"].schema["properties"]["state"]["enum"] == [
        "open",
        "paid",
    ]


def test_derived_schema_refuses_a_payload_of_the_wrong_shape():
    schema = event_catalog()["testapp.order.created"].schema
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": 1, "customer_id": "x"}, schema)


def test_custom_serializer_without_schema_is_listed_unchecked():
    entry = event_catalog()["testapp.note.created"]
    assert entry.schema is None and entry.model == "testapp.Note"


def test_custom_serializer_schema_attribute_is_used():
    def payload(instance):
        return {"name": instance.name}

    payload.schema = {"type": "object", "required": ["name"]}
    payload.example = {"name": "Acme"}
    saved = registered.get("testapp.Customer")
    try:
        register(Customer, ["created"], payload)
        entry = event_catalog()["testapp.customer.created"]
        assert (entry.schema, entry.example) == (payload.schema, payload.example)
    finally:
        post_save.disconnect(
            sender=Customer, dispatch_uid="ironrelay.outgoing.testapp.customer.save"
        )
        registered.pop("testapp.Customer", None)
        if saved:
            registered["testapp.Customer"] = saved


def test_declared_events_are_listed_and_override_model_descriptions(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES)
    catalog = event_catalog()
    assert catalog["invoice.paid"].schema == INVOICE_SCHEMA
    assert catalog["invoice.voided"].deprecated is True
    order = catalog["testapp.order.created"]
    assert order.description == "A customer placed an order."
    assert order.schema["properties"]["customer_id"]["type"] == "integer"  # derived, kept
    assert list(catalog) == sorted(catalog)


def test_catalog_as_data_is_json(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES)
    data = json.loads(json.dumps(catalog_as_data()))
    paid = next(e for e in data if e["name"] == "invoice.paid")
    assert paid["example"] == {"id": 42, "amount": "19.99"}
    assert set(paid) == {"name", "description", "schema", "example", "deprecated", "model"}


def test_invalid_data_is_refused_in_error_mode(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES, EVENT_SCHEMA_VALIDATION="error")
    with pytest.raises(EventDataError, match=r"'invoice.paid'.*at /amount: 5 is not of type"):
        send_webhook("invoice.paid", {"id": 1, "amount": 5})
    assert not OutgoingWebhook.objects.exists()
    send_webhook("invoice.paid", {"id": 1, "amount": "5.00"})
    assert OutgoingWebhook.objects.count() == 1


def test_invalid_data_is_sent_and_logged_in_warn_mode(settings, caplog):
    relay(settings, EVENT_TYPES=EVENT_TYPES, EVENT_SCHEMA_VALIDATION="warn")
    with caplog.at_level(logging.WARNING, logger="ironrelay.outgoing"):
        send_webhook("invoice.paid", {"id": 1})
    assert OutgoingWebhook.objects.count() == 1
    assert "'invoice.paid'" in caplog.text and "'required' rule" in caplog.text


def test_the_warning_does_not_quote_the_data(settings, caplog):
    relay(settings, EVENT_TYPES=EVENT_TYPES, EVENT_SCHEMA_VALIDATION="warn")
    with caplog.at_level(logging.WARNING, logger="ironrelay.outgoing"):
        send_webhook("invoice.paid", {"id": 1, "amount": ["card 4242-4242-4242-4242"]})
    assert OutgoingWebhook.objects.count() == 1
    assert "at /amount: fails the schema's 'type' rule at /properties/amount/type" in caplog.text
    assert "4242" not in caplog.text


def test_off_mode_checks_nothing(settings, caplog):
    relay(settings, EVENT_TYPES=EVENT_TYPES, EVENT_SCHEMA_VALIDATION="off")
    with caplog.at_level(logging.WARNING, logger="ironrelay.outgoing"):
        send_webhook("invoice.paid", {"id": "x"})
    assert OutgoingWebhook.objects.count() == 1 and caplog.text == ""


@pytest.mark.parametrize(("debug", "refused"), [(True, True), (False, False)])
def test_default_mode_is_error_with_debug_else_warn(settings, debug, refused):
    relay(settings, EVENT_TYPES=EVENT_TYPES)
    settings.DEBUG = debug
    if refused:
        with pytest.raises(EventDataError):
            send_webhook("invoice.paid", {})
    else:
        send_webhook("invoice.paid", {})
    assert OutgoingWebhook.objects.exists() is not refused


def test_events_outside_the_catalog_are_not_checked(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES, EVENT_SCHEMA_VALIDATION="error")
    send_webhook("something.else", [1, 2])
    send_webhook("invoice.voided", "no schema declared")
    assert OutgoingWebhook.objects.count() == 2


def test_model_event_data_is_checked_against_the_derived_schema(settings):
    relay(settings, EVENT_SCHEMA_VALIDATION="error")
    with pytest.raises(EventDataError, match=r"testapp\.product\.created"):
        send_webhook("testapp.product.created", {"id": "not a number"})


@pytest.mark.parametrize(
    ("event_types", "message"),
    [
        ({"a.b": {"schema": {"type": "nonsense"}}}, "not a valid JSON Schema"),
        ({"a.b": {"schema": INVOICE_SCHEMA, "example": {"id": 1}}}, "does not match its schema"),
        ({"a.b": {"descripton": "typo"}}, "unknown key(s) descripton"),
        ({"a.b": {"deprecated": "yes"}}, "must be True or False"),
        ({"a.b": {"schema": [1]}}, "must be a JSON Schema"),
        ({"": {}}, "non-empty string"),
        ({"a.b": "text"}, "must be a dict"),
    ],
)
def test_bad_event_types_are_reported_by_checks(settings, event_types, message):
    relay(settings, EVENT_TYPES=event_types)
    errors = check_outgoing_options()
    assert [e.id for e in errors] == ["ironrelay.E030"]
    assert message in errors[0].msg


def test_bad_validation_mode_is_reported_by_checks(settings):
    relay(settings, EVENT_SCHEMA_VALIDATION="strict")
    [error] = check_outgoing_options()
    assert error.id == "ironrelay.E030" and "'strict'" in error.msg


def test_bad_transforms_are_reported_by_checks(settings):
    relay(
        settings,
        OUTGOING_TRANSFORMS={
            "tests.outgoing.transforms.flat": "ok",
            "tests.outgoing.nowhere.gone": "missing",
            "tests.outgoing.transforms.NOT_CALLABLE": "not callable",
        },
    )
    errors = check_outgoing_options()
    assert [e.id for e in errors] == ["ironrelay.E031", "ironrelay.E031"]
    assert "cannot be imported" in errors[0].msg and "not callable" in errors[1].msg


def test_good_configuration_passes_checks(settings):
    relay(
        settings,
        EVENT_TYPES=EVENT_TYPES,
        OUTGOING_TRANSFORMS=["tests.outgoing.transforms.flat"],
        EVENT_SCHEMA_VALIDATION="warn",
    )
    assert check_outgoing_options() == []


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("ironrelay_event_catalog", *args, stdout=out)
    return out.getvalue()


@override_settings()
def test_openapi_document_validates_and_lists_every_event(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES)
    document = json.loads(run_command("--format", "openapi", "--title", "Acme webhooks"))
    validate_openapi(document)  # raises on an invalid OpenAPI 3.1 document
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Acme webhooks"
    assert set(document["webhooks"]) == set(event_catalog())
    paid = document["webhooks"]["invoice.paid"]["post"]
    media = paid["requestBody"]["content"]["application/json"]
    assert media["schema"]["properties"]["data"] == INVOICE_SCHEMA
    assert media["example"]["data"] == {"id": 42, "amount": "19.99"}
    jsonschema.validate(media["example"], media["schema"])
    assert document["webhooks"]["invoice.voided"]["post"]["deprecated"] is True
    headers = {p["name"] for p in paid["parameters"]}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}


def test_every_model_event_example_matches_its_openapi_schema():
    webhooks = openapi_document()["webhooks"]
    examples = [
        item["post"]["requestBody"]["content"]["application/json"] for item in webhooks.values()
    ]
    assert len([m for m in examples if "example" in m]) >= 6  # product x3, order x3
    for media in examples:
        if "example" in media:
            jsonschema.validate(media["example"], media["schema"])


def test_openapi_validator_would_catch_a_broken_document():
    document = openapi_document()
    document["webhooks"]["testapp.product.created"]["post"]["responses"] = "none"
    with pytest.raises(OpenAPIValidationError):
        validate_openapi(document)


def test_json_format_prints_the_catalog(settings):
    relay(settings, EVENT_TYPES=EVENT_TYPES)
    events = json.loads(run_command("--format", "json"))["events"]
    assert [e["name"] for e in events] == list(event_catalog())


def test_command_names_a_bad_setting(settings):
    relay(settings, EVENT_TYPES={"a.b": {"schema": {"type": "nonsense"}}})
    with pytest.raises(CommandError, match=r"IRONRELAY\['EVENT_TYPES'\]\['a.b'\]"):
        run_command()
