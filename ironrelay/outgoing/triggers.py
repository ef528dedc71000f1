"""Model signals that become outgoing events: <app_label>.<model_name>.<action>."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import ForeignKey, Model
from django.db.models.signals import post_delete, post_save
from django.utils.module_loading import import_string

from ironrelay.outgoing import catalog
from ironrelay.outgoing.messages import send_webhook
from ironrelay.outgoing.model_events import ACTIONS, ModelEvents, Serializer, registered
from ironrelay.outgoing.serializers import model_to_payload
from ironrelay.tenants import tenant_key

logger = logging.getLogger("ironrelay.outgoing")
TenantOf = Callable[[Model], str]


def register(
    model: type[Model] | str,
    events: Iterable[str] = ACTIONS,
    serializer: Serializer | str | None = None,
    tenant: str | None = None,
) -> None:
    """Send `<app>.<model>.<action>` events when instances are saved or deleted.

    `tenant` names the attribute (dotted for a chain) whose value owns the events.
    """
    label = model if isinstance(model, str) else model._meta.label
    try:
        model_class = apps.get_model(label) if isinstance(model, str) else model
    except (LookupError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"IRONRELAY['OUTGOING_MODELS']: unknown model {label!r}"
        ) from exc
    actions = set(events)
    if not actions or actions - set(ACTIONS):
        raise ImproperlyConfigured(
            f"IRONRELAY['OUTGOING_MODELS'][{label!r}]['events'] must be some of "
            f"{', '.join(ACTIONS)}"
        )
    to_payload: Serializer = (
        import_string(serializer) if isinstance(serializer, str) else serializer or model_to_payload
    )
    tenant_of = _tenant_reader(model_class, tenant) if tenant else _no_tenant
    uid = f"ironrelay.outgoing.{model_class._meta.label_lower}"
    post_save.disconnect(sender=model_class, dispatch_uid=uid + ".save")
    post_delete.disconnect(sender=model_class, dispatch_uid=uid + ".delete")
    if actions & {"created", "updated"}:
        handler = partial(
            _on_save, actions=frozenset(actions), to_payload=to_payload, tenant_of=tenant_of
        )
        post_save.connect(handler, sender=model_class, weak=False, dispatch_uid=uid + ".save")
    if "deleted" in actions:
        handler = partial(_on_delete, to_payload=to_payload, tenant_of=tenant_of)
        post_delete.connect(handler, sender=model_class, weak=False, dispatch_uid=uid + ".delete")
    registered[model_class._meta.label] = ModelEvents(model_class, frozenset(actions), to_payload)
    catalog.clear_cache()


def register_from_settings(config: dict[str, dict[str, Any]]) -> None:
    """Register every model named in IRONRELAY["OUTGOING_MODELS"]."""
    for label, options in config.items():
        unknown = set(options) - {"events", "serializer", "tenant"}
        if unknown:
            raise ImproperlyConfigured(
                f"IRONRELAY['OUTGOING_MODELS'][{label!r}]: unknown option(s) "
                f"{', '.join(sorted(unknown))}; known: events, serializer, tenant."
            )
        register(
            label, options.get("events", ACTIONS), options.get("serializer"), options.get("tenant")
        )


def _no_tenant(instance: Model) -> str:
    return ""


def _tenant_reader(model: type[Model], path: str) -> TenantOf:
    """Return a function giving the tenant key of an instance from the attribute `path`."""
    names = path.split(".")
    if not all(name.isidentifier() for name in names) or not hasattr(model, names[0]):
        raise ImproperlyConfigured(
            f"IRONRELAY['OUTGOING_MODELS'][{model._meta.label!r}]['tenant']: {model.__name__} "
            f"has no attribute {names[0]!r}."
        )
    field = next((f for f in model._meta.concrete_fields if f.name == path), None)
    if isinstance(field, ForeignKey) and field.target_field.primary_key:
        # The key from the column: no query for the related row, even when it is deleted.
        label = field.related_model._meta.label_lower
        attname = field.attname
        return lambda instance: (
            "" if getattr(instance, attname) is None else f"{label}:{getattr(instance, attname)}"
        )

    def read(instance: Model) -> str:
        value: Any = instance
        for name in names:
            value = getattr(value, name, None)
            if value is None:
                return ""
        return tenant_key(value)

    return read


def event_name(instance: Model, action: str) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}.{action}"


def _on_save(
    sender: type[Model],
    instance: Model,
    created: bool,
    actions: frozenset[str],
    to_payload: Serializer,
    tenant_of: TenantOf,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    action = "created" if created else "updated"
    if raw or action not in actions:
        return  # raw: loaddata fixtures are not events
    _send_on_commit(
        event_name(instance, action), to_payload(instance), tenant_of(instance), kwargs.get("using")
    )


def _on_delete(
    sender: type[Model], instance: Model, to_payload: Serializer, tenant_of: TenantOf, **kwargs: Any
) -> None:
    # Serialised now: after the commit the row is gone.
    _send_on_commit(
        event_name(instance, "deleted"),
        to_payload(instance),
        tenant_of(instance),
        kwargs.get("using"),
    )


def _send_on_commit(event_type: str, data: Any, tenant: str, using: str | None) -> None:
    send = partial(send_webhook, event_type, data, tenant=tenant)
    transaction.on_commit(send, using=using, robust=True)
