"""python manage.py ironrelay_worker: run queued tasks until stopped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.tasks.supervisor import Supervisor
from ironrelay.tasks.worker import Worker, log_to_console_unless_configured


class Command(BaseCommand):
    help = "Run IronRelay tasks from the database queue (SIGTERM or Ctrl-C stops gracefully)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: all).")
        parser.add_argument("--concurrency", type=int, default=None, help="Task threads.")
        parser.add_argument("--batch-size", type=int, default=None, help="Tasks claimed at once.")
        parser.add_argument("--poll-interval", type=float, default=None, help="Idle poll, seconds.")
        parser.add_argument("--burst", action="store_true", help="Exit when nothing is due.")
        parser.add_argument(
            "--no-schedules",
            action="store_true",
            help="Do not enqueue schedules (IRONRELAY['SCHEDULES'], @schedule, the Schedule "
            "table); other workers do.",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Run N worker processes under a supervisor that replaces any whose task "
            "overran its timeout (the stuck task dies with its process).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("concurrency", "batch_size", "processes"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        worker_options = {
            "queues": [q.strip() for q in options["queues"].split(",") if q.strip()],
            "concurrency": options["concurrency"],
            "batch_size": options["batch_size"],
            "poll_interval": options["poll_interval"],
            "burst": options["burst"],
            "schedules": not options["no_schedules"],
        }
        log_to_console_unless_configured()
        runner = (
            Worker(**worker_options)
            if options["processes"] is None
            else Supervisor(options["processes"], worker_options)
        )
        runner.install_signal_handlers()
        runner.run()
