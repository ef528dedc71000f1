"""Django app config: wires SQLite tuning, system checks and handler discovery at start-up."""

from __future__ import annotations

from django.apps import AppConfig


class IronRelayConfig(AppConfig):
    name = "ironrelay"
    verbose_name = "IronRelay"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from ironrelay import checks, db

        checks.register_all()
        connection_created.connect(db.tune_sqlite, dispatch_uid="ironrelay.tune_sqlite")
