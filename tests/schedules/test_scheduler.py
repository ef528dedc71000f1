"""The scheduler and its manager on a real database, with a clock the tests move."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from ironrelay.models import Schedule, ScheduleRun, Task
from ironrelay.tasks import schedule_manager
from ironrelay.tasks.scheduler import Scheduler
from ironrelay.tasks.schedules import ScheduleDefinition, ScheduleError

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RECORD = "tests.testapp.tasks.record"
PROCESS_ORDER = "tests.testapp.flow_tasks.process_order"


class Clock:
    """A wall clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make(name: str = "s", now: datetime = T0, **values) -> Schedule:
    values = {"task_path": RECORD, "args": [name], **values}
    if "cron" not in values:
        values.setdefault("every", 60)
    return schedule_manager.save_definition(Schedule(name=name), values, now)


def slots_run(name: str = "s") -> list[datetime]:
    return sorted(ScheduleRun.objects.filter(schedule__name=name).values_list("slot", flat=True))


def test_every_slot_is_enqueued_once_by_each_of_several_schedulers():
    make(every=1)
    clock = Clock(T0)
    schedulers = [Scheduler(clock) for _ in range(3)]
    for step in range(1, 11):
        clock.now = T0 + timedelta(seconds=step, milliseconds=300)
        for scheduler in schedulers:
            scheduler.tick()
    expected = [T0 + timedelta(seconds=s) for s in range(1, 11)]
    assert slots_run() == expected
    assert sorted(Task.objects.values_list("run_after", flat=True)) == expected
    assert sum(s.enqueued for s in schedulers) == 10


def test_a_worker_that_read_a_stale_row_enqueues_nothing():
    schedule = make(every=60)
    stale = Schedule.objects.get(pk=schedule.pk)
    now = schedule.next_run + timedelta(seconds=1)
    assert len(schedule_manager.fire(schedule, now)) == 1
    assert schedule_manager.fire(stale, now) == []
    assert Task.objects.count() == 1


def test_the_unique_slot_key_refuses_a_slot_enqueued_before():
    schedule = make(every=60)
    ScheduleRun.objects.create(schedule=schedule, slot=schedule.next_run)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleRun.objects.create(schedule=schedule, slot=schedule.next_run)
    # Even when next_run points at that slot again (say, set back by hand), it is not run twice.
    slot = schedule.next_run
    assert schedule_manager.fire(schedule, slot + timedelta(seconds=1)) == []
    assert not Task.objects.exists()
    assert Schedule.objects.get(pk=schedule.pk).next_run > slot  # it moved on


@pytest.mark.parametrize(
    ("policy", "expected_hours"),
    [("latest", [5]), ("all", [0, 1, 2, 3, 4, 5]), ("none", [])],
)
def test_catch_up_after_downtime_follows_the_policy(policy, expected_hours):
    make(every=3600, catch_up=policy, now=T0 - timedelta(seconds=1))
    clock = Clock(T0 + timedelta(hours=5, minutes=10))  # no worker ran for five hours
    Scheduler(clock).tick()
    assert slots_run() == [T0 + timedelta(hours=h) for h in expected_hours]
    assert Schedule.objects.get().next_run == T0 + timedelta(hours=6)
    # Missed slots' tasks are due at once, not at their old times.
    assert all(t.run_after <= clock.now for t in Task.objects.all())


def test_catch_up_all_is_capped(settings):
    settings.IRONRELAY = {**settings.IRONRELAY, "SCHEDULE_CATCH_UP_MAX": 3}
    make(every=60, catch_up="all", now=T0 - timedelta(seconds=1))
    Scheduler(Clock(T0 + timedelta(hours=2))).tick()
    assert slots_run() == [T0 + timedelta(minutes=m) for m in (118, 119, 120)]


