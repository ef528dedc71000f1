from django.db import models


class Execution(models.Model):
    """One row per run of a test task, so tests can count how often each task ran."""

    label = models.CharField(max_length=100, db_index=True)
    value = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
