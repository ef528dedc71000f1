"""Incoming webhook sources: settings.IRONRELAY["SOURCES"] turned into ready-to-use objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from ironrelay.conf import get_settings
from ironrelay.handlers import dedupe
from ironrelay.handlers.payloads import GENERIC_PLACES, NATURAL_PLACES, Place, read_places
from ironrelay.handlers.validation import PayloadSchemas, SchemaConfigError
from ironrelay.signing import Scheme, Verified, get_scheme_class

# Keys a source may have besides its scheme's own options.
SOURCE_KEYS = frozenset(
    {"scheme", "secrets", "tolerance", "schema", "schemas", "max_body", "dedupe"}
    | {"event_key", "event_header", "id_key", "id_header"}
)
# Headers never stored with a webhook, whatever the source.
PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

_cache: dict[str, Source] = {}


class SourceConfigError(ImproperlyConfigured):
    """A source in IRONRELAY["SOURCES"] is configured wrongly."""


@dataclass(frozen=True)
class Source:
    """One sender: how its requests are verified, identified and validated."""

    name: str
    scheme: Scheme
    schemas: PayloadSchemas
    event_places: tuple[Place, ...]
    id_places: tuple[Place, ...]
    max_body: int
    dedupe: str  # dedupe.CONTENT or dedupe.DELIVERY_ID

    def identify(self, payload: Any, headers: Mapping[str, str]) -> tuple[str, str]:
        """Return (event name, delivery id) from the sender's natural places."""
        return (
            read_places(self.event_places, payload, headers)[:255],
            read_places(self.id_places, payload, headers)[:255],
        )

    def content_hash(self, verified: Verified, body: bytes) -> str | None:
        """Return the signed content's digest when this source dedupes on it, else None."""
        return dedupe.content_hash(verified, body) if self.dedupe == dedupe.CONTENT else None

    def headers_to_store(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Return the request headers worth keeping: no credentials, no secrets."""
        secrets = [secret for secret in self.scheme.secrets if secret]
        return {
            name: value[:1000]
            for name, value in headers.items()
            if name.lower() not in PRIVATE_HEADERS and not any(s in value for s in secrets)
        }


def get_source(name: str) -> Source | None:
    """Return the configured source called `name`, or None when there is none."""
    if name in _cache:
        return _cache[name]
    config = get_settings().SOURCES.get(name)
    if config is None:
        return None
    _cache[name] = source = build_source(name, config)
    return source


def build_source(name: str, config: Mapping[str, Any]) -> Source:
    """Build a Source from its settings, raising SourceConfigError that names the key."""
    label = f"IRONRELAY['SOURCES'][{name!r}]"
    if not isinstance(config, Mapping):
        raise SourceConfigError(f"{label} must be a dict.")
    scheme_name = config.get("scheme")
    if not scheme_name:
        raise SourceConfigError(f"{label} has no 'scheme' (e.g. 'stripe', 'github', 'none').")
    try:
        scheme_class = get_scheme_class(scheme_name)
    except LookupError as exc:
        raise SourceConfigError(f"{label}['scheme']: {exc}") from None
    unknown = set(config) - SOURCE_KEYS - scheme_class.options
    if unknown:
        raise SourceConfigError(
            f"{label} has unknown key(s) {', '.join(sorted(unknown))}; the {scheme_name!r} "
            f"scheme accepts {', '.join(sorted(SOURCE_KEYS | scheme_class.options))}."
        )
    options = {key: config[key] for key in scheme_class.options if key in config}
    tolerance = config.get("tolerance", get_settings().SIGNATURE_TOLERANCE)
    try:
        scheme = scheme_class(config.get("secrets") or (), tolerance=tolerance, **options)
    except (TypeError, ValueError) as exc:
        raise SourceConfigError(f"{label}: {exc}") from None
    try:
        schemas = PayloadSchemas(name, config.get("schema"), config.get("schemas"))
    except SchemaConfigError as exc:
        raise SourceConfigError(str(exc)) from None
    event_places, id_places = NATURAL_PLACES.get(scheme_class.name, GENERIC_PLACES)
    if config.get("event_key") or config.get("event_header"):
        event_places = _places(config.get("event_header"), config.get("event_key"))
    if config.get("id_key") or config.get("id_header"):
        id_places = _places(config.get("id_header"), config.get("id_key"))
    mode = config.get("dedupe", dedupe.default_mode(scheme, id_places))
    if not isinstance(mode, str) or mode not in dedupe.MODES:
        raise SourceConfigError(
            f"{label}['dedupe'] is {mode!r}; use one of {', '.join(map(repr, dedupe.MODES))}."
        )
    return Source(
        name=name,
        scheme=scheme,
        schemas=schemas,
        event_places=event_places,
        id_places=id_places,
        max_body=int(config.get("max_body", get_settings().INCOMING_MAX_BODY)),
        dedupe=mode,
    )


def _places(header: str | None, key: str | None) -> tuple[Place, ...]:
    return tuple(p for p in (("header", header or ""), ("json", key or "")) if p[1])


@receiver(setting_changed)
def _reset_sources(*, setting: str, **kwargs: Any) -> None:
    if setting == "IRONRELAY":
        _cache.clear()
