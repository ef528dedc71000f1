"""python manage.py ironrelay_prune: delete finished records past the retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.conf import get_settings
from ironrelay.retention import prune


class Command(BaseCommand):
    help = "Delete finished tasks, webhooks and deliveries older than IRONRELAY['RETENTION_DAYS']."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=None, help="Override RETENTION_DAYS.")
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = get_settings().RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 0:
            raise CommandError("--days must not be negative.")
        counts = prune(days, dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for label, count in counts.items():
            self.stdout.write(f"{verb} {count} {label} older than {days:g} day(s)")
