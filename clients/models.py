import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone

from vapportal.timezones import validate_timezone


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OrganizationQuerySet":
        """Admins see every organization; owners and managers their own; assistants those
        they have an active engagement with."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.worked_in_by(user)

    def worked_in_by(self, user) -> "OrganizationQuerySet":
        """The clients the person works in: as an owner or manager, or as an engaged
        assistant (admins see every client, but work in these only)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        from assistants.models import Engagement

        member = Membership.objects.filter(organization=OuterRef("pk"), user=user)
        engaged = Engagement.objects.active().filter(organization=OuterRef("pk"), assistant=user)
        return self.filter(Q(Exists(member)) | Q(Exists(engaged)), active=True)

    def managed_by(self, user) -> "OrganizationQuerySet":
        """Organizations the user belongs to as owner or manager."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(memberships__user=user, active=True)


class Organization(models.Model):
    """A client business; its owners and managers delegate work to engaged assistants."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    monthly_plan_hours = models.PositiveIntegerField(default=20)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role, default=Role.OWNER)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["organization__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organization}"


class OrganizationRowsQuerySet(models.QuerySet):
    """For models whose rows each belong to one organization: a row is visible to whoever
    may see its organization."""

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(organization__in=Organization.objects.visible_to(user))


class TeamMember(models.Model):
    """An owner's employee: no login; receives the daily check-in."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="team_members"
    )
    name = models.CharField(max_length=150)
    email = models.EmailField()
    location = models.CharField("location or department", max_length=120, blank=True)
    active = models.BooleanField(default=True)
    # Set when a check-in to this address bounced for good; cleared when the address changes.
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationRowsQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("email"), name="team_member_email_unique_per_organization"
            ),
        ]
        indexes = [models.Index(fields=["organization", "active", "name"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
