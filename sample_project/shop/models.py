from django.conf import settings
from django.db import models


class Customer(models.Model):
    """A customer of the SaaS: it owns webhook endpoints and the events of its orders."""

    name = models.CharField(max_length=100)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A shop order; its changes become outgoing webhooks for its customer."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    customer_email = models.EmailField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Order #{self.pk} for {self.customer_email}"


class EmailLog(models.Model):
    """What the demo send_email task 'sent' (the sample has no mail server)."""

    user_id = models.IntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"email to user {self.user_id}"
