"""IronRelay: background tasks and webhooks for Django, backed by the project's own database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["on_webhook", "schedule", "send_webhook", "task", "tenant_key"]

if TYPE_CHECKING:
    from ironrelay.handlers.registry import on_webhook
    from ironrelay.outgoing import send_webhook
    from ironrelay.tasks.decorator import task
    from ironrelay.tasks.schedules import schedule
    from ironrelay.tenants import tenant_key

_LAZY = {
    "task": "ironrelay.tasks.decorator",
    "on_webhook": "ironrelay.handlers.registry",
    "send_webhook": "ironrelay.outgoing",
    "schedule": "ironrelay.tasks.schedules",
    "tenant_key": "ironrelay.tenants",
}


def __getattr__(name: str) -> Any:
    # Imported lazily so `import ironrelay` works before Django's app registry is ready.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ironrelay' has no attribute {name!r}")
