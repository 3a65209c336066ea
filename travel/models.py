"""Travel: each traveler's profile, trips with their segments and approvals, and routine
trips that book themselves. A trip made by a routine is unique per (routine, occurrence date),
so a repeated or concurrent tick never creates one twice."""

import secrets
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone as django_timezone
from encrypted_fields.fields import EncryptedCharField, EncryptedTextField

from clients.models import Organization, OrganizationRowsQuerySet
from vapportal.dates import day_text
from vapportal.timezones import validate_timezone

# ISO 4217 codes the portal books in.
CURRENCIES = [
    ("USD", "US dollar"),
    ("CAD", "Canadian dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("MXN", "Mexican peso"),
    ("JPY", "Japanese yen"),
    ("CHF", "Swiss franc"),
    ("AUD", "Australian dollar"),
]


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class TravelProfile(models.Model):
    """One traveler's preferences. The known traveler, redress and loyalty numbers are
    encrypted at rest (Fernet; see the README for the key and its rotation)."""

    class Seat(models.TextChoices):
        AISLE = "aisle", "Aisle"
        WINDOW = "window", "Window"
        ANY = "any", "No preference"

    class Cabin(models.TextChoices):
        ECONOMY = "economy", "Economy"
        PREMIUM = "premium", "Premium economy"
        BUSINESS = "business", "Business"
        FIRST = "first", "First"

    traveler = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="travel_profile"
    )
    home_airport = models.CharField(max_length=4, blank=True, help_text="IATA code, like ATW.")
    seat = models.CharField(max_length=10, choices=Seat, default=Seat.ANY)
    cabin = models.CharField(max_length=10, choices=Cabin, default=Cabin.ECONOMY)
    meal = models.CharField(max_length=100, blank=True)
    preferred_airlines = models.CharField(max_length=200, blank=True)
    avoided_airlines = models.CharField(max_length=200, blank=True)
    hotel_chains = models.CharField("preferred hotel chains", max_length=200, blank=True)
    car_size = models.CharField(max_length=50, blank=True)
    # The encrypted fields store an empty value as NULL.
    loyalty_programs = EncryptedTextField(
        null=True,
        blank=True,
        help_text="One a line: program, then number (Delta SkyMiles 1234567).",
    )
    known_traveler_number = EncryptedCharField(max_length=30, null=True, blank=True)
    redress_number = EncryptedCharField(max_length=30, null=True, blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    updated_at = models.DateTimeField(auto_now=True)

    SENSITIVE = ("loyalty_programs", "known_traveler_number", "redress_number")

    def __str__(self) -> str:
        return f"Travel profile of {self.traveler}"


class TripQuerySet(OrganizationRowsQuerySet):
    def upcoming(self, *, today: date) -> "TripQuerySet":
        """Open trips not over by `today`, a day in the zone of whoever asks."""
        return self.exclude(status__in=[Trip.Status.COMPLETED, Trip.Status.CANCELLED]).filter(
            return_on__gte=today
        )


class Trip(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        PLANNING = "planning", "Planning"
        AWAITING_APPROVAL = "awaiting", "Awaiting approval"
        BOOKED = "booked", "Booked"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="trips")
    traveler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trips"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=200)
    destinations = models.CharField(max_length=300)
    depart_on = models.DateField()
    return_on = models.DateField()
    flexibility = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.REQUESTED)
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    task = models.OneToOneField(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="trip"
    )
    routine = models.ForeignKey(
        "RoutineTrip", null=True, blank=True, on_delete=models.SET_NULL, related_name="trips"
    )
    occurrence_date = models.DateField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.CharField(max_length=300, blank=True)
    # The total the owner last approved: a change that costs no more needs no new approval.
    approved_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TripQuerySet.as_manager()

    class Meta:
        ordering = ["depart_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["routine", "occurrence_date"],
                condition=models.Q(routine__isnull=False),
                name="one_trip_per_routine_occurrence",
            ),
            models.CheckConstraint(
                condition=models.Q(return_on__gte=models.F("depart_on")),
                name="trip_returns_after_it_departs",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "depart_on"])]

    def __str__(self) -> str:
        return f"{self.purpose} ({day_text(self.depart_on, year=True)})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("travel:trip", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.COMPLETED, self.Status.CANCELLED)


class Segment(models.Model):
    class Kind(models.TextChoices):
        FLIGHT = "flight", "Flight"
        HOTEL = "hotel", "Hotel"
        CAR = "car", "Car"
        RAIL = "rail", "Rail"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="segments")
    kind = models.CharField(max_length=10, choices=Kind)
    provider = models.CharField(max_length=100, help_text="Airline, hotel, rental company...")
    number = models.CharField("flight or train number", max_length=30, blank=True)
    confirmation = models.CharField("confirmation code", max_length=50, blank=True)
    origin = models.CharField("from", max_length=100, blank=True)
    destination = models.CharField("to / where", max_length=100, blank=True)
    # Stored as instants; shown in the zone of the place where each one happens.
    start_at = models.DateTimeField()
    start_zone = models.CharField(max_length=64, validators=[validate_timezone])
    end_at = models.DateTimeField()
    end_zone = models.CharField(max_length=64, validators=[validate_timezone])
    cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    notes = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PROPOSED)
    # Bumped on every change, so a calendar sees the new version of the event.
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gte=models.F("start_at")),
                name="segment_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="segment_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.provider} {self.number}".strip()

    @property
    def local_start(self) -> datetime:
        return django_timezone.localtime(self.start_at, _zone(self.start_zone))

    @property
    def local_end(self) -> datetime:
        return django_timezone.localtime(self.end_at, _zone(self.end_zone))


def _zone(name: str):
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


class TripEvent(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="events")
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
        return f"{self.trip}: {self.from_status or 'new'} → {self.to_status}"


class RoutineTrip(models.Model):
    """A trip that comes back on a schedule ("the dealer association meeting in Minneapolis
    on the first Tuesday of every month"): the rule names the meeting day in the traveler's
    time zone; each occurrence becomes a trip `lead_days` ahead, from the segment template."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="routine_trips"
    )
    traveler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="routine_trips"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    destinations = models.CharField(max_length=300)
    rrule = models.CharField(max_length=500, help_text="RFC 5545 RRULE, without DTSTART.")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    starts_on = models.DateField()
    days_before = models.PositiveSmallIntegerField(
        default=1, help_text="Leave this many days before the day itself."
    )
    nights = models.PositiveSmallIntegerField(default=2)
    lead_days = models.PositiveSmallIntegerField(default=21, help_text="Book this far ahead.")
    # [{"kind", "provider", "number", "origin", "destination", "day", "start", "end_day",
    #   "end", "start_zone", "end_zone", "cost", "currency", "notes"}]: days count from the
    # departure day, times are local to each zone.
    segment_template = models.JSONField(default=list, blank=True)
    preferences = models.CharField(max_length=300, blank=True, help_text="Aisle seat, ...")
    auto_approve_limit = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    state = models.CharField(max_length=10, choices=State, default=State.ACTIVE)
    skipped = models.JSONField(default=list, blank=True, help_text="ISO dates left out.")
    # Set when the tick could not hand an occurrence to anyone; cleared once it can.
    alert = models.CharField(max_length=300, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    # When the rule or template last changed: trips booked before it are not copied.
    edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationRowsQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("travel:routine", args=[self.pk])

    def is_skipped(self, day: date) -> bool:
        return day.isoformat() in self.skipped
