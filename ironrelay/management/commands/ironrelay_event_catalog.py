"""python manage.py ironrelay_event_catalog: print the event catalog as OpenAPI 3.1 or JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ironrelay.outgoing.catalog import CatalogError, catalog_as_data
from ironrelay.outgoing.openapi import openapi_document


class Command(BaseCommand):
    help = "Print every outgoing event type with its schema and example."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=["openapi", "json"],
            default="openapi",
            help="openapi: an OpenAPI 3.1 document with a 'webhooks' section (default); "
            "json: the catalog as a list.",
        )
        parser.add_argument("--title", default="Webhooks", help="The OpenAPI info.title.")
        parser.add_argument("--api-version", default="1", help="The OpenAPI info.version.")
        parser.add_argument("--indent", type=int, default=2, help="JSON indentation.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["format"] == "json":
                document: Any = {"events": catalog_as_data()}
            else:
                document = openapi_document(options["title"], options["api_version"])
        except CatalogError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps(document, indent=options["indent"] or None, ensure_ascii=False)
        )
