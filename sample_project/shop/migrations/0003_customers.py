"""Customers (the webhook tenants), and two demo customers with an endpoint each."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DEMO_CUSTOMERS = {"acme": "Acme Corp", "globex": "Globex"}  # user name (and password): name
RECEIVER = "http://127.0.0.1:8001/webhooks/{}/"  # python manage.py demo_receiver


def create_demo_customers(apps, schema_editor):
    from django.contrib.auth.hashers import make_password

    from ironrelay import crypto
    from ironrelay.signing import generate_secret

    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Customer = apps.get_model("shop", "Customer")
    Endpoint = apps.get_model("ironrelay", "Endpoint")
    for username, name in DEMO_CUSTOMERS.items():
        user, _ = User.objects.get_or_create(
            username=username, defaults={"password": make_password(username)}
        )
        customer, _ = Customer.objects.get_or_create(user=user, defaults={"name": name})
        Endpoint.objects.get_or_create(
            url=RECEIVER.format(username),
            defaults={
                "description": f"{name}'s receiver",
                "event_types": ["shop.order.*", "invoice.paid"],
                "tenant": f"shop.customer:{customer.pk}",  # ironrelay.tenant_key(customer)
                "secret_encrypted": crypto.encrypt(generate_secret()),
            },
        )


def remove_demo_customers(apps, schema_editor):
    Endpoint = apps.get_model("ironrelay", "Endpoint")
    for username in DEMO_CUSTOMERS:
        Endpoint.objects.filter(url=RECEIVER.format(username)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_demo_endpoint"),
        ("ironrelay", "0016_tenants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="customer",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="order",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="shop.customer",
            ),
        ),
        migrations.RunPython(create_demo_customers, remove_demo_customers),
    ]
