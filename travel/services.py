"""Every write of travel: profiles and their reveals, trips and segments, booking and the
owner's approval, changes and cancellations, routine trips and the beat tick that makes them."""

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.rrule import rrulestr
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assistants.models import Engagement
from clients.models import Membership, Organization
from tasks import services as task_services
from tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from tasks.models import Category, Priority
from tasks.models import Status as TaskStatus
from tasks.recurring import RecurringError, rrule_validate
from vapportal import links
from vapportal.audit import audit_record
from vapportal.dates import day_text, moment_text
from vapportal.emails import email_queue

from . import calendars
from .models import CURRENCIES, RoutineTrip, Segment, TravelProfile, Trip, TripEvent

logger = logging.getLogger(__name__)
Status = Trip.Status
APPROVAL_SALT = "travel.approval"
CURRENCY_CODES = {code for code, _ in CURRENCIES}
MAX_LEAD_DAYS = 120


class TravelError(Exception):
    """A change the rules refuse; the message says why."""


# Who may do what -----------------------------------------------------------------------------


def is_client(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()


def travel_engagement(user: User, organization: Organization) -> Engagement | None:
    """The person's active engagement with the organization, if they are its assistant."""
    return Engagement.objects.active().filter(assistant=user, organization=organization).first()


def may_work_on(user: User, organization: Organization) -> bool:
    """Owners, managers and engaged assistants plan the organization's trips."""
    return is_client(user, organization) or travel_engagement(user, organization) is not None


def travel_assistant(organization: Organization) -> User | None:
    """The engaged assistant whose engagement grants travel: the primary one if it does,
    else the backup with travel engaged longest."""
    engagement = Engagement.objects.filter(organization=organization, can_book_travel=True).lead()
    return engagement.assistant if engagement else None


def organizations_of(traveler: User):
    return Organization.objects.filter(memberships__user=traveler)


def may_reveal(viewer: User, traveler: User) -> bool:
    """The traveler, and assistants whose engagement with one of the traveler's organizations
    grants travel, see the sensitive numbers."""
    if viewer.pk == traveler.pk:
        return True
    return (
        Engagement.objects.active()
        .filter(assistant=viewer, can_book_travel=True, organization__in=organizations_of(traveler))
        .exists()
    )


def may_see_profile(viewer: User, traveler: User) -> bool:
    if viewer.pk == traveler.pk:
        return True
    shared = organizations_of(traveler)
    return (
        Membership.objects.filter(user=viewer, organization__in=shared).exists()
        or Engagement.objects.active().filter(assistant=viewer, organization__in=shared).exists()
    )


# Profiles -----------------------------------------------------------------------------------


def mask(value: str) -> str:
    """•••• and the last two characters: enough to tell numbers apart, not to use one."""
    value = (value or "").strip()
    if not value:
        return ""
    return "••••" + value[-2:] if len(value) > 4 else "••••"


def profile_for(traveler: User) -> TravelProfile:
    profile, _ = TravelProfile.objects.get_or_create(traveler=traveler)
    return profile


@transaction.atomic
def profile_save(*, actor: User, profile: TravelProfile, **fields) -> TravelProfile:
    """The traveler keeps their own profile; an assistant with travel authority may too."""
    if not may_reveal(actor, profile.traveler):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.home_airport = profile.home_airport.upper()
    profile.save()
    audit_record(
        actor=actor,
        action="travel.profile",
        summary=f"Updated the travel profile of {profile.traveler}",
    )
    return profile


def profile_reveal(*, actor: User, profile: TravelProfile) -> dict[str, str]:
    """The sensitive numbers in full, for someone allowed to see them; each reveal is in the
    audit trail (the numbers themselves never are)."""
    if not may_reveal(actor, profile.traveler):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="travel.reveal",
        summary=f"Revealed the travel numbers of {profile.traveler}",
    )
    return {name: getattr(profile, name) for name in TravelProfile.SENSITIVE}


@transaction.atomic
def feed_token_regenerate(*, actor: User, profile: TravelProfile) -> TravelProfile:
    if actor.pk != profile.traveler_id:
        raise PermissionDenied
    from .models import new_feed_token

    profile.feed_token = new_feed_token()
    profile.save(update_fields=["feed_token", "updated_at"])
    audit_record(actor=actor, action="travel.feed", summary="Made a new calendar feed link")
    return profile


# Trips --------------------------------------------------------------------------------------


def _event(trip: Trip, actor: User | None, source: str, note: str = "") -> None:
    TripEvent.objects.create(
        trip=trip, actor=actor, from_status=source, to_status=trip.status, note=note[:300]
    )


def _locked(trip: Trip) -> Trip:
    return (
        Trip.objects.select_for_update(of=("self",))
        .select_related("organization", "traveler", "routine", "task")
        .get(pk=trip.pk)
    )


def _check_dates(depart_on: date, return_on: date) -> None:
    if return_on < depart_on:
        raise TravelError("The return is before the departure: check the dates.")


