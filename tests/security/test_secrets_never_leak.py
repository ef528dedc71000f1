"""No secret in any log record, exception, page or stored row; replays and SSRF are refused."""

from __future__ import annotations

import html
import json
import logging
import re
import socket
import traceback
from collections.abc import Iterable, Iterator
from datetime import timedelta
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote as admin_quote
from django.core import serializers
from django.test import override_settings
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.utils.html import escape

from ironrelay import send_webhook, urls
from ironrelay.handlers.sources import build_source, get_source
from ironrelay.http import BlockedDestination, check_destination
from ironrelay.models import Delivery, Endpoint, IncomingWebhook, Schedule, Task
from ironrelay.signing import (
    generate_ed25519_hex_keypair,
    generate_ed25519_keypair,
    generate_p256_keypair,
    generate_secret,
)
from ironrelay.tasks.worker import Worker
from tests.receiver import Receiver, Reply

# Tests that run a worker need committed data (its task threads have their own connections).
transactional = pytest.mark.django_db(transaction=True)
pytestmark = pytest.mark.django_db

SOURCES = settings.IRONRELAY["SOURCES"]
SIGNED = sorted(name for name, config in SOURCES.items() if config["scheme"] != "none")
SOURCE_SECRETS = sorted(
    {secret for config in SOURCES.values() for secret in config.get("secrets", [])}
)
# A body every signed source accepts (the partner source's schema needs an amount).
ACCEPTED = {"id": "evt_accepted", "type": "invoice.paid", "event": "invoice.paid", "amount": 1}


# -- collecting everything a secret could leak into ------------------------------------------------


