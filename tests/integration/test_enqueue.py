from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from ironrelay.models import Task
from ironrelay.storable import MAX_DEPTH
from ironrelay.tasks.errors import TaskArgumentError
from tests.testapp.tasks import noop, record, send_email

pytestmark = pytest.mark.django_db


def test_defer_stores_pending_task_and_returns_it():
    before = timezone.now()
    result = record.defer("a", value=3)
    stored = Task.objects.get(pk=result.pk)
    assert stored.status == Task.Status.PENDING
    assert stored.task_path == "tests.testapp.tasks.record"
    assert (stored.args, stored.kwargs) == (["a"], {"value": 3})
    assert stored.queue_name == "default"
    assert before <= stored.enqueued_at <= stored.run_after <= timezone.now()
    assert stored.attempts == 0 and stored.max_attempts == 3


def test_defer_uses_decorator_queue_and_priority():
    stored = send_email.defer(10)
    assert (stored.queue_name, stored.priority) == ("emails", 5)


def test_using_delay_sets_run_after_in_future():
    stored = noop.using(delay=60, priority=-3, queue="slow").defer(1)
    assert stored.run_after - stored.enqueued_at == timedelta(seconds=60)
    assert (stored.priority, stored.queue_name) == (-3, "slow")


def test_using_run_after_is_stored_exactly():
    at = datetime(2031, 5, 17, 8, 30, tzinfo=dt_timezone.utc)
    assert Task.objects.get(pk=noop.using(run_after=at).defer(1).pk).run_after == at


def test_defer_non_json_argument_names_task_and_argument():
    with pytest.raises(TaskArgumentError) as caught:
        record.defer("ok", value=Decimal("1.5"))
    message = str(caught.value)
    assert "tests.testapp.tasks.record" in message
    assert "keyword argument 'value'" in message and "Decimal" in message
    assert not Task.objects.exists()


def test_defer_non_json_positional_argument_is_named_by_position():
    with pytest.raises(TaskArgumentError, match=r"argument 1 \(set\)"):
        record.defer("ok", {1, 2})


def test_defer_nan_is_refused():
    with pytest.raises(TaskArgumentError, match="argument 0"):
        noop.defer(float("nan"))


def test_defer_inside_rolled_back_transaction_leaves_no_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        noop.defer(1)
        assert Task.objects.count() == 1
        raise RuntimeError("roll back")
    assert Task.objects.count() == 0


def test_bulk_defer_stores_all_in_order():
    records = noop.bulk_defer([(i,) for i in range(2500)])
    assert len(records) == 2500
    stored = list(Task.objects.order_by("id").values_list("args", flat=True))
    assert stored == [[i] for i in range(2500)]


def test_bulk_defer_accepts_args_and_kwargs_pairs():
    record.bulk_defer([(("x",), {"value": 1}), (("y",), {"value": 2})])
    assert sorted(Task.objects.values_list("kwargs", flat=True), key=str) == [
        {"value": 1},
        {"value": 2},
    ]


def test_bulk_defer_rejects_non_json_before_storing_anything():
    with pytest.raises(TaskArgumentError, match="argument 0"):
        noop.bulk_defer([(1,), (object(),)])
    assert not Task.objects.exists()


def test_unique_key_refuses_a_second_pending_task_and_says_so():
    first = noop.using(unique_key="order-42").defer(1)
    second = noop.using(unique_key="order-42").defer(2)
    assert first.duplicate is False
    assert second.duplicate is True and second.pk == first.pk
    assert Task.objects.count() == 1
    assert noop.using(unique_key="order-43").defer(3).duplicate is False


def test_unique_key_is_free_again_once_the_task_runs():
    from ironrelay.tasks import claim

    first = noop.using(unique_key="sync").defer(1)
    [claimed] = claim.claim_batch("w1", [], 10)
    assert claimed.pk == first.pk
    again = noop.using(unique_key="sync").defer(2)
    assert again.duplicate is False and again.pk != first.pk


def test_unique_key_inside_outer_transaction_keeps_it_usable():
    with transaction.atomic():
        noop.using(unique_key="k").defer(1)
        assert noop.using(unique_key="k").defer(2).duplicate is True
        noop.defer(3)  # the transaction is still usable after the refused insert
    assert Task.objects.count() == 2


