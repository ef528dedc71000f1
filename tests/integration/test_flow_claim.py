"""Flow control in the claim, one process against the real database: keys, rates, queues."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ironrelay.models import Endpoint, FlowLimit, Task, Worker
from ironrelay.tasks import claim, flow, queues
from ironrelay.tasks.outcomes import Outcome, record_outcomes
from tests.testapp.flow_tasks import plain, process_order, ticked, two_at_once

pytestmark = pytest.mark.django_db


def limited(worker: str = "w1", limit: int = 10, only: tuple[str, ...] = ()) -> list[Task]:
    return flow.claim_limited(worker, list(only), limit).tasks


def finish(worker: str, tasks: list[Task]) -> None:
    record_outcomes(worker, [Outcome(task=t, ok=True) for t in tasks])


def test_flow_key_is_formatted_from_the_call_arguments():
    task = process_order.defer(42, "/dev/null", hold=0)
    assert task.flow_key == "order:42"
    assert Task.objects.get(pk=task.pk).flow_key == "order:42"
    assert plain.defer(1).flow_key == ""
    assert two_at_once.defer(1).flow_key == two_at_once.path


def test_bulk_defer_stores_each_call_key():
    process_order.bulk_defer([((n, "/dev/null"), {}) for n in (1, 2, 2)])
    keys = sorted(Task.objects.values_list("flow_key", flat=True))
    assert keys == ["order:1", "order:2", "order:2"]


def test_fast_lane_never_claims_limited_tasks():
    process_order.defer(1, "/dev/null")
    plain.defer(1)
    got = claim.claim_batch("w1", [], 10)
    assert [t.task_path for t in got] == [plain.path]


def test_concurrency_key_lets_one_run_per_key():
    for order in (1, 1, 1, 2):
        process_order.defer(order, "/dev/null")
    first = limited()
    assert sorted(t.flow_key for t in first) == ["order:1", "order:2"]
    assert limited("w2") == []  # both keys are busy, whoever asks
    finish("w1", first)
    second = limited("w2")
    assert [t.flow_key for t in second] == ["order:1"]


def test_task_concurrency_without_key_counts_every_run_of_the_task():
    two_at_once.bulk_defer([(n,) for n in range(5)])
    assert len(limited(limit=10)) == 2
    assert limited("w2") == []


def test_slot_of_a_lost_worker_comes_back_with_its_lease():
    process_order.defer(1, "/dev/null")
    process_order.defer(1, "/dev/null")
    Worker.objects.create(
        id="gone", hostname="h", pid=1, last_heartbeat=timezone.now() - timedelta(hours=1)
    )
    assert len(limited("gone")) == 1
    assert limited("w2") == []
    claim.requeue_orphans(lease=60)
    assert len(limited("w2")) == 1


def test_rate_spaces_starts_and_says_when_the_next_slot_opens():
    for _ in range(3):
        ticked.defer("/dev/null")
    result = flow.claim_limited("w1", [], 10)
    assert len(result.tasks) == 1  # no burst, even with three due
    gate = FlowLimit.objects.get(key=f"rate:task:{ticked.path}")
    # 5/s: the next start is one 0.2 s interval after this one; the worker may wake a
    # RATE_WINDOW early.
    assert gate.next_at == result.tasks[0].started_at + timedelta(seconds=0.2)
    assert result.next_slot == gate.next_at - flow.RATE_WINDOW
    assert limited("w2") == []
    FlowLimit.objects.filter(pk=gate.pk).update(next_at=timezone.now() - timedelta(seconds=1))
    assert len(limited("w2")) == 1


def test_queue_limits_from_settings_apply_to_every_task_of_the_queue():
    # tests/settings.py: "throttled" allows 2 at once and 10/s.
    plain.using(queue="throttled").bulk_defer([(n,) for n in range(4)])
    assert claim.claim_batch("w1", [], 10) == []  # a limited queue is not the fast lane's
    assert len(limited()) == 1  # the rate lets one start now
    FlowLimit.objects.filter(key="rate:queue:throttled").update(next_at=None)
    assert len(limited()) == 1
    FlowLimit.objects.filter(key="rate:queue:throttled").update(next_at=None)
    assert limited() == []  # two are running: the queue's concurrency


def test_paused_queue_is_claimed_by_neither_lane_and_keeps_accepting():
    assert queues.pause("default") is True
    assert queues.pause("default") is False
    plain.defer(1)
    process_order.defer(1, "/dev/null")
    assert claim.claim_batch("w1", [], 10) == []
    assert limited() == []
    assert Task.objects.filter(status="pending").count() == 2
    assert queues.resume("default") is True
    assert len(claim.claim_batch("w1", [], 10)) == 1
    assert len(limited()) == 1


def test_endpoint_limits_hold_deliveries_to_that_endpoint_only():
    from ironrelay.outgoing import send_webhook

    small = Endpoint.objects.create(url="http://127.0.0.1:9/a", event_types=["*"], max_in_flight=1)
    big = Endpoint.objects.create(url="http://127.0.0.1:9/b", event_types=["*"])
    for n in range(3):
        send_webhook("thing.happened", {"n": n})
    keys = Task.objects.values_list("flow_key", flat=True)
    assert sorted(set(keys)) == ["", f"endpoint:{small.pk}"]
    assert len(claim.claim_batch("w1", [], 10)) == 3  # to the unlimited endpoint
    got = limited()
    assert [t.args[1] for t in got] == [small.pk]
    assert limited("w2") == []
    Endpoint.objects.filter(pk=small.pk).update(max_in_flight=2)
    assert len(limited("w2")) == 1
    assert big.pk not in [t.args[1] for t in got]


def test_full_key_ahead_does_not_hold_up_keys_behind_it():
    process_order.bulk_defer([((1, "/dev/null"), {}) for _ in range(30)])
    process_order.defer(2, "/dev/null")
    assert len(limited(limit=1)) == 1  # order 1
    got = limited(limit=1)  # 30 candidates of order 1 come first: the next page reads past them
    assert [t.flow_key for t in got] == ["order:2"]


def test_prune_drops_limit_rows_nothing_waits_for():
    from ironrelay.retention import prune

    process_order.defer(1, "/dev/null")
    process_order.defer(2, "/dev/null")
    [first, second] = limited()
    finish("w1", [first])
    FlowLimit.objects.create(key="rate:queue:old", next_at=timezone.now() - timedelta(days=60))
    FlowLimit.objects.create(key="rate:queue:new", next_at=timezone.now())
    counts = prune(30)
    assert counts["ironrelay.FlowLimit"] == 2
    kept = set(FlowLimit.objects.values_list("key", flat=True))
    assert kept == {f"key:{second.flow_key}", "rate:queue:new"}
