"""Parse rate limits ("100/m", "5/s") and queue limit settings; no models imported here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from ironrelay.conf import SettingError

# Concurrency keys of this form take their limits from the Endpoint row (outgoing deliveries).
ENDPOINT_KEY_PREFIX = "endpoint:"
PERIODS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d*(?:\.\d+)?)\s*([smhd])\s*$")


class RateError(ValueError):
    """A rate is not written as <count>/<period>, e.g. "100/m" or "5/s"."""


def parse_rate(rate: str) -> float:
    """Return the seconds between two starts a rate such as "100/m" or "5/s" allows."""
    match = _RATE.match(rate) if isinstance(rate, str) else None
    if match is None:
        raise RateError(
            f"Rate {rate!r} is not <count>/<period>: write e.g. '100/m', '5/s', '10/2s' "
            "(periods s, m, h, d)."
        )
    count, multiple, unit = float(match[1]), float(match[2] or 1), match[3]
    if count <= 0 or multiple <= 0:
        raise RateError(f"Rate {rate!r} allows nothing: write e.g. '100/m' or '5/s'.")
    return multiple * PERIODS[unit] / count


def validate_rate(value: str) -> None:
    """Model/form validator: refuse a rate parse_rate cannot read (an empty one is no limit)."""
    if value:
        try:
            parse_rate(value)
        except RateError as exc:
            raise ValidationError(str(exc), code="invalid_rate") from None


@dataclass(frozen=True)
class QueueLimits:
    """The limits IRONRELAY["QUEUES"] sets on one queue."""

    name: str
    interval: float | None = None  # seconds between starts, from "rate"
    concurrency: int | None = None  # tasks of the queue running at once, on every worker


def queue_limits(config: dict[str, Any]) -> dict[str, QueueLimits]:
    """Read IRONRELAY["QUEUES"]; raise SettingError naming the entry that is wrong."""
    if not isinstance(config, dict):
        raise SettingError('IRONRELAY["QUEUES"] must be a dict of queue name to options.')
    found = {}
    for name, options in config.items():
        where = f'IRONRELAY["QUEUES"][{name!r}]'
        if not isinstance(name, str) or not name or len(name) > 100:
            raise SettingError(f"{where}: a queue name is a string of 1 to 100 characters.")
        if not isinstance(options, dict):
            raise SettingError(f"{where} must be a dict such as {{'rate': '100/m'}}.")
        unknown = sorted(set(options) - {"rate", "concurrency"})
        if unknown:
            raise SettingError(
                f"{where}: unknown option(s) {', '.join(unknown)}; known: concurrency, rate."
            )
        interval = None
        if options.get("rate") is not None:
            try:
                interval = parse_rate(options["rate"])
            except RateError as exc:
                raise SettingError(f"{where}['rate']: {exc}") from None
        concurrency = options.get("concurrency")
        if concurrency is not None and (
            isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
        ):
            raise SettingError(f"{where}['concurrency'] must be a whole number of at least 1.")
        found[name] = QueueLimits(name, interval, concurrency)
    return found