@transaction.atomic
def trip_request(
    *,
    actor: User,
    organization: Organization,
    traveler: User,
    purpose: str,
    destinations: str,
    depart_on: date,
    return_on: date,
    flexibility: str = "",
    notes: str = "",
) -> Trip:
    """A trip asked for: a booking task goes into the assistant's queue, linked to it."""
    if not may_work_on(actor, organization):
        raise PermissionDenied
    if not is_client(traveler, organization):
        raise TravelError("The traveler is one of the organization's owners or managers.")
    _check_dates(depart_on, return_on)
    if depart_on < timezone.localdate(timezone=organization.zone):
        raise TravelError("The departure is in the past.")
    trip = Trip.objects.create(
        organization=organization,
        traveler=traveler,
        requested_by=actor,
        purpose=purpose,
        destinations=destinations,
        depart_on=depart_on,
        return_on=return_on,
        flexibility=flexibility,
        notes=notes,
    )
    _event(trip, actor, "", "Requested")
    trip.task = _booking_task(trip, writer=actor)
    trip.save(update_fields=["task", "updated_at"])
    return trip


def _days(first: date, last: date, zone) -> str:
    """A trip's days in text that is kept (a task's details): “Thu 3 Dec to Sat 5 Dec 2026”."""
    first_text = day_text(first, zone, year=first.year != last.year)
    return f"{first_text} to {day_text(last, zone, year=True)}"


def _booking_task(trip: Trip, *, writer: User):
    """The task in the queue that says "book this trip", due a week before departure (and
    not before tomorrow evening)."""
    organization = trip.organization
    zone = organization.zone
    today = timezone.localdate(timezone=zone)
    due_day = max(trip.depart_on - timedelta(days=7), today + timedelta(days=1))
    return task_services.task_create(
        actor=writer,
        organization=organization,
        requested_by=trip.traveler,
        title=f"Book the trip: {trip.purpose}"[:200],
        details=(
            f"{trip.destinations}, {_days(trip.depart_on, trip.return_on, zone)}."
            f"\n\n[Plan it on the trip's page]({reverse('travel:trip', args=[trip.pk])})"
        ),
        category=Category.TRAVEL,
        priority=Priority.HIGH if trip.depart_on - today <= timedelta(days=7) else Priority.NORMAL,
        due_at=datetime.combine(due_day, time(17, 0), tzinfo=zone),
    )


@dataclass
class SegmentFields:
    kind: str
    provider: str
    start_at: datetime
    start_zone: str
    end_at: datetime
    end_zone: str
    cost: Decimal = Decimal("0")
    currency: str = "USD"
    number: str = ""
    confirmation: str = ""
    origin: str = ""
    destination: str = ""
    notes: str = ""


def _check_segment(fields: SegmentFields) -> None:
    for zone in (fields.start_zone, fields.end_zone):
        if zone not in zoneinfo.available_timezones():
            raise TravelError(f"“{zone}” is not a known time zone.")
    if fields.currency not in CURRENCY_CODES:
        raise TravelError(f"“{fields.currency}” is not a currency we book in.")
    if fields.cost is None or fields.cost < 0:
        raise TravelError("A cost cannot be negative.")
    if fields.end_at < fields.start_at:
        raise TravelError("This segment ends before it starts: check the times and places.")


def _may_plan(actor: User, trip: Trip) -> None:
    if not may_work_on(actor, trip.organization):
        raise PermissionDenied
    if not trip.is_open:
        raise TravelError(f"The trip is {trip.get_status_display().lower()}.")


@transaction.atomic
def segment_add(*, actor: User, trip: Trip, fields: SegmentFields) -> Segment:
    trip = _locked(trip)
    _may_plan(actor, trip)
    _check_segment(fields)
    segment = Segment.objects.create(trip=trip, **fields.__dict__)
    source = trip.status
    if trip.status == Status.REQUESTED:
        trip.status = Status.PLANNING
        trip.save(update_fields=["status", "updated_at"])
    _event(trip, actor, source, f"Added {segment}")
    if source == Status.BOOKED:
        added = f"Added: {_segment_line(segment)}"
        if not _needs_approval_again(trip, actor, [f"{added}, {_cost(segment)}"]):
            segment.status = Segment.Status.BOOKED
            segment.save(update_fields=["status", "updated_at"])
        _tell_traveler(trip, [added])
    elif source == Status.AWAITING_APPROVAL:
        _back_to_planning(trip, actor)
    return segment


def _needs_approval_again(trip: Trip, actor: User, changes: list[str]) -> bool:
    """A booked trip that a change takes over what the owner approved (or, never approved,
    over the budget; or that someone without travel authority changed) waits for the owner
    again, who is told what it was approved at and what changed."""
    reasons = approval_reasons(trip, actor)
    if not reasons:
        return False
    trip.status, trip.booked_by = Status.AWAITING_APPROVAL, actor
    trip.save(update_fields=["status", "booked_by", "updated_at"])
    _event(trip, actor, Status.BOOKED, "Changed; needs approval again: " + "; ".join(reasons))
    _ask_for_approval(trip, reasons, changes=changes)
    return True


