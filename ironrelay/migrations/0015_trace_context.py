"""Trace context on tasks; counters for metrics; alert rate-limit state."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ironrelay', '0014_schedules'),
    ]

    operations = [
        migrations.CreateModel(
            name='AlertSent',
            fields=[
                ('key', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('kind', models.CharField(max_length=40)),
                ('subject', models.CharField(max_length=255)),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-sent_at'],
            },
        ),
        migrations.CreateModel(
            name='MetricCounter',
            fields=[
                ('key', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=100)),
                ('labels', models.TextField(default='{}')),
                ('value', models.FloatField(default=0)),
            ],
            options={
                'ordering': ['name', 'key'],
            },
        ),
        migrations.AddField(
            model_name='task',
            name='trace_context',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
