"""Template helpers for the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

register = template.Library()


@register.simple_tag(takes_context=True)
def query(context: dict[str, Any], **changes: Any) -> str:
    """Return the current query string with some keys changed (None or "" removes a key)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def logout_url() -> str:
    """Return where the dashboard's "Log out" button POSTs ("" when nowhere)."""
    from ironrelay.dashboard.access import logout_url as find

    return find()


@register.filter
def duration(value: timedelta | None) -> str:
    """Show a timedelta briefly: 4 s, 12 min, 3 h."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@register.filter
def when(value: datetime | str | None) -> SafeString | str:
    """Show a moment the one dashboard way: relative today, dated otherwise, exact on hover."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return value or "—"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt_timezone.utc)
    local, now = timezone.localtime(moment), timezone.now()
    away = abs(now - moment)
    if away < timedelta(minutes=1):
        text = "just now"
    elif away < timedelta(hours=1) or local.date() == timezone.localdate(now):
        # depth=1 keeps it short: "3 hours", not "3 hours, 12 minutes".
        text = (
            f"{timesince(moment, now, depth=1)} ago"
            if moment < now
            else f"in {timeuntil(moment, now, depth=1)}"
        )
    elif local.year == timezone.localtime(now).year:
        text = dateformat.format(local, "j M, H:i")
    else:
        text = dateformat.format(local, "j M Y, H:i")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        dateformat.format(local, "Y-m-d H:i:s T"),
        text,
    )
