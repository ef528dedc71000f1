"""Importing this module raises InvalidTask: "reports" is not in the test settings' QUEUES."""

from __future__ import annotations

from ironrelay.tasks.djangotasks import task


@task(queue_name="reports")
def nightly_report() -> None:
    return None