@pytest.fixture
def all_logs(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every log record at DEBUG, from loggers that do not propagate too."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "ironrelay"):
        caplog.set_level(logging.DEBUG, logger=name)
    quiet = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in quiet:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in quiet:
        logger.removeHandler(caplog.handler)


def record_texts(records: Iterable[logging.LogRecord]) -> Iterator[str]:
    """Yield each record's message (formatted and raw), arguments, exception and extras."""
    for record in records:
        yield record.getMessage()
        yield str(record.msg)
        yield repr(record.args)
        if record.exc_info and record.exc_info[1] is not None:
            yield "".join(traceback.format_exception(*record.exc_info))
        yield record.exc_text or ""
        yield record.stack_info or ""
        yield repr(vars(record))


def response_texts(response) -> Iterator[str]:
    """Yield a test-client response's body, headers and cookies."""
    yield response.content.decode("utf-8", "replace")
    yield repr(list(response.items()))
    yield response.cookies.output()


def stored_texts() -> Iterator[str]:
    """Yield every row of IronRelay's and the test app's tables, serialized."""
    for label in ("ironrelay", "testapp"):
        for model in apps.get_app_config(label).get_models():
            yield serializers.serialize("json", model.objects.all())


def forms(secret: str) -> set[str]:
    """Return the ways a secret could be written into text: plain, HTML, JSON, URL-encoded."""
    return {
        secret,
        escape(secret),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
    }


def assert_no_secret(texts: Iterable[str], secrets: Iterable[str]) -> None:
    texts = list(texts)
    for secret in secrets:
        for form in forms(secret):
            for text in texts:
                if form in text:
                    at = text.index(form)
                    pytest.fail(f"secret {secret[:6]}… appears in: {text[max(0, at - 200) : at]!r}")


# -- requests -------------------------------------------------------------------------------------


def post(client, source: str, body: bytes, headers: dict[str, str]):
    return client.post(
        f"/ironrelay/incoming/{source}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def wrong_secret_headers(source: str, body: bytes, now) -> dict[str, str]:
    """Sign `body` the way `source` expects, but with a secret it does not know."""
    config = {**SOURCES[source], "secrets": [generate_secret()]}
    if "public_key" in config:  # provider pack: a private key the source's public key rejects
        keypair = {"sendgrid": generate_p256_keypair, "discord": generate_ed25519_hex_keypair}
        config = {**SOURCES[source], "private_key": keypair[config["scheme"]]()[0]}
    impostor = build_source(source, config)
    return impostor.scheme.sign(body, now=now, msg_id="msg_leak")


def signature_tokens(headers: dict[str, str]) -> set[str]:
    """Return the long base64/hex runs in signature headers: the signatures themselves."""
    return {t for value in headers.values() for t in re.findall(r"[A-Za-z0-9+/=_-]{20,}", value)}


def drain() -> None:
    """Run burst workers in this thread until no task is pending (retries come due soon)."""
    for _ in range(200):
        Worker(burst=True, poll_interval=0.01).run()
        if not Task.objects.filter(status__in=["pending", "running"]).exists():
            return
    raise AssertionError("tasks still pending after draining")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def dashboard_pages() -> list[str]:
    """Return the URL of every dashboard page, detail pages of every stored object included."""
    objects = {
        "task": Task.objects.all(),
        "webhook": IncomingWebhook.objects.all(),
        "delivery": Delivery.objects.all(),
        "endpoint": Endpoint.objects.all(),
        "schedule": Schedule.objects.all(),
    }
    pages = []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        name = pattern.name or ""
        if name == "incoming" or pattern.callback.__module__.endswith(".actions"):
            continue
        if "pk" in pattern.pattern.converters:
            pages += [
                reverse(f"ironrelay:{name}", args=[o.pk]) for o in objects[name.split("_")[0]]
            ]
        else:
            pages.append(reverse(f"ironrelay:{name}"))
    return pages


def admin_pages() -> list[str]:
    """Return the admin's list and change page of every IronRelay model and object."""
    pages = []
    for model in apps.get_app_config("ironrelay").get_models():
        if not admin.site.is_registered(model):
            continue
        prefix = f"admin:ironrelay_{model._meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        pages += [
            reverse(f"{prefix}_change", args=[admin_quote(o.pk)]) for o in model.objects.all()
        ]
    pages.append(reverse("admin:ironrelay_endpoint_add"))
    return pages


# -- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SIGNED)
def test_rejected_webhook_leaks_no_secret_and_no_valid_signature(client, all_logs, source):
    now = timezone.now()
    body = json.dumps(ACCEPTED).encode()
    tampered = json.dumps({**ACCEPTED, "amount": 1_000_000}).encode()
    attempts = [
        ("unsigned", body, {}),
        ("wrong secret", body, wrong_secret_headers(source, body, now)),
        ("garbage signature", body, dict.fromkeys(get_source(source).scheme.sign(body), "x" * 40)),
    ]
    oracle: set[str] = set()
    if get_source(source).scheme.name != "token":  # a token does not cover the body
        attempts.append(("tampered body", tampered, get_source(source).scheme.sign(body, now=now)))
        # What the server computes for the tampered body: telling it would allow forging.
        oracle = signature_tokens(get_source(source).scheme.sign(tampered, now=now))
    texts = []
    for label, sent, headers in attempts:
        response = post(client, source, sent, headers)
        assert response.status_code == 401, (label, response.content)
        texts += response_texts(response)
    assert not IncomingWebhook.objects.exists()
    rejected = [r for r in all_logs.records if r.getMessage().startswith("Rejected webhook")]
    assert len(rejected) == len(attempts)
    texts += record_texts(all_logs.records)
    assert_no_secret(texts, [*SOURCE_SECRETS, settings.SECRET_KEY])
    assert_no_secret(texts, oracle)


@transactional
def test_accepted_webhooks_leak_no_secret_in_logs_pages_or_storage(admin_client, all_logs):
    texts = []
    for source in SIGNED:
        body = json.dumps({**ACCEPTED, "id": f"evt_{source}"}).encode()
        response = post(admin_client, source, body, get_source(source).scheme.sign(body))
        assert response.status_code == 202, (source, response.content)
        texts += response_texts(response)
    assert IncomingWebhook.objects.count() == len(SIGNED)
    drain()  # the handlers run, with their own logs
    for url in dashboard_pages() + admin_pages():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        texts += response_texts(response)
    texts += record_texts(all_logs.records)
    texts += stored_texts()
    assert_no_secret(texts, [*SOURCE_SECRETS, settings.SECRET_KEY])


@transactional
def test_deliveries_rotation_and_every_page_leak_no_endpoint_secret(
    admin_client, all_logs, receiver
):
    receiver.script("/ok", Reply(200, body="thanks"))
    receiver.script("/down", Reply(500, body="down"))
    good = Endpoint.objects.create(url=receiver.url("/ok"), event_types=["*"], description="ok")
    private_key, _ = generate_ed25519_keypair()
    good.signing_key = private_key
    good.save()
    bad = Endpoint.objects.create(url=receiver.url("/down"), event_types=["*"], description="down")
    secrets = {good.secret, bad.secret, private_key}

    send_webhook("invoice.paid", {"id": 1})
    drain()
    texts = []
    response = admin_client.post(reverse("ironrelay:endpoint_rotate", args=[good.pk]), follow=True)
    assert response.status_code == 200
    texts += response_texts(response)
    good.refresh_from_db()
    assert len(good.signing_secrets()) == 2  # the old one still signs
    secrets.add(good.secret)
    assert good.masked_secret in response.content.decode()

    failed = Delivery.objects.get(endpoint=bad)
    response = admin_client.post(reverse("ironrelay:delivery_redeliver", args=[failed.pk]))
    assert response.status_code == 302
    send_webhook("invoice.paid", {"id": 2})
    drain()
    assert sorted(Delivery.objects.values_list("endpoint__description", "status")) == [
        ("down", "failed"),
        ("down", "failed"),
        ("ok", "delivered"),
        ("ok", "delivered"),
    ]
    last = [r for r in receiver.requests if r.path == "/ok"][-1]
    assert len(last.headers["webhook-signature"].split()) == 3  # new and old secret, Ed25519
    assert any(r.getMessage().startswith("Delivery of") for r in all_logs.records)

    pages = dashboard_pages() + admin_pages()
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        texts += response_texts(response)
    detail = admin_client.get(reverse("ironrelay:endpoint_detail", args=[good.pk]))
    assert good.masked_secret in detail.content.decode()  # the pages did show the endpoint
    texts += record_texts(all_logs.records)
    texts += stored_texts()
    texts += [json.dumps(task.errors) for task in Task.objects.all()]
    assert_no_secret(texts, [*secrets, *SOURCE_SECRETS, settings.SECRET_KEY])


def is_timestamped(source: str) -> bool:
    scheme = get_source(source).scheme
    now = timezone.now()
    body = b"{}"
    return scheme.sign(body, now=now, msg_id="m") != scheme.sign(
        body, now=now - timedelta(hours=1), msg_id="m"
    )


def test_timestamped_sources_are_the_ones_expected():
    # A source whose scheme stops signing the time would silently lose replay protection.
    provider_pack = ["discord", "hubspot", "sendgrid", "zoom"]
    expected = sorted(["slack", "standard", "stripe", *provider_pack])
    assert [s for s in SIGNED if is_timestamped(s)] == expected


@pytest.mark.parametrize("source", [s for s in SIGNED if is_timestamped(s)])
@pytest.mark.parametrize("offset", [-1, 1], ids=["past", "future"])
def test_signed_request_outside_the_tolerance_is_refused_and_stores_nothing(client, source, offset):
    scheme = get_source(source).scheme
    body = json.dumps({**ACCEPTED, "id": f"evt_replay_{source}"}).encode()
    then = timezone.now() + offset * timedelta(seconds=scheme.tolerance + 60)
    response = post(client, source, body, scheme.sign(body, now=then, msg_id="msg_replay"))
    assert response.status_code == 401
    assert "tolerance" in response.json()["error"]
    assert not IncomingWebhook.objects.exists()
    fresh = post(client, source, body, scheme.sign(body, msg_id="msg_replay"))
    assert fresh.status_code == 202  # the same request signed now is accepted


# -- SSRF ------------------------------------------------------------------------------------------

REFUSED = [
    "http://10.0.0.1/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[::1]/hook",
    "http://localhost/hook",
]


def test_localhost_resolves_to_loopback_here():
    addresses = {info[4][0] for info in socket.getaddrinfo("localhost", 80)}
    assert "127.0.0.1" in addresses


@pytest.mark.parametrize("url", REFUSED)
def test_check_destination_refuses_internal_addresses_without_allow_list(url):
    with pytest.raises(BlockedDestination):
        check_destination(url, allow=())


@transactional
def test_deliveries_to_internal_addresses_fail_at_once_without_traffic(receiver, settings, caplog):
    port = receiver.port
    targets = [
        *REFUSED,
        receiver.url("/direct"),  # 127.0.0.1 itself
        f"http://localhost:{port}/by-name",
        f"http://0.0.0.0:{port}/unspecified",  # Linux connects 0.0.0.0 to the local host
        f"http://[::ffff:127.0.0.1]:{port}/mapped",
        f"http://2130706433:{port}/decimal",  # 127.0.0.1 written as one number
        f"http://127.1:{port}/short",
    ]
    with override_settings(IRONRELAY={**settings.IRONRELAY, "OUTGOING_ALLOW": []}):
        for url in targets:
            Endpoint.objects.create(url=url, event_types=["*"])
        send_webhook("invoice.paid", {"id": 1})
        with caplog.at_level(logging.WARNING, logger="ironrelay"):
            drain()
    assert receiver.requests == []
    deliveries = list(Delivery.objects.select_related("endpoint"))
    assert len(deliveries) == len(targets)
    for delivery in deliveries:
        assert (delivery.status, delivery.attempts) == ("failed", 1), delivery.endpoint.url
        assert delivery.last_error.startswith("blocked: "), delivery.last_error
    assert Task.objects.count() == len(targets)  # no retry was queued
    refusals = [r for r in caplog.records if r.getMessage().startswith("Refused delivery")]
    assert len(refusals) == len(targets)
