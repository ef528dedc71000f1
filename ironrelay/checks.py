"""System checks: configuration mistakes are reported at start-up, naming the setting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import connections

from ironrelay.conf import RelaySettings, SettingError, get_settings


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report unknown IRONRELAY keys."""
    try:
        RelaySettings.from_django()
    except Exception as exc:
        return [checks.Error(str(exc), id="ironrelay.E001")]
    return []


def check_sqlite_transactions(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Recommend IMMEDIATE transactions on SQLite, so concurrent writers wait instead of failing."""
    messages = []
    for alias in settings.DATABASES:
        conn = connections[alias]
        if (
            conn.vendor == "sqlite"
            and conn.settings_dict.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE"
        ):
            messages.append(
                checks.Warning(
                    f"DATABASES[{alias!r}] is SQLite without OPTIONS['transaction_mode'] = "
                    "'IMMEDIATE'.",
                    hint="Set it so the web server and the IronRelay worker wait for each other "
                    "instead of raising 'database is locked'.",
                    id="ironrelay.W001",
                )
            )
    return messages


def check_sources(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report sources whose scheme, secrets, options or schemas are wrong; warn on unsigned ones."""
    from ironrelay.handlers import dedupe
    from ironrelay.handlers.sources import SourceConfigError, build_source

    try:
        sources = RelaySettings.from_django().SOURCES
    except Exception:
        return []  # check_settings reports it
    messages: list[checks.CheckMessage] = []
    for name, config in sources.items():
        try:
            source = build_source(name, config)
        except SourceConfigError as exc:
            messages.append(checks.Error(str(exc), id="ironrelay.E002"))
            continue
        if not source.scheme.requires_secrets and not settings.DEBUG:
            messages.append(
                checks.Warning(
                    f"IRONRELAY['SOURCES'][{name!r}] uses scheme {source.scheme.name!r}: anyone "
                    "can post webhooks to it, and DEBUG is off.",
                    hint="Use a signed scheme in production; 'none' is for local development.",
                    id="ironrelay.W002",
                )
            )
        messages += _check_signed_url(name, source.scheme)
        replayable = dedupe.default_mode(source.scheme, source.id_places) == dedupe.CONTENT
        if source.dedupe == dedupe.DELIVERY_ID and replayable:
            messages.append(
                checks.Warning(
                    f"IRONRELAY['SOURCES'][{name!r}] dedupes on a delivery id that its "
                    f"{source.scheme.name!r} signature does not cover, and no signed timestamp "
                    "bounds replays: a captured request sent again with a new id runs its "
                    "handlers again.",
                    hint="Remove 'dedupe' to use the default ('content'), or make every handler "
                    "of this source idempotent.",
                    id="ironrelay.W003",
                )
            )
    return messages


def check_outgoing_options(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report bad EVENT_TYPES entries (schema, example), validation mode and transforms."""
    from ironrelay.endpoint_options import TransformError, load_transform
    from ironrelay.outgoing.catalog import config_problems

    try:
        conf = RelaySettings.from_django()
    except Exception:
        return []  # check_settings reports it
    messages: list[checks.CheckMessage] = [
        checks.Error(problem, id="ironrelay.E030") for problem in config_problems()
    ]
    transforms = conf.OUTGOING_TRANSFORMS
    if not isinstance(transforms, (dict, list, tuple)):
        return [
            *messages,
            checks.Error(
                "IRONRELAY['OUTGOING_TRANSFORMS'] must be a dict of dotted path to label "
                "(or a list of dotted paths).",
                id="ironrelay.E031",
            ),
        ]
    for path in transforms:
        try:
            load_transform(path)
        except TransformError as exc:
            messages.append(
                checks.Error(f"IRONRELAY['OUTGOING_TRANSFORMS']: {exc}.", id="ironrelay.E031")
            )
    return messages


def _check_signed_url(name: str, scheme: Any) -> list[checks.CheckMessage]:
    """Warn when a scheme signs the called URL, no 'url' is set and Django may not see it."""
    from ironrelay.signing import UrlSignedScheme

    if not isinstance(scheme, UrlSignedScheme) or scheme.url or settings.DEBUG:
        return []
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    return [
        checks.Warning(
            f"IRONRELAY['SOURCES'][{name!r}] uses scheme {scheme.name!r}, which signs the URL "
            "the provider called, but has no 'url' option and SECURE_PROXY_SSL_HEADER is not "
            "set: behind a TLS-terminating proxy Django rebuilds an http:// URL and every "
            "signature fails.",
            hint="Set the source's 'url' to the exact URL given to the provider, or set "
            "SECURE_PROXY_SSL_HEADER (and USE_X_FORWARDED_HOST if the proxy changes the host).",
            id="ironrelay.W004",
        )
    ]


def check_portal(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report a PORTAL_TENANT that cannot be imported or is not callable."""
    from ironrelay.portal.access import tenant_callable

    try:
        path = get_settings().PORTAL_TENANT
    except SettingError:
        return []  # check_settings reports it
    if not path:
        return []  # the portal is optional: without the setting its pages say what to set
    try:
        tenant_callable()
    except SettingError as exc:
        return [checks.Error(str(exc), id="ironrelay.E040")]
    return []


def check_schedules(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Name each schedule whose cron expression, time zone, task or options are wrong."""
    from django.utils.module_loading import autodiscover_modules

    from ironrelay.tasks.schedules import ScheduleError, code_schedules, problems, task_problems

    try:
        RelaySettings.from_django()
    except Exception:
        return []  # check_settings reports it
    # @schedule decorators run when their tasks modules are imported, as the worker does.
    try:
        autodiscover_modules("tasks")
    except Exception:  # a broken tasks module: the import error is reported where it is run
        return []
    try:
        definitions = code_schedules()
    except ScheduleError as exc:
        return [checks.Error(str(exc), id="ironrelay.E020")]
    messages: list[checks.CheckMessage] = []
    for name, definition in definitions.items():
        missing = task_problems(definition.task)
        for problem in problems(definition, import_task=False):
            messages.append(checks.Error(f"Schedule {name!r}: {problem}.", id="ironrelay.E020"))
        for problem in missing:
            messages.append(
                checks.Error(
                    f"Schedule {name!r}: {problem}.",
                    hint="Give the dotted path of a function decorated with ironrelay's @task, "
                    "or of a django.tasks task.",
                    id="ironrelay.E021",
                )
            )
    return messages


def check_queues(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Report IRONRELAY["QUEUES"] entries whose rate or concurrency cannot be read."""
    from ironrelay.tasks.rates import queue_limits

    try:
        configured = RelaySettings.from_django().QUEUES
    except Exception:
        return []  # check_settings reports it
    try:
        queue_limits(configured)
    except Exception as exc:
        return [checks.Error(str(exc), id="ironrelay.E050")]
    return []


def register_all() -> None:
    """Register IronRelay's checks with Django."""
    checks.register(check_settings, "ironrelay")
    checks.register(check_sources, "ironrelay")
    checks.register(check_schedules, "ironrelay")
    checks.register(check_queues, "ironrelay")
    checks.register(check_outgoing_options, "ironrelay")
    checks.register(check_portal, "ironrelay")
    checks.register(check_sqlite_transactions, "ironrelay", checks.Tags.database)
