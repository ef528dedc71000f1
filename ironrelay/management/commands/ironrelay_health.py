"""python manage.py ironrelay_health: exit 1 with a one-line reason when IronRelay is unhealthy."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.metrics.health import check


class Command(BaseCommand):
    help = (
        "Exit 0 if the database answers, a worker heartbeat is fresh and (with --max-lag) no due "
        "task has waited too long; otherwise print why and exit 1. For liveness/readiness probes."
    )
    requires_system_checks: list[str] = []  # a probe runs often: keep it to the checks below

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-lag",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Fail when the oldest due task has waited longer than this.",
        )
        parser.add_argument(
            "--max-heartbeat-age",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Fail when the newest worker heartbeat is older (default: WORKER_LEASE).",
        )
        parser.add_argument(
            "--queues", default="", help="Comma-separated queues --max-lag looks at (default: all)."
        )
        parser.add_argument(
            "--no-workers",
            action="store_true",
            help="Do not require a live worker (e.g. a web server's readiness probe).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("max_lag", "max_heartbeat_age"):
            value = options[name]
            if value is not None and not value >= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be a number of seconds >= 0.")
        verdict = check(
            max_lag=options["max_lag"],
            max_heartbeat_age=options["max_heartbeat_age"],
            queues=[q.strip() for q in options["queues"].split(",") if q.strip()],
            workers=not options["no_workers"],
        )
        if not verdict.healthy:
            self.stderr.write(f"unhealthy: {verdict.reason}")
            sys.exit(1)
        self.stdout.write(f"ok: {verdict.reason}")
