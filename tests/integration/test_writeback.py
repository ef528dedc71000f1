"""A batch of outcomes is written back in one UPDATE, exactly, and a refused row fails alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ironrelay.models import Task
from ironrelay.signals import task_failed
from ironrelay.tasks import claim, queue
from ironrelay.tasks.outcomes import Outcome, error_record, record_outcomes
from tests.testapp.tasks import always_fails, echo, nested, noop

pytestmark = pytest.mark.django_db


def claim_all(worker: str = "w1") -> dict[int, Task]:
    return {task.pk: task for task in claim.claim_batch(worker, [], 100)}


def error_of(task: Task, message: str) -> dict[str, Any]:
    return error_record(task, RuntimeError(message), f"Traceback: {message}")


def updates_in(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]


def test_outcomes_of_a_mixed_batch_are_one_update():
    values = echo.bulk_defer([({"n": i},) for i in range(3)])
    nones = noop.bulk_defer([(i,) for i in range(3)])
    retried = always_fails.defer()  # max_attempts=2: attempt 1 goes back to pending
    final = always_fails.using(max_attempts=1).defer()
    permanent = noop.defer(99)
    taken_over = echo.defer("not mine")
    claimed = claim_all()
    Task.objects.filter(pk=taken_over.pk).update(worker_id="w2")
    outcomes = [
        Outcome(claimed[t.pk], ok=True, return_value={"n": i}) for i, t in enumerate(values)
    ]
    outcomes += [Outcome(claimed[t.pk], ok=True) for t in nones]
    outcomes += [
        Outcome(claimed[t.pk], ok=False, error=error_of(claimed[t.pk], f"boom {t.pk}"))
        for t in (retried, final)
    ]
    outcomes.append(
        Outcome(
            claimed[permanent.pk],
            ok=False,
            error=error_of(claimed[permanent.pk], "gone"),
            permanent=True,
        )
    )
    outcomes.append(Outcome(claimed[taken_over.pk], ok=True, return_value="mine after all"))

    due_before = claimed[retried.pk].run_after
    with CaptureQueriesContext(connection) as queries:
        record_outcomes("w1", outcomes)

    assert len(updates_in(queries)) == 1, updates_in(queries)
    rows = {row.pk: row for row in Task.objects.all()}
    for i, t in enumerate(values):
        assert (rows[t.pk].status, rows[t.pk].return_value) == ("success", {"n": i})
    for t in nones:
        assert (rows[t.pk].status, rows[t.pk].return_value) == ("success", None)
    for t in [*values, *nones]:
        assert rows[t.pk].finished_at is not None and rows[t.pk].errors == []
    for t in [*values, *nones, retried, final, permanent]:
        assert (rows[t.pk].worker_id, rows[t.pk].worker_ids) == ("", ["w1"])
    again = rows[retried.pk]
    assert again.status == "pending" and again.finished_at is None
    assert again.run_after > due_before
    assert [e["message"] for e in again.errors] == [f"boom {retried.pk}"]
    assert (rows[final.pk].status, rows[final.pk].errors[0]["attempt"]) == ("failed", 1)
    assert rows[final.pk].finished_at is not None
    assert rows[permanent.pk].status == "failed"
    assert rows[permanent.pk].errors[0]["traceback"] == "Traceback: gone"
    assert (rows[taken_over.pk].status, rows[taken_over.pk].worker_id) == ("running", "w2")
    assert rows[taken_over.pk].return_value is None


def test_outcomes_keep_the_worker_ids_of_earlier_attempts():
    task = echo.defer(1)
    Task.objects.filter(pk=task.pk).update(worker_ids=["w0"], errors=[{"attempt": 1}])
    [claimed] = claim_all().values()
    record_outcomes("w1", [Outcome(claimed, ok=True, return_value=1)])
    stored = Task.objects.get()
    assert (stored.worker_ids, stored.errors, stored.return_value) == (
        ["w0", "w1"],
        [{"attempt": 1}],
        1,
    )


# Every JSON type, at the edges the three databases store differently (PostgreSQL jsonb parses
# and re-prints, MariaDB keeps LONGTEXT under a JSON_VALID check, SQLite keeps text).
ROUND_TRIP = [
    True,
    False,
    0,
    -7,
    2**53 + 1,
    2**64,
    -(2**63),
    1.5,
    -0.25,
    1e-07,
    0.1 + 0.2,
    "",
    "plain",
    'quote " backslash \\ slash / tab \t newline \n',
    "'; DROP TABLE ironrelay_task; --",
    "ünïcödé ✓ 中文 😀 \u2028",
    "%s %(name)s {0}",
    [],
    {},
    [1, "two", None, True, 3.5, [], {}],
    {"b": 1, "a": [None, False, {"": ""}], "😀": "key"},
    nested(20),
]


def same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types all the way down (True is not 1, 1.0 is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_return_values_of_every_json_type_round_trip():
    tasks = echo.bulk_defer([(value,) for value in ROUND_TRIP])
    claimed = claim_all()
    record_outcomes(
        "w1",
        [
            Outcome(claimed[t.pk], ok=True, return_value=v)
            for t, v in zip(tasks, ROUND_TRIP, strict=True)
        ],
    )
    stored = dict(Task.objects.values_list("pk", "return_value"))
    for task, value in zip(tasks, ROUND_TRIP, strict=True):
        assert same(stored[task.pk], value), (value, stored[task.pk])
        assert same(Task.objects.get(pk=task.pk).args, [value])


@pytest.fixture
def refusing_trigger(transactional_db: None) -> Iterator[None]:
    """Make the database refuse to store the return value "refuse me", as a real error."""
    statements = {
        "sqlite": [
            "CREATE TRIGGER ironrelay_test_refuse BEFORE UPDATE ON ironrelay_task"
            " WHEN NEW.return_value = '\"refuse me\"'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION ironrelay_test_refuse() RETURNS trigger AS $$ BEGIN"
            " RAISE EXCEPTION 'refused by the test trigger'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER ironrelay_test_refuse BEFORE UPDATE ON ironrelay_task FOR EACH ROW"
            " WHEN (NEW.return_value = '\"refuse me\"'::jsonb)"
            " EXECUTE FUNCTION ironrelay_test_refuse()",
        ],
        "mysql": [
            "CREATE TRIGGER ironrelay_test_refuse BEFORE UPDATE ON ironrelay_task FOR EACH ROW"
            " BEGIN IF NEW.return_value = '\"refuse me\"' THEN SIGNAL SQLSTATE '45000'"
            " SET MESSAGE_TEXT = 'refused by the test trigger'; END IF; END"
        ],
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER ironrelay_test_refuse"
            + (" ON ironrelay_task" if connection.vendor == "postgresql" else "")
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION ironrelay_test_refuse()")


def refused_values() -> list[Any]:
    """Values this database refuses by itself (the worker checks for them before writing)."""
    return {
        "postgresql": ["NUL \x00 in a string", "lone surrogate \ud800"],
        "mysql": [nested(40)],  # MariaDB's JSON_VALID stops at 32 levels
        "sqlite": [],
    }[connection.vendor]


def test_a_refused_row_fails_alone_and_the_batch_is_stored(refusing_trigger, caplog):
    refused = ["refuse me", *refused_values()]
    good = echo.bulk_defer([({"good": i},) for i in range(3)])
    bad = echo.bulk_defer([("placeholder",) for _ in refused])
    retried = always_fails.defer()
    plain = noop.defer(1)
    claimed = claim_all()
    outcomes = [
        Outcome(claimed[t.pk], ok=True, return_value={"good": i}) for i, t in enumerate(good)
    ]
    outcomes += [
        Outcome(claimed[t.pk], ok=True, return_value=v) for t, v in zip(bad, refused, strict=True)
    ]
    outcomes.append(
        Outcome(claimed[retried.pk], ok=False, error=error_of(claimed[retried.pk], "boom"))
    )
    outcomes.append(Outcome(claimed[plain.pk], ok=True))

    record_outcomes("w1", outcomes)

    rows = {row.pk: row for row in Task.objects.all()}
    for i, t in enumerate(good):
        assert (rows[t.pk].status, rows[t.pk].return_value) == ("success", {"good": i})
    assert rows[plain.pk].status == "success"
    assert rows[retried.pk].status == "pending"
    assert [e["message"] for e in rows[retried.pk].errors] == ["boom"]
    for t in bad:
        row = rows[t.pk]
        assert (row.status, row.return_value, row.worker_id) == ("failed", None, "")
        [error] = row.errors
        assert error["message"].startswith(
            "The return value of task tests.testapp.tasks.echo could not be stored: "
        )
        assert error["exception_class_path"] == "builtins.TypeError"
    assert "refused by the test trigger" in rows[bad[0].pk].errors[0]["message"]
    # The database's own words, not the value it quotes on later lines (PostgreSQL's CONTEXT).
    assert all("\n" not in rows[t.pk].errors[0]["message"] for t in bad)
    logged = [r.getMessage() for r in caplog.records if "could not be stored" in r.getMessage()]
    assert len(logged) == len(bad) and all("failed for good" in line for line in logged)


def test_a_return_value_json_cannot_hold_fails_alone():
    ok, odd = echo.defer(1), echo.defer(2)
    claimed = claim_all()
    record_outcomes(
        "w1",
        [
            Outcome(claimed[ok.pk], ok=True, return_value=1),
            Outcome(claimed[odd.pk], ok=True, return_value={1, 2}),
        ],
    )
    assert Task.objects.get(pk=ok.pk).status == "success"
    stored = Task.objects.get(pk=odd.pk)
    assert stored.status == "failed"
    assert "not JSON serializable" in stored.errors[0]["message"]


def test_only_rows_written_send_task_failed():
    mine, taken_over, cancelled = always_fails.using(max_attempts=1).bulk_defer([(), (), ()])
    claimed = claim_all()
    Task.objects.filter(pk=taken_over.pk).update(worker_id="w2")
    queue.cancel(cancelled.pk)  # requested while it runs: it ends cancelled, not failed
    failed = []

    def receiver(sender: Any, task: Task, **kwargs: Any) -> None:
        failed.append(task.pk)

    task_failed.connect(receiver)
    try:
        record_outcomes(
            "w1", [Outcome(task, ok=False, error=error_of(task, "no")) for task in claimed.values()]
        )
    finally:
        task_failed.disconnect(receiver)
    assert failed == [mine.pk]
    statuses = dict(Task.objects.values_list("pk", "status"))
    assert statuses == {
        mine.pk: Task.Status.FAILED,
        taken_over.pk: Task.Status.RUNNING,
        cancelled.pk: Task.Status.CANCELLED,
    }