def _back_to_planning(trip: Trip, actor: User) -> None:
    """Changed while the owner was asked: the request they got is out of date."""
    trip.status = Status.PLANNING
    trip.save(update_fields=["status", "updated_at"])
    _event(trip, actor, Status.AWAITING_APPROVAL, "Changed while awaiting approval: book again")


@transaction.atomic
def segment_change(*, actor: User, segment: Segment, fields: SegmentFields) -> Segment:
    """A change (a new flight time); on a booked trip the traveler is told what changed and
    the calendar gets the new version of the event. Only a total above what the owner
    approved (or, never approved, above the budget) asks the owner again."""
    trip = _locked(segment.trip)
    _may_plan(actor, trip)
    _check_segment(fields)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    if segment.status == Segment.Status.CANCELLED:
        raise TravelError("This segment was cancelled.")
    before, cost_before = _segment_line(segment), _cost(segment)
    for name, value in fields.__dict__.items():
        setattr(segment, name, value)
    segment.sequence += 1
    segment.save()
    after, cost_after = _segment_line(segment), _cost(segment)
    _event(trip, actor, trip.status, f"Changed {segment}")
    if trip.status == Status.AWAITING_APPROVAL:
        _back_to_planning(trip, actor)
    elif trip.status == Status.BOOKED:
        moved = [f"Was: {before}", f"Now: {after}"] if before != after else []
        repriced = (
            [f"Cost of {segment}: {cost_before}, now {cost_after}"]
            if cost_before != cost_after
            else []
        )
        _needs_approval_again(trip, actor, moved + repriced)
        if moved:
            _tell_traveler(trip, moved)
    return segment


@transaction.atomic
def segment_cancel(*, actor: User, segment: Segment) -> Segment:
    trip = _locked(segment.trip)
    _may_plan(actor, trip)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    if segment.status == Segment.Status.CANCELLED:
        raise TravelError("This segment is already cancelled.")
    segment.status = Segment.Status.CANCELLED
    segment.sequence += 1
    segment.save(update_fields=["status", "sequence", "updated_at"])
    _event(trip, actor, trip.status, f"Cancelled {segment}")
    if trip.status == Status.BOOKED:
        _tell_traveler(trip, [f"Cancelled: {_segment_line(segment)}"])
    return segment


def _cost(segment: Segment) -> str:
    return f"{segment.cost:,.2f} {segment.currency}"


def _segment_line(segment: Segment) -> str:
    parts = [
        str(segment),
        f"{segment.origin} → {segment.destination}" if segment.origin else segment.destination,
        f"{moment_text(segment.start_at, segment.start_zone, named=True)} – "
        f"{moment_text(segment.end_at, segment.end_zone, named=True)}",
        f"confirmation {segment.confirmation}" if segment.confirmation else "",
    ]
    return ", ".join(part for part in parts if part)


def trip_total(trip: Trip) -> tuple[Decimal, bool]:
    """The cost of the trip's live segments in its currency, and whether every segment is in
    that currency (otherwise no budget can be checked)."""
    segments = [s for s in trip.segments.all() if s.status != Segment.Status.CANCELLED]
    total = sum((s.cost for s in segments if s.currency == trip.currency), Decimal("0"))
    return total, all(s.currency == trip.currency for s in segments)


def approval_reasons(trip: Trip, booker: User) -> list[str]:
    """Why booking this trip needs the owner's approval; none means it does not. What the
    owner approved once stays approved: only a total above it asks again."""
    if is_client(booker, trip.organization):
        return []
    total, one_currency = trip_total(trip)
    if one_currency and trip.approved_total is not None and total <= trip.approved_total:
        return []
    engagement = travel_engagement(booker, trip.organization)
    if engagement is None or not engagement.can_book_travel:
        return ["the assistant's engagement does not include booking travel"]
    if not one_currency:
        return [f"some segments are not in {trip.currency}, so the budget cannot be checked"]
    if trip.routine_id:
        limit, what = trip.routine.auto_approve_limit, "the routine's auto-approve limit"
    else:
        limit, what = engagement.travel_budget_limit, "the per-trip travel budget"
    if limit is not None and total > limit:
        return [f"{total:,.2f} {trip.currency} is over {what} of {limit:,.2f}"]
    return []


