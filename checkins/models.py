"""The owner's daily check-in to the team: its settings, the check-ins and one delivery row
per recipient. The delivery row's unique (check-in, team member) is what keeps a repeated
tick, a retried task or a second worker from mailing anyone twice."""

import uuid
import zoneinfo
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone as django_timezone

from clients.models import Organization, OrganizationRowsQuerySet, TeamMember
from vapportal.dates import day_text

WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAY_ABBREVIATIONS = [name[:3] for name in WEEKDAY_NAMES]
REMIND_BEFORE = timedelta(minutes=30)


def default_weekdays() -> list[int]:
    return list(WEEKDAYS)


def weekdays_label(weekdays: list[int]) -> str:
    """The days as people write them: "Mon–Fri", "Mon, Wed, Fri", "Mon–Wed, Sat, Sun"."""
    days = sorted(set(weekdays))
    if len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    labels = []
    for run in runs:
        if len(run) >= 3:
            labels.append(f"{WEEKDAY_ABBREVIATIONS[run[0]]}–{WEEKDAY_ABBREVIATIONS[run[-1]]}")
        else:
            labels.extend(WEEKDAY_ABBREVIATIONS[day] for day in run)
    return ", ".join(labels) or "no day"


class WhenMissing(models.TextChoices):
    SKIP = "skip", "Skip the day"
    STANDING = "standing", "Send the standing note"
    REMIND = "remind", "Remind me 30 minutes before, with a link to write one"


class CheckInSettings(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="checkin_settings"
    )
    send_time = models.TimeField(default=time(7, 45), help_text="In the organization's time zone.")
    weekdays = models.JSONField(default=default_weekdays, help_text="0 is Monday.")
    skip_dates = models.JSONField(default=list, blank=True, help_text="ISO dates: holidays.")
    sender_name = models.CharField(max_length=100)
    reply_to = models.EmailField()
    default_locations = models.JSONField(
        default=list, blank=True, help_text="Empty: the whole roster."
    )
    when_missing = models.CharField(max_length=10, choices=WhenMissing, default=WhenMissing.SKIP)
    standing_note = models.TextField(blank=True, help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationRowsQuerySet.as_manager()

    class Meta:
        verbose_name = "check-in settings"
        verbose_name_plural = "check-in settings"

    def __str__(self) -> str:
        return f"Check-in settings of {self.organization}"

    def is_send_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day.isoformat() not in self.skip_dates

    def send_at(self, day: date) -> datetime:
        """The day's send time in the organization's zone, as an aware datetime. zoneinfo
        gives the right offset on either side of a daylight-saving change."""
        zone = zoneinfo.ZoneInfo(self.organization.timezone)
        return datetime.combine(day, self.send_time, tzinfo=zone)


class Recipients(models.TextChoices):
    DEFAULT = "default", "The usual recipients"
    LOCATIONS = "locations", "Chosen locations"
    PEOPLE = "people", "Chosen people"


def video_path(instance: "CheckIn", filename: str) -> str:
    """Stored under a random name, outside anything served directly."""
    return f"checkin-videos/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class CheckInQuerySet(OrganizationRowsQuerySet):
    def with_delivery_counts(self) -> "CheckInQuerySet":
        status = Delivery.Status
        return self.annotate(
            recipients_count=models.Count("deliveries"),
            sent_count=models.Count("deliveries", filter=models.Q(deliveries__status=status.SENT)),
            failed_count=models.Count(
                "deliveries", filter=models.Q(deliveries__status=status.FAILED)
            ),
        )


class CheckIn(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_APPROVAL = "awaiting", "Awaiting the owner's approval"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="checkins"
    )
    subject = models.CharField(max_length=150)
    message = models.TextField(help_text="Markdown.")
    thanks = models.TextField("a thank-you to the team", blank=True)
    new_process = models.TextField("a new process to share", blank=True)
    video_url = models.URLField("video link", blank=True)
    video = models.FileField(upload_to=video_path, blank=True, max_length=200)
    video_content_type = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    send_on = models.DateField(null=True, blank=True, help_text="The day it goes out.")
    send_at = models.DateTimeField(null=True, blank=True)
    recipients = models.CharField(max_length=10, choices=Recipients, default=Recipients.DEFAULT)
    locations = models.JSONField(default=list, blank=True)
    people = models.ManyToManyField(TeamMember, blank=True, related_name="+")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    is_standing_note = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The standing note goes out once a day, however many ticks see the day empty.
            models.UniqueConstraint(
                fields=["organization", "send_on"],
                condition=models.Q(is_standing_note=True),
                name="one_standing_note_per_day",
            )
        ]
        indexes = [
            models.Index(fields=["status", "send_at"], name="checkin_due"),
            models.Index(fields=["organization", "send_on"], name="checkin_by_day"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("checkins:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.AWAITING_APPROVAL)

    @property
    def video_host(self) -> str:
        from .video import video_host

        return video_host(self.video_url)

    @property
    def video_thumbnail(self) -> str:
        from .video import video_thumbnail

        return video_thumbnail(self.video_url)


class CheckInEvent(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.checkin}: {self.from_status or 'new'} → {self.to_status}"


class Delivery(models.Model):
    """One recipient of one check-in. Sending claims the row (queued → sending) before the
    SMTP conversation, so no row is ever sent by two workers."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="deliveries")
    team_member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(default=django_timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin", "team_member"], name="one_delivery_per_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"], name="delivery_by_status"),
            models.Index(fields=["team_member", "checkin"], name="delivery_by_member"),
        ]

    def __str__(self) -> str:
        return f"{self.checkin} → {self.email}"


class MissingCheckInReminder(models.Model):
    """The owner was reminded that nothing was written for this day: once, whatever the ticks."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="one_reminder_per_day")
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.organization} for {day_text(self.day, year=True)}"
