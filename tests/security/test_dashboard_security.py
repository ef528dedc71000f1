"""Every dashboard URL, found automatically: login, staff, permission, method, CSRF, escaping.

tests/dashboard/test_views.py checks the list pages and a few actions; these tests walk every URL
pattern of ironrelay.urls, so a new page or action cannot slip through unprotected.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote as admin_quote
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from ironrelay import urls
from ironrelay.models import (
    Delivery,
    Endpoint,
    HandlerRun,
    IncomingWebhook,
    Queue,
    Schedule,
    ScheduleRun,
    Task,
)
from ironrelay.outgoing.delivery import deliver
from ironrelay.tasks import schedule_manager
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

# Every URL of ironrelay.urls except the incoming endpoint, with the permission it needs
# (None: any active staff user). A pattern missing here fails test_every_url_is_listed.
PAGES: dict[str, str | None] = {
    "dashboard": None,
    "summary_json": None,
    "task_list": "view_task",
    "task_detail": "view_task",
    "webhook_list": "view_incomingwebhook",
    "webhook_detail": "view_incomingwebhook",
    "delivery_list": "view_delivery",
    "delivery_detail": "view_delivery",
    "endpoint_list": "view_endpoint",
    "endpoint_detail": "view_endpoint",
    "schedule_list": "view_schedule",
    "schedule_detail": "view_schedule",
    "queue_list": "view_queue",
}
ACTIONS: dict[str, str] = {
    "task_retry": "change_task",
    "task_cancel": "change_task",
    "task_bulk_retry": "change_task",
    "webhook_replay": "change_incomingwebhook",
    "delivery_redeliver": "change_delivery",
    "delivery_retry_now": "change_delivery",
    "endpoint_enable": "change_endpoint",
    "endpoint_disable": "change_endpoint",
    "endpoint_rotate": "change_endpoint",
    "schedule_run_now": "change_schedule",
    "schedule_pause": "change_schedule",
    "schedule_resume": "change_schedule",
    "queue_pause": "change_queue",
    "queue_resume": "change_queue",
}
# Form pages: GET shows the form, POST saves (CSRF-checked); both need the permission.
FORMS: dict[str, str] = {
    "endpoint_add": "add_endpoint",
    "endpoint_edit": "change_endpoint",
    "endpoint_delete": "delete_endpoint",
    "schedule_add": "add_schedule",
    "schedule_edit": "change_schedule",
    "schedule_delete": "delete_schedule",
}
URLS = sorted(PAGES) + sorted(ACTIONS) + sorted(FORMS)
CHANGES = {**ACTIONS, **FORMS}  # every URL whose POST changes something
FORM_DATA = {"url": "https://new.example.com/hook", "description": "New", "event_types_1": "*"}
SCHEDULE_DATA = {
    "name": "from-form",
    "task_path": "tests.testapp.tasks.noop",
    "cron": "*/5 * * * *",
    "args": "[1]",
    "kwargs": "{}",
    "jitter": "0",
    "catch_up": "latest",
    "enabled": "on",
}
OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:evil.example"]


def patterns(resolver: URLResolver | None = None) -> list[URLPattern]:
    """Return every URL pattern under ironrelay.urls, nested includes too."""
    found = []
    for entry in resolver.url_patterns if resolver else urls.urlpatterns:
        if isinstance(entry, URLResolver):
            found += patterns(entry)
        else:
            found.append(entry)
    return found


@pytest.fixture
def objects() -> dict[str, Any]:
    """One record for each URL's <pk>, in a state its action changes."""
    hook = factories.webhook()
    factories.handler_run(hook)
    active = factories.endpoint()
    disabled = factories.endpoint(url="https://off.example.com/", is_active=False)
    waiting = factories.delivery(active, status="pending", next_attempt_at=timezone.now())
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    Task.objects.create(
        task_path=deliver.path,
        args=[waiting.message_id, active.pk],
        run_after=timezone.now() + timedelta(minutes=5),
    )
    paused = schedule_manager.save_definition(
        Schedule(name="paused"), {"task_path": "tests.testapp.tasks.noop", "every": 60}
    )
    schedule_manager.pause(paused)
    return {
        "waiting_delivery": waiting,
        "task": factories.failed_task(),
        "pending_task": Task.objects.create(task_path="tests.testapp.tasks.noop", args=[1]),
        "webhook": hook,
        "delivery": factories.delivery(active),
        "endpoint": active,
        "disabled_endpoint": disabled,
        "schedule": schedule_manager.save_definition(
            Schedule(name="every-minute"), {"task_path": "tests.testapp.tasks.noop", "every": 60}
        ),
        "paused_schedule": paused,
        "paused_queue": Queue.objects.create(name="parked", paused=True),
    }


