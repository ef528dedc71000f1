"""Record how a handler's run ended and roll it up into its webhook's status, in fixed statements.

A handler run is a worker task, so this is paid on every run: two fixed UPDATEs (prepared once per
connection on PostgreSQL, see ironrelay.tasks.db.fixed_statement_cursor) instead of building
querysets for them.
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


def finish(task_id: int, webhook_id: int, status: str) -> None:
    """Record how the run of task `task_id` ended; update its webhook's status to match."""
    wrapper = connections[router.db_for_write(HandlerRun)]
    now = wrapper.ops.adapt_datetimefield_value(timezone.now())
    with db.fixed_statement_cursor(wrapper) as cursor:
        cursor.execute(FINISH_RUN, [status, now, task_id])
    # A statement of its own, after this run's committed one: of handlers finishing at the same
    # time, the last to get here sees every other's status.
    with db.fixed_statement_cursor(wrapper) as cursor:
        if status == HandlerRun.Status.FAILED:
            cursor.execute(MARK_FAILED, [webhook_id])
        else:
            cursor.execute(MARK_PROCESSED, [webhook_id, webhook_id, False])
