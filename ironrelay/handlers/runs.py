"""Record how a handler's run ended and roll it up into its webhook's status, in fixed statements.

A handler run is a worker task, so this is paid on every run: fixed statements (prepared once per
connection on PostgreSQL, see ironrelay.tasks.db.fixed_statement_cursor) instead of querysets.
On PostgreSQL one statement usually does it: the run's UPDATE in a WITH clause, the webhook's in
the main statement, which cannot see its own WITH clause's change and so leaves this run out.
"""

from __future__ import annotations

from django.db import connections, router
from django.utils import timezone

from ironrelay.models import HandlerRun
from ironrelay.tasks import db

FINISH_RUN = "UPDATE ironrelay_handlerrun SET status = %s, finished_at = %s WHERE task_id = %s"
MARK_FAILED = "UPDATE ironrelay_incomingwebhook SET status = 'failed' WHERE id = %s"
MARK_PROCESSED = (
    "UPDATE ironrelay_incomingwebhook SET status = 'processed' WHERE id = %s AND NOT EXISTS"
    " (SELECT 1 FROM ironrelay_handlerrun WHERE webhook_id = %s AND replayed = %s"
    " AND status <> 'success')"
)
# PostgreSQL: the run and its webhook in one statement.
WITH_RUN = (
    "WITH run AS (UPDATE ironrelay_handlerrun SET status = %s, finished_at = %s"
    " WHERE task_id = %s) "
)
FINISH_FAILED = WITH_RUN + MARK_FAILED
FINISH_PROCESSED = WITH_RUN + MARK_PROCESSED.removesuffix(")") + " AND task_id IS DISTINCT FROM %s)"


def finish(task_id: int, webhook_id: int, status: str) -> None:
    """Record how the run of task `task_id` ended; update its webhook's status to match."""
    wrapper = connections[router.db_for_write(HandlerRun)]
    now = wrapper.ops.adapt_datetimefield_value(timezone.now())
    failed = status == HandlerRun.Status.FAILED
    if wrapper.vendor == "postgresql":
        with db.fixed_statement_cursor(wrapper) as cursor:
            if failed:
                cursor.execute(FINISH_FAILED, [status, now, task_id, webhook_id])
                return
            cursor.execute(
                FINISH_PROCESSED, [status, now, task_id, webhook_id, webhook_id, False, task_id]
            )
            if cursor.rowcount:
                return
        # Another run was unfinished when the statement began, or finishing at the same time
        # (its change not yet committed): the check again below, once this run is committed.
    else:
        with db.fixed_statement_cursor(wrapper) as cursor:
            cursor.execute(FINISH_RUN, [status, now, task_id])
    # A statement of its own, after this run's committed one: of handlers finishing at the same
    # time, the last to get here sees every other's status.
    with db.fixed_statement_cursor(wrapper) as cursor:
        if failed:
            cursor.execute(MARK_FAILED, [webhook_id])
        else:
            cursor.execute(MARK_PROCESSED, [webhook_id, webhook_id, False])
