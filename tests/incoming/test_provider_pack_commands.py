"""Provider pack B: ironrelay_send_test signs for each scheme; fuzzed requests never 500."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from ironrelay.models import IncomingWebhook

from .test_fuzz import FUZZ, HEADER_NAMES, bodies, content_types, header_text
from .test_provider_pack_endpoint import SOURCES

PACK_HEADERS = sorted(
    set(HEADER_NAMES)
    | {"Paddle-Signature", "Linear-Signature", "X-Hub-Signature", "Typeform-Signature"}
    | {"Calendly-Webhook-Signature", "Authorization", "svix-id", "svix-signature"}
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_send_test_signs_for_each_pack_scheme(live_server, capsys, settings, source):
    settings.IRONRELAY = {**settings.IRONRELAY, "SOURCES": SOURCES}
    call_command("ironrelay_send_test", source, "--event", "sample.event", "--url", live_server.url)
    assert "-> 202" in capsys.readouterr().out
    stored = IncomingWebhook.objects.get()
    assert (stored.source, stored.event) == (source, "sample.event")


@pytest.mark.django_db
@FUZZ
@given(
    source=st.sampled_from(sorted(SOURCES)),
    body=bodies,
    headers=st.dictionaries(st.sampled_from(PACK_HEADERS), header_text, max_size=5),
    content_type=content_types,
)
def test_pack_sources_never_500_and_never_store_unverified(source, body, headers, content_type):
    with override_settings(IRONRELAY={"SOURCES": SOURCES}):
        response = Client().post(
            f"/ironrelay/incoming/{source}/", data=body, content_type=content_type, headers=headers
        )
    assert response.status_code in (401, 413), response.content
    assert not IncomingWebhook.objects.exists()


def test_system_check_names_a_missing_required_option(settings):
    from ironrelay.checks import check_sources

    settings.IRONRELAY = {"SOURCES": {"pm": {"scheme": "postmark", "secrets": ["pw"]}}}
    errors = [m for m in check_sources() if m.id == "ironrelay.E002"]
    assert len(errors) == 1
    assert "IRONRELAY['SOURCES']['pm']" in errors[0].msg
    assert "'username'" in errors[0].msg