@transaction.atomic
def trip_book(*, actor: User, trip: Trip) -> Trip:
    """The assistant books the planned segments. Within the budget (or the routine's
    auto-approve limit) and with travel authority it is booked at once; otherwise it waits
    for the owner's approval."""
    trip = _locked(trip)
    _may_plan(actor, trip)
    if trip.status not in (Status.REQUESTED, Status.PLANNING):
        raise TravelError(f"A trip that is {trip.get_status_display().lower()} is not booked now.")
    if not trip.segments.exclude(status=Segment.Status.CANCELLED).exists():
        raise TravelError("This trip has nothing to book yet: add its flights, hotel or car first.")
    trip.booked_by = actor
    reasons = approval_reasons(trip, actor)
    source = trip.status
    if reasons:
        trip.status = Status.AWAITING_APPROVAL
        trip.save(update_fields=["status", "booked_by", "updated_at"])
        _event(trip, actor, source, "Needs approval: " + "; ".join(reasons))
        _ask_for_approval(trip, reasons)
        return trip
    return _booked(trip, actor, source)


def _booked(trip: Trip, actor: User, source: str, note: str = "") -> Trip:
    trip.status = Status.BOOKED
    trip.save(
        update_fields=[
            "status", "booked_by", "approved_by", "approved_total", "decision_note", "updated_at"
        ]
    )  # fmt: skip
    trip.segments.filter(status=Segment.Status.PROPOSED).update(status=Segment.Status.BOOKED)
    _event(trip, actor, source, note or "Booked")
    if trip.task_id and trip.task.status in (TaskStatus.NEW, TaskStatus.IN_PROGRESS):
        _complete_task(trip, actor)
    _send_itinerary(trip)
    return trip


def _complete_task(trip: Trip, actor: User) -> None:
    task = trip.task
    booker = trip.booked_by or actor
    try:
        if task.status == TaskStatus.NEW and not travel_engagement(booker, trip.organization):
            # The owner booked it: nothing is left for an assistant to take.
            task_services.task_move(
                actor=booker, task=task, to=TaskStatus.CANCELLED, note=f"Booked by {booker}"
            )
            return
        if task.status == TaskStatus.NEW:
            task = task_services.task_claim(actor=booker, task=task)
        if task.status == TaskStatus.IN_PROGRESS:
            task_services.task_move(actor=booker, task=task, to=TaskStatus.DONE, note="Booked")
    except (PermissionDenied, task_services.TaskError) as error:
        logger.info("Trip %s: booking task left as it is (%s)", trip.pk, error)


def _owners(organization: Organization):
    return User.objects.filter(memberships__organization=organization, is_active=True).distinct()


def _ask_for_approval(trip: Trip, reasons: list[str], *, changes: list[str] = ()) -> None:
    """The owners' email; for a trip approved before, it says at how much and what changed."""
    total, _ = trip_total(trip)
    approved = trip.approved_total
    for owner in _owners(trip.organization):
        email_queue(
            template="trip_approval",
            to=owner.email,
            zone=owner.timezone,
            context={
                "trip": trip,
                "reasons": reasons,
                "total": f"{total:,.2f}",
                "approved_total": "" if approved is None else f"{approved:,.2f}",
                "changes": list(changes),
                "approve_path": reverse("travel:approve_link", args=[approval_token(trip)]),
                "trip_path": trip.get_absolute_url(),
            },
        )


def approval_token(trip: Trip) -> str:
    return links.approval_token(salt=APPROVAL_SALT, pk=trip.pk, request=_approval_request(trip))


def _approval_request(trip: Trip) -> int:
    """The timeline row of the latest request for approval."""
    latest = trip.events.filter(to_status=Status.AWAITING_APPROVAL).order_by("-id").first()
    return latest.pk if latest else 0


def trip_from_approval_token(token: str) -> Trip:
    """The trip a link approves; TravelError if it is tampered, expired or used (the trip
    no longer awaits approval)."""
    try:
        pk, request = links.approval_link_id(
            token, salt=APPROVAL_SALT, max_age=settings.TRIP_APPROVAL_MAX_AGE, what="trip"
        )
    except links.LinkError as error:
        raise TravelError(str(error)) from error
    trip = Trip.objects.select_related("organization").filter(pk=pk).first()
    if trip is None:
        raise TravelError("This approval link is not valid.")
    if trip.status != Status.AWAITING_APPROVAL or _approval_request(trip) != request:
        raise TravelError("This trip was already dealt with: the link has been used.")
    return trip


@transaction.atomic
def trip_approve(*, actor: User, trip: Trip, note: str = "") -> Trip:
    trip = _locked(trip)
    if not is_client(actor, trip.organization):
        raise PermissionDenied
    if trip.status != Status.AWAITING_APPROVAL:
        raise TravelError(
            f"This trip is {trip.get_status_display().lower()}: there is nothing to approve."
        )
    trip.approved_by, trip.decision_note = actor, note[:300]
    total, one_currency = trip_total(trip)
    # Costs in several currencies add up to no amount a later change could be held to.
    trip.approved_total = total if one_currency else None
    return _booked(trip, actor, Status.AWAITING_APPROVAL, f"Approved. {note}".strip())


