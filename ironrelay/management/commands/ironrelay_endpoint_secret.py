"""python manage.py ironrelay_endpoint_secret ID: print an endpoint's signing secret."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.models import Endpoint


class Command(BaseCommand):
    help = "Print an endpoint's current signing secret (to configure its receiver)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("endpoint_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            endpoint = Endpoint.objects.get(pk=options["endpoint_id"])
        except Endpoint.DoesNotExist:
            raise CommandError(f"No endpoint with id {options['endpoint_id']}.") from None
        self.stdout.write(endpoint.secret)
