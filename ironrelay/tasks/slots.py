"""When a schedule fires: the slots of a cron expression or an interval; catch-up after downtime.

Pure time arithmetic, no database. Every time in and out is an aware datetime in UTC; a cron
expression is read in its schedule's time zone by cronsim, which follows Debian's cron across
daylight saving time changes:

- spring, the clock jumps 02:00 -> 03:00: a job at a fixed time inside the skipped hour
  (``30 2 * * *``) runs once, at 03:00; jobs that run every hour or more often simply have no
  slots in the hour that does not exist;
- autumn, the clock goes 03:00 -> 02:00: a job at a fixed time inside the repeated hour runs
  once, at its first occurrence (summer time); jobs that run every hour or more often run in both
  hours, as elapsed time says they should.

``every`` slots are anchored to the Unix epoch (a 30-second schedule fires at :00 and :30 of
each minute), so they never drift with how long a run takes or when a worker started.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)
UTC = dt_timezone.utc
CRON_SCAN_LIMIT = 100_000  # slots walked after downtime before starting again closer to now


class TimingError(ValueError):
    """A schedule's cron expression, interval or time zone is not usable."""


@dataclass(frozen=True)
class Timing:
    """A cron expression in a time zone, or an interval in seconds."""

    cron: str = ""
    every: int | None = None
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not isinstance(self.cron, str) or not isinstance(self.zone, str):
            raise TimingError("'cron' and 'timezone' must be strings")
        if bool(self.cron) == (self.every is not None):
            raise TimingError("give either 'cron' or 'every', not both or neither")
        if self.every is not None and (
            isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1
        ):
            raise TimingError(
                f"'every' must be a whole number of seconds, 1 or more, not {self.every!r}"
            )
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise TimingError(f"unknown time zone {self.zone!r}") from None
        if self.cron:
            try:
                CronSim(self.cron, datetime(2000, 1, 1, tzinfo=UTC))
            except CronSimError as exc:
                raise TimingError(f"invalid cron expression {self.cron!r}: {exc}") from None

    def after(self, moment: datetime) -> datetime | None:
        """Return the first slot strictly after `moment` (None if a cron never fires again)."""
        if self.every is not None:
            step = timedelta(seconds=self.every)
            return EPOCH + ((moment - EPOCH) // step + 1) * step
        local = moment.astimezone(ZoneInfo(self.zone))
        for found in CronSim(self.cron, local):
            slot = found.astimezone(UTC)
            # The start may sit in a repeated hour; a match earlier in real time is not "after".
            if slot > moment:
                return slot
        return None

    def upcoming(self, moment: datetime, count: int) -> list[datetime]:
        """Return the next `count` slots after `moment`."""
        slots: list[datetime] = []
        slot = self.after(moment)
        while slot is not None and len(slots) < count:
            slots.append(slot)
            slot = self.after(slot)
        return slots

    def describe(self) -> str:
        """Return the timing in words, e.g. "At 03:00 every day (Europe/Berlin)"."""
        if self.every is not None:
            return f"Every {_seconds_in_words(self.every)}"
        words = CronSim(self.cron, datetime(2000, 1, 1, tzinfo=UTC)).explain()
        return f"{words} ({self.zone})"


@dataclass(frozen=True)
class Plan:
    """What a due schedule enqueues now: slots to run, how many were skipped, and the next slot."""

    run: list[datetime]
    skipped: int
    next_run: datetime | None


def plan(
    timing: Timing,
    first_due: datetime,
    now: datetime,
    *,
    catch_up: str,
    cap: int,
    missed_after: float,
) -> Plan:
    """Decide which due slots from `first_due` up to `now` to run under a catch-up policy.

    A slot reached within `missed_after` seconds of its time is on time and always runs (a busy
    worker is late, not down). Older slots were missed: "latest" runs one (the newest due slot)
    for all of them, "all" runs each of the newest `cap`, "none" runs none.
    """
    on_time_from = now - timedelta(seconds=missed_after)
    due, total = _due_slots(timing, first_due, now, keep=max(cap, 1))
    next_run = timing.after(now)
    missed = total - sum(1 for slot in due if slot >= on_time_from)
    if catch_up == "all":
        run = due[-cap:] if cap > 0 else []
    elif catch_up == "none":
        run = [slot for slot in due if slot >= on_time_from]
    elif missed:
        run = due[-1:]
    else:
        run = list(due)
    return Plan(run=run, skipped=total - len(run), next_run=next_run)


def _due_slots(
    timing: Timing, first: datetime, now: datetime, *, keep: int
) -> tuple[list[datetime], int]:
    """Return the newest `keep` slots from `first` to `now` (inclusive) and how many there were."""
    if first > now:
        return [], 0
    if timing.every is not None:
        step = timedelta(seconds=timing.every)
        total = (now - first) // step + 1
        start = max(0, total - keep)
        return [first + i * step for i in range(start, total)], total
    slots: deque[datetime] = deque([first], maxlen=keep)
    total = 1
    slot: datetime | None = first
    while True:
        slot = timing.after(slot) if slot is not None else None
        if slot is None or slot > now:
            return list(slots), total
        slots.append(slot)
        total += 1
        if total >= CRON_SCAN_LIMIT:
            # Long downtime on a frequent cron: count the rest from a day back instead of walking.
            recent = _recent(timing, now)
            return list(slots)[-keep:] if not recent else recent[-keep:], total + len(recent)


def _recent(timing: Timing, now: datetime) -> list[datetime]:
    slots = []
    slot = timing.after(now - timedelta(days=1))
    while slot is not None and slot <= now:
        slots.append(slot)
        slot = timing.after(slot)
    return slots


def _seconds_in_words(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"
