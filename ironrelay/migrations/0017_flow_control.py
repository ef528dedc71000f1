"""Flow control: paused queues, shared limit state, a task's limit key, endpoint limits."""

import django.core.validators
from django.db import migrations, models

import ironrelay.tasks.rates


class Migration(migrations.Migration):
    dependencies = [("ironrelay", "0016_tenants")]

    operations = [
        migrations.CreateModel(
            name="Queue",
            fields=[
                ("name", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("paused", models.BooleanField(default=False)),
                ("paused_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="FlowLimit",
            fields=[
                ("key", models.CharField(max_length=300, primary_key=True, serialize=False)),
                ("next_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["key"]},
        ),
        migrations.AddField(
            model_name="task",
            name="flow_key",
            field=models.CharField(blank=True, db_default="", default="", max_length=255),
        ),
        migrations.RemoveIndex(model_name="task", name="ironrelay_task_due"),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["status", "flow_key", "-priority", "run_after", "id"],
                name="ironrelay_task_flow_due",
            ),
        ),
        migrations.AddField(
            model_name="endpoint",
            name="max_in_flight",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Deliveries to this endpoint running at once, over all workers (empty: none).",
                null=True,
                validators=[django.core.validators.MinValueValidator(1)],
            ),
        ),
        migrations.AddField(
            model_name="endpoint",
            name="rate",
            field=models.CharField(
                blank=True,
                default="",
                help_text='Deliveries started per period, spaced evenly: "10/s", "100/m" (empty: none).',
                max_length=20,
                validators=[ironrelay.tasks.rates.validate_rate],
            ),
        ),
    ]