def test_cron_across_both_dst_changes_in_berlin():
    # 02:30 every day, and every hour at :15, from the day before spring's change to after autumn's.
    start = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    make("daily", cron="30 2 * * *", timezone="Europe/Berlin", now=start)
    make("hourly", cron="15 * * * *", timezone="Europe/Berlin", now=start)
    clock = Clock(start)
    scheduler = Scheduler(clock)
    for days in (0, 210):  # the spring change, then the autumn one
        base = start + timedelta(days=days)
        if days:
            # Jump over the summer without downtime catch-up: resume at the autumn window.
            for schedule in Schedule.objects.all():
                schedule_manager.pause(schedule)
                schedule_manager.resume(schedule, base)
        for minute in range(0, 26 * 60, 5):
            clock.now = base + timedelta(minutes=minute)
            scheduler.tick()
    daily = [s.astimezone(BERLIN).strftime("%m-%d %H:%M%z") for s in slots_run("daily")]
    assert daily == ["03-29 03:00+0200", "10-25 02:30+0200"]
    hourly = [s.astimezone(BERLIN).strftime("%m-%d %H:%M%z") for s in slots_run("hourly")]
    spring = [h for h in hourly if h.startswith("03-29")]
    assert "03-29 01:15+0100" in spring and "03-29 03:15+0200" in spring
    assert not any(h.startswith("03-29 02:") for h in spring)  # 02:15 did not exist
    autumn = [h for h in hourly if h.startswith("10-25 02:")]
    assert autumn == ["10-25 02:15+0200", "10-25 02:15+0100"]  # the hour that happened twice
    assert len(set(slots_run("hourly"))) == len(slots_run("hourly"))


def test_an_idle_tick_costs_one_query_whatever_the_number_of_schedules(django_assert_num_queries):
    for i in range(100):
        make(f"s{i}", every=3600)
    scheduler = Scheduler(Clock(T0 + timedelta(seconds=1)))
    with django_assert_num_queries(1):
        assert scheduler.tick() == 0


def test_next_tick_comes_no_later_than_the_next_slot(settings):
    make(every=3600)
    clock = Clock(T0 + timedelta(minutes=59, seconds=59, milliseconds=700))
    scheduler = Scheduler(clock)
    scheduler.tick()
    assert 0.2 < scheduler.seconds_until_tick() <= 0.31


def test_after_firing_the_next_tick_is_at_the_schedules_next_slot():
    make(every=1)
    scheduler = Scheduler(Clock(T0 + timedelta(seconds=1, milliseconds=300)))
    assert scheduler.tick() == 1
    assert 0.6 < scheduler.seconds_until_tick() <= 0.71


def test_pause_stops_and_resume_restarts_from_the_next_slot():
    schedule = make(every=60)
    assert schedule_manager.pause(schedule)
    Scheduler(Clock(T0 + timedelta(minutes=10))).tick()
    assert not ScheduleRun.objects.exists()
    assert schedule_manager.resume(schedule, T0 + timedelta(minutes=10, seconds=5))
    assert Schedule.objects.get().next_run == T0 + timedelta(minutes=11)


def test_run_now_enqueues_one_run_outside_the_timing():
    schedule = make(every=3600, kwargs={"value": 7})
    task = schedule_manager.run_now(schedule, T0 + timedelta(seconds=5))
    assert task is not None and task.kwargs == {"value": 7} and task.args == ["s"]
    run = ScheduleRun.objects.get()
    assert run.manual and run.task_id == task.id
    row = Schedule.objects.get()
    assert row.last_task_id == task.id and row.next_run == T0 + timedelta(hours=1)


def test_an_edit_takes_effect_at_the_next_tick():
    schedule = make(every=3600)
    scheduler = Scheduler(Clock(T0 + timedelta(seconds=2)))
    scheduler.tick()
    schedule = Schedule.objects.get()
    schedule_manager.save_definition(schedule, {"every": 1}, T0 + timedelta(seconds=2))
    scheduler.clock = Clock(T0 + timedelta(seconds=3, milliseconds=100))
    scheduler.tick()
    assert slots_run() == [T0 + timedelta(seconds=3)]