def test_bulk_defer_refuses_unique_key():
    with pytest.raises(TaskArgumentError, match="unique_key"):
        noop.using(unique_key="k").bulk_defer([(1,)])


def _fields(task: Task) -> dict:
    return {field.attname: getattr(task, field.attname) for field in Task._meta.concrete_fields}


def test_defer_returns_the_record_as_stored():
    returned = send_email.using(delay=30).defer(10, cc=["a@example.com"])
    assert returned.pk is not None and not returned._state.adding
    assert _fields(returned) == _fields(Task.objects.get(pk=returned.pk))


def test_bulk_defer_returns_records_as_stored_past_one_statement():
    from ironrelay.tasks.inserts import UNNEST_CHUNK

    calls = [((i,), {"n": str(i)}) for i in range(UNNEST_CHUNK + 3)]
    returned = record.bulk_defer(calls)
    assert len(returned) == len(calls)
    stored = {task.pk: task for task in Task.objects.all()}
    assert len(stored) == len(calls)
    for call, task in zip(calls, returned, strict=True):
        assert task.pk is not None  # every database CI runs returns ids (MariaDB 10.5+)
        assert (task.args, task.kwargs) == ([call[0][0]], call[1])
        assert _fields(task) == _fields(stored[task.pk])


def test_bulk_defer_keeps_each_calls_arguments_apart():
    awkward = [
        "",
        "it's",
        'quote " and \\ backslash',
        "{not json}",
        "ünïcode ✓",
        None,
        [1, {"a": []}],
    ]
    record.bulk_defer([((value,), {}) for value in awkward])
    assert [task.args for task in Task.objects.order_by("id")] == [[v] for v in awkward]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("a\x00b", "NUL"), ("\ud800", "surrogate"), ({"k\x00": 1}, "NUL")],
)
def test_defer_argument_no_database_can_store_is_refused_by_name(value, reason):
    with pytest.raises(TaskArgumentError, match=rf"argument 1 contains .*{reason}"):
        record.defer("ok", value)
    with pytest.raises(TaskArgumentError, match=rf"keyword argument 'value' contains .*{reason}"):
        record.defer("ok", value=value)
    assert not Task.objects.exists()


def test_defer_keyword_name_no_database_can_store_is_refused():
    with pytest.raises(TaskArgumentError, match="a keyword name contains a NUL"):
        record.defer("ok", **{"bad\x00name": 1})
    assert not Task.objects.exists()


def test_defer_keeps_emoji_and_backslashes_that_look_like_escapes():
    stored = record.defer("😀 \\u0000 \\ud800", value="ünïcode")
    assert Task.objects.get(pk=stored.pk).args == ["😀 \\u0000 \\ud800"]


def nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5_000])
def test_defer_deeply_nested_argument_is_refused_naming_task_and_argument(depth):
    with pytest.raises(TaskArgumentError) as caught:
        record.defer("ok", nested_list(depth))
    message = str(caught.value)
    assert "tests.testapp.tasks.record" in message
    assert f"argument 1 contains arrays or objects nested more than {MAX_DEPTH}" in message
    with pytest.raises(TaskArgumentError, match=r"keyword argument 'value' contains arrays"):
        record.bulk_defer([(("ok",), {"value": {"a": nested_list(depth)}})])
    assert not Task.objects.exists()


def test_defer_argument_nested_at_the_limit_is_stored_on_every_database():
    deepest = nested_list(MAX_DEPTH)
    stored = record.defer(deepest, value=deepest)
    assert (Task.objects.get(pk=stored.pk).args, stored.kwargs) == ([deepest], {"value": deepest})
    record.bulk_defer([((deepest,), {"value": deepest})] * 2)
    assert Task.objects.count() == 3


def test_defer_wide_shallow_argument_is_stored():
    wide = [{"id": n, "tags": [n]} for n in range(50)]
    assert Task.objects.get(pk=record.defer("ok", value=wide).pk).kwargs == {"value": wide}


def test_defer_circular_argument_is_refused_as_not_json():
    loop: list = []
    loop.append(loop)
    with pytest.raises(TaskArgumentError, match=r"argument 1 .*Circular reference"):
        record.defer("ok", loop)