@transaction.atomic
def trip_decline(*, actor: User, trip: Trip, note: str = "") -> Trip:
    trip = _locked(trip)
    if not is_client(actor, trip.organization):
        raise PermissionDenied
    if trip.status != Status.AWAITING_APPROVAL:
        raise TravelError(
            f"This trip is {trip.get_status_display().lower()}: there is nothing to decline."
        )
    trip.status, trip.decision_note = Status.PLANNING, note[:300]
    trip.save(update_fields=["status", "decision_note", "updated_at"])
    _event(trip, actor, Status.AWAITING_APPROVAL, f"Declined. {note}".strip())
    if trip.booked_by:
        email_queue(
            template="trip_declined",
            to=trip.booked_by.email,
            zone=trip.booked_by.timezone,
            context={"trip": trip, "actor": actor, "note": note},
        )
    return trip


# A booking task still to be done: cancelling its trip cancels it, wherever it is.
OPEN_TASK = (TaskStatus.NEW, TaskStatus.IN_PROGRESS, TaskStatus.WAITING)


@transaction.atomic
def trip_cancel(*, actor: User, trip: Trip, note: str = "") -> Trip:
    """For good: every segment is cancelled (and leaves the calendar feed), the traveler of
    a booked trip or one awaiting approval is told, and its booking task is cancelled."""
    trip = _locked(trip)
    _may_plan(actor, trip)
    source = trip.status
    trip.status = Status.CANCELLED
    trip.save(update_fields=["status", "updated_at"])
    cancelled = list(trip.segments.exclude(status=Segment.Status.CANCELLED))
    for segment in cancelled:
        segment.status = Segment.Status.CANCELLED
        segment.sequence += 1
        segment.save(update_fields=["status", "sequence", "updated_at"])
    _event(trip, actor, source, note or "Cancelled")
    if source in (Status.BOOKED, Status.AWAITING_APPROVAL):
        _tell_traveler(trip, [f"Cancelled: {_segment_line(s)}" for s in cancelled], cancelled=True)
    if trip.task_id and trip.task.status in OPEN_TASK:
        try:
            task_services.task_move(
                actor=actor, task=trip.task, to=TaskStatus.CANCELLED, note="Trip cancelled"
            )
        except (PermissionDenied, task_services.TaskError) as error:
            logger.info("Trip %s: booking task left as it is (%s)", trip.pk, error)
    return trip


@transaction.atomic
def trip_complete(*, actor: User, trip: Trip) -> Trip:
    trip = _locked(trip)
    _may_plan(actor, trip)
    if trip.status != Status.BOOKED:
        raise TravelError("Only a booked trip is completed.")
    trip.status = Status.COMPLETED
    trip.save(update_fields=["status", "updated_at"])
    _event(trip, actor, Status.BOOKED)
    return trip


def trip_thank(*, actor: User, trip: Trip, note: str):
    """Thanks for a trip go to the assistant who booked it, as thanks for a task do."""
    if trip.task is None:
        raise TravelError("This trip has no booking task to thank anyone for.")
    try:
        return task_services.task_thank(actor=actor, task=trip.task, note=note)
    except task_services.TaskError as error:
        raise TravelError(str(error)) from error


def _send_itinerary(trip: Trip) -> None:
    email_queue(
        template="trip_itinerary",
        to=trip.traveler.email,
        zone=trip.traveler.timezone,
        context={
            "trip": trip,
            "segments": list(_live_segments(trip)),
            "trip_path": trip.get_absolute_url(),
        },
        attachments=[(f"trip-{trip.pk}.ics", calendars.trip_calendar(trip), "text/calendar")],
    )


def _tell_traveler(trip: Trip, lines: list[str], *, cancelled: bool = False) -> None:
    email_queue(
        template="trip_changed",
        to=trip.traveler.email,
        zone=trip.traveler.timezone,
        context={
            "trip": trip,
            "lines": lines,
            "cancelled": cancelled,
            "awaiting_approval": trip.status == Status.AWAITING_APPROVAL,
            "trip_path": trip.get_absolute_url(),
        },
    )


def _live_segments(trip: Trip):
    return trip.segments.exclude(status=Segment.Status.CANCELLED).order_by("start_at", "id")


# Trips being planned or waiting for the owner, whose booking is still someone's work.
UNBOOKED = (Status.REQUESTED, Status.PLANNING, Status.AWAITING_APPROVAL)


def trips_in_hand(assistant: User, organizations):
    """The unbooked trips of those clients that the assistant booked (and the owner has yet
    to approve) or whose booking task is theirs: what a hand-over moves."""
    return Trip.objects.filter(organization__in=list(organizations), status__in=UNBOOKED).filter(
        Q(booked_by=assistant) | Q(task__assignee=assistant, task__status__in=OPEN_TASK_STATUSES)
    )


