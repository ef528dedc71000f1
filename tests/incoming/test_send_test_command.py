"""ironrelay_send_test posts a correctly signed webhook to a running server."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from ironrelay.models import IncomingWebhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "source, event",
    [
        ("stripe", "payment_intent.succeeded"),
        ("github", "push"),
        ("slack", "app_mention"),
        ("shopify", "orders/create"),
        ("standard", "invoice.paid"),
        ("gitlab", "push"),
    ],
)
def test_send_test_is_accepted_and_stored_with_event(live_server, capsys, source, event):
    call_command("ironrelay_send_test", source, "--event", event, "--url", live_server.url)
    assert "-> 202" in capsys.readouterr().out
    stored = IncomingWebhook.objects.get()
    assert (stored.source, stored.event) == (source, event)


def test_send_test_unknown_source_names_known_ones():
    with pytest.raises(CommandError, match="stripe"):
        call_command("ironrelay_send_test", "nope")


def test_send_test_bad_data_is_an_error():
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("ironrelay_send_test", "stripe", "--data", "{bad")


def test_send_test_data_nested_too_deep_to_parse_is_an_error():
    with pytest.raises(CommandError, match="--data nests more than 30 levels deep"):
        call_command("ironrelay_send_test", "stripe", "--data", "[" * 100_000)


def test_send_test_stripe_event_carries_its_object_and_merges_data(live_server):
    order = '{"data": {"object": {"metadata": {"order_id": "7"}}}}'
    call_command(
        "ironrelay_send_test",
        "stripe",
        "--event",
        "payment_intent.succeeded",
        "--data",
        order,
        "--url",
        live_server.url,
    )
    intent = IncomingWebhook.objects.get().payload["data"]["object"]
    assert intent["id"].startswith("pi_test_")
    assert intent["object"] == "payment_intent"
    assert intent["metadata"] == {"order_id": "7"}


# Provider pack: URL-signing schemes sign the URL posted to; public-key ones use private_key.
@pytest.mark.parametrize(
    "source, event",
    [
        ("twilio", "delivered"),
        ("sendgrid", "delivered"),
        ("square", "payment.updated"),
        ("zoom", "meeting.started"),
        ("discord", "APPLICATION_AUTHORIZED"),
        ("hubspot", "contact.creation"),
        ("mandrill", "open"),
    ],
)
def test_send_test_provider_is_accepted_and_stored_with_event(live_server, capsys, source, event):
    call_command("ironrelay_send_test", source, "--event", event, "--url", live_server.url)
    assert "-> 202" in capsys.readouterr().out
    stored = IncomingWebhook.objects.get()
    assert (stored.source, stored.event) == (source, event)
    assert stored.delivery_id


def test_send_test_public_key_source_without_private_key_names_the_option(settings):
    from ironrelay.signing import generate_p256_keypair

    _, public = generate_p256_keypair()
    sources = {**settings.IRONRELAY["SOURCES"], "sg": {"scheme": "sendgrid", "public_key": public}}
    settings.IRONRELAY = {**settings.IRONRELAY, "SOURCES": sources}
    with pytest.raises(CommandError, match="'private_key'"):
        call_command("ironrelay_send_test", "sg", "--url", "http://127.0.0.1:9")
