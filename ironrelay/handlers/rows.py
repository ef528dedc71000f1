"""Load the webhook a handler run is for in one fixed statement, instead of an ORM query.

A handler run is a worker task, so this is paid on every run: building and compiling a queryset
for a lookup by primary key cost the worker more than the database's work. The statement is
written once per database and prepared once per connection on PostgreSQL (see
ironrelay.tasks.db.fixed_statement_cursor); the row becomes an IncomingWebhook as a queryset
would have made it, through the same converters.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, router

from ironrelay.models import IncomingWebhook
from ironrelay.tasks import db


def load_webhook(webhook_id: int) -> IncomingWebhook:
    """Return the stored webhook `webhook_id`; raise IncomingWebhook.DoesNotExist if it is gone."""
    alias = router.db_for_read(IncomingWebhook)
    connection = connections[alias]
    with db.fixed_statement_cursor(connection) as cursor:
        cursor.execute(_select(alias), [webhook_id])
        row = cursor.fetchone()
    if row is None:
        raise IncomingWebhook.DoesNotExist(f"IncomingWebhook #{webhook_id} does not exist")
    values = list(row)
    for index, column, converters in _converters(alias):
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return IncomingWebhook.from_db(alias, _attnames(), values)


@functools.cache
def _attnames() -> list[str]:
    return [field.attname for field in IncomingWebhook._meta.concrete_fields]


@functools.cache
def _select(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    meta = IncomingWebhook._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    # Names from the model's own fields, quoted; the id is a parameter.
    table, key = quote(meta.db_table), quote(meta.pk.column)
    return f"SELECT {columns} FROM {table} WHERE {key} = %s"  # noqa: S608  # nosec B608


@functools.cache
def _converters(alias: str) -> list[tuple[int, Any, list[Any]]]:
    # What SQLCompiler.get_converters would apply to each column of the same query.
    connection = connections[alias]
    found = []
    for index, field in enumerate(IncomingWebhook._meta.concrete_fields):
        column = field.get_col(IncomingWebhook._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, column, converters))
    return found
