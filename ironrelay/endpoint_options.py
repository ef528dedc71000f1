"""Per-endpoint options: custom headers sent with every delivery, and a payload transform."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from ironrelay.loading import import_callable

MAX_HEADERS = 20
MAX_HEADER_NAME = 100
MAX_HEADER_VALUE = 4000
# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers a delivery sets itself (the signature covers them) or that the HTTP client owns.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "host",
        "user-agent",
        "connection",
        "keep-alive",
        "expect",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
    }
)

Transform = Callable[[str, Any], Any]


def clean_headers(headers: Any) -> dict[str, str]:
    """Return custom headers as {name: value}, or raise ValidationError naming what is wrong."""
    if headers is None or headers == "":
        return {}
    if not isinstance(headers, Mapping):
        raise ValidationError("Custom headers are a mapping of header name to value.")
    if len(headers) > MAX_HEADERS:
        raise ValidationError(f"At most {MAX_HEADERS} custom headers.")
    cleaned: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValidationError(f"{str(name)[:40]!r} is not a valid header name.")
        if len(name) > MAX_HEADER_NAME:
            raise ValidationError(f"Header name {name[:40]!r}... is too long.")
        lower = name.lower()
        if lower in RESERVED_HEADERS:
            raise ValidationError(
                f"Header {name!r} is set by every delivery and cannot be replaced."
            )
        if lower in seen:
            raise ValidationError(f"Header {name!r} is given twice.")
        seen.add(lower)
        if not isinstance(value, str):
            raise ValidationError(f"The value of header {name!r} must be text.")
        # Values are secrets: errors name the header, never the value.
        if len(value) > MAX_HEADER_VALUE:
            raise ValidationError(f"The value of header {name!r} is too long.")
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
            raise ValidationError(f"The value of header {name!r} contains control characters.")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValidationError(
                f"The value of header {name!r} has characters HTTP headers cannot carry."
            ) from None
        cleaned[name] = value.strip()
    return cleaned


def allowed_transforms() -> dict[str, str]:
    """Return IRONRELAY["OUTGOING_TRANSFORMS"]: the transforms endpoints may name, with labels."""
    from ironrelay.conf import get_settings

    configured: Any = get_settings().OUTGOING_TRANSFORMS
    if isinstance(configured, (list, tuple)):  # paths only: each is its own label
        return {str(path): str(path) for path in configured}
    return dict(configured) if isinstance(configured, Mapping) else {}


def validate_transform(path: str) -> None:
    """Refuse a transform that IRONRELAY["OUTGOING_TRANSFORMS"] does not list."""
    # An allow-list, not any importable name: endpoint options may come from customers (the
    # portal), and calling an arbitrary function with their input is not a feature.
    if path and path not in allowed_transforms():
        raise ValidationError(
            "%(path)s is not one of IRONRELAY['OUTGOING_TRANSFORMS'].",
            code="unknown_transform",
            params={"path": path},
        )


class TransformError(Exception):
    """An endpoint's payload transform could not be loaded or failed."""


def load_transform(path: str) -> Transform:
    """Import an allowed transform, or raise TransformError saying why it cannot run."""
    try:
        validate_transform(path)
    except ValidationError:
        raise TransformError(
            f"transform {path!r} is not listed in IRONRELAY['OUTGOING_TRANSFORMS']"
        ) from None
    try:
        return import_callable(path)
    except ImportError as exc:
        raise TransformError(f"transform {exc}") from None
