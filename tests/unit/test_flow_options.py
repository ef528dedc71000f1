"""Rates, queue limit settings and the @task flow-control options (no database)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ironrelay.checks import check_queues
from ironrelay.conf import SettingError
from ironrelay.tasks.decorator import TaskFunction
from ironrelay.tasks.errors import TaskArgumentError
from ironrelay.tasks.rates import RateError, parse_rate, queue_limits


@pytest.mark.parametrize(
    ("rate", "interval"),
    [("5/s", 0.2), ("100/m", 0.6), ("10/2s", 0.2), (" 1 / h ", 3600.0), ("0.5/s", 2.0)],
)
def test_parse_rate_returns_seconds_between_starts(rate, interval):
    assert parse_rate(rate) == pytest.approx(interval)


@pytest.mark.parametrize("rate", ["5", "5/x", "/s", "0/s", "5/0s", "five/s", "", None, 5])
def test_parse_rate_refuses_what_it_cannot_read(rate):
    with pytest.raises(RateError, match="100/m"):
        parse_rate(rate)


def test_queue_limits_are_read_from_settings():
    limits = queue_limits({"emails": {"rate": "100/m", "concurrency": 5}, "bulk": {}})
    assert limits["emails"].interval == pytest.approx(0.6)
    assert limits["emails"].concurrency == 5
    assert limits["bulk"].interval is None and limits["bulk"].concurrency is None


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"emails": {"rate": "lots"}}, "['emails']['rate']"),
        ({"emails": {"concurrency": 0}}, "['emails']['concurrency']"),
        ({"emails": {"concurrency": True}}, "['emails']['concurrency']"),
        ({"emails": {"burst": 3}}, "burst"),
        ({"emails": "100/m"}, "['emails']"),
        (["emails"], 'IRONRELAY["QUEUES"]'),
    ],
)
def test_bad_queue_settings_name_the_entry(config, named):
    with pytest.raises(SettingError) as info:
        queue_limits(config)
    assert named in str(info.value)


def test_system_check_reports_bad_queue_settings():
    with override_settings(IRONRELAY={"QUEUES": {"emails": {"rate": "fast"}}}):
        [message] = check_queues()
    assert message.id == "ironrelay.E050" and "emails" in message.msg
    with override_settings(IRONRELAY={"QUEUES": {"emails": {"rate": "1/s"}}}):
        assert check_queues() == []


def order(order_id: int, note: str = "x") -> None: ...


def make(**options: object) -> TaskFunction:
    return TaskFunction(func=order, path="shop.order", **options)  # type: ignore[arg-type]


def test_concurrency_key_is_formatted_from_positional_keyword_and_default_arguments():
    definition = make(concurrency=1, concurrency_key="order:{order_id}:{note}")
    assert definition.flow_key((7,), {}) == "order:7:x"
    assert definition.flow_key((), {"order_id": 8, "note": "y"}) == "order:8:y"


def test_concurrency_key_naming_no_argument_is_refused_at_defer():
    definition = make(concurrency=1, concurrency_key="order:{customer}")
    with pytest.raises(TaskArgumentError, match="customer"):
        definition.flow_key((7,), {})


def test_concurrency_key_with_arguments_the_function_does_not_take_is_refused():
    with pytest.raises(TaskArgumentError, match=r"Cannot defer shop\.order"):
        make(concurrency=1, concurrency_key="o:{order_id}").flow_key((1, 2, 3), {})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "concurrency must be"),
        ({"concurrency": "2"}, "concurrency must be"),
        ({"concurrency_key": "order:{order_id}"}, "needs concurrency"),
        ({"concurrency": 1, "concurrency_key": ""}, "template string"),
        ({"rate": "quick"}, "100/m"),
    ],
)
def test_bad_flow_options_are_refused_at_decoration(options, message):
    with pytest.raises(TaskArgumentError, match=message):
        make(**options)


def test_tasks_without_limits_have_no_flow_key_and_limited_ones_default_to_their_path():
    assert make().flow_key((1,), {}) == ""
    assert make(rate="5/s").flow_key((1,), {}) == "shop.order"
    assert make(concurrency=3).flow_key((1,), {}) == "shop.order"
