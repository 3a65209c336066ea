from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone

from vapportal.timezones import validate_timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: owner or manager of a client, assistant, or admin (`is_staff`)."""

    class Notify(models.TextChoices):
        IMMEDIATELY = "immediately", "Email me right away"
        DAILY_DIGEST = "daily_digest", "One digest a day at 8:00"
        NEVER = "never", "No email notifications"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    notify = models.CharField(
        "email notifications", max_length=20, choices=Notify, default=Notify.IMMEDIATELY
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("admin", default=False)
    date_joined = models.DateTimeField(default=django_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_assistant(self) -> bool:
        return hasattr(self, "assistant_profile")


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=django_timezone.now()
        )


class Invitation(models.Model):
    """An admin's invitation to join as an owner, manager or assistant; usable once, for 7 days."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        ASSISTANT = "assistant", "Assistant"

    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role)
    organization = models.ForeignKey(
        "clients.Organization", null=True, blank=True, on_delete=models.CASCADE
    )
    # Regenerated on every resend so that only the newest link works.
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    sent_at = models.DateTimeField(default=django_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="assistant", organization__isnull=True)
                | (~models.Q(role="assistant") & models.Q(organization__isnull=False)),
                name="invitation_organization_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= django_timezone.now():
            return "expired"
        return "pending"

    @property
    def suggested_timezone(self) -> str:
        """Owners and managers start in their organization's zone. An assistant joins none:
        they start in the zone of the admin who invited them, and the page offers the
        browser's."""
        if self.organization is not None:
            return self.organization.timezone
        return self.invited_by.timezone
