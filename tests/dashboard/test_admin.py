"""The Django admin: pages, read-only models, actions, permissions, secrets and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from ironrelay import crypto
from ironrelay.handlers.dispatch import run_handler
from ironrelay.models import (
    Delivery,
    DeliveryAttempt,
    Endpoint,
    HandlerRun,
    IncomingWebhook,
    OutgoingWebhook,
    Task,
    Worker,
)
from ironrelay.outgoing.delivery import deliver
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

REGISTERED = [Task, Worker, IncomingWebhook, Endpoint, OutgoingWebhook, Delivery]
READ_ONLY = [Task, Worker, IncomingWebhook, OutgoingWebhook, Delivery]


def task(status: str, **fields: Any) -> Task:
    return Task.objects.create(task_path="tests.testapp.tasks.noop", status=status, **fields)


def admin_url(model: type[Model], view: str, *pks: object) -> str:
    # Quoted like the admin's own links: a message id's "_25" would otherwise read as "%".
    name = f"admin:ironrelay_{model._meta.model_name}_{view}"
    return reverse(name, args=[quote(pk) for pk in pks])


def run_action(client: Client, model: type[Model], action: str, objects: list[Model]) -> Any:
    """POST an admin action for `objects` and follow the redirect back to the list."""
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, "index": "0", "_selected_action": [str(obj.pk) for obj in objects]},
        follow=True,
    )


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def records() -> dict[type[Model], Model]:
    """One record of every registered model, with a handler run and a delivery attempt."""
    hook = factories.webhook()
    factories.handler_run(hook)
    sent = factories.delivery()
    return {
        Task: factories.failed_task(),
        Worker: Worker.objects.create(id="host:1:abc", hostname="host", pid=1),
        IncomingWebhook: hook,
        Endpoint: sent.endpoint,
        OutgoingWebhook: sent.message,
        Delivery: sent,
    }


# -- pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model.__name__)
def test_changelist_and_change_page_answer_200_for_superuser(admin_client, records, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "change", records[model].pk)).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model.__name__)
def test_add_page_of_read_only_model_is_forbidden(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 403


def test_change_page_of_read_only_model_has_no_form_and_refuses_posts(admin_client):
    failed = factories.failed_task()
    page = admin_client.get(admin_url(Task, "change", failed.pk))
    assert b'name="status"' not in page.content and b'name="_save"' not in page.content
    posted = admin_client.post(admin_url(Task, "change", failed.pk), {"status": "success"})
    assert posted.status_code == 403
    assert Task.objects.get(pk=failed.pk).status == "failed"


def test_delete_needs_delete_permission(admin_client, staff_client):
    done = task("success")
    refused = staff_client.post(admin_url(Task, "delete", done.pk), {"post": "yes"})
    assert refused.status_code == 403 and Task.objects.filter(pk=done.pk).exists()
    admin_client.post(admin_url(Task, "delete", done.pk), {"post": "yes"})
    assert not Task.objects.filter(pk=done.pk).exists()


def test_task_page_pretty_prints_json_escaped_with_every_error_traceback(admin_client):
    failed = factories.failed_task(kwargs={"note": "<script>alert(1)</script>"})
    html = admin_client.get(admin_url(Task, "change", failed.pk)).content.decode()
    assert (
        "<pre>{\n  &quot;note&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;\n}" in html
    )
    assert "<script>alert(1)" not in html
    for n in (1, 2):
        assert f"Attempt {n} at" in html and f"this task always fails ({n})" in html
        assert f"<pre>Traceback (most recent call last):\nValueError: attempt {n}</pre>" in html


def test_webhook_page_shows_payload_and_handler_runs_read_only(admin_client):
    hook = factories.webhook(payload={"event": "ping", "value": 7})
    run = factories.handler_run(hook)
    html = admin_client.get(admin_url(IncomingWebhook, "change", hook.pk)).content.decode()
    assert "&quot;value&quot;: 7" in html
    assert run.handler in html and admin_url(Task, "change", run.task_id) in html
    assert 'name="handler_runs-0-handler"' not in html


def test_delivery_page_lists_attempts_with_headers_and_body(admin_client):
    sent = factories.delivery()
    DeliveryAttempt.objects.create(
        delivery=sent,
        number=2,
        url=sent.endpoint.url,
        status_code=502,
        response_headers={"X-Trace": "abc123"},
        response_body="upstream <b>down</b>",
    )
    html = admin_client.get(admin_url(Delivery, "change", sent.pk)).content.decode()
    assert "&quot;X-Trace&quot;: &quot;abc123&quot;" in html
    assert "<pre>upstream &lt;b&gt;down&lt;/b&gt;</pre>" in html
    assert "<pre>internal error</pre>" in html  # the factory's first attempt


# -- actions ---------------------------------------------------------------------------------------


def test_retry_action_queues_failed_tasks_and_skips_others(admin_client):
    failed, done = factories.failed_task(), task("success")
    response = run_action(admin_client, Task, "retry_tasks", [failed, done])
    assert Task.objects.get(pk=failed.pk).status == "pending"
    assert Task.objects.get(pk=done.pk).status == "success"
    assert messages_of(response) == [
        "Queued 1 failed task(s) for retry; 1 skipped (not failed or cancelled)."
    ]


def test_cancel_action_cancels_pending_and_running_tasks_and_skips_finished(admin_client):
    pending, running, done = task("pending"), task("running"), task("success")
    response = run_action(admin_client, Task, "cancel_tasks", [pending, running, done])
    assert Task.objects.get(pk=pending.pk).status == "cancelled"
    running = Task.objects.get(pk=running.pk)
    assert running.status == "running" and running.cancel_requested_at is not None
    assert Task.objects.get(pk=done.pk).status == "success"
    assert messages_of(response) == [
        "Cancelled 2 task(s), running ones as soon as their worker sees it;"
        " 1 skipped (already finished)."
    ]


def test_replay_action_queues_handlers_again_and_skips_invalid(admin_client):
    hook, invalid = factories.webhook(), factories.webhook(status="invalid")
    old = factories.handler_run(hook)
    response = run_action(admin_client, IncomingWebhook, "replay_webhooks", [hook, invalid])
    assert HandlerRun.objects.get(pk=old.pk).replayed
    new_runs = HandlerRun.objects.filter(webhook=hook, replayed=False).select_related("task")
    # The test app handles "ping" from source "test" twice: on_ping and on_any_test_event.
    assert [(run.task.task_path, run.task.status) for run in new_runs] == [
        (run_handler.path, "pending")
    ] * 2
    assert IncomingWebhook.objects.get(pk=hook.pk).status == "received"
    assert not HandlerRun.objects.filter(webhook=invalid).exists()
    assert messages_of(response) == [
        "Replayed 1 webhook(s): 2 handler run(s) queued; 1 skipped (invalid)."
    ]


def test_redeliver_action_queues_an_attempt_and_skips_pending_and_disabled(admin_client):
    failed, pending = factories.delivery(), factories.delivery(status="pending")
    unreachable = factories.delivery(factories.endpoint(is_active=False))
    chosen = [failed, pending, unreachable]
    response = run_action(admin_client, Delivery, "redeliver_deliveries", chosen)
    assert [Delivery.objects.get(pk=d.pk).status for d in chosen] == [
        "pending",
        "pending",
        "failed",
    ]
    [queued] = Task.objects.filter(task_path=deliver.path)
    assert (queued.args, queued.kwargs) == (
        [failed.message_id, failed.endpoint_id],
        {"manual": True},
    )
    assert messages_of(response) == [
        "Queued 1 delivery(ies) for redelivery; 2 skipped (still pending or endpoint disabled)."
    ]


def test_enable_action_reactivates_with_a_clean_record(admin_client):
    disabled = factories.endpoint(is_active=False, disabled_reason="410 Gone")
    Endpoint.objects.filter(pk=disabled.pk).update(consecutive_failures=10)
    active = factories.endpoint()
    response = run_action(admin_client, Endpoint, "enable_endpoints", [disabled, active])
    disabled.refresh_from_db()
    assert (disabled.is_active, disabled.disabled_reason, disabled.consecutive_failures) == (
        True,
        "",
        0,
    )
    assert messages_of(response) == ["Enabled 1 endpoint(s); 1 skipped (already active)."]


def test_disable_action_records_who_disabled_it(admin_client):
    active, disabled = factories.endpoint(), factories.endpoint(is_active=False)
    response = run_action(admin_client, Endpoint, "disable_endpoints", [active, disabled])
    active.refresh_from_db()
    assert not active.is_active
    assert active.disabled_reason == "disabled by admin in the admin"
    assert messages_of(response) == ["Disabled 1 endpoint(s); 1 skipped (already disabled)."]


def test_rotate_action_shows_only_the_masked_new_secret(admin_client):
    target = factories.endpoint(description="Billing")
    old_secret = target.secret
    response = run_action(admin_client, Endpoint, "rotate_secrets", [target])
    target.refresh_from_db()
    assert target.secret != old_secret
    assert target.signing_secrets() == [target.secret, old_secret]
    assert target.secret.encode() not in response.content
    assert old_secret.encode() not in response.content
    assert messages_of(response) == [
        f"Rotated 1 secret(s): Billing (#{target.pk}, {crypto.mask(target.secret)}). The old "
        "secrets keep signing for 24 h. Read a new secret with: python manage.py "
        "ironrelay_endpoint_secret <id>"
    ]


ACTIONS = [
    (Task, "retry_tasks", factories.failed_task),
    (Task, "cancel_tasks", lambda: task("pending")),
    (IncomingWebhook, "replay_webhooks", factories.webhook),
    (Delivery, "redeliver_deliveries", factories.delivery),
    (Endpoint, "enable_endpoints", lambda: factories.endpoint(is_active=False)),
    (Endpoint, "disable_endpoints", factories.endpoint),
    (Endpoint, "rotate_secrets", factories.endpoint),
]


@pytest.mark.parametrize(("model", "action", "make"), ACTIONS, ids=[a[1] for a in ACTIONS])
def test_action_needs_change_permission(staff_client, django_user_model, model, action, make):
    obj = make()
    before = (model.objects.filter(pk=obj.pk).values().get(), Task.objects.count())
    changelist = admin_url(model, "changelist")
    offered = f'value="{action}"'.encode()
    assert offered not in staff_client.get(changelist).content
    run_action(staff_client, model, action, [obj])
    assert (model.objects.filter(pk=obj.pk).values().get(), Task.objects.count()) == before
    # The same user with the model's change permission is offered the action.
    change = Permission.objects.get(codename=f"change_{model._meta.model_name}")
    django_user_model.objects.get(username="viewer").user_permissions.add(change)
    assert offered in staff_client.get(changelist).content


# -- endpoints and their secrets -------------------------------------------------------------------


def test_endpoint_pages_never_show_the_full_secret(admin_client):
    target = factories.endpoint()
    target.rotate_secret()
    target.save()
    for url in (admin_url(Endpoint, "changelist"), admin_url(Endpoint, "change", target.pk)):
        content = admin_client.get(url).content
        assert target.masked_secret.encode() in content
        for secret in target.signing_secrets():
            assert secret.encode() not in content


def test_endpoint_added_in_the_admin_gets_a_secret_it_never_shows(admin_client):
    response = admin_client.post(
        admin_url(Endpoint, "add"),
        {"url": "https://new.example.com/", "event_types_1": "*", "is_active": "on"},
        follow=True,
    )
    added = Endpoint.objects.get(url="https://new.example.com/")
    assert added.secret.startswith("whsec_")
    assert added.secret.encode() not in response.content


def test_unticking_is_active_disables_through_the_operator_action(admin_client):
    target = factories.endpoint()
    secret = target.secret
    Endpoint.objects.filter(pk=target.pk).update(consecutive_failures=4)  # the worker's write
    admin_client.post(
        admin_url(Endpoint, "change", target.pk),
        {"url": "https://moved.example.com/", "description": "", "event_types_1": "a.*"},
    )
    target.refresh_from_db()
    assert (target.url, target.event_types) == ("https://moved.example.com/", ["a.*"])
    assert not target.is_active
    assert target.disabled_reason == "disabled by admin in the admin"
    assert (target.consecutive_failures, target.secret) == (4, secret)


# -- queries ---------------------------------------------------------------------------------------


def fifty_tasks() -> str:
    for n in range(50):
        factories.failed_task(queue_name=f"q{n % 3}")
    return admin_url(Task, "changelist")


def fifty_webhooks() -> str:
    for n in range(50):
        factories.webhook(delivery_id=f"d{n}")
    return admin_url(IncomingWebhook, "changelist")


def fifty_deliveries() -> str:
    for _ in range(50):
        factories.delivery()
    return admin_url(Delivery, "changelist")


def message_with_fifty_deliveries() -> str:
    message = OutgoingWebhook.objects.create(event_type="invoice.paid", payload={})
    for _ in range(50):
        Delivery.objects.create(message=message, endpoint=factories.endpoint())
    return admin_url(OutgoingWebhook, "change", message.pk)


def webhook_with_fifty_handler_runs() -> str:
    hook = factories.webhook()
    for _ in range(50):
        factories.handler_run(hook)
    return admin_url(IncomingWebhook, "change", hook.pk)


PAGES = [
    fifty_tasks,
    fifty_webhooks,
    fifty_deliveries,
    message_with_fifty_deliveries,
    webhook_with_fifty_handler_runs,
]


@pytest.mark.parametrize("make_page", PAGES, ids=lambda make_page: make_page.__name__)
def test_page_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, make_page):
    url = make_page()
    # About 5 to 8 queries on every database; one per row would be 50 more.
    with django_assert_max_num_queries(12):
        assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("[" * 100_000, "longer than 255 characters"),
        ('["shop.order.*"]', "not JSON"),
        ('{"shop.order.*": true}', "not JSON"),
        ("shop.*.paid", "may only end a prefix"),
        ("a\x00b", "Null characters are not allowed"),
        ("a\x7fb", "a control character"),
    ],
)
def test_endpoint_event_types_that_are_not_names_or_patterns_are_a_form_error(
    admin_client, typed, reason
):
    target = factories.endpoint()
    response = admin_client.post(
        admin_url(Endpoint, "change", target.pk),
        {"url": target.url, "description": "", "event_types_1": typed, "is_active": "on"},
    )
    assert response.status_code == 200  # the form again, with its error
    assert reason in response.content.decode()
    target.refresh_from_db()
    assert target.event_types == ["*"]
