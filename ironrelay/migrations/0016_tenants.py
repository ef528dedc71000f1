"""Endpoints and messages belong to tenants; endpoints get custom headers and a transform."""

import ironrelay.endpoint_options
import ironrelay.tenants
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ironrelay", "0015_trace_context"),
    ]

    operations = [
        migrations.AddField(
            model_name="endpoint",
            name="headers_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="endpoint",
            name="tenant",
            field=models.CharField(
                blank=True,
                default="",
                help_text='The customer that owns this endpoint (ironrelay.tenant_key), e.g. "billing.customer:42". Blank: it receives the events of every tenant.',
                max_length=200,
                validators=[ironrelay.tenants.validate_tenant],
            ),
        ),
        migrations.AddField(
            model_name="endpoint",
            name="transform",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Dotted path of a function (event type, data) -> data to send; one of IRONRELAY['OUTGOING_TRANSFORMS'].",
                max_length=255,
                validators=[ironrelay.endpoint_options.validate_transform],
            ),
        ),
        migrations.AddField(
            model_name="outgoingwebhook",
            name="tenant",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddIndex(
            model_name="endpoint",
            index=models.Index(fields=["tenant", "is_active"], name="ironrelay_ep_tenant"),
        ),
        migrations.AddIndex(
            model_name="outgoingwebhook",
            index=models.Index(fields=["tenant", "created_at"], name="ironrelay_out_tenant"),
        ),
    ]
