"""python manage.py ironrelay_queue pause|resume NAME, or list: operator control of queues."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.tasks import queues


class Command(BaseCommand):
    help = (
        "Pause or resume a queue (a paused queue keeps accepting tasks; workers stop claiming "
        "them), or list queues with their state, backlog and limits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["pause", "resume", "list"])
        parser.add_argument("name", nargs="?", help="The queue (pause and resume).")

    def handle(self, *args: Any, **options: Any) -> None:
        action, name = options["action"], options["name"]
        if action == "list":
            if name:
                raise CommandError("list takes no queue name.")
            self._list()
            return
        if not name:
            raise CommandError(f"{action} needs the name of a queue.")
        try:
            changed = queues.pause(name) if action == "pause" else queues.resume(name)
        except queues.QueueNameError as exc:
            raise CommandError(str(exc)) from None
        state = "paused" if action == "pause" else "running"
        if changed:
            self.stdout.write(f"Queue {name} is now {state}.")
        else:
            self.stdout.write(f"Queue {name} was already {state}.")

    def _list(self) -> None:
        rows = queues.overview()
        width = max([len(row.name) for row in rows] + [5])
        self.stdout.write(
            f"{'queue':<{width}}  {'state':<7}  {'pending':>8}  {'running':>8}  limits"
        )
        for row in rows:
            limits = ", ".join(
                part
                for part in (
                    f"rate {row.rate}" if row.rate else "",
                    f"concurrency {row.concurrency}" if row.concurrency else "",
                )
                if part
            )
            state = "paused" if row.paused else "running"
            self.stdout.write(
                f"{row.name:<{width}}  {state:<7}  {row.pending:>8}  {row.running:>8}  "
                f"{limits or '-'}"
            )
