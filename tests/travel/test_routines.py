"""Routine trips: the tick turns each occurrence within the lead window into a trip, once."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tasks.models import Status as TaskStatus
from tasks.models import Task
from tests.factories import EngagementFactory
from tests.helpers import at_the_same_moment
from travel import services
from travel.models import RoutineTrip, Segment, Trip

CHICAGO = ZoneInfo("America/Chicago")
FIRST_TUESDAY = "FREQ=MONTHLY;BYDAY=1TU"

TEMPLATE = [
    {
        "kind": "flight",
        "provider": "Delta",
        "number": "DL 2345",
        "origin": "ATW",
        "destination": "MSP",
        "day": 0,
        "start": "15:10",
        "end_day": 0,
        "end": "16:20",
        "start_zone": "America/Chicago",
        "end_zone": "America/Chicago",
        "cost": "320.00",
        "currency": "USD",
    },
    {
        "kind": "hotel",
        "provider": "Hilton Minneapolis",
        "destination": "Minneapolis",
        "day": 0,
        "start": "16:00",
        "end_day": 2,
        "end": "11:00",
        "start_zone": "America/Chicago",
        "end_zone": "America/Chicago",
        "cost": "480.00",
        "currency": "USD",
    },
]


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def meeting_fields(**changes) -> services.RoutineFields:
    fields = services.RoutineFields(
        title="Dealer association meeting",
        destinations="Minneapolis",
        rrule=FIRST_TUESDAY,
        timezone="America/Chicago",
        starts_on=date(2026, 1, 1),
        days_before=1,
        nights=2,
        lead_days=21,
        segment_template=TEMPLATE,
        preferences="Aisle seat, the usual hotel",
        auto_approve_limit=Decimal("1000"),
        currency="USD",
    )
    return replace(fields, **changes)


def make_routine(owner, organization, **changes) -> RoutineTrip:
    return services.routine_create(
        actor=owner, organization=organization, traveler=owner, fields=meeting_fields(**changes)
    )


def tick_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return services.routines_dispatch(now=timezone.now())


def local_starts(trip: Trip) -> dict[str, datetime]:
    return {
        segment.kind: segment.local_start.replace(tzinfo=None) for segment in trip.segments.all()
    }


@pytest.fixture
def routine(owner, organization, engagement):
    return make_routine(owner, organization)


def test_the_tick_makes_each_occurrence_in_the_lead_window_a_trip_for_the_assistant(
    owner, organization, assistant, routine
):
    services.profile_save(
        actor=owner, profile=services.profile_for(owner), seat="aisle", hotel_chains="Hilton"
    )

    # 15 February: the window reaches 8 March, so only Tuesday 3 March is due.
    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 1

    trip = Trip.objects.get()
    assert (trip.routine, trip.occurrence_date) == (routine, date(2026, 3, 3))
    assert (trip.depart_on, trip.return_on) == (date(2026, 3, 2), date(2026, 3, 4))
    assert (trip.purpose, trip.traveler, trip.status) == (
        "Dealer association meeting",
        owner,
        Trip.Status.PLANNING,
    )
    assert "Aisle seat, the usual hotel" in trip.notes
    assert "Seat: aisle" in trip.notes and "Hotels: Hilton" in trip.notes
    assert local_starts(trip) == {
        "flight": datetime(2026, 3, 2, 15, 10),
        "hotel": datetime(2026, 3, 2, 16, 0),
    }
    hotel = trip.segments.get(kind="hotel")
    assert hotel.local_end.replace(tzinfo=None) == datetime(2026, 3, 4, 11, 0)
    assert set(trip.segments.values_list("status", flat=True)) == {Segment.Status.PROPOSED}

    task = trip.task
    assert task.assignee == assistant
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.due_at is not None
    assert timezone.localtime(task.due_at, CHICAGO).date() == date(2026, 2, 23)
    assert Task.objects.count() == 1


def test_the_booking_task_goes_to_the_primary_assistant_not_the_backup(
    assistant, organization, routine
):
    EngagementFactory(organization=organization, role="backup", started_on=date(2020, 1, 6))

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 1

    assert Trip.objects.get().task.assignee == assistant


def test_a_primary_without_travel_leaves_the_booking_to_the_backup_engaged_longest(
    engagement, organization, routine
):
    take_away_travel(engagement)
    EngagementFactory(organization=organization, role="backup", started_on=date(2025, 5, 4))
    longest = EngagementFactory(
        organization=organization, role="backup", started_on=date(2023, 8, 1)
    )
    EngagementFactory(
        organization=organization,
        role="backup",
        started_on=date(2021, 1, 4),
        can_book_travel=False,
    )

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 1

    assert Trip.objects.get().task.assignee == longest.assistant


def test_nothing_outside_the_lead_window_is_made(routine):
    # 5 February: 3 February is gone, 3 March is 26 days away (beyond the 21).
    assert tick_at(chicago(2026, 2, 5, 6, 0)) == 0
    # On 3 March itself the departure (2 March) has passed: nothing is made for it.
    assert tick_at(chicago(2026, 3, 3, 6, 0)) == 0
    assert not Trip.objects.exists()


def test_a_repeated_tick_makes_each_trip_and_task_once(routine):
    moment = chicago(2026, 2, 15, 6, 0)
    assert tick_at(moment) == 1
    assert tick_at(moment) == 0
    assert tick_at(chicago(2026, 2, 20, 6, 0)) == 0

    assert list(Trip.objects.values_list("occurrence_date", flat=True)) == [date(2026, 3, 3)]
    assert Task.objects.count() == 1


def test_the_database_refuses_a_second_trip_for_the_same_occurrence(routine):
    tick_at(chicago(2026, 2, 15, 6, 0))
    made = Trip.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Trip.objects.create(
            organization=made.organization,
            traveler=made.traveler,
            requested_by=made.requested_by,
            purpose=made.purpose,
            destinations=made.destinations,
            depart_on=made.depart_on,
            return_on=made.return_on,
            routine=routine,
            occurrence_date=made.occurrence_date,
        )
    assert Trip.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_time_make_each_trip_and_task_once(owner, organization, engagement):
    make_routine(owner, organization, lead_days=60)

    def tick():
        return services.routines_dispatch(now=chicago(2026, 2, 15, 6, 0))

    at_the_same_moment(tick, tick)

    # 15 February + 60 days: 3 March and 7 April.
    assert sorted(Trip.objects.values_list("occurrence_date", flat=True)) == [
        date(2026, 3, 3),
        date(2026, 4, 7),
    ]
    assert Task.objects.count() == 2


def book(trip: Trip, assistant) -> Trip:
    return services.trip_book(actor=assistant, trip=trip)


def test_the_next_trip_copies_the_last_booked_one_across_the_spring_change(
    owner, organization, assistant
):
    routine = make_routine(owner, organization, lead_days=30)
    tick_at(chicago(2026, 2, 10, 9, 0))
    march = Trip.objects.get(occurrence_date=date(2026, 3, 3))
    flight = march.segments.get(kind="flight")
    with time_machine.travel(chicago(2026, 2, 10, 9, 30), tick=False):
        fields = services.SegmentFields(
            kind="flight",
            provider="Delta",
            number="DL 1111",
            origin="ATW",
            destination="MSP",
            start_at=chicago(2026, 3, 2, 15, 10),
            start_zone="America/Chicago",
            end_at=chicago(2026, 3, 2, 16, 20),
            end_zone="America/Chicago",
            cost=Decimal("300"),
        )
        services.segment_change(actor=assistant, segment=flight, fields=fields)
        assert book(march, assistant).status == Trip.Status.BOOKED

    # The day the clocks spring forward; 7 April is 30 days ahead.
    with time_machine.travel(chicago(2026, 3, 8, 3, 30), tick=False):
        assert services.routines_dispatch(now=timezone.now()) == 1

    april = Trip.objects.get(routine=routine, occurrence_date=date(2026, 4, 7))
    copied = april.segments.get(kind="flight")
    assert (copied.number, copied.status) == ("DL 1111", Segment.Status.PROPOSED)
    assert copied.local_start.replace(tzinfo=None) == datetime(2026, 4, 6, 15, 10)
    assert copied.local_start.tzname() == "CDT"
    assert flight.local_start.tzname() == "CST"
    assert local_starts(april) == {
        "flight": datetime(2026, 4, 6, 15, 10),
        "hotel": datetime(2026, 4, 6, 16, 0),
    }
    assert april.segments.get(kind="hotel").local_end.replace(tzinfo=None) == datetime(
        2026, 4, 8, 11, 0
    )


def test_the_next_trip_copies_the_last_booked_one_across_the_autumn_change(
    owner, organization, assistant
):
    routine = make_routine(owner, organization, lead_days=30)
    tick_at(chicago(2026, 9, 10, 9, 0))
    october = Trip.objects.get(occurrence_date=date(2026, 10, 6))
    with time_machine.travel(chicago(2026, 9, 10, 9, 30), tick=False):
        assert book(october, assistant).status == Trip.Status.BOOKED
    assert october.segments.get(kind="flight").local_start.tzname() == "CDT"

    # The day the clocks fall back, in the hour that happens twice.
    with time_machine.travel(datetime(2026, 11, 1, 6, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        services.routines_dispatch(now=timezone.now())

    november = Trip.objects.get(routine=routine, occurrence_date=date(2026, 11, 3))
    copied = november.segments.get(kind="flight")
    assert copied.local_start.replace(tzinfo=None) == datetime(2026, 11, 2, 15, 10)
    assert copied.local_start.tzname() == "CST"
    assert copied.notes == "As last time; check the price and book."
    assert local_starts(november)["hotel"] == datetime(2026, 11, 2, 16, 0)


def test_the_31st_has_no_day_in_february_but_one_in_march(owner, organization, engagement):
    routine = make_routine(owner, organization, rrule="FREQ=MONTHLY;BYMONTHDAY=31", lead_days=60)

    assert services.occurrences(routine, date(2026, 2, 1), date(2026, 2, 28)) == []
    assert services.occurrences(routine, date(2026, 3, 1), date(2026, 3, 31)) == [date(2026, 3, 31)]
    tick_at(chicago(2026, 2, 1, 9, 0))
    assert list(Trip.objects.values_list("occurrence_date", flat=True)) == [date(2026, 3, 31)]


def test_the_last_day_of_the_month_is_the_28th_in_february_2026(owner, organization, engagement):
    routine = make_routine(owner, organization, rrule="FREQ=MONTHLY;BYMONTHDAY=-1", lead_days=30)

    assert services.occurrences(routine, date(2026, 2, 1), date(2026, 2, 28)) == [date(2026, 2, 28)]
    tick_at(chicago(2026, 2, 1, 9, 0))
    trip = Trip.objects.get()
    assert (trip.occurrence_date, trip.depart_on) == (date(2026, 2, 28), date(2026, 2, 27))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "never happens"),
        ({"timezone": "Mars/Olympus_Mons"}, "is not a known time zone"),
        ({"currency": "XXX"}, "is not a currency we book in"),
        ({"auto_approve_limit": Decimal("-1")}, "cannot be negative"),
    ],
)
def test_a_bad_routine_is_refused_and_nothing_is_made(
    owner, organization, engagement, change, message
):
    with pytest.raises(services.TravelError, match=message):
        make_routine(owner, organization, **change)

    assert not RoutineTrip.objects.exists()
    tick_at(chicago(2026, 2, 15, 6, 0))
    assert not Trip.objects.exists()


def test_a_bad_change_to_a_routine_is_refused_and_changes_nothing(owner, routine):
    with pytest.raises(services.TravelError, match="never happens"):
        services.routine_update(
            actor=owner,
            routine=routine,
            fields=meeting_fields(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
        )
    routine.refresh_from_db()
    assert routine.rrule == FIRST_TUESDAY


def test_a_paused_routine_makes_nothing_until_it_is_resumed(owner, routine):
    services.routine_set_state(actor=owner, routine=routine, state=RoutineTrip.State.PAUSED)
    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0
    assert not Trip.objects.exists()

    services.routine_set_state(actor=owner, routine=routine, state=RoutineTrip.State.ACTIVE)
    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 1
    assert Trip.objects.get().occurrence_date == date(2026, 3, 3)


def test_an_ended_routine_makes_nothing_and_cannot_be_resumed(owner, routine):
    services.routine_set_state(actor=owner, routine=routine, state=RoutineTrip.State.ENDED)

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0
    with pytest.raises(services.TravelError, match="ended"):
        services.routine_set_state(actor=owner, routine=routine, state=RoutineTrip.State.ACTIVE)
    routine.refresh_from_db()
    assert routine.state == RoutineTrip.State.ENDED
    assert not Trip.objects.exists()


def test_a_skipped_occurrence_is_left_out_and_the_next_one_is_made(owner, routine):
    services.routine_skip(actor=owner, routine=routine, day=date(2026, 3, 3))

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0
    assert tick_at(chicago(2026, 3, 20, 6, 0)) == 1
    assert list(Trip.objects.values_list("occurrence_date", flat=True)) == [date(2026, 4, 7)]


def test_skipping_a_day_that_is_not_an_occurrence_is_refused(owner, routine):
    with pytest.raises(services.TravelError, match="not one of this routine's days"):
        services.routine_skip(actor=owner, routine=routine, day=date(2026, 3, 4))
    routine.refresh_from_db()
    assert routine.skipped == []


def test_skipping_from_the_routine_page_leaves_that_day_out(client_for, owner, routine):
    with time_machine.travel(chicago(2026, 2, 15, 6, 0), tick=False):
        page = client_for(owner).get(routine.get_absolute_url()).content.decode()
        assert "Tue 3 Mar" in page
        client_for(owner).post(
            reverse("travel:routine_skip", args=[routine.pk]), {"day": "2026-03-03"}
        )
    routine.refresh_from_db()
    assert routine.skipped == ["2026-03-03"]
    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0


def test_editing_a_routine_changes_only_the_trips_not_made_yet(owner, routine):
    tick_at(chicago(2026, 2, 15, 6, 0))
    later_flight = [{**TEMPLATE[0], "start": "17:00", "end": "18:10"}, TEMPLATE[1]]

    services.routine_update(
        actor=owner,
        routine=routine,
        fields=meeting_fields(title="Dealer council", nights=3, segment_template=later_flight),
    )
    tick_at(chicago(2026, 3, 20, 6, 0))

    march, april = Trip.objects.filter(routine=routine).order_by("occurrence_date")
    assert (march.purpose, march.return_on) == ("Dealer association meeting", date(2026, 3, 4))
    assert local_starts(march)["flight"] == datetime(2026, 3, 2, 15, 10)
    assert (april.purpose, april.depart_on, april.return_on) == (
        "Dealer council",
        date(2026, 4, 6),
        date(2026, 4, 9),
    )
    assert local_starts(april)["flight"] == datetime(2026, 4, 6, 17, 0)


def test_a_routine_trip_within_its_auto_approve_limit_is_booked_without_approval(
    owner, organization, assistant, engagement
):
    # The engagement's own budget is lower: the routine's limit is the one that counts.
    engagement.travel_budget_limit = Decimal("100")
    engagement.save()
    make_routine(owner, organization, auto_approve_limit=Decimal("800"))
    tick_at(chicago(2026, 2, 15, 6, 0))

    with time_machine.travel(chicago(2026, 2, 15, 9, 0), tick=False):
        trip = book(Trip.objects.get(), assistant)

    assert trip.status == Trip.Status.BOOKED
    assert trip.approved_by is None


def test_a_routine_trip_over_its_auto_approve_limit_waits_for_approval(
    owner, organization, assistant
):
    make_routine(owner, organization, auto_approve_limit=Decimal("500"))
    tick_at(chicago(2026, 2, 15, 6, 0))

    with time_machine.travel(chicago(2026, 2, 15, 9, 0), tick=False):
        trip = book(Trip.objects.get(), assistant)

    assert trip.status == Trip.Status.AWAITING_APPROVAL
    assert "800.00 USD is over the routine's auto-approve limit of 500.00" in (
        trip.events.last().note
    )


def end_engagement(engagement):
    engagement.ended_at = timezone.now()
    engagement.save()


def take_away_travel(engagement):
    engagement.can_book_travel = False
    engagement.save()


@pytest.mark.parametrize("lose_assistant", [end_engagement, take_away_travel])
def test_a_routine_without_a_travel_assistant_alerts_the_owners_and_admins_once(
    client_for,
    owner,
    organization,
    engagement,
    admin_user,
    routine,
    lose_assistant,
    django_capture_on_commit_callbacks,
):
    lose_assistant(engagement)

    with django_capture_on_commit_callbacks(execute=True):
        assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0

    assert not Trip.objects.exists()
    assert not Task.objects.exists()
    routine.refresh_from_db()
    assert "No engaged assistant may book travel" in routine.alert
    alerts = [m for m in mail.outbox if "needs an assistant" in m.subject]
    assert sorted(m.to[0] for m in alerts) == sorted([owner.email, admin_user.email])
    assert all(routine.title in m.body for m in alerts)
    client = client_for(owner)
    for url in (routine.get_absolute_url(), reverse("travel:list")):
        with time_machine.travel(chicago(2026, 2, 15, 7, 0), tick=False):
            page = client.get(url).content.decode()
        assert "No engaged assistant may book travel" in page, url

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tick_at(chicago(2026, 2, 15, 6, 5))
        tick_at(chicago(2026, 2, 16, 6, 0))
    assert mail.outbox == []

    EngagementFactory(organization=organization, role="backup", assistant__full_name="Dana Cole")
    assert tick_at(chicago(2026, 2, 17, 6, 0)) == 1
    trip = Trip.objects.get()
    assert trip.task.assignee.full_name == "Dana Cole"
    routine.refresh_from_db()
    assert routine.alert == ""
    with time_machine.travel(chicago(2026, 2, 17, 7, 0), tick=False):
        for url in (routine.get_absolute_url(), reverse("travel:list")):
            assert "No engaged assistant" not in client.get(url).content.decode()


def test_a_routine_still_without_an_assistant_weeks_later_is_not_mailed_about_again(
    owner, organization, engagement, admin_user, django_capture_on_commit_callbacks
):
    make_routine(owner, organization, lead_days=45)
    end_engagement(engagement)
    with django_capture_on_commit_callbacks(execute=True):
        tick_at(chicago(2026, 2, 15, 6, 0))
    assert len(mail.outbox) == 2
    mail.outbox.clear()

    # Ten days later 7 April enters the window too; the problem is the same one.
    with django_capture_on_commit_callbacks(execute=True):
        tick_at(chicago(2026, 2, 25, 6, 0))

    assert mail.outbox == []
    assert not Trip.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("routine", "get"),
        ("routine", "post"),
        ("routine_pause", "post"),
        ("routine_resume", "post"),
        ("routine_end", "post"),
        ("routine_skip", "post"),
    ],
)
def test_another_organizations_routine_is_not_found(client_for, outsider, routine, name, method):
    client = client_for(outsider)
    data = {"day": "2026-03-03", "title": "Hijacked", **meeting_form()}

    response = getattr(client, method)(reverse(f"travel:{name}", args=[routine.pk]), data)

    assert response.status_code == 404
    before = (routine.title, routine.state, routine.skipped)
    routine.refresh_from_db()
    assert (routine.title, routine.state, routine.skipped) == before


def meeting_form() -> dict:
    return {
        "destinations": "Minneapolis",
        "rrule": FIRST_TUESDAY,
        "starts_on": "2026-01-01",
        "timezone": "America/Chicago",
        "days_before": 1,
        "nights": 2,
        "lead_days": 21,
        "auto_approve_limit": "0",
        "currency": "USD",
        "segments-TOTAL_FORMS": 0,
        "segments-INITIAL_FORMS": 0,
    }


def test_an_assistant_of_another_organization_cannot_pause_the_routine(
    client_for, other_assistant, routine
):
    response = client_for(other_assistant).post(reverse("travel:routine_pause", args=[routine.pk]))

    assert response.status_code == 404
    routine.refresh_from_db()
    assert routine.state == RoutineTrip.State.ACTIVE


def test_the_owner_pauses_and_resumes_from_the_routine_page(client_for, owner, routine):
    client = client_for(owner)
    client.post(reverse("travel:routine_pause", args=[routine.pk]))
    routine.refresh_from_db()
    assert routine.state == RoutineTrip.State.PAUSED

    client.post(reverse("travel:routine_resume", args=[routine.pk]))
    routine.refresh_from_db()
    assert routine.state == RoutineTrip.State.ACTIVE


def test_upcoming_occurrences_are_the_next_meeting_days(routine):
    with time_machine.travel(chicago(2026, 2, 15, 6, 0), tick=False):
        assert services.upcoming_occurrences(routine, count=3) == [
            date(2026, 3, 3),
            date(2026, 4, 7),
            date(2026, 5, 5),
        ]


def test_a_routine_made_today_counts_from_its_start_date(owner, organization, engagement):
    routine = make_routine(owner, organization, starts_on=date(2026, 4, 1), lead_days=60)

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 1
    assert Trip.objects.get().occurrence_date == date(2026, 4, 7)
    assert services.occurrences(routine, date(2026, 1, 1), date(2026, 3, 31)) == []


def test_a_deactivated_clients_routines_make_no_trips(routine, organization):
    organization.active = False
    organization.save()

    assert tick_at(chicago(2026, 2, 15, 6, 0)) == 0
    assert not Trip.objects.exists()


def test_a_template_segment_that_lands_before_it_leaves_is_a_form_error():
    from travel.forms import TemplateSegmentForm

    overnight_to_london = {
        "kind": "flight",
        "provider": "American",
        "day": "0",
        "start": "18:00",
        "end_day": "0",
        "end": "07:00",
        "start_zone": "America/Chicago",
        "end_zone": "Europe/London",
        "cost": "900",
        "currency": "USD",
    }

    same_day = TemplateSegmentForm(data=overnight_to_london)
    next_day = TemplateSegmentForm(data={**overnight_to_london, "end_day": "1"})

    assert "This ends before it starts" in str(same_day.errors)
    assert next_day.is_valid(), next_day.errors
