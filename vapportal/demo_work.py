"""The demo's dated work, relative to the day it is loaded in the organization's time zone:
tasks due today, overdue and next week; a trip completed last month, one booked for the coming
weeks and one waiting for the owner's approval; the check-in of the last send day and a draft
waiting for approval.

Each piece is made only when nothing shows it on that day, so loading the demo twice on one
day changes nothing, and loading it on a later day adds what that day lacks: yesterday's task
due today is today's overdue one, and a new one is due today. What happened before today (the
trip last month, the check-in already sent) is written as the history it is; everything from
today on goes through the services, as the people would do it."""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.utils import make_msgid

from django.utils import timezone

from accounts.models import User
from checkins import services as checkin_services
from checkins.models import CheckIn, CheckInEvent, Delivery
from clients.models import Organization
from tasks import services as task_services
from tasks.models import Category, Priority, Status, Task, TaskEvent, TimeEntry
from travel import services as travel_services
from travel.models import Segment, Trip, TripEvent
from vapportal.dates import day_text


@dataclass
class Cast:
    """Who does the work in one organization of the demo."""

    organization: Organization
    owner: User
    assistant: User

    @property
    def zone(self):
        return self.organization.zone

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local time of the organization's, as an aware datetime."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)


def demo_work_ensure(cast: Cast, *, now: datetime | None = None) -> list[str]:
    """Make what the demo should show on the day of `now`; returns what was added."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=cast.zone)
    steps = [
        _task_due_today,
        _task_overdue,
        _task_due_next_week,
        _trip_completed_last_month,
        _trip_booked_for_the_coming_weeks,
        _trip_awaiting_approval,
        _checkin_of_the_last_send_day,
        _checkin_draft_awaiting_approval,
    ]
    return [added for step in steps if (added := step(cast, now, today))]


# Tasks --------------------------------------------------------------------------------------


def _open_tasks_due(cast: Cast, first: date, last: date):
    return Task.objects.filter(
        organization=cast.organization,
        status__in=[Status.NEW, Status.IN_PROGRESS, Status.WAITING],
        due_at__gte=cast.at(first, 0),
        due_at__lt=cast.at(last + timedelta(days=1), 0),
    )


def _task_due_today(cast: Cast, now: datetime, today: date) -> str:
    if _open_tasks_due(cast, today, today).exists():
        return ""
    # Late in the evening the task is due at the day's last minute; in that last minute
    # itself nothing can be due today any more.
    due_at = next((t for t in (cast.at(today, 17), cast.at(today, 23, 59)) if t > now), None)
    if due_at is None:
        return ""
    task = task_services.task_create(
        actor=cast.owner,
        organization=cast.organization,
        title="Confirm today's test drives with the Neenah sales team",
        details="Call each customer and move anyone who cannot make it to next week.",
        category=Category.SCHEDULING,
        priority=Priority.HIGH,
        due_at=due_at,
        budget_minutes=30,
    )
    task_services.task_claim(actor=cast.assistant, task=task)
    return "a task due today"


def _task_overdue(cast: Cast, now: datetime, today: date) -> str:
    if Task.objects.filter(
        organization=cast.organization,
        status__in=[Status.NEW, Status.IN_PROGRESS, Status.WAITING],
        due_at__lt=now,
    ).exists():
        return ""
    task = task_services.task_create(
        actor=cast.owner,
        organization=cast.organization,
        title="Send the signed floor-plan agreement to the bank",
        details="The bank needs the signed copy before the next inventory audit.",
        category=Category.CLERICAL,
        priority=Priority.URGENT,
        due_at=now + timedelta(hours=1),
        budget_minutes=20,
    )
    task_services.task_claim(actor=cast.assistant, task=task)
    # Delegated three days ago and due yesterday afternoon.
    delegated_at = now - timedelta(days=3)
    Task.objects.filter(pk=task.pk).update(
        created_at=delegated_at, due_at=cast.at(today - timedelta(days=1), 16)
    )
    task.events.filter(kind=TaskEvent.Kind.CREATED).update(created_at=delegated_at)
    task.events.filter(kind=TaskEvent.Kind.ASSIGNED).update(
        created_at=delegated_at + timedelta(hours=2)
    )
    return "an overdue task"


def _task_due_next_week(cast: Cast, now: datetime, today: date) -> str:
    if _open_tasks_due(cast, today + timedelta(days=7), today + timedelta(days=13)).exists():
        return ""
    task_services.task_create(
        actor=cast.owner,
        organization=cast.organization,
        title="Book the caterer for the Appleton customer night",
        details="About 80 guests; last year's menu went down well.",
        category=Category.VENDORS,
        due_at=cast.at(today + timedelta(days=9), 12),
        budget_minutes=60,
        checklist=["Ask for two quotes", "Confirm the head count with Jill", "Book"],
    )
    return "a task due next week"


# Travel -------------------------------------------------------------------------------------


def _trip_completed_last_month(cast: Cast, now: datetime, today: date) -> str:
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    if Trip.objects.filter(
        organization=cast.organization,
        traveler=cast.owner,
        status=Trip.Status.COMPLETED,
        depart_on__gte=last_month,
        depart_on__lt=this_month,
    ).exists():
        return ""
    _history_trip(cast, depart_on=last_month.replace(day=12))
    return "a trip completed last month"


def _history_trip(cast: Cast, *, depart_on: date) -> Trip:
    """The regional dealer council in Detroit, as it happened: requested three weeks ahead,
    planned and booked by the assistant the next day, travelled and completed."""
    return_on = depart_on + timedelta(days=2)
    requested_at = cast.at(depart_on - timedelta(days=21), 10)
    booked_at = requested_at + timedelta(days=1, hours=2)
    completed_at = cast.at(return_on + timedelta(days=1), 9)
    purpose = "Regional dealer council"
    task = Task.objects.create(
        organization=cast.organization,
        title=f"Book the trip: {purpose}",
        details=f"Detroit, {day_text(depart_on, cast.zone)} to "
        f"{day_text(return_on, cast.zone, year=True)}.",
        category=Category.TRAVEL,
        status=Status.DONE,
        assignee=cast.assistant,
        created_by=cast.owner,
        requested_by=cast.owner,
        due_at=cast.at(depart_on - timedelta(days=7), 17),
        created_at=requested_at,
        completed_at=booked_at,
    )
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(task=task, actor=cast.owner, kind=TaskEvent.Kind.CREATED,
                      to_status=Status.NEW, created_at=requested_at),
            TaskEvent(task=task, actor=cast.assistant, kind=TaskEvent.Kind.ASSIGNED,
                      from_status=Status.NEW, to_status=Status.IN_PROGRESS,
                      created_at=requested_at + timedelta(hours=3)),
            TaskEvent(task=task, actor=cast.assistant, kind=TaskEvent.Kind.TIME_LOGGED,
                      note="35 min", created_at=booked_at),
            TaskEvent(task=task, actor=cast.assistant, kind=TaskEvent.Kind.MOVED,
                      from_status=Status.IN_PROGRESS, to_status=Status.DONE, note="Booked",
                      created_at=booked_at),
        ]
    )  # fmt: skip
    TimeEntry.objects.create(
        task=task,
        organization=cast.organization,
        assistant=cast.assistant,
        minutes=35,
        note="Flights and the hotel by the convention center",
        logged_at=booked_at,
    )
    trip = Trip.objects.create(
        organization=cast.organization,
        traveler=cast.owner,
        requested_by=cast.owner,
        purpose=purpose,
        destinations="Detroit",
        depart_on=depart_on,
        return_on=return_on,
        status=Trip.Status.COMPLETED,
        task=task,
        booked_by=cast.assistant,
        created_at=requested_at,
    )
    chicago, detroit = "America/Chicago", "America/Detroit"
    _segments(
        trip,
        Segment.Status.BOOKED,
        [
            ("flight", "Delta", "DL 1187", "ATW", "DTW", (depart_on, 7, 5, chicago),
             (depart_on, 9, 40, detroit), "410", "G7HK2P"),
            ("hotel", "Marriott Detroit at the Renaissance Center", "", "", "Detroit",
             (depart_on, 15, 0, detroit), (return_on, 11, 0, detroit), "520", "88120453"),
            ("flight", "Delta", "DL 1190", "DTW", "ATW", (return_on, 17, 30, detroit),
             (return_on, 17, 55, chicago), "410", "G7HK2P"),
        ],
    )  # fmt: skip
    TripEvent.objects.bulk_create(
        [
            TripEvent(trip=trip, actor=cast.owner, to_status=Trip.Status.REQUESTED,
                      note="Requested", created_at=requested_at),
            TripEvent(trip=trip, actor=cast.assistant, from_status=Trip.Status.REQUESTED,
                      to_status=Trip.Status.PLANNING, note="Added Flight Delta DL 1187",
                      created_at=booked_at - timedelta(minutes=30)),
            TripEvent(trip=trip, actor=cast.assistant, from_status=Trip.Status.PLANNING,
                      to_status=Trip.Status.BOOKED, note="Booked", created_at=booked_at),
            TripEvent(trip=trip, actor=cast.assistant, from_status=Trip.Status.BOOKED,
                      to_status=Trip.Status.COMPLETED, created_at=completed_at),
        ]
    )  # fmt: skip
    return trip


def _segments(trip: Trip, status: str, rows: list[tuple]) -> None:
    """Segments from (kind, provider, number, origin, destination, start, end, cost,
    confirmation) rows, each time a (day, hour, minute, zone name) local to its place."""
    for kind, provider, number, origin, destination, start, end, cost, confirmation in rows:
        Segment.objects.create(
            trip=trip,
            kind=kind,
            provider=provider,
            number=number,
            origin=origin,
            destination=destination,
            start_at=_local(*start),
            start_zone=start[3],
            end_at=_local(*end),
            end_zone=end[3],
            cost=Decimal(cost),
            confirmation=confirmation,
            status=status,
        )


def _local(day: date, hour: int, minute: int, zone_name: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone_name))


def _segment_fields(
    kind: str, provider: str, number: str, origin: str, destination: str,
    start: tuple, end: tuple, cost: str, code: str,
) -> travel_services.SegmentFields:  # fmt: skip
    return travel_services.SegmentFields(
        kind=kind,
        provider=provider,
        number=number,
        origin=origin,
        destination=destination,
        start_at=_local(*start),
        start_zone=start[3],
        end_at=_local(*end),
        end_zone=end[3],
        cost=Decimal(cost),
        confirmation=code,
    )


def _planned_trip(cast: Cast, *, purpose: str, destinations: str, depart_on: date,
                  return_on: date, notes: str, segments: list[tuple]) -> Trip:  # fmt: skip
    """A trip the owner asks for and the assistant plans and books, as they would."""
    trip = travel_services.trip_request(
        actor=cast.owner,
        organization=cast.organization,
        traveler=cast.owner,
        purpose=purpose,
        destinations=destinations,
        depart_on=depart_on,
        return_on=return_on,
        notes=notes,
    )
    for row in segments:
        travel_services.segment_add(actor=cast.assistant, trip=trip, fields=_segment_fields(*row))
    return travel_services.trip_book(actor=cast.assistant, trip=trip)


def _trip_booked_for_the_coming_weeks(cast: Cast, now: datetime, today: date) -> str:
    if Trip.objects.filter(
        organization=cast.organization,
        traveler=cast.owner,
        status=Trip.Status.BOOKED,
        routine__isnull=True,
        depart_on__gt=today,
        depart_on__lte=today + timedelta(days=28),
    ).exists():
        return ""
    depart_on, return_on = today + timedelta(days=12), today + timedelta(days=14)
    chicago = "America/Chicago"
    _planned_trip(
        cast,
        purpose="Chicago Auto Show",
        destinations="Chicago",
        depart_on=depart_on,
        return_on=return_on,
        notes="Two days on the show floor; dinner with the Midwest dealer group.",
        segments=[
            ("flight", "United", "UA 5123", "ATW", "ORD", (depart_on, 8, 5, chicago),
             (depart_on, 9, 10, chicago), "240", "K7Q2LM"),
            ("hotel", "Hilton Chicago", "", "", "Chicago", (depart_on, 15, 0, chicago),
             (return_on, 11, 0, chicago), "690", "3320981"),
            ("flight", "United", "UA 5130", "ORD", "ATW", (return_on, 18, 20, chicago),
             (return_on, 19, 15, chicago), "240", "K7Q2LM"),
        ],
    )  # fmt: skip
    return "a trip booked for the coming weeks"


def _trip_awaiting_approval(cast: Cast, now: datetime, today: date) -> str:
    if Trip.objects.filter(
        organization=cast.organization, status=Trip.Status.AWAITING_APPROVAL
    ).exists():
        return ""
    depart_on, return_on = today + timedelta(days=33), today + timedelta(days=37)
    chicago, vegas = "America/Chicago", "America/Los_Angeles"
    _planned_trip(
        cast,
        purpose="NADA Show",
        destinations="Las Vegas",
        depart_on=depart_on,
        return_on=return_on,
        notes="The franchised dealers' convention: four nights near the convention center.",
        segments=[
            ("flight", "Delta", "DL 1422", "ATW", "LAS", (depart_on, 9, 30, chicago),
             (depart_on, 11, 5, vegas), "780", ""),
            ("hotel", "The Venetian", "", "", "Las Vegas", (depart_on, 15, 0, vegas),
             (return_on, 11, 0, vegas), "1640", ""),
            ("flight", "Delta", "DL 1425", "LAS", "ATW", (return_on, 13, 40, vegas),
             (return_on, 19, 25, chicago), "760", ""),
        ],
    )  # fmt: skip
    return "a trip awaiting approval"


# Check-ins ----------------------------------------------------------------------------------

CHECKIN_NOTES = [
    ("Good morning, Bergstrom Cars",
     "A quick note before the lots open: this was our best month of the year so far.",
     "Thank you, all of you: customers keep telling me how well they are treated at every "
     "dealership."),
    ("Service lane records",
     "The Appleton service lane turned every car around the same day last week. That is a "
     "first.", "Thank you, Nate and the whole service team."),
    ("The weekend sale",
     "Saturday's sale starts at 9: the new banners are up at both dealerships.",
     "Thank you, Kara, for organizing the test-drive schedule."),
    ("Customer letters",
     "Three customers wrote in this week to name a salesperson who went out of their way.",
     "Thank you, Luis, Megan and Priya: the letters are on the board in the break room."),
    ("Inventory count",
     "The year-end inventory count is next Friday; your manager has the schedule.",
     "Thank you for keeping the lots this tidy all month."),
]  # fmt: skip


def _checkin_of_the_last_send_day(cast: Cast, now: datetime, today: date) -> str:
    checkin_settings = checkin_services.checkin_settings_for(cast.organization)
    day = today - timedelta(days=1)
    for _ in range(14):
        if checkin_settings.is_send_day(day):
            break
        day -= timedelta(days=1)
    else:
        return ""
    if CheckIn.objects.filter(
        organization=cast.organization, status=CheckIn.Status.SENT, send_on=day
    ).exists():
        return ""
    _history_checkin(cast, day=day, send_at=checkin_settings.send_at(day))
    return f"the check-in sent on {day_text(day, cast.zone)}"


def _history_checkin(cast: Cast, *, day: date, send_at: datetime) -> CheckIn:
    """The owner's check-in of that day, written before breakfast and sent to the team at
    the send time, every recipient reached."""
    subject, message, thanks = CHECKIN_NOTES[day.toordinal() % len(CHECKIN_NOTES)]
    written_at = send_at - timedelta(minutes=35)
    sent_at = send_at + timedelta(seconds=40)
    checkin = CheckIn.objects.create(
        organization=cast.organization,
        subject=subject,
        message=message,
        thanks=thanks,
        status=CheckIn.Status.SENT,
        send_on=day,
        send_at=send_at,
        sent_at=sent_at,
        written_by=cast.owner,
        on_behalf_of=cast.owner,
        created_at=written_at,
    )
    status = CheckIn.Status
    CheckInEvent.objects.bulk_create(
        [
            CheckInEvent(checkin=checkin, actor=cast.owner, to_status=status.DRAFT,
                         note="Written", created_at=written_at),
            CheckInEvent(checkin=checkin, actor=cast.owner, from_status=status.DRAFT,
                         to_status=status.SCHEDULED, created_at=written_at + timedelta(minutes=2)),
            CheckInEvent(checkin=checkin, from_status=status.SCHEDULED,
                         to_status=status.SENDING, created_at=send_at),
            CheckInEvent(checkin=checkin, from_status=status.SENDING, to_status=status.SENT,
                         created_at=sent_at),
        ]
    )  # fmt: skip
    Delivery.objects.bulk_create(
        Delivery(
            checkin=checkin,
            team_member=member,
            email=member.email,
            status=Delivery.Status.SENT,
            attempts=1,
            message_id=make_msgid(domain="vaportal.example"),
            queued_at=send_at,
            claimed_at=send_at,
            sent_at=sent_at,
        )
        for member in checkin_services.recipients_of(checkin)
    )
    return checkin


def _checkin_draft_awaiting_approval(cast: Cast, now: datetime, today: date) -> str:
    if CheckIn.objects.filter(
        organization=cast.organization, status=CheckIn.Status.AWAITING_APPROVAL
    ).exists():
        return ""
    checkin_services.checkin_write(
        actor=cast.assistant,
        organization=cast.organization,
        content=checkin_services.Content(
            subject="New process: evaluations",
            message="From next week, evaluations go through the outside firm.",
            new_process="1. Your manager books a slot\n2. The firm sends the form\n"
            "3. You get the summary by email",
        ),
        action="submit",
    )
    return "a check-in draft awaiting approval"
