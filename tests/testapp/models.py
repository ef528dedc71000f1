from django.db import models


class Execution(models.Model):
    """One row per run of a test task, so tests can count how often each task ran."""

    label = models.CharField(max_length=100, db_index=True)
    value = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)


class Product(models.Model):
    """A model registered for outgoing events, with fields of every awkward JSON type."""

    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    code = models.UUIDField(null=True, blank=True)
    released = models.DateField(null=True, blank=True)
    manual = models.FileField(upload_to="manuals/", blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """A model registered for 'created' only, with a custom serializer."""

    text = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.text


class Customer(models.Model):
    """A SaaS customer: the tenant that owns endpoints and the events of its orders."""

    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A model whose events belong to its customer (OUTGOING_MODELS 'tenant': 'customer')."""

    class State(models.TextChoices):
        OPEN = "open"
        PAID = "paid"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    total = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    note = models.TextField(null=True, blank=True)

    def __str__(self) -> str:
        return f"order {self.pk}"