def test_options_reach_the_task():
    make(every=60, queue_name="emails", priority=7, kwargs={"value": 3})
    Scheduler(Clock(T0 + timedelta(minutes=1))).tick()
    task = Task.objects.get()
    assert (task.queue_name, task.priority, task.kwargs, task.task_path) == (
        "emails",
        7,
        {"value": 3},
        RECORD,
    )


def test_a_scheduled_task_gets_the_flow_key_of_its_arguments():
    make(every=60, task_path=PROCESS_ORDER, args=[42, "/dev/null"])
    Scheduler(Clock(T0 + timedelta(minutes=1))).tick()
    # As from defer(): the concurrency_key "order:{order_id}" filled in from the arguments.
    assert Task.objects.get().flow_key == "order:42"


def test_jitter_delays_the_start_within_its_bound():
    make(every=60, jitter=30)
    Scheduler(Clock(T0 + timedelta(minutes=1))).tick()
    task = Task.objects.get()
    assert T0 + timedelta(minutes=1) <= task.run_after <= T0 + timedelta(minutes=1, seconds=30)
    assert slots_run() == [T0 + timedelta(minutes=1)]


def test_sync_creates_updates_keeps_and_deletes_code_schedules():
    first = ScheduleDefinition(name="a", task=RECORD, every=60)
    other = ScheduleDefinition(name="b", task=RECORD, cron="0 3 * * *")
    assert schedule_manager.sync([first, other], T0) == {"created": 2, "updated": 0, "deleted": 0}
    row = Schedule.objects.get(name="a")
    assert row.defined_in_code and row.next_run == T0 + timedelta(minutes=1)
    # Unchanged at a later start: next_run is kept, so the missed slots can be caught up.
    later = T0 + timedelta(hours=2)
    assert schedule_manager.sync([first, other], later) == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
    }
    assert Schedule.objects.get(name="a").next_run == T0 + timedelta(minutes=1)
    changed = ScheduleDefinition(name="a", task=RECORD, every=120)
    assert schedule_manager.sync([changed], later)["updated"] == 1
    assert Schedule.objects.get(name="a").next_run == later + timedelta(minutes=2)
    assert not Schedule.objects.filter(name="b").exists()


def test_sync_keeps_an_operators_pause():
    definition = ScheduleDefinition(name="a", task=RECORD, every=60)
    schedule_manager.sync([definition], T0)
    schedule_manager.pause(Schedule.objects.get())
    schedule_manager.sync([ScheduleDefinition(name="a", task=RECORD, every=30)], T0)
    row = Schedule.objects.get()
    assert row.paused and row.next_run is None and row.every == 30


def test_a_disabled_code_schedule_is_not_run():
    schedule_manager.sync([ScheduleDefinition(name="a", task=RECORD, every=1, enabled=False)], T0)
    Scheduler(Clock(T0 + timedelta(seconds=5))).tick()
    assert Schedule.objects.get().next_run is None and not Task.objects.exists()


def test_code_schedules_cannot_be_edited_through_the_manager():
    schedule_manager.sync([ScheduleDefinition(name="a", task=RECORD, every=60)], T0)
    with pytest.raises(ScheduleError, match="defined in code"):
        schedule_manager.save_definition(Schedule.objects.get(), {"every": 5}, T0)


def test_a_schedule_of_an_unknown_task_moves_on_without_enqueuing(caplog):
    make(every=60, task_path="tests.testapp.tasks.nope")
    Scheduler(Clock(T0 + timedelta(minutes=1))).tick()
    assert not Task.objects.exists() and not ScheduleRun.objects.exists()
    assert Schedule.objects.get().next_run == T0 + timedelta(minutes=2)
    assert "not enqueued" in caplog.text
