"""Model signals that become outgoing events: <app_label>.<model_name>.<action>."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils.module_loading import import_string

from ironrelay.outgoing.messages import send_webhook
from ironrelay.outgoing.serializers import model_to_payload

logger = logging.getLogger("ironrelay.outgoing")
ACTIONS = ("created", "updated", "deleted")
Serializer = Callable[[Model], Any]


def register(
    model: type[Model] | str,
    events: Iterable[str] = ACTIONS,
    serializer: Serializer | str | None = None,
) -> None:
    """Send `<app>.<model>.<action>` events when instances are saved or deleted."""
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
    uid = f"ironrelay.outgoing.{model_class._meta.label_lower}"
    if actions & {"created", "updated"}:
        handler = partial(_on_save, actions=frozenset(actions), to_payload=to_payload)
        post_save.connect(handler, sender=model_class, weak=False, dispatch_uid=uid + ".save")
    if "deleted" in actions:
        handler = partial(_on_delete, to_payload=to_payload)
        post_delete.connect(handler, sender=model_class, weak=False, dispatch_uid=uid + ".delete")


def register_from_settings(config: dict[str, dict[str, Any]]) -> None:
    """Register every model named in IRONRELAY["OUTGOING_MODELS"]."""
    for label, options in config.items():
        register(label, options.get("events", ACTIONS), options.get("serializer"))


def event_name(instance: Model, action: str) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}.{action}"


def _on_save(
    sender: type[Model],
    instance: Model,
    created: bool,
    actions: frozenset[str],
    to_payload: Serializer,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    action = "created" if created else "updated"
    if raw or action not in actions:
        return  # raw: loaddata fixtures are not events
    _send_on_commit(event_name(instance, action), to_payload(instance), kwargs.get("using"))


def _on_delete(sender: type[Model], instance: Model, to_payload: Serializer, **kwargs: Any) -> None:
    # Serialised now: after the commit the row is gone.
    _send_on_commit(event_name(instance, "deleted"), to_payload(instance), kwargs.get("using"))


def _send_on_commit(event_type: str, data: Any, using: str | None) -> None:
    transaction.on_commit(partial(send_webhook, event_type, data), using=using, robust=True)
