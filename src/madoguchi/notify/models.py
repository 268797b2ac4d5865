"""The My Page inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notice(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=40)
    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_ja = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return self.title_ja

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja

    def body_for(self, lang: str) -> str:
        return self.body_en if lang == "en" else self.body_ja


class Delivery(models.Model):
    """One message handed to a channel (email, SMS, letter), or refused by it: the delivery log."""

    channel = models.CharField(max_length=20)
    to = models.CharField(max_length=200)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10)  # sent | queued | refused | failed
    detail = models.CharField(max_length=200, blank=True)
    # Set on a delivered message that must go out once only (a booking's reminder); unique.
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["channel", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"
