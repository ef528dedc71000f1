"""Create the endpoint the demo receiver (python manage.py demo_receiver) listens on."""

from django.db import migrations

DEMO_URL = "http://127.0.0.1:8001/webhooks/"


def create_endpoint(apps, schema_editor):
    from ironrelay import crypto
    from ironrelay.signing import generate_secret

    Endpoint = apps.get_model("ironrelay", "Endpoint")
    if not Endpoint.objects.filter(url=DEMO_URL).exists():
        Endpoint.objects.create(
            url=DEMO_URL,
            description="Demo receiver (python manage.py demo_receiver)",
            event_types=["*"],
            secret_encrypted=crypto.encrypt(generate_secret()),
        )


def remove_endpoint(apps, schema_editor):
    apps.get_model("ironrelay", "Endpoint").objects.filter(url=DEMO_URL).delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial"), ("ironrelay", "0003_outgoing_webhooks")]
    operations = [migrations.RunPython(create_endpoint, remove_endpoint)]
