"""Slot arithmetic: cron in a real time zone across DST, anchored intervals, catch-up policies."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from ironrelay.tasks.slots import Timing, TimingError, plan

UTC = dt_timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def local(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def berlin(slots: list[datetime]) -> list[str]:
    return [slot.astimezone(BERLIN).strftime("%m-%d %H:%M%z") for slot in slots]


# 2026: summer time starts on 29 March (02:00 -> 03:00), ends on 25 October (03:00 -> 02:00).


def test_cron_spring_skipped_time_runs_once_at_the_jump():
    timing = Timing(cron="30 2 * * *", zone="Europe/Berlin")
    slots = timing.upcoming(local(2026, 3, 28, 12, 0), 3)
    assert berlin(slots) == ["03-29 03:00+0200", "03-30 02:30+0200", "03-31 02:30+0200"]
    # 03:00 local is one real hour after the day's 01:00 local: nothing ran twice or not at all.
    assert slots[0] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_cron_autumn_repeated_time_runs_once_at_its_first_occurrence():
    timing = Timing(cron="30 2 * * *", zone="Europe/Berlin")
    slots = timing.upcoming(local(2026, 10, 24, 12, 0), 3)
    assert berlin(slots) == ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"]


def test_cron_autumn_started_inside_the_repeated_hour_does_not_go_back():
    timing = Timing(cron="30 2 * * *", zone="Europe/Berlin")
    # 02:40 in winter time, after the first 02:30 already ran: the next run is a day later.
    start = local(2026, 10, 25, 2, 40, fold=1)
    assert berlin([timing.after(start)]) == ["10-26 02:30+0100"]


def test_cron_hourly_runs_in_both_repeated_hours_and_skips_the_missing_one():
    timing = Timing(cron="15 * * * *", zone="Europe/Berlin")
    autumn = timing.upcoming(local(2026, 10, 25, 1, 0), 4)
    assert berlin(autumn) == [
        "10-25 01:15+0200",
        "10-25 02:15+0200",
        "10-25 02:15+0100",
        "10-25 03:15+0100",
    ]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(autumn))
    spring = timing.upcoming(local(2026, 3, 29, 1, 0), 2)
    assert berlin(spring) == ["03-29 01:15+0100", "03-29 03:15+0200"]


def test_cron_follows_the_schedules_zone_not_utc():
    slot = Timing(cron="0 3 * * *", zone="Europe/Berlin").after(local(2026, 7, 1, 12, 0))
    assert slot == datetime(2026, 7, 2, 1, 0, tzinfo=UTC)


def test_every_is_anchored_to_the_epoch_not_to_now():
    timing = Timing(every=30)
    assert timing.after(datetime(2026, 1, 1, 0, 0, 12, 345, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 0, 30, tzinfo=UTC
    )
    # A run that took 7 s does not push the next slot: it stays on the 30-second grid.
    assert timing.after(datetime(2026, 1, 1, 0, 0, 37, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 1, 0, tzinfo=UTC
    )
    assert timing.after(datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron": "61 * * * *"}, "invalid cron expression"),
        ({"cron": "* * *"}, "invalid cron expression"),
        ({"every": 0}, "'every' must be"),
        ({"every": 1.5}, "'every' must be"),
        ({"cron": "* * * * *", "every": 5}, "not both"),
        ({}, "not both or neither"),
        ({"cron": "* * * * *", "zone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_timing_refuses_bad_definitions(kwargs, message):
    with pytest.raises(TimingError, match=message):
        Timing(**kwargs)


def test_describe_says_the_timing_in_words():
    assert Timing(cron="0 3 * * *", zone="Europe/Berlin").describe() == (
        "At 03:00 every day (Europe/Berlin)"
    )
    assert Timing(every=30).describe() == "Every 30 seconds"
    assert Timing(every=3600).describe() == "Every hour"


T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOURLY = Timing(every=3600)


def test_plan_runs_each_on_time_slot_when_a_worker_is_merely_late():
    timing = Timing(every=1)
    result = plan(
        timing, T0, T0 + timedelta(seconds=2.5), catch_up="latest", cap=10, missed_after=60
    )
    assert result.run == [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)]
    assert result.next_run == T0 + timedelta(seconds=3)


def test_plan_latest_runs_one_slot_for_a_downtime():
    now = T0 + timedelta(hours=5, minutes=10)
    result = plan(HOURLY, T0, now, catch_up="latest", cap=10, missed_after=60)
    assert result.run == [T0 + timedelta(hours=5)]
    assert result.skipped == 5
    assert result.next_run == T0 + timedelta(hours=6)


def test_plan_all_runs_every_missed_slot_up_to_the_cap():
    now = T0 + timedelta(hours=5, minutes=10)
    result = plan(HOURLY, T0, now, catch_up="all", cap=10, missed_after=60)
    assert result.run == [T0 + timedelta(hours=h) for h in range(6)]
    capped = plan(HOURLY, T0, now, catch_up="all", cap=2, missed_after=60)
    assert capped.run == [T0 + timedelta(hours=4), T0 + timedelta(hours=5)]
    assert capped.skipped == 4


def test_plan_none_skips_missed_slots_but_runs_one_that_is_on_time():
    late = plan(
        HOURLY, T0, T0 + timedelta(hours=5, minutes=10), catch_up="none", cap=10, missed_after=60
    )
    assert late.run == [] and late.skipped == 6
    on_time = plan(
        HOURLY, T0, T0 + timedelta(hours=5, seconds=3), catch_up="none", cap=10, missed_after=60
    )
    assert on_time.run == [T0 + timedelta(hours=5)]


def test_plan_counts_a_long_downtime_without_listing_every_slot():
    result = plan(
        Timing(every=1), T0, T0 + timedelta(days=30), catch_up="all", cap=3, missed_after=60
    )
    assert len(result.run) == 3 and result.skipped == 30 * 86400 + 1 - 3


def test_plan_walks_a_frequent_cron_after_a_long_downtime():
    timing = Timing(cron="* * * * *", zone="UTC")
    now = T0 + timedelta(days=100, seconds=30)
    result = plan(timing, T0, now, catch_up="latest", cap=100, missed_after=60)
    assert result.run == [T0 + timedelta(days=100)]
    assert result.next_run == T0 + timedelta(days=100, minutes=1)
