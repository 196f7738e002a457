from django.db import models


class BareRow(models.Model):
    """One row per POST: a unique key (like the intake's idempotency key) and a time."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