def trips_hand_over(
    *,
    actor: User,
    from_assistant: User,
    to_assistant: User | None,
    organizations,
    reason: str = "",
) -> list[Trip]:
    """Unbooked trips follow the new assistant (their booking task moves with the tasks): the
    owner's approval then completes the new assistant's task, and a decline is mailed to
    them. With nobody taking over, the trip no longer names a booker, so nobody who has left
    is mailed about it; each trip's timeline says so."""
    moved = []
    # A trip has one booking task, so the join repeats no trip.
    trips = trips_in_hand(from_assistant, organizations).select_for_update(of=("self",))
    for trip in trips.order_by("pk"):
        if trip.booked_by_id == from_assistant.pk:
            trip.booked_by = to_assistant
            trip.save(update_fields=["booked_by", "updated_at"])
        note = (
            f"Handed over from {from_assistant} to {to_assistant}"
            if to_assistant
            else f"{from_assistant} no longer works on it" + (f": {reason}" if reason else "")
        )
        _event(trip, actor, trip.status, note)
        moved.append(trip)
    return moved


# Routine trips ------------------------------------------------------------------------------


@dataclass
class RoutineFields:
    title: str
    destinations: str
    rrule: str
    timezone: str
    starts_on: date
    days_before: int = 1
    nights: int = 2
    lead_days: int = 21
    segment_template: list | None = None
    preferences: str = ""
    auto_approve_limit: Decimal = Decimal("0")
    currency: str = "USD"


def _check_routine(fields: RoutineFields) -> str:
    if fields.timezone not in zoneinfo.available_timezones():
        raise TravelError(f"“{fields.timezone}” is not a known time zone.")
    if fields.currency not in CURRENCY_CODES:
        raise TravelError(f"“{fields.currency}” is not a currency we book in.")
    if fields.auto_approve_limit is None or fields.auto_approve_limit < 0:
        raise TravelError("The auto-approve limit cannot be negative.")
    if not 0 <= fields.lead_days <= MAX_LEAD_DAYS:
        raise TravelError(f"Book between 0 and {MAX_LEAD_DAYS} days ahead.")
    if fields.nights > 30 or fields.days_before > 14:
        raise TravelError(
            "A routine trip lasts at most 30 nights and leaves at most 14 days early."
        )
    try:
        return rrule_validate(fields.rrule, starts_on=fields.starts_on, due_time=time(0, 0))
    except RecurringError as error:
        raise TravelError(str(error)) from error


@transaction.atomic
def routine_create(
    *, actor: User, organization: Organization, traveler: User, fields: RoutineFields
) -> RoutineTrip:
    if not may_work_on(actor, organization):
        raise PermissionDenied
    if not is_client(traveler, organization):
        raise TravelError("The traveler is one of the organization's owners or managers.")
    rule = _check_routine(fields)
    routine = RoutineTrip.objects.create(
        organization=organization,
        traveler=traveler,
        created_by=actor,
        **{**fields.__dict__, "rrule": rule, "segment_template": fields.segment_template or []},
    )
    audit_record(
        actor=actor,
        action="travel.routine",
        summary=f"Set up the routine trip “{routine}”",
        organization=organization,
    )
    return routine


def _routine_locked(actor: User, routine: RoutineTrip) -> RoutineTrip:
    routine = (
        RoutineTrip.objects.select_for_update().select_related("organization").get(pk=routine.pk)
    )
    if not may_work_on(actor, routine.organization):
        raise PermissionDenied
    if routine.state == RoutineTrip.State.ENDED:
        raise TravelError("This routine has ended.")
    return routine


@transaction.atomic
def routine_update(*, actor: User, routine: RoutineTrip, fields: RoutineFields) -> RoutineTrip:
    """Changes apply to occurrences not made into trips yet; trips already made stay."""
    routine = _routine_locked(actor, routine)
    rule = _check_routine(fields)
    for name, value in fields.__dict__.items():
        setattr(routine, name, value)
    routine.rrule, routine.segment_template = rule, fields.segment_template or []
    routine.edited_at = timezone.now()
    routine.save()
    audit_record(
        actor=actor,
        action="travel.routine",
        summary=f"Changed the routine trip “{routine}”",
        organization=routine.organization,
    )
    return routine


@transaction.atomic
def routine_set_state(*, actor: User, routine: RoutineTrip, state: str) -> RoutineTrip:
    """Pause, resume or end."""
    routine = _routine_locked(actor, routine)
    allowed = {
        RoutineTrip.State.PAUSED: (RoutineTrip.State.ACTIVE,),
        RoutineTrip.State.ACTIVE: (RoutineTrip.State.PAUSED,),
        RoutineTrip.State.ENDED: (RoutineTrip.State.ACTIVE, RoutineTrip.State.PAUSED),
    }
    if routine.state not in allowed[state]:
        raise TravelError(f"The routine is {routine.get_state_display().lower()} already.")
    routine.state = state
    routine.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="travel.routine",
        summary=f"{RoutineTrip.State(state).label}: the routine trip “{routine}”",
        organization=routine.organization,
    )
    return routine


