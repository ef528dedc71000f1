"""Render portal pages inside the host's base template, and tell the customer what happened."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ironrelay.conf import get_settings


def page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a portal template; it extends PORTAL_BASE_TEMPLATE."""
    context = {"portal_base": get_settings().PORTAL_BASE_TEMPLATE, **context}
    return render(request, f"ironrelay/portal/{template}", context)


def tell(request: HttpRequest, text: str, level: int = messages.SUCCESS) -> None:
    """Show a message on the next page (when the project uses django.contrib.messages)."""
    messages.add_message(request, level, text, fail_silently=True)
