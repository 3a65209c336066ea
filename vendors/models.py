"""Vendors, their contacts and documents; who may write to them as the owner; and every
message and logged call between the portal and them."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone as django_timezone

from assistants.models import Authority
from clients.models import Organization, OrganizationRowsQuerySet


class Vendor(models.Model):
    class Status(models.TextChoices):
        PROSPECTIVE = "prospective", "Prospective"
        ACTIVE = "active", "Active"
        FORMER = "former", "Former"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=150)
    category = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.ACTIVE)
    works_with = models.CharField(
        "works with", max_length=200, blank=True, help_text="Dealerships or departments."
    )
    # Blank: the engagement's vendor email authority decides.
    authority = models.CharField(max_length=10, choices=Authority, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationRowsQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "organization", models.functions.Lower("name"), name="vendor_name_per_organization"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("vendors:detail", args=[self.pk])


class Contact(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Blank: the vendor's authority (then the engagement's) decides.
    authority = models.CharField(max_length=10, choices=Authority, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor})"


def document_path(instance: "VendorDocument", filename: str) -> str:
    return f"vendor-documents/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class VendorDocument(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class AuthorityChange(models.Model):
    """Every change to who may write to a vendor or contact as the owner."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="authority_changes")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_authority = models.CharField(max_length=10, blank=True)
    to_authority = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        before, after = self.from_authority or "default", self.to_authority or "default"
        return f"{self.contact or self.vendor}: {before} → {after}"


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(organization__in=Organization.objects.visible_to(user))


class Message(models.Model):
    """An email to or from a vendor, or a call or meeting the assistant logged."""

    class Direction(models.TextChoices):
        OUT = "out", "Sent"
        IN = "in", "Received"

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"

    class Status(models.TextChoices):
        DRAFT = "draft", "Awaiting the owner's approval"
        REJECTED = "rejected", "Rejected"
        SENT = "sent", "Sent"
        RECEIVED = "received", "Received"
        LOGGED = "logged", "Logged"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="vendor_messages"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    task = models.ForeignKey(
        "tasks.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vendor_messages",
    )
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    direction = models.CharField(max_length=3, choices=Direction)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.EMAIL)
    status = models.CharField(max_length=10, choices=Status)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    from_address = models.CharField(max_length=300, blank=True)
    to_address = models.CharField(max_length=300, blank=True)
    reply_to = models.EmailField(blank=True)
    cc_owner = models.BooleanField(default=False)
    # The RFC 5322 Message-ID, without angle brackets: ours for what we send, theirs for
    # what comes in; unique per organization, so a message delivered twice is stored once.
    message_id = models.CharField(max_length=300, null=True, blank=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The assistant who answers for the conversation now (hand-over moves it).
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    authority = models.CharField(max_length=10, choices=Authority, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    outgoing_email = models.OneToOneField(
        "vapportal.OutgoingEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    happened_at = models.DateTimeField(default=django_timezone.now)
    created_at = models.DateTimeField(default=django_timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "message_id"], name="message_id_once_per_organization"
            )
        ]
        indexes = [
            models.Index(fields=["message_id"], name="message_by_message_id"),
            models.Index(fields=["vendor", "-happened_at"], name="message_by_vendor"),
            models.Index(fields=["task", "-happened_at"], name="message_by_task"),
            models.Index(fields=["organization", "status"], name="message_by_status"),
            # The sender-and-subject fallback of threading.
            models.Index(fields=["organization", "to_address", "subject"], name="message_thread"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("vendors:message", args=[self.pk])


class VendorSettings(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="vendor_settings"
    )
    reply_to = models.EmailField(help_text="Where vendors' replies go: the owner's address.")
    sender_name = models.CharField(max_length=100, help_text="The name vendors see: the owner's.")
    copy_owner = models.BooleanField("copy the owner by default", default=False)

    def __str__(self) -> str:
        return f"Vendor settings of {self.organization}"
