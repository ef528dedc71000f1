"""The schedule form of the dashboard and the admin: a definition checked as settings are."""

from __future__ import annotations

from typing import Any

from django import forms

from ironrelay.models import Schedule
from ironrelay.tasks.schedules import ScheduleDefinition, problems

DEFINITION_FIELDS = (
    "name",
    "task_path",
    "cron",
    "every",
    "timezone",
    "args",
    "kwargs",
    "queue_name",
    "priority",
    "jitter",
    "catch_up",
    "enabled",
)
# Which form field a problem from ironrelay.tasks.schedules.problems() is about.
PROBLEM_FIELDS = {
    "cron expression": "cron",
    "'every'": "every",
    "time zone": "timezone",
    "'catch_up'": "catch_up",
    "'jitter'": "jitter",
    "'priority'": "priority",
    "unknown task": "task_path",
    "'task'": "task_path",
    "JSON": "kwargs",
    "'args'": "args",
}


class ScheduleForm(forms.ModelForm):
    """Create or change a schedule kept in the database (not one defined in code)."""

    class Meta:
        model = Schedule
        fields = DEFINITION_FIELDS
        help_texts = {
            "task_path": "Dotted path of an IronRelay @task or a django.tasks task, "
            "e.g. shop.tasks.nightly_report.",
            "cron": 'Five fields: minute hour day month weekday, e.g. "0 3 * * *". '
            "Leave empty to use Every.",
            "every": "Seconds between runs (1 and up), counted from the Unix epoch so runs "
            "do not drift. Leave empty to use Cron.",
            "timezone": "Time zone the cron expression is read in, e.g. Europe/Berlin "
            "(empty: the project's TIME_ZONE).",
            "args": 'JSON list of positional arguments, e.g. ["daily"].',
            "kwargs": 'JSON object of keyword arguments, e.g. {"full": true}.',
            "queue_name": "Empty: the task's own queue.",
            "priority": "-100 to 100. Empty: the task's own priority.",
            "jitter": "Each run starts up to this many seconds after its time, at random.",
            "catch_up": "After downtime: one run for the missed times, each of them (capped), "
            "or none.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The admin shows a code-defined schedule read-only: with no fields to set up.
        for name in ("args", "kwargs"):
            if name in self.fields:
                self.fields[name].required = False
        if "cron" in self.fields:
            self.fields["cron"].widget.attrs.update({"class": "mono", "placeholder": "0 3 * * *"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or "task_path" not in self.fields:
            return data
        data["cron"] = (data.get("cron") or "").strip()
        data["timezone"] = (data.get("timezone") or "").strip()
        data["args"] = [] if data.get("args") in (None, "") else data["args"]
        data["kwargs"] = {} if data.get("kwargs") in (None, "") else data["kwargs"]
        definition = ScheduleDefinition(
            name=data.get("name") or "",
            task=data.get("task_path") or "",
            cron=data["cron"],
            every=data.get("every"),
            timezone=data["timezone"],
            args=data["args"],
            kwargs=data["kwargs"],
            queue=data.get("queue_name") or "",
            priority=data.get("priority"),
            jitter=data.get("jitter") or 0.0,
            catch_up=data.get("catch_up") or "latest",
        )
        for problem in problems(definition):
            field = next((f for key, f in PROBLEM_FIELDS.items() if key in problem), None)
            self.add_error(field, problem[:1].upper() + problem[1:] + ".")
        return data

    def definition_values(self) -> dict[str, Any]:
        """Return the cleaned definition, as schedule_manager.save_definition() takes it."""
        return {name: self.cleaned_data[name] for name in DEFINITION_FIELDS}
