"""Django app config: wires SQLite tuning, system checks and handler discovery at start-up."""

from __future__ import annotations

from django.apps import AppConfig


class IronRelayConfig(AppConfig):
    name = "ironrelay"
    verbose_name = "IronRelay"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.utils.module_loading import autodiscover_modules

        from ironrelay import checks
        from ironrelay.handlers import dispatch  # noqa: F401 - registers the handler-runner task
        from ironrelay.tasks import db

        checks.register_all()
        connection_created.connect(db.tune_sqlite, dispatch_uid="ironrelay.tune_sqlite")
        autodiscover_modules("relay_handlers")

        from ironrelay.conf import get_settings
        from ironrelay.outgoing.triggers import register_from_settings

        register_from_settings(get_settings().OUTGOING_MODELS)
        self._load_task_backend()
        self._connect_observability()

    def _connect_observability(self) -> None:
        from django.core.signals import request_finished

        from ironrelay import alerts
        from ironrelay.metrics import counters, exposition

        alerts.connect()
        request_finished.connect(counters.flush_after_request, dispatch_uid="ironrelay.metrics")
        exposition.register_default()

    def _load_task_backend(self) -> None:
        # The worker resolves a stored django.tasks task through the backend module: load it
        # wherever TASKS names it, whichever backend the task itself was defined on.
        from django.conf import settings

        backends = getattr(settings, "TASKS", None) or {}
        if any(
            isinstance(conf, dict) and str(conf.get("BACKEND", "")).startswith("ironrelay.")
            for conf in backends.values()
        ):
            import ironrelay.tasks.backend  # noqa: F401