@transaction.atomic
def routine_skip(*, actor: User, routine: RoutineTrip, day: date) -> RoutineTrip:
    """Leave one coming occurrence out (a trip already made for it is cancelled on its page)."""
    routine = _routine_locked(actor, routine)
    if day not in occurrences(routine, day, day):
        raise TravelError(f"{day_text(day)} is not one of this routine's days.")
    if not routine.is_skipped(day):
        routine.skipped = sorted([*routine.skipped, day.isoformat()])
        routine.save(update_fields=["skipped", "updated_at"])
    return routine


def occurrences(routine: RoutineTrip, first: date, last: date) -> list[date]:
    """The routine's days from `first` to `last`, both included. The rule names days in the
    traveler's zone; a day that does not exist in a month (the 31st in February) is not one."""
    start = datetime.combine(routine.starts_on, time(0, 0))
    rule = rrulestr(routine.rrule, dtstart=start)
    days = rule.between(
        datetime.combine(max(first, routine.starts_on), time(0, 0)),
        datetime.combine(last, time(0, 0)),
        inc=True,
    )
    return [moment.date() for moment in days]


def upcoming_occurrences(routine: RoutineTrip, count: int = 5) -> list[date]:
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(routine.timezone))
    start = datetime.combine(max(today, routine.starts_on), time(0, 0))
    rule = rrulestr(routine.rrule, dtstart=datetime.combine(routine.starts_on, time(0, 0)))
    days = []
    for moment in rule.xafter(start, count=count, inc=True):
        days.append(moment.date())
    return days


def routines_dispatch(*, now: datetime | None = None) -> int:
    """The beat tick: every active routine's occurrences within its lead window become trips.
    Returns how many trips it made. Each occurrence is its own transaction: a worker killed
    midway keeps what it committed, and the next tick makes the rest; the unique (routine,
    occurrence date) constraint stops a second tick or worker from making one twice."""
    now = now or timezone.now()
    made = 0
    for routine in RoutineTrip.objects.filter(
        state=RoutineTrip.State.ACTIVE, organization__active=True
    ).select_related("organization", "traveler", "created_by"):
        made += routine_materialize(routine=routine, now=now)
    return made


def routine_materialize(*, routine: RoutineTrip, now: datetime) -> int:
    zone = zoneinfo.ZoneInfo(routine.timezone)
    today = now.astimezone(zone).date()
    due = [
        day
        for day in occurrences(routine, today, today + timedelta(days=routine.lead_days))
        if day - timedelta(days=routine.days_before) >= today and not routine.is_skipped(day)
    ]
    if not due:
        return 0
    made_already = set(
        Trip.objects.filter(routine=routine, occurrence_date__in=due).values_list(
            "occurrence_date", flat=True
        )
    )
    due = [day for day in due if day not in made_already]
    if not due:
        return 0
    assistant = travel_assistant(routine.organization)
    if assistant is None:
        _alert(
            routine,
            # One wording per problem: the alert mails once, however many trips wait.
            "No engaged assistant may book travel for this client: its coming trips wait "
            "until one is engaged.",
        )
        return 0
    if routine.alert:
        RoutineTrip.objects.filter(pk=routine.pk).update(alert="", alerted_at=None)
    plan = _Plan(
        assistant=assistant,
        # The person who set the routine up asks for its bookings while they may; then the
        # traveler.
        writer=routine.created_by
        if may_work_on(routine.created_by, routine.organization)
        else routine.traveler,
        notes=_preferences(routine),
        last_booked=_latest_booked(routine),
    )
    made = 0
    for day in due:
        try:
            with transaction.atomic():
                _occurrence_trip(routine, day, plan)
                made += 1
        except IntegrityError as error:
            if Trip.objects.filter(routine=routine, occurrence_date=day).exists():
                continue  # another tick or worker made this one a moment ago
            _alert(routine, f"Its segment template does not make a valid trip: {error}"[:300])
            break
        except (PermissionDenied, task_services.TaskError) as error:
            # Nobody left who may ask for its booking: say so, and let the other routines run.
            _alert(routine, f"Its trips cannot be planned: {error or 'nobody may ask for them'}.")
            break
    return made


def _alert(routine: RoutineTrip, message: str) -> None:
    """Once per problem: the routine shows it, and the owners and the admins are emailed."""
    if routine.alert == message:
        return
    updated = (
        RoutineTrip.objects.filter(pk=routine.pk)
        .exclude(alert=message)
        .update(alert=message, alerted_at=timezone.now())
    )
    if not updated:
        return
    people = {*_owners(routine.organization), *User.objects.filter(is_staff=True, is_active=True)}
    for person in people:
        email_queue(
            template="routine_alert",
            to=person.email,
            zone=person.timezone,
            context={
                "routine": routine,
                "message": message,
                "routine_path": routine.get_absolute_url(),
            },
        )
    audit_record(
        actor=None,
        action="travel.routine_alert",
        summary=f"Routine trip “{routine}”: {message}",
        organization=routine.organization,
    )


