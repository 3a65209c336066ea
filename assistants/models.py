from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone


class AssistantProfile(models.Model):
    """What clients and admins see of an assistant; the time zone is the user's own."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_profile"
    )
    bio = models.TextField(blank=True)
    skills = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    working_hours = models.CharField(
        max_length=120, blank=True, help_text="For example “Mon–Fri 08:00–16:30”."
    )

    def __str__(self) -> str:
        return str(self.user)

    @property
    def skill_list(self) -> list[str]:
        return [skill.strip() for skill in self.skills.split(",") if skill.strip()]


class Authority(models.TextChoices):
    """How far an assistant may act as the owner for one kind of work."""

    NONE = "none", "Not allowed"
    DRAFT = "draft", "Draft for the owner's approval"
    SEND = "send", "Send on the owner's behalf"


class EngagementQuerySet(models.QuerySet):
    def active(self) -> "EngagementQuerySet":
        return self.filter(ended_at__isnull=True)

    def primary_first(self) -> "EngagementQuerySet":
        """The primary assistant, then the backups, the longest engaged first. (Ordering by
        `role` alone would put "backup" before "primary".)"""
        primary = Case(When(role=Engagement.Role.PRIMARY, then=Value(0)), default=Value(1))
        return self.order_by(primary, "started_on", "id")

    def lead(self) -> "Engagement | None":
        """Who does the client's work when nobody in particular was asked: the primary
        assistant, or else the backup engaged longest, as long as their account is active."""
        engaged = self.active().filter(assistant__is_active=True).select_related("assistant")
        return engaged.primary_first().first()

    def visible_to(self, user) -> "EngagementQuerySet":
        """Admins see all; owners and managers their organization's; assistants their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            Q(organization__memberships__user=user, organization__active=True)
            | Q(assistant=user, ended_at__isnull=True)
        ).distinct()


class Engagement(models.Model):
    """An assistant working for an organization, and the authority the owner delegated."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        BACKUP = "backup", "Backup"

    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagements"
    )
    organization = models.ForeignKey(
        "clients.Organization", on_delete=models.CASCADE, related_name="engagements"
    )
    role = models.CharField(max_length=20, choices=Role, default=Role.PRIMARY)
    # The client's day, filled in on the first save when not given: a default of the server's
    # date would be UTC's in a worker or a command, a day ahead of Chicago every evening.
    started_on = models.DateField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    can_book_travel = models.BooleanField("may book travel", default=False)
    travel_budget_limit = models.DecimalField(
        "travel budget per trip",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Trips costing more wait for the owner's approval.",
    )
    vendor_email_authority = models.CharField(
        "email vendors as the owner", max_length=10, choices=Authority, default=Authority.NONE
    )
    checkin_authority = models.CharField(
        "send the daily check-in", max_length=10, choices=Authority, default=Authority.NONE
    )

    objects = EngagementQuerySet.as_manager()

    class Meta:
        # "-role": the primary ("primary") before the backups ("backup").
        ordering = ["organization__name", "-role", "started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "organization"],
                condition=Q(ended_at__isnull=True),
                name="engagement_one_active_per_assistant_and_organization",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(ended_at__isnull=True, role="primary"),
                name="engagement_one_active_primary_per_organization",
            ),
            models.CheckConstraint(
                condition=Q(travel_budget_limit__gte=0), name="engagement_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assistant} for {self.organization}"

    def save(self, *args, **kwargs) -> None:
        if self.started_on is None:
            self.started_on = timezone.localdate(timezone=self.organization.zone)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
