"""python manage.py ironrelay_worker: run queued tasks until stopped."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.worker import Worker


class Command(BaseCommand):
    help = "Run IronRelay tasks from the database queue (SIGTERM or Ctrl-C stops gracefully)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: all).")
        parser.add_argument("--concurrency", type=int, default=None, help="Task threads.")
        parser.add_argument("--batch-size", type=int, default=None, help="Tasks claimed at once.")
        parser.add_argument("--poll-interval", type=float, default=None, help="Idle poll, seconds.")
        parser.add_argument("--burst", action="store_true", help="Exit when nothing is due.")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("concurrency", "batch_size"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        worker = Worker(
            queues=queues,
            concurrency=options["concurrency"],
            batch_size=options["batch_size"],
            poll_interval=options["poll_interval"],
            burst=options["burst"],
        )
        _log_to_console_unless_configured()
        worker.install_signal_handlers()
        worker.run()


def _log_to_console_unless_configured() -> None:
    # Without a LOGGING entry for "ironrelay", operators would see nothing from the worker.
    relay = logging.getLogger("ironrelay")
    if not relay.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        relay.addHandler(handler)
        relay.setLevel(logging.INFO)
