"""The collector reports the queue, workers, endpoints and counters from the database."""

from __future__ import annotations

from datetime import timedelta

import prometheus_client
import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ironrelay.metrics import counters
from ironrelay.metrics.collector import IronRelayCollector
from ironrelay.models import Endpoint, Schedule, Task, Worker
from ironrelay.tasks import claim, queues, schedule_manager
from tests.testapp.tasks import always_fails, noop, record, send_email

pytestmark = pytest.mark.django_db

URL = "/ironrelay/metrics/"


@pytest.fixture(autouse=True)
def _metrics_url(settings):
    settings.ROOT_URLCONF = "tests.observability.urls"


def scrape(client, **headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def staff_client(client):
    user = User.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(user)
    return client


def fill(n: int) -> None:
    """Store n finished tasks plus a fixed set of waiting and running ones."""
    now = timezone.now()
    rows = [Task(task_path=noop.path, status="success", finished_at=now) for _ in range(n)]
    Task.objects.bulk_create(rows, batch_size=500)


def test_queue_depth_lag_workers_and_endpoints_are_reported(staff_client, metrics_on):
    now = timezone.now()
    noop.bulk_defer([(i,) for i in range(3)])
    Task.objects.update(run_after=now - timedelta(seconds=120))
    noop.using(delay=3600).defer(9)  # pending, not due
    send_email.bulk_defer([(1,), (2,)])  # queue "emails"
    [running] = claim.claim_batch("w1", ["emails"], 1)
    fill(5)
    Worker.objects.create(id="w1", hostname="h", pid=1)
    Worker.objects.create(id="w0", hostname="h", pid=2, last_heartbeat=now - timedelta(hours=1))
    up = Endpoint.objects.create(url="http://127.0.0.1:9/up", event_types=["*"])
    down = Endpoint.objects.create(
        url="http://127.0.0.1:9/down", event_types=["*"], is_active=False, consecutive_failures=4
    )
    samples = scrape(staff_client)
    assert samples[("ironrelay_database_up", ())] == 1
    assert samples[("ironrelay_queue_pending", (("queue", "default"),))] == 4
    assert samples[("ironrelay_queue_due", (("queue", "default"),))] == 3
    assert samples[("ironrelay_queue_pending", (("queue", "emails"),))] == 1
    assert samples[("ironrelay_queue_running", (("queue", "emails"),))] == 1
    assert samples[("ironrelay_queue_running", (("queue", "default"),))] == 0
    age = samples[("ironrelay_queue_oldest_due_age_seconds", (("queue", "default"),))]
    assert 120 <= age < 600
    assert samples[("ironrelay_workers", ())] == 1
    assert samples[("ironrelay_endpoint_active", (("endpoint", str(up.pk)),))] == 1
    assert samples[("ironrelay_endpoint_active", (("endpoint", str(down.pk)),))] == 0
    failures = ("ironrelay_endpoint_consecutive_failures", (("endpoint", str(down.pk)),))
    assert samples[failures] == 4
    assert running.queue_name == "emails"


def test_paused_queues_are_reported_and_keep_their_depth(staff_client, metrics_on):
    noop.defer(1)
    send_email.defer(1)
    queues.pause("emails")
    queues.pause("idle")  # paused, holding no task
    samples = scrape(staff_client)
    assert samples[("ironrelay_queue_paused", (("queue", "emails"),))] == 1
    assert samples[("ironrelay_queue_paused", (("queue", "idle"),))] == 1
    assert samples[("ironrelay_queue_paused", (("queue", "default"),))] == 0
    assert samples[("ironrelay_queue_pending", (("queue", "emails"),))] == 1


def test_counters_and_histogram_are_reported(staff_client, metrics_on):
    labels = {"task": "shop.report", "queue": "default"}
    counters.add(counters.TASKS_FINISHED, {**labels, "status": "success"}, 7)
    counters.add(counters.TASK_RETRIES, labels, 2)
    counters.add(counters.WEBHOOKS_RECEIVED, {"source": "stripe", "status": "202"}, 3)
    counters.add(counters.SIGNATURE_FAILURES, {"source": "stripe"})
    counters.add(counters.DELIVERY_ATTEMPTS, {"endpoint": "4", "outcome": "delivered"}, 5)
    for seconds in (0.003, 0.2, 0.2, 7, 1000):
        counters.observe_duration("shop.report", "default", timedelta(seconds=seconds))
    counters.flush(force=True)
    samples = scrape(staff_client)
    key = tuple(sorted(labels.items()))
    assert (
        samples[("ironrelay_tasks_finished_total", (*key[:1], ("status", "success"), key[1]))] == 7
    )
    assert samples[("ironrelay_task_retries_total", key)] == 2
    received = (("source", "stripe"), ("status", "202"))
    assert samples[("ironrelay_webhooks_received_total", received)] == 3
    assert samples[("ironrelay_webhook_signature_failures_total", (("source", "stripe"),))] == 1
    delivered = (("endpoint", "4"), ("outcome", "delivered"))
    assert samples[("ironrelay_delivery_attempts_total", delivered)] == 5

    def bucket(le: str) -> float:
        return samples[("ironrelay_task_duration_seconds_bucket", (("le", le), *key))]

    assert (bucket("0.005"), bucket("0.25"), bucket("5.0"), bucket("10.0")) == (1, 3, 3, 4)
    assert bucket("+Inf") == 5
    assert samples[("ironrelay_task_duration_seconds_count", key)] == 5
    assert samples[("ironrelay_task_duration_seconds_sum", key)] == pytest.approx(1007.403)


def make_schedule(name: str, due_in: float, task_path: str = record.path, **values) -> Schedule:
    """Define a schedule running every 60 s whose next slot is `due_in` seconds from now."""
    values = {"task_path": task_path, "every": 60, **values}
    schedule = schedule_manager.save_definition(Schedule(name=name), values)
    if schedule.next_run is not None:
        schedule.next_run = timezone.now() + timedelta(seconds=due_in)
        Schedule.objects.filter(pk=schedule.pk).update(next_run=schedule.next_run)
    return schedule


def schedule_sample(samples, family: str, name: str) -> float | None:
    return samples.get((f"ironrelay_schedule_{family}", (("schedule", name),)))


def test_schedule_lag_is_how_long_the_next_slot_has_been_due(staff_client):
    make_schedule("behind", due_in=-30)
    make_schedule("ahead", due_in=45)
    schedule_manager.pause(make_schedule("paused", due_in=-30))
    make_schedule("disabled", due_in=-30, enabled=False)
    samples = scrape(staff_client)
    assert 30 <= schedule_sample(samples, "lag_seconds", "behind") < 40
    assert schedule_sample(samples, "lag_seconds", "ahead") == 0
    for name in ("paused", "disabled"):
        assert schedule_sample(samples, "lag_seconds", name) is None
        assert schedule_sample(samples, "last_run_failed", name) is None
    assert schedule_sample(samples, "last_run_failed", "behind") == 0


def test_schedule_last_run_failed_follows_its_newest_task(staff_client, drain):
    failing = make_schedule("failing", due_in=60, task_path=always_fails.path)
    fine = make_schedule("fine", due_in=60, task_path=noop.path, args=[1])
    never = make_schedule("never-ran", due_in=60)
    make_schedule("pruned", due_in=60)
    Schedule.objects.filter(name="pruned").update(last_task_id=10**9)  # its task was pruned
    schedule_manager.run_now(failing)
    schedule_manager.run_now(fine)
    drain()
    assert Task.objects.get(pk=failing.last_task_id).status == Task.Status.FAILED
    assert Task.objects.get(pk=fine.last_task_id).status == Task.Status.SUCCESS
    samples = scrape(staff_client)
    assert schedule_sample(samples, "last_run_failed", "failing") == 1
    for name in ("fine", "never-ran", "pruned"):
        assert schedule_sample(samples, "last_run_failed", name) == 0
    schedule_manager.run_now(failing)  # a newer run, still pending: not failed (yet)
    assert schedule_sample(scrape(staff_client), "last_run_failed", "failing") == 0
    assert never.last_task_id is None


def collect_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        families = list(IronRelayCollector().collect())
    assert families
    return len(queries.captured_queries)


def test_collecting_costs_the_same_few_queries_whatever_the_table_sizes(
    metrics_on, django_assert_max_num_queries
):
    noop.defer(1)
    counters.add(counters.TASK_RETRIES, {"task": "a", "queue": "q"})
    counters.flush(force=True)
    small = collect_queries()
    fill(2000)
    noop.bulk_defer([(i,) for i in range(500)])
    send_email.bulk_defer([(i,) for i in range(500)])
    claim.claim_batch("w1", ["emails"], 200)
    for i in range(20):
        Endpoint.objects.create(url=f"http://127.0.0.1:9/e{i}", event_types=["*"])
        Worker.objects.create(id=f"w{i}", hostname="h", pid=i)
        counters.add(counters.TASK_RETRIES, {"task": f"t{i}", "queue": "q"})
        schedule_manager.run_now(make_schedule(f"s{i}", due_in=-i))
    counters.flush(force=True)
    # Queues, paused queues, workers, endpoints, schedules (their last task's status joined in),
    # counters.
    with django_assert_max_num_queries(6):
        list(IronRelayCollector().collect())
    assert collect_queries() == small


def test_anonymous_and_wrong_token_are_refused(client, settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "METRICS_TOKEN": "s3cret-token"}
    assert client.get(URL).status_code == 401
    wrong = client.get(URL, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get(URL, headers={"Authorization": "Basic s3cret-token"}).status_code == 401
    samples = scrape(client, Authorization="Bearer s3cret-token")
    assert samples[("ironrelay_database_up", ())] == 1


def test_without_a_token_setting_only_staff_may_scrape(client):
    assert client.get(URL, headers={"Authorization": "Bearer "}).status_code == 401
    user = User.objects.create_user("plain", password="x")
    client.force_login(user)
    assert client.get(URL).status_code == 401


def test_post_is_not_allowed(staff_client):
    assert staff_client.post(URL).status_code == 405


def test_collector_is_in_the_default_registry(metrics_on):
    noop.defer(1)
    text = prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
    assert 'ironrelay_queue_pending{queue="default"} 1.0' in text


def test_registering_only_describes_without_querying():
    registry = prometheus_client.CollectorRegistry(auto_describe=True)
    with CaptureQueriesContext(connection) as queries:
        registry.register(IronRelayCollector())
    assert not queries.captured_queries
    names = set(registry._names_to_collectors)
    assert {"ironrelay_database_up", "ironrelay_tasks_finished_total"} <= names


def test_a_database_error_reports_database_down_and_nothing_else(staff_client):
    def fail_on_schedules(execute, sql, params, many, context):
        if "ironrelay_schedule" in sql:  # the last read: earlier families were already read
            raise OperationalError("injected: server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    noop.defer(1)
    with connection.execute_wrapper(fail_on_schedules):
        samples = scrape(staff_client)
    assert samples == {("ironrelay_database_up", ()): 0.0}
