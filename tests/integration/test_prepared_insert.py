"""defer() on PostgreSQL with psycopg 3: one prepared INSERT per connection, and the ways out."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test import override_settings

from ironrelay.models import Task
from ironrelay.tasks import db
from tests.testapp.tasks import noop, record

pytestmark = pytest.mark.django_db

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL, reason="prepared statements are PostgreSQL's (psycopg 3)"
)


def prepared_inserts() -> int:
    """Return how many prepared INSERTs into the task table this session holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE 'INSERT INTO ironrelay_task %%'"
        )
        return cursor.fetchone()[0]


def test_only_postgresql_prepares_statements():
    # The suite's PostgreSQL runs use psycopg 3; SQLite and MariaDB have nothing to prepare.
    assert db.prepares_statements(connection) is POSTGRESQL


@postgresql_only
def test_defer_prepares_its_insert_once_per_connection():
    records = [record.defer(i, value={"n": i}) for i in range(3)]
    assert prepared_inserts() == 1
    for i, result in enumerate(records):
        stored = Task.objects.get(pk=result.pk)
        assert (stored.args, stored.kwargs) == ([i], {"value": {"n": i}})
        assert (result.args, result.kwargs) == (stored.args, stored.kwargs)
    with connection.cursor() as cursor:  # JSON values, not JSON text stored as a string
        cursor.execute(
            "SELECT DISTINCT jsonb_typeof(args), jsonb_typeof(kwargs) FROM ironrelay_task"
        )
        assert cursor.fetchall() == [("array", "object")]


@postgresql_only
def test_defer_leaves_prepared_statements_off_for_other_queries():
    threshold = connection.connection.prepare_threshold
    noop.defer(1)
    assert connection.connection.prepare_threshold == threshold


@postgresql_only
def test_defer_while_queries_are_logged_logs_its_insert_unprepared(django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        noop.defer(1)
    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO ironrelay_task")
    assert prepared_inserts() == 0


@postgresql_only
@override_settings(IRONRELAY={"PREPARED_STATEMENTS": False})
def test_prepared_statements_setting_turns_them_off():
    noop.defer(1)
    assert prepared_inserts() == 0
    assert Task.objects.count() == 1


@postgresql_only
def test_disable_server_side_cursors_turns_them_off(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    noop.defer(1)
    assert prepared_inserts() == 0
    assert Task.objects.count() == 1


@postgresql_only
def test_prepare_threshold_written_out_as_none_turns_them_off(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"prepare_threshold": None})
    noop.defer(1)
    assert prepared_inserts() == 0
    assert Task.objects.count() == 1


@postgresql_only
def test_statement_lost_by_the_session_is_a_clear_error():
    noop.defer(1)
    with connection.cursor() as cursor:  # what a pooler handing over another session looks like
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(ProgrammingError) as caught, transaction.atomic():
        noop.defer(2)
    message = str(caught.value)
    assert "does not exist" in message
    assert "PREPARED_STATEMENTS" in message and "DISABLE_SERVER_SIDE_CURSORS" in message
    assert list(Task.objects.values_list("args", flat=True)) == [[1]]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_defer_after_a_rolled_back_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        noop.defer(1)
        raise RuntimeError("roll back")
    noop.defer(2)  # psycopg forgets its prepared statements on ROLLBACK and prepares again
    noop.defer(3)
    assert sorted(Task.objects.values_list("args", flat=True)) == [[2], [3]]
    assert prepared_inserts() == 1
