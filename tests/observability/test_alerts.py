"""Alert mails: opt-in, sent to ADMINS, one per kind and subject per ALERT_INTERVAL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ironrelay import alerts
from ironrelay.models import AlertSent, Endpoint, Task
from ironrelay.outgoing.delivery import disable
from ironrelay.signals import queue_lagging, task_failed
from ironrelay.tasks import claim
from ironrelay.tasks.outcomes import Outcome, error_record, record_outcomes
from tests.testapp.tasks import always_fails, noop, send_email

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_memory():
    alerts.forget_recent()
    yield
    # A mail a test queued but did not wait for would reach the next test's outbox.
    alerts.wait_for_mails()
    alerts.forget_recent()


def sent_mails() -> list:
    alerts.wait_for_mails()
    return mail.outbox


@pytest.fixture
def alerting(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.IRONRELAY = {**settings.IRONRELAY, "ALERT_MAIL_ADMINS": True}
    return settings


def fail_for_good(n: int, task=always_fails) -> list[Task]:
    task.using(max_attempts=1).bulk_defer([() for _ in range(n)])
    claimed = claim.claim_batch("w1", [], 100)
    outcomes = [
        Outcome(task=t, ok=False, error=error_record(t, RuntimeError("card declined"), ""))
        for t in claimed
    ]
    record_outcomes("w1", outcomes)
    return claimed


def test_many_failures_of_one_task_in_an_hour_send_one_mail(alerting):
    fail_for_good(50)
    [message] = sent_mails()
    assert message.to == ["ops@example.com"]
    assert always_fails.path in message.subject
    assert "RuntimeError: card declined" in message.body
    assert AlertSent.objects.get().kind == "task-failed"


def test_another_process_that_mailed_recently_holds_this_one_back(alerting):
    fail_for_good(1)
    alerts.forget_recent()  # as if a second worker process saw the next failure
    fail_for_good(3)
    assert len(sent_mails()) == 1


def test_later_failures_cost_no_query_once_the_mail_is_sent(alerting):
    fail_for_good(1)
    task = Task.objects.get()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            task_failed.send(sender=Task, task=task)
    assert not queries.captured_queries


def test_a_mail_is_sent_again_after_the_interval(alerting):
    fail_for_good(1)
    AlertSent.objects.update(sent_at=timezone.now() - timedelta(hours=2))
    alerts.forget_recent()  # or an hour of this process's time passes
    fail_for_good(1)
    fail_for_good(1)
    assert len(sent_mails()) == 2


def test_each_subject_has_its_own_limit(alerting):
    fail_for_good(2)
    endpoint = Endpoint.objects.create(url="http://127.0.0.1:9/hook", event_types=["*"])
    disable(endpoint, "10 deliveries in a row failed")
    other = Endpoint.objects.create(url="http://127.0.0.1:9/other", event_types=["*"])
    disable(other, "the endpoint answered 410 Gone")
    subjects = [m.subject for m in sent_mails()]
    assert len(subjects) == 3
    assert any(f"endpoint {endpoint.pk} (127.0.0.1) disabled" in s for s in subjects)
    assert "410 Gone" in sent_mails()[2].body


def test_the_endpoint_mail_names_the_host_but_not_the_url(alerting):
    url = "https://hooks.example.com/t/path-secret?token=query-secret"
    endpoint = Endpoint.objects.create(url=url, event_types=["*"])
    disable(endpoint, "10 deliveries in a row failed")
    described = Endpoint.objects.create(url=url, event_types=["*"], description="Billing")
    disable(described, "10 deliveries in a row failed")
    first, second = sent_mails()
    assert f"Deliveries to endpoint {endpoint.pk} (at host hooks.example.com)" in first.body
    assert "Deliveries to Billing (at host hooks.example.com)" in second.body
    for message in (first, second):
        assert "secret" not in message.subject + message.body


def test_no_mail_unless_asked_but_the_signal_is_sent(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    seen = []

    def receiver(task, **kwargs):
        seen.append(task.pk)

    task_failed.connect(receiver)
    try:
        failed = fail_for_good(2)
    finally:
        task_failed.disconnect(receiver)
    assert sorted(seen) == sorted(t.pk for t in failed)
    assert not sent_mails() and not AlertSent.objects.exists()


def test_a_retry_is_not_an_alert(alerting):
    always_fails.defer()  # max_attempts=2: this failure is retried
    [task] = claim.claim_batch("w1", [], 1)
    error = error_record(task, RuntimeError("x"), "")
    record_outcomes("w1", [Outcome(task=task, ok=False, error=error)])
    assert Task.objects.get().status == "pending"
    assert not sent_mails()


def test_queue_lag_over_the_limit_alerts_once(alerting):
    alerting.IRONRELAY = {**alerting.IRONRELAY, "ALERT_QUEUE_LAG": 60}
    noop.defer(1)
    send_email.defer(1)
    Task.objects.filter(queue_name="emails").update(run_after=timezone.now() - timedelta(minutes=5))
    lags = []

    def receiver(queue, lag, **kwargs):
        lags.append((queue, round(lag, -1)))

    queue_lagging.connect(receiver)
    try:
        assert alerts.check_queue_lag() == ["emails"]
        assert alerts.check_queue_lag() == ["emails"]
    finally:
        queue_lagging.disconnect(receiver)
    assert lags == [("emails", 300.0), ("emails", 300.0)]  # the signal: every check
    [message] = sent_mails()  # the mail: once
    assert "queue emails is 300 s behind" in message.subject


def test_queue_lag_is_not_checked_without_a_limit(alerting, django_assert_num_queries):
    send_email.defer(1)
    Task.objects.update(run_after=timezone.now() - timedelta(days=1))
    with django_assert_num_queries(0):
        assert alerts.check_queue_lag() == []
    assert not sent_mails()


def test_a_broken_mail_server_does_not_break_the_worker(alerting):
    alerting.EMAIL_BACKEND = "tests.observability.broken_mail.Backend"
    fail_for_good(1)
    assert Task.objects.get().status == "failed"


def test_a_failing_receiver_does_not_break_the_write_back(caplog):
    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    task_failed.connect(broken)
    try:
        fail_for_good(1)
    finally:
        task_failed.disconnect(broken)
    assert Task.objects.get().status == "failed"
    assert "receiver bug" in caplog.text


def test_a_hung_mail_server_does_not_hold_up_the_write_back(alerting):
    from tests.observability import hung_mail

    alerting.EMAIL_BACKEND = "tests.observability.hung_mail.Backend"
    for event in (hung_mail.entered, hung_mail.release, hung_mail.finished):
        event.clear()
    hung_mail.sent.clear()
    fail_for_good(1)  # returns while the backend hangs
    assert Task.objects.get().status == "failed"
    assert hung_mail.entered.wait(10)
    assert not hung_mail.finished.is_set()
    hung_mail.release.set()
    alerts.wait_for_mails()
    [message] = hung_mail.sent
    assert "task tests.testapp.tasks.always_fails failed" in message.subject


def test_alert_mails_are_dropped_when_the_queue_is_full(alerting, caplog):
    from tests.observability import hung_mail

    alerting.EMAIL_BACKEND = "tests.observability.hung_mail.Backend"
    for event in (hung_mail.entered, hung_mail.release, hung_mail.finished):
        event.clear()
    try:
        assert alerts.send("test", "first", "first", "body")
        assert hung_mail.entered.wait(10)  # the sender holds the first mail
        for n in range(alerts.MAX_QUEUED_MAILS):
            assert alerts.send("test", f"queued {n}", "queued", "body")
        assert not alerts.send("test", "one too many", "dropped", "body")
        assert "dropping the test alert about one too many" in caplog.text
    finally:
        hung_mail.release.set()
        alerts.wait_for_mails()
