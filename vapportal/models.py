from django.conf import settings
from django.db import models
from django.utils import timezone

from .dates import moment_text


class AuditEvent(models.Model):
    """Who did what, on whose behalf: staff actions and work done under delegated authority."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "clients.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{moment_text(self.created_at, named=True)} {self.action}: {self.summary}"


class OutgoingEmail(models.Model):
    """One message in the outbox; a Celery task sends it once, after the writer commits."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    from_email = models.CharField(max_length=300)
    reply_to = models.EmailField(blank=True)
    cc = models.EmailField(blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Message-ID, In-Reply-To...")
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    template = models.CharField(max_length=100)
    # Small text files sent with the message: [{"name", "content", "mimetype"}] (an .ics).
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.status})"