def _latest_booked(routine: RoutineTrip) -> Trip | None:
    """The last booked trip to copy, unless the routine was edited since: then its template
    says how trips go now."""
    booked = Trip.objects.filter(routine=routine, status__in=[Status.BOOKED, Status.COMPLETED])
    if routine.edited_at is not None:
        booked = booked.filter(
            events__to_status=Status.BOOKED, events__created_at__gt=routine.edited_at
        ).distinct()
    return booked.order_by("-occurrence_date").prefetch_related("segments").first()


@dataclass
class _Plan:
    """What every occurrence of one routine in a tick shares, worked out once."""

    assistant: User
    writer: User
    notes: str
    last_booked: Trip | None


def _occurrence_trip(routine: RoutineTrip, day: date, plan: _Plan) -> Trip:
    depart_on = day - timedelta(days=routine.days_before)
    trip = Trip.objects.create(
        organization=routine.organization,
        traveler=routine.traveler,
        requested_by=routine.created_by,
        purpose=routine.title,
        destinations=routine.destinations,
        depart_on=depart_on,
        return_on=depart_on + timedelta(days=routine.nights),
        notes=plan.notes,
        currency=routine.currency,
        routine=routine,
        occurrence_date=day,
        status=Status.PLANNING,
    )
    _event(trip, None, "", f"Made by the routine for {day_text(day, routine.timezone, year=True)}")
    last = plan.last_booked
    if last is not None:
        shift = trip.depart_on - last.depart_on
        segments = [
            _copy(segment, trip, shift)
            for segment in last.segments.all()
            if segment.status != Segment.Status.CANCELLED
        ]
    else:
        segments = [_from_template(item, trip) for item in routine.segment_template]
    Segment.objects.bulk_create(segments)
    task = _booking_task(trip, writer=plan.writer)
    trip.task = task
    trip.save(update_fields=["task", "updated_at"])
    task_services.task_claim(actor=plan.assistant, task=task)
    return trip


def _copy(segment: Segment, trip: Trip, shift: timedelta) -> Segment:
    """The last booked trip's segment, as a proposal on the same local times `shift` later
    (so 15:10 stays 15:10 across a daylight-saving change)."""
    start = segment.local_start.replace(tzinfo=None) + shift
    end = segment.local_end.replace(tzinfo=None) + shift
    return Segment(
        trip=trip,
        kind=segment.kind,
        provider=segment.provider,
        number=segment.number,
        origin=segment.origin,
        destination=segment.destination,
        start_at=start.replace(tzinfo=zoneinfo.ZoneInfo(segment.start_zone)),
        start_zone=segment.start_zone,
        end_at=end.replace(tzinfo=zoneinfo.ZoneInfo(segment.end_zone)),
        end_zone=segment.end_zone,
        cost=segment.cost,
        currency=segment.currency,
        notes="As last time; check the price and book.",
    )


def _from_template(item: dict, trip: Trip) -> Segment:
    start_zone = item.get("start_zone") or trip.traveler.timezone
    end_zone = item.get("end_zone") or start_zone
    start_day = trip.depart_on + timedelta(days=int(item.get("day", 0)))
    end_day = trip.depart_on + timedelta(days=int(item.get("end_day", item.get("day", 0))))
    start = datetime.combine(start_day, time.fromisoformat(item.get("start", "09:00")))
    end = datetime.combine(end_day, time.fromisoformat(item.get("end", item.get("start", "09:00"))))
    return Segment(
        trip=trip,
        kind=item.get("kind", Segment.Kind.OTHER),
        provider=item.get("provider", ""),
        number=item.get("number", ""),
        origin=item.get("origin", ""),
        destination=item.get("destination", ""),
        start_at=start.replace(tzinfo=zoneinfo.ZoneInfo(start_zone)),
        start_zone=start_zone,
        end_at=end.replace(tzinfo=zoneinfo.ZoneInfo(end_zone)),
        end_zone=end_zone,
        cost=Decimal(str(item.get("cost", "0"))),
        currency=item.get("currency") or trip.currency,
        notes=item.get("notes", ""),
    )


def _preferences(routine: RoutineTrip) -> str:
    profile = TravelProfile.objects.filter(traveler=routine.traveler).first()
    parts = [routine.preferences]
    if profile is not None:
        parts += [
            f"Seat: {profile.get_seat_display().lower()}" if profile.seat != "any" else "",
            f"Cabin: {profile.get_cabin_display().lower()}",
            f"Airlines: {profile.preferred_airlines}" if profile.preferred_airlines else "",
            f"Avoid: {profile.avoided_airlines}" if profile.avoided_airlines else "",
            f"Hotels: {profile.hotel_chains}" if profile.hotel_chains else "",
            f"Car: {profile.car_size}" if profile.car_size else "",
            f"Home airport: {profile.home_airport}" if profile.home_airport else "",
        ]
    return "; ".join(part for part in parts if part)
