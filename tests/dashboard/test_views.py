"""Dashboard pages through the test client: access, filters, details, actions, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ironrelay.models import Delivery, Endpoint, HandlerRun, IncomingWebhook, Task, Worker
from tests.dashboard import factories

pytestmark = pytest.mark.django_db

PAGES = [
    "ironrelay:dashboard",
    "ironrelay:task_list",
    "ironrelay:webhook_list",
    "ironrelay:delivery_list",
    "ironrelay:endpoint_list",
    "ironrelay:summary_json",
]


@pytest.fixture
def data():
    task = factories.failed_task()
    hook = factories.webhook()
    factories.handler_run(hook)
    target = factories.endpoint()
    sent = factories.delivery(target)
    return {"task": task, "webhook": hook, "endpoint": target, "delivery": sent}


def detail_urls(data) -> list[str]:
    return [
        reverse("ironrelay:task_detail", args=[data["task"].pk]),
        reverse("ironrelay:webhook_detail", args=[data["webhook"].pk]),
        reverse("ironrelay:delivery_detail", args=[data["delivery"].pk]),
        reverse("ironrelay:endpoint_detail", args=[data["endpoint"].pk]),
    ]


class TestAccess:
    @pytest.mark.parametrize("name", PAGES)
    def test_anonymous_is_redirected_to_admin_login(self, client, name):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")

    def test_custom_login_url_is_used(self, client, settings):
        settings.LOGIN_URL = "/accounts/sign-in/"
        response = client.get(reverse("ironrelay:dashboard"))
        assert response["Location"].startswith("/accounts/sign-in/?next=")

    @pytest.mark.parametrize("name", PAGES)
    def test_non_staff_gets_403(self, client, django_user_model, name):
        client.force_login(django_user_model.objects.create_user("joe", password="pw"))
        assert client.get(reverse(name)).status_code == 403

    def test_staff_without_view_permission_sees_overview_but_not_lists(
        self, client, django_user_model
    ):
        client.force_login(django_user_model.objects.create_user("s", password="pw", is_staff=True))
        assert client.get(reverse("ironrelay:dashboard")).status_code == 200
        assert client.get(reverse("ironrelay:task_list")).status_code == 403

    def test_staff_with_view_permission_sees_every_page(self, staff_client, data):
        for url in [reverse(name) for name in PAGES] + detail_urls(data):
            assert staff_client.get(url).status_code == 200, url

    def test_admin_login_then_dashboard(self, client, django_user_model):
        django_user_model.objects.create_superuser("root", "r@example.com", "pw")
        response = client.post(
            "/admin/login/?next=/ironrelay/",
            {"username": "root", "password": "pw", "next": "/ironrelay/"},
        )
        assert response.status_code == 302 and response["Location"] == "/ironrelay/"
        assert b"Overview" in client.get("/ironrelay/").content


class TestOverview:
    def test_overview_shows_counts_chart_queues_workers_and_endpoints(self, admin_client, data):
        from ironrelay.tasks import claim

        claim.register_worker("host:42:w", ["default"], 4)
        Task.objects.create(task_path="x.y", queue_name="mail")
        factories.endpoint(
            url="https://down.example.com/", is_active=False, disabled_reason="410 Gone"
        )
        html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
        assert 'data-count="tasks.failed"' in html
        assert "<svg" in html and "bar-failed" in html
        assert "mail" in html and "host:42:w" in html
        assert "down.example.com" in html and "410 Gone" in html
        assert "http://" not in html.replace("http://www.w3.org", "")  # no external resources

    def test_summary_json_counts(self, admin_client, data):
        body = admin_client.get(reverse("ironrelay:summary_json")).json()
        assert body["tasks"]["failed"] == 1
        assert body["incoming"]["processed"] == 1
        assert body["deliveries"]["failed"] == 1

    def test_pages_link_a_favicon_from_the_apps_static_files(self, admin_client):
        from django.contrib.staticfiles import finders

        html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
        assert '<link rel="icon" href="/static/ironrelay/favicon.svg"' in html
        assert finders.find("ironrelay/favicon.svg")

    def test_no_worker_warning(self, admin_client):
        Worker.objects.all().delete()
        assert b"No worker is running" in admin_client.get(reverse("ironrelay:dashboard")).content


class TestLists:
    def test_task_filters_and_search(self, admin_client):
        factories.failed_task()
        Task.objects.create(task_path="shop.tasks.send_email", queue_name="emails")
        url = reverse("ironrelay:task_list")
        assert admin_client.get(url, {"status": "failed"}).context["page"].paginator.count == 1
        assert admin_client.get(url, {"queue": "emails"}).context["page"].paginator.count == 1
        assert admin_client.get(url, {"q": "send_email"}).context["page"].paginator.count == 1
        assert (
            admin_client.get(url, {"q": "nothing-like-this"}).context["page"].paginator.count == 0
        )

    def test_webhook_filters(self, admin_client):
        factories.webhook(source="stripe", event="invoice.paid")
        factories.webhook(source="github", event="push", status="failed")
        url = reverse("ironrelay:webhook_list")
        assert [w.event for w in admin_client.get(url, {"source": "stripe"}).context["page"]] == [
            "invoice.paid"
        ]
        assert [w.event for w in admin_client.get(url, {"status": "failed"}).context["page"]] == [
            "push"
        ]
        assert [w.event for w in admin_client.get(url, {"event": "push"}).context["page"]] == [
            "push"
        ]

    def test_delivery_filter_by_endpoint(self, admin_client):
        one, two = factories.endpoint(), factories.endpoint(url="https://b.example.com/")
        factories.delivery(one)
        factories.delivery(two, status="delivered")
        url = reverse("ironrelay:delivery_list")
        page = admin_client.get(url, {"endpoint": two.pk}).context["page"]
        assert [d.endpoint_id for d in page] == [two.pk]

    def test_lists_are_newest_first_and_paginated(self, admin_client):
        Task.objects.bulk_create([Task(task_path=f"t.n{i}") for i in range(120)])
        page = admin_client.get(reverse("ironrelay:task_list"), {"page": 2}).context["page"]
        ids = [t.pk for t in page]
        assert len(ids) == 50 and ids == sorted(ids, reverse=True)
        assert page.paginator.num_pages == 3

    def test_time_range_filter(self, admin_client):
        from datetime import timedelta

        from django.utils import timezone

        factories.webhook(received_at=timezone.now() - timedelta(days=3))
        factories.webhook()
        url = reverse("ironrelay:webhook_list")
        assert admin_client.get(url, {"since": "24h"}).context["page"].paginator.count == 1
        assert admin_client.get(url, {"since": "7d"}).context["page"].paginator.count == 2


class TestDetails:
    def test_task_detail_shows_arguments_and_every_traceback(self, admin_client, data):
        html = admin_client.get(
            reverse("ironrelay:task_detail", args=[data["task"].pk])
        ).content.decode()
        assert "ValueError: attempt 1" in html and "ValueError: attempt 2" in html
        assert "Retry" in html

    def test_webhook_detail_shows_payload_headers_and_handlers(self, admin_client, data):
        html = admin_client.get(
            reverse("ironrelay:webhook_detail", args=[data["webhook"].pk])
        ).content.decode()
        assert "&quot;value&quot;: 123" in html
        assert "curl/8" in html
        assert "tests.testapp.relay_handlers.on_ping" in html
        assert html.index("<h2>Payload</h2>") < html.index("<h2>Headers</h2>")

    def test_delivery_detail_shows_attempts(self, admin_client, data):
        html = admin_client.get(
            reverse("ironrelay:delivery_detail", args=[data["delivery"].pk])
        ).content.decode()
        assert "internal error" in html and "12.5 ms" in html

    def test_endpoint_pages_never_show_the_secret(self, admin_client, data):
        secret = data["endpoint"].secret
        for name in ("ironrelay:endpoint_list", "ironrelay:dashboard", "ironrelay:delivery_list"):
            assert secret not in admin_client.get(reverse(name)).content.decode()
        html = admin_client.get(
            reverse("ironrelay:endpoint_detail", args=[data["endpoint"].pk])
        ).content.decode()
        assert secret not in html
        assert data["endpoint"].masked_secret in html

    def test_missing_object_is_404(self, admin_client):
        assert admin_client.get(reverse("ironrelay:task_detail", args=[999999])).status_code == 404


class TestActions:
    def post(self, client, name, pk=None, **data):
        args = [pk] if pk is not None else []
        return client.post(reverse(name, args=args), data, follow=True)

    def test_retry_failed_task(self, operator_client, data):
        response = self.post(operator_client, "ironrelay:task_retry", data["task"].pk)
        assert "queued for another attempt" in response.content.decode()
        assert Task.objects.get(pk=data["task"].pk).status == "pending"

    def test_cancel_pending_task(self, operator_client):
        task = Task.objects.create(task_path="x.y")
        response = self.post(operator_client, "ironrelay:task_cancel", task.pk)
        assert "cancelled" in response.content.decode()
        assert Task.objects.get(pk=task.pk).status == "cancelled"

    def test_cancel_running_task_requests_it(self, operator_client):
        task = Task.objects.create(task_path="x.y", status="running")
        page = operator_client.get(reverse("ironrelay:task_detail", args=[task.pk]))
        assert reverse("ironrelay:task_cancel", args=[task.pk]) in page.content.decode()
        response = self.post(operator_client, "ironrelay:task_cancel", task.pk)
        assert "asked to stop: it ends cancelled" in response.content.decode()
        task = Task.objects.get(pk=task.pk)
        assert task.status == "running" and task.cancel_requested_at is not None

    def test_cancel_finished_task_changes_nothing(self, operator_client):
        task = Task.objects.create(task_path="x.y", status="success")
        response = self.post(operator_client, "ironrelay:task_cancel", task.pk)
        assert "nothing was changed" in response.content.decode()
        assert Task.objects.get(pk=task.pk).status == "success"

    def test_bulk_retry(self, operator_client):
        failed = [factories.failed_task() for _ in range(3)]
        done = Task.objects.create(task_path="x.y", status="success")
        ids = [t.pk for t in failed] + [done.pk]
        response = self.post(operator_client, "ironrelay:task_bulk_retry", ids=ids)
        assert "Queued 3 task(s) for another attempt; 1 skipped" in response.content.decode()
        assert Task.objects.filter(status="pending").count() == 3

    def test_replay_webhook(self, operator_client, data):
        response = self.post(operator_client, "ironrelay:webhook_replay", data["webhook"].pk)
        assert "replayed: 2 handler task(s) queued" in response.content.decode()
        assert HandlerRun.objects.filter(webhook=data["webhook"], replayed=False).count() == 2

    def test_redeliver(self, operator_client, data):
        response = self.post(operator_client, "ironrelay:delivery_redeliver", data["delivery"].pk)
        assert "queued for another attempt now" in response.content.decode()
        assert Delivery.objects.get(pk=data["delivery"].pk).status == "pending"
        assert Task.objects.filter(
            task_path="ironrelay.outgoing.delivery.deliver", kwargs={"manual": True}
        ).exists()

    def test_disable_enable_rotate_endpoint(self, operator_client, data):
        target = data["endpoint"]
        old_secret = target.secret
        response = self.post(operator_client, "ironrelay:endpoint_disable", target.pk)
        assert "disabled" in response.content.decode()
        assert "disabled by operator" in Endpoint.objects.get(pk=target.pk).disabled_reason
        self.post(operator_client, "ironrelay:endpoint_enable", target.pk)
        assert Endpoint.objects.get(pk=target.pk).is_active
        response = self.post(operator_client, "ironrelay:endpoint_rotate", target.pk)
        rotated = Endpoint.objects.get(pk=target.pk)
        assert rotated.secret != old_secret
        assert rotated.signing_secrets()[1] == old_secret
        html = response.content.decode()
        assert rotated.masked_secret in html and rotated.secret not in html

    @pytest.mark.parametrize(
        "name",
        [
            "ironrelay:task_retry",
            "ironrelay:webhook_replay",
            "ironrelay:delivery_redeliver",
            "ironrelay:endpoint_disable",
            "ironrelay:endpoint_rotate",
        ],
    )
    def test_actions_need_change_permission(self, staff_client, data, name):
        pk = {
            "task": data["task"],
            "webhook": data["webhook"],
            "delivery": data["delivery"],
            "endpoint": data["endpoint"],
        }[name.split(":")[1].split("_")[0]].pk
        assert staff_client.post(reverse(name, args=[pk])).status_code == 403

    def test_actions_refuse_get(self, operator_client, data):
        assert (
            operator_client.get(reverse("ironrelay:task_retry", args=[data["task"].pk])).status_code
            == 405
        )

    def test_actions_need_csrf_token(self, django_user_model, data):
        client = Client(enforce_csrf_checks=True)
        client.force_login(django_user_model.objects.create_superuser("r", "r@example.com", "pw"))
        response = client.post(reverse("ironrelay:task_retry", args=[data["task"].pk]))
        assert response.status_code == 403
        assert Task.objects.get(pk=data["task"].pk).status == "failed"

    def test_next_parameter_cannot_redirect_off_site(self, operator_client, data):
        response = operator_client.post(
            reverse("ironrelay:task_retry", args=[data["task"].pk]),
            {"next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("ironrelay:task_detail", args=[data["task"].pk])


class TestQueryCounts:
    """Every page runs a bounded number of queries, whatever the number of rows."""

    @pytest.fixture
    def many(self):
        for i in range(60):
            hook = factories.webhook(event=f"e{i}")
            factories.handler_run(hook)
            factories.failed_task()
        target = factories.endpoint()
        for _ in range(60):
            factories.delivery(target)
        for i in range(5):
            factories.endpoint(url=f"https://e{i}.example.com/")
        return target

    @pytest.mark.parametrize("name", PAGES)
    def test_list_pages(self, admin_client, many, django_assert_max_num_queries, name):
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse(name)).status_code == 200

    def test_detail_pages(self, admin_client, many, django_assert_max_num_queries):
        hook = IncomingWebhook.objects.first()
        for _ in range(5):
            factories.handler_run(hook)
        urls = [
            reverse("ironrelay:task_detail", args=[Task.objects.first().pk]),
            reverse("ironrelay:webhook_detail", args=[hook.pk]),
            reverse("ironrelay:delivery_detail", args=[Delivery.objects.first().pk]),
            reverse("ironrelay:endpoint_detail", args=[many.pk]),
        ]
        for url in urls:
            with django_assert_max_num_queries(10):
                assert admin_client.get(url).status_code == 200


class TestChart:
    def test_hourly_counts_put_each_finish_in_its_hour(self):
        from datetime import timedelta

        from django.utils import timezone

        from ironrelay.dashboard.stats import hourly

        now = timezone.now().replace(minute=30)
        for hours_ago, status in [
            (0, "success"),
            (0, "failed"),
            (2, "success"),
            (2, "success"),
            (30, "success"),
        ]:
            Task.objects.create(
                task_path="x.y", status=status, finished_at=now - timedelta(hours=hours_ago)
            )
        bars = hourly(Task, "finished_at", "success", "failed", now)
        assert len(bars) == 24
        assert (bars[-1].ok, bars[-1].failed) == (1, 1)
        assert (bars[-3].ok, bars[-3].failed) == (2, 0)
        assert sum(b.ok + b.failed for b in bars) == 4  # the 30-hour-old one is outside