def target(name: str, objects: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the URL of `name` for the fixture's records, and the POST data its action needs."""
    pattern = next(p for p in patterns() if p.name == name)
    data = FORM_DATA if name in {"endpoint_add", "endpoint_edit"} else {}
    data = SCHEDULE_DATA if name in {"schedule_add", "schedule_edit"} else data
    if "name" in pattern.pattern.converters:  # queues: "emails" runs, "parked" is paused
        queue_name = "parked" if name == "queue_resume" else "emails"
        return reverse(f"ironrelay:{name}", args=[queue_name]), data
    if "pk" not in pattern.pattern.converters:
        data = {"ids": [objects["task"].pk]} if name == "task_bulk_retry" else data
        return reverse(f"ironrelay:{name}"), data
    key = {
        "task_cancel": "pending_task",
        "endpoint_enable": "disabled_endpoint",
        "delivery_retry_now": "waiting_delivery",
        "schedule_resume": "paused_schedule",
    }.get(name, name.split("_")[0])
    return reverse(f"ironrelay:{name}", args=[objects[key].pk]), data


def state() -> str:
    """Return everything an action could change, to compare before and after."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Task,
            IncomingWebhook,
            HandlerRun,
            Delivery,
            Endpoint,
            Schedule,
            ScheduleRun,
            Queue,
        )
    }
    return json.dumps(rows, default=str, sort_keys=True)


def user_with(django_user_model, codenames: list[str], **flags: Any):
    user = django_user_model.objects.create_user(
        f"u{django_user_model.objects.count()}", password="pw", **flags
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="ironrelay", codename__in=codenames)
    )
    return user


def all_codenames(prefix: str) -> list[str]:
    return list(
        Permission.objects.filter(
            content_type__app_label="ironrelay", codename__startswith=prefix
        ).values_list("codename", flat=True)
    )


def request(client: Client, name: str, objects: dict[str, Any], **extra: Any):
    """GET a page, POST an action or a form, the way the dashboard itself does."""
    url, data = target(name, objects)
    if name in CHANGES:
        return client.post(url, {**data, **extra})
    return client.get(url, extra)


# -- the list itself -------------------------------------------------------------------------------


def test_every_url_is_listed():
    names = {p.name for p in patterns()} - {"incoming"}
    assert names == set(PAGES) | set(ACTIONS) | set(FORMS)
    assert all(p.name for p in patterns()), "an unnamed pattern cannot be checked here"


def test_every_action_lives_with_the_actions():
    # The module docstring of ironrelay.dashboard.actions promises POST, CSRF and a permission.
    for p in patterns():
        if p.name in ACTIONS:
            assert p.callback.__module__ == "ironrelay.dashboard.actions", p.name
        elif p.name in PAGES:
            assert p.callback.__module__ == "ironrelay.dashboard.views", p.name
        elif p.name in FORMS:
            # Form pages live with their model's: endpoints.py, schedules.py.
            model = p.name.split("_")[0]
            assert p.callback.__module__ == f"ironrelay.dashboard.{model}s", p.name


# -- who gets in -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", URLS)
def test_anonymous_is_sent_to_login_and_changes_nothing(client, objects, name):
    before = state()
    response = request(client, name, objects)
    assert response.status_code == 302
    url, _ = target(name, objects)
    assert response["Location"].startswith("/admin/login/?next=")
    assert url in response["Location"].replace("%2F", "/")
    assert state() == before


@pytest.mark.parametrize("name", URLS)
def test_non_staff_is_refused_even_as_superuser(client, django_user_model, objects, name):
    user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    user.is_staff = False
    user.save()
    client.force_login(user)
    before = state()
    assert request(client, name, objects).status_code == 403
    assert state() == before


@pytest.mark.parametrize("name", URLS)
def test_inactive_staff_is_not_let_in(client, django_user_model, objects, name):
    user = django_user_model.objects.create_superuser("gone", "g@example.com", "pw")
    client.force_login(user)
    user.is_active = False
    user.save()
    before = state()
    assert request(client, name, objects).status_code in {302, 403}
    assert state() == before


@pytest.mark.parametrize("name", URLS)
def test_staff_without_permissions_gets_only_the_overview(client, django_user_model, objects, name):
    client.force_login(user_with(django_user_model, [], is_staff=True))
    before = state()
    response = request(client, name, objects)
    needed = PAGES.get(name, CHANGES.get(name))
    assert response.status_code == (200 if needed is None else 403)
    assert state() == before


@pytest.mark.parametrize("name", sorted(n for n, perm in PAGES.items() if perm))
def test_page_needs_its_own_view_permission(client, django_user_model, objects, name):
    others = [c for c in all_codenames("view_") if c != PAGES[name]]
    client.force_login(
        user_with(django_user_model, others + all_codenames("change_"), is_staff=True)
    )
    assert request(client, name, objects).status_code == 403
    other = Client()
    other.force_login(user_with(django_user_model, [PAGES[name]], is_staff=True))
    assert request(other, name, objects).status_code == 200


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_action_needs_its_own_change_permission(client, django_user_model, objects, name):
    others = [
        c
        for prefix in ("add_", "change_", "delete_")
        for c in all_codenames(prefix)
        if c != CHANGES[name]
    ]
    client.force_login(user_with(django_user_model, others + all_codenames("view_"), is_staff=True))
    before = state()
    assert request(client, name, objects).status_code == 403
    if name in FORMS:
        assert client.get(target(name, objects)[0]).status_code == 403
    assert state() == before
    allowed = Client()
    allowed.force_login(user_with(django_user_model, [CHANGES[name]], is_staff=True))
    if name in FORMS:
        assert allowed.get(target(name, objects)[0]).status_code == 200
    assert request(allowed, name, objects).status_code == 302
    assert state() != before  # the refusal above was the permission, not a no-op action


# -- how actions are called -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_refuses_every_other_method(admin_client, objects, name):
    url, data = target(name, objects)
    before = state()
    for method in ("get", "head", "put", "patch", "delete", "options", "trace"):
        response = getattr(admin_client, method)(url, data if method == "get" else None)
        assert (response.status_code, response["Allow"]) == (405, "POST"), method
    assert state() == before


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_page_refuses_other_methods(admin_client, objects, name):
    url, _ = target(name, objects)
    before = state()
    for method in ("put", "patch", "delete", "options", "trace"):
        response = getattr(admin_client, method)(url)
        assert (response.status_code, response["Allow"]) == (405, "GET, HEAD, POST"), method
    assert state() == before


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_action_needs_a_csrf_token(django_user_model, objects, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser("r", "r@example.com", "pw"))
    # A page with an action form sets the CSRF cookie, as in a browser.
    client.get(reverse("ironrelay:task_detail", args=[objects["task"].pk]))
    token = client.cookies["csrftoken"].value
    before = state()
    assert request(client, name, objects).status_code == 403
    assert request(client, name, objects, csrfmiddlewaretoken="x" * 32).status_code == 403
    assert state() == before
    assert request(client, name, objects, csrfmiddlewaretoken=token).status_code == 302
    assert state() != before


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_never_redirects_off_site(admin_client, objects, name):
    for next_url in OFF_SITE:
        response = request(admin_client, name, objects, next=next_url)
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("/ironrelay/") and "evil" not in location, (next_url, location)


# -- what pages show ------------------------------------------------------------------------------

XSS = '<script>alert("ironrelay")</script>'


def test_pages_escape_everything_a_sender_or_receiver_controls(admin_client):
    hook = factories.webhook(
        source=XSS,
        event=XSS,
        delivery_id=XSS,
        payload={"event": XSS, XSS: XSS},
        headers={"X-Evil": XSS},
    )
    factories.handler_run(hook, handler=XSS)
    task = factories.failed_task(task_path=XSS, args=[XSS], kwargs={XSS: XSS}, queue_name=XSS)
    task.errors[0]["message"] = task.errors[0]["traceback"] = XSS
    task.save()
    endpoint = factories.endpoint(url=f"https://x.example.com/?q={XSS}", description=XSS)
    endpoint.disabled_reason = XSS
    endpoint.failing_since = timezone.now()
    endpoint.save()
    delivery = factories.delivery(endpoint)
    delivery.last_error = XSS
    delivery.save()
    attempt = delivery.attempt_log.get()
    attempt.response_body = attempt.error = XSS
    attempt.response_headers = {XSS: XSS}
    attempt.save()
    delivery.message.event_type = XSS
    delivery.message.payload = {XSS: XSS}
    delivery.message.save()
    schedule = schedule_manager.save_definition(
        Schedule(name=XSS), {"task_path": XSS, "every": 60, "args": [XSS], "queue_name": XSS}
    )
    schedule_manager.run_now(schedule)
    shown = 0
    for pattern in patterns():
        if pattern.name not in PAGES and pattern.name not in FORMS:
            continue
        if "pk" not in pattern.pattern.converters:
            url = reverse(f"ironrelay:{pattern.name}")
        else:
            record = {
                "task": task,
                "webhook": hook,
                "delivery": delivery,
                "endpoint": endpoint,
                "schedule": schedule,
            }
            url = reverse(f"ironrelay:{pattern.name}", args=[record[pattern.name.split("_")[0]].pk])
        response = admin_client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert XSS not in text, url
        assert "<script>alert" not in text, url
        shown += "&lt;script&gt;alert" in text or "\\u003Cscript\\u003Ealert" in text
    assert shown >= len(PAGES) - 2  # the overview and summary.json may show none of it
    for model in apps.get_app_config("ironrelay").get_models():
        if not admin.site.is_registered(model):
            continue
        prefix = f"admin:ironrelay_{model._meta.model_name}"
        pages = [reverse(f"{prefix}_changelist")]
        pages += [
            reverse(f"{prefix}_change", args=[admin_quote(o.pk)]) for o in model.objects.all()
        ]
        for url in pages:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            assert "<script>alert" not in response.content.decode(), url
