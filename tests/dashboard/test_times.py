"""One style for every time on the dashboard: the `when` filter, and the chart's time zone."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ironrelay.models import Task
from tests.dashboard import factories
from tests.dashboard.test_views import detail_urls

pytestmark = pytest.mark.django_db

# Kathmandu is UTC+05:45: an hour there never starts at a UTC hour.
NON_WHOLE_HOUR_ZONE = "Asia/Kathmandu"


def render(value) -> str:
    return Template("{% load ironrelay_tags %}{{ value|when }}").render(Context({"value": value}))


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("\xa0", " ")


class TestWhen:
    def test_missing_time_is_a_dash(self):
        assert render(None) == "—"

    def test_seconds_ago_is_just_now(self):
        assert text_of(render(timezone.now() - timedelta(seconds=10))) == "just now"

    def test_minutes_ago_and_ahead_are_relative(self):
        now = timezone.now()
        assert text_of(render(now - timedelta(minutes=5, seconds=3))) == "5 minutes ago"
        assert text_of(render(now + timedelta(minutes=5, seconds=3))) == "in 5 minutes"

    def test_an_earlier_day_shows_its_date(self):
        local_midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time()))
        moment = local_midnight - timedelta(hours=2)
        text = text_of(render(moment))
        assert text.startswith(timezone.localtime(moment).strftime("%-d %b")), text
        assert text.endswith(", 22:00"), text

    def test_an_earlier_year_shows_the_year(self):
        moment = timezone.now() - timedelta(days=800)
        assert str(timezone.localtime(moment).year) in text_of(render(moment))

    def test_hover_shows_the_exact_time_and_zone(self):
        moment = timezone.now() - timedelta(hours=1, minutes=1)
        html = render(moment)
        assert f'datetime="{moment.isoformat()}"' in html
        assert f'title="{timezone.localtime(moment):%Y-%m-%d %H:%M:%S} UTC"' in html

    @override_settings(TIME_ZONE=NON_WHOLE_HOUR_ZONE)
    def test_dates_and_hover_use_the_current_time_zone(self):
        moment = timezone.make_aware(datetime(2020, 3, 1, 12, 0), timezone.get_fixed_timezone(0))
        html = render(moment)
        assert text_of(html) == "1 Mar 2020, 17:45"
        assert 'title="2020-03-01 17:45:00 +0545"' in html

    def test_iso_strings_are_read(self):
        moment = timezone.now() - timedelta(minutes=3, seconds=5)
        assert text_of(render(moment.isoformat())) == "3 minutes ago"

    def test_text_that_is_no_time_is_shown_as_is(self):
        assert render("soon") == "soon"


def test_pages_show_no_raw_timestamps(admin_client):
    """Every time on every page is a <time> with its exact value on hover, never a raw stamp."""
    data = {
        "task": factories.failed_task(),
        "webhook": factories.webhook(),
        "endpoint": factories.endpoint(failing_since=timezone.now()),
    }
    factories.handler_run(data["webhook"])
    data["delivery"] = factories.delivery(data["endpoint"])
    pages = [
        reverse(name)
        for name in (
            "ironrelay:dashboard",
            "ironrelay:task_list",
            "ironrelay:webhook_list",
            "ironrelay:delivery_list",
        )
    ]
    for url in pages + detail_urls(data):
        html = admin_client.get(url).content.decode()
        visible = re.sub(r'(title|datetime)="[^"]*"', "", html)
        assert not re.search(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", visible), url
        assert " ago<" not in html.replace("</time>", ""), url  # only <time> says "ago"
        assert "<time datetime=" in html, url


class TestChartTimeZone:
    def chart_times(self, html: str) -> tuple[list[str], list[str]]:
        ticks = re.findall(r"<span>(\d\d:\d\d)</span>", html.split('class="ticks"', 1)[1])
        starts = re.findall(r"<title>(\d\d:\d\d)\u2013\d\d:\d\d:", html)
        return ticks, starts

    @override_settings(TIME_ZONE=NON_WHOLE_HOUR_ZONE)
    def test_axis_labels_and_bar_titles_share_the_time_zone(self, admin_client):
        Task.objects.create(task_path="x.y", status="success", finished_at=timezone.now())
        html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
        ticks, starts = self.chart_times(html)
        assert len(starts) == 48  # two charts of 24 bars
        assert ticks[:6] == starts[0:24:4]
        assert all(label.endswith(":45") for label in ticks + starts)

    def test_bar_title_names_its_hour(self, admin_client):
        before = timezone.localtime().replace(minute=0)
        html = admin_client.get(reverse("ironrelay:dashboard")).content.decode()
        after = timezone.localtime().replace(minute=0)  # the request may cross an hour
        last = re.findall(r"<title>(\d\d:\d\d)\u2013(\d\d:\d\d):", html)[23]
        assert last in {(f"{h:%H:%M}", f"{h + timedelta(hours=1):%H:%M}") for h in (before, after)}
