"""Crafted query strings, path ids and POST values get a page, a 302, a 400 or a 404: never a 500.

Every dashboard list and every admin changelist of an IronRelay model is walked with the keys it
reads (filters, search, ordering, page) and values a browser would never send: digits that are not
ASCII, NUL, numbers beyond a bigint, text in place of ids.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironrelay.models import Delivery, Task
from tests.dashboard import factories
from tests.security.test_dashboard_security import ACTIONS, PAGES, patterns

pytestmark = pytest.mark.django_db

BIGINT = 2**63 - 1
NASTY = [
    "abc",
    "²",
    "٣",
    "1²",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "1.5",
    "1e3",
    str(BIGINT),
    str(BIGINT + 1),
    str(2**64),
    "9" * 40,
    "-" + "9" * 40,
    " ",
    "%",
    "_",
    "'",
    "\\",
    "😀",
    "x" * 3000,
]
VALUES = st.sampled_from(NASTY) | st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), max_size=20
)
LIST_KEYS = {
    "task_list": ["status", "queue", "task"],
    "webhook_list": ["status", "source", "event"],
    "delivery_list": ["status", "endpoint", "event"],
    "endpoint_list": [],
    "schedule_list": [],
    "queue_list": [],
}
COMMON_KEYS = ["q", "since", "page", "unknown"]
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BAD_PKS = [0, BIGINT, BIGINT + 1, 2**64, 10**30]


@pytest.fixture
def records() -> None:
    hook = factories.webhook()
    factories.handler_run(hook)
    factories.delivery(factories.endpoint(description="Acme"))


def query(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), VALUES | st.lists(VALUES, max_size=3), max_size=4)


def test_every_list_is_walked():
    lists = {name for name in PAGES if name.endswith("_list")}
    assert lists == set(LIST_KEYS)


@pytest.mark.parametrize("name", sorted(LIST_KEYS))
def test_list_filters_never_answer_500(admin_client, records, name):
    @EXAMPLES
    @given(params=query(LIST_KEYS[name] + COMMON_KEYS))
    def check(params: dict[str, Any]) -> None:
        assert admin_client.get(reverse(f"ironrelay:{name}"), params).status_code in {200, 400}

    check()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("delivery_list", {"endpoint": "abc"}),
        ("delivery_list", {"endpoint": str(2**64)}),
        ("delivery_list", {"endpoint": "²"}),
        ("task_list", {"queue": "a\x00b"}),
    ],
)
def test_filter_value_of_the_wrong_kind_is_ignored(admin_client, records, name, params):
    response = admin_client.get(reverse(f"ironrelay:{name}"), params)
    assert response.status_code == 200
    assert response.context["active"] == {}
    unfiltered = admin_client.get(reverse(f"ironrelay:{name}"))
    assert response.context["page"].paginator.count == unfiltered.context["page"].paginator.count


@pytest.mark.parametrize("name", ["webhook_list", "endpoint_list", "task_list"])
@pytest.mark.parametrize("search", ["²", "٣", "9" * 40])
def test_search_for_digits_that_are_no_id_searches_text(admin_client, records, name, search):
    response = admin_client.get(reverse(f"ironrelay:{name}"), {"q": search})
    assert response.status_code == 200
    assert response.context["active"] == {"q": search}
    assert response.context["page"].paginator.count == 0


def admin_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label == "ironrelay"]


def changelist_keys(model: type, superuser: Any) -> list[str]:
    """Return the query keys the model's changelist reads: its filters' and the standard ones."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    changelist = model_admin.get_changelist_instance(request)
    keys = [key for spec in changelist.filter_specs for key in spec.expected_parameters()]
    return [*keys, SEARCH_VAR, ORDER_VAR, PAGE_VAR, "e", "_changelist_filters", "unknown"]


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m.__name__)
def test_admin_changelist_never_answers_500(admin_client, admin_user, records, model):
    url = reverse(f"admin:ironrelay_{model._meta.model_name}_changelist")
    keys = changelist_keys(model, admin_user)

    @EXAMPLES
    @given(params=query(keys))
    def check(params: dict[str, Any]) -> None:
        assert admin_client.get(url, params).status_code in {200, 302, 400}

    check()


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m.__name__)
def test_admin_changelist_answers_400_for_nul(admin_client, admin_user, records, model):
    url = reverse(f"admin:ironrelay_{model._meta.model_name}_changelist")
    for key in changelist_keys(model, admin_user):
        assert admin_client.get(url, {key: "a\x00b"}).status_code == 400, key


@pytest.mark.parametrize("pk", BAD_PKS)
def test_ids_beyond_the_table_are_404_in_pages_and_actions(admin_client, pk):
    for pattern in patterns():
        if "pk" not in pattern.pattern.converters:
            continue
        url = reverse(f"ironrelay:{pattern.name}", args=[pk])
        response = admin_client.post(url) if pattern.name in ACTIONS else admin_client.get(url)
        assert response.status_code == 404, (url, response.status_code)


@pytest.mark.parametrize("pk", [*BAD_PKS, "abc", "²", "a\x00b"])
@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m.__name__)
def test_admin_change_page_of_a_crafted_id_is_not_a_500(admin_client, model, pk):
    url = reverse(f"admin:ironrelay_{model._meta.model_name}_change", args=[pk])
    assert admin_client.get(url, follow=True).status_code in {200, 404}


@given(ids=st.lists(VALUES | st.integers().map(str), max_size=5))
@EXAMPLES
def test_bulk_retry_ignores_ids_that_are_not_ids(admin_client, ids):
    failed = factories.failed_task()
    response = admin_client.post(reverse("ironrelay:task_bulk_retry"), {"ids": [*ids, failed.pk]})
    assert response.status_code == 302
    assert Task.objects.get(pk=failed.pk).status == "pending"
    failed.delete()


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m.__name__)
def test_admin_action_with_crafted_selection_is_not_a_500(admin_client, records, model):
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:ironrelay_{model._meta.model_name}_changelist")
    request = RequestFactory().get(url)
    request.user = admin_client.get(url).wsgi_request.user
    actions = [name for name in model_admin.get_actions(request) if name != "delete_selected"]
    for action in [*actions, "delete_selected"]:
        for selected in (NASTY, ["abc"], [str(2**64)], ["²"]):
            response = admin_client.post(
                url, {"action": action, "index": "0", "_selected_action": selected}
            )
            assert response.status_code in {200, 302}, (action, selected)
    assert Delivery.objects.exists()  # no crafted value selected a real record


FORM_KEYS = ["url", "description", "event_types_0", "event_types_1", "unknown"]


@pytest.mark.parametrize("name", ["endpoint_add", "endpoint_edit"])
def test_endpoint_form_answers_a_page_or_a_redirect_for_any_post(admin_client, name):
    target = factories.endpoint()
    url = reverse(f"ironrelay:{name}", args=[target.pk] if name == "endpoint_edit" else [])

    @EXAMPLES
    @given(data=query(FORM_KEYS))
    def check(data: dict[str, Any]) -> None:
        assert admin_client.post(url, data).status_code in {200, 302}

    check()


def test_bulk_retry_with_huge_and_non_ascii_ids_is_not_a_500(admin_client):
    response = admin_client.post(
        reverse("ironrelay:task_bulk_retry"), {"ids": ["²", str(2**64), "9" * 40, "-1"]}
    )
    assert response.status_code == 302
