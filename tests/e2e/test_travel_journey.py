"""A routine trip in the browser: the owner fills in his travel profile and sets up the monthly
dealer meeting with the rule builder, which previews its days; the beat tick makes the next
occurrence into a trip in the assistant's queue; she opens it from there and adds a flight and
a hotel (the form offers each time in the zone of its place and stays open for the next one),
over what the routine may spend on its own, and books; the owner approves from the link in the
email; the itinerary shows each segment in the local time of its place, and his calendar feed
lists both. The flight moves an hour at the same price and stays booked; a new calendar link
and the trip's cancellation each ask first on a page of their own."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from dateutil.rrule import MONTHLY, TU, rrule
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from tasks.models import Status as TaskStatus
from travel import services
from travel.models import RoutineTrip, Segment, Trip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
DENVER = zoneinfo.ZoneInfo("America/Denver")
TITLE = "Dealer association meeting"
RULE = "FREQ=MONTHLY;BYDAY=1TU"
LEAD_DAYS = 21
AUTO_APPROVE = "600.00"
FLIGHT = "Flight: Delta DL 2345"
HOTEL = "Hotel: Hilton Denver City Center"


def next_first_tuesday(today: date) -> date:
    """The meeting day the tick will make into a trip: the first "first Tuesday of the month"
    whose departure, the day before, is still to come."""
    days = rrule(MONTHLY, byweekday=TU(1), dtstart=datetime.combine(today, time(0, 0)))
    return next(day.date() for day in days if day.date() - timedelta(days=1) > today)


def first_tuesday_after(today: date) -> date:
    days = rrule(MONTHLY, byweekday=TU(1), dtstart=datetime.combine(today, time(0, 0)))
    return next(day.date() for day in days if day.date() > today)


def _year_unless_this_one(day: date) -> str:
    return "" if day.year == timezone.localdate(timezone=CHICAGO).year else f" {day.year}"


def day_label(day: date) -> str:
    """A day as the preview lists it: “Tue 1 Dec”, with its year when it is not this one."""
    return f"{day:%a} {day.day} {day:%b}{_year_unless_this_one(day)}"


def local(moment: datetime, zone: str) -> str:
    """A time as the itinerary prints it: “Mon 1 Dec, 15:10 CST (America/Chicago)”."""
    day = f"{moment:%a} {moment.day} {moment:%b}{_year_unless_this_one(moment.date())}"
    return f"{day}, {moment:%H:%M} {moment.tzname()} ({zone})"


def add_segment(page, *, kind: str, provider: str, number: str, origin: str, destination: str,
                start: datetime, end: datetime, cost: str, confirmation: str,
                zones_offered: tuple[str, str]) -> None:  # fmt: skip
    """Adds a segment through the form on the trip's page, which is open: for the first
    segment, and again after each one is added. Its zones are offered as `zones_offered`."""
    adding = page.locator("details#add-segment")
    expect(adding).to_have_attribute("open", "")
    form = adding.locator("form")
    expect(form.get_by_label("Time zone where it starts")).to_have_value(zones_offered[0])
    expect(form.get_by_label("Time zone where it ends")).to_have_value(zones_offered[1])
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Provider").fill(provider)
    form.get_by_label("Flight or train number").fill(number)
    form.get_by_label("Confirmation code").fill(confirmation)
    form.get_by_label("From", exact=True).fill(origin)
    form.get_by_label("To / where").fill(destination)
    form.locator("[name=start]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Time zone where it starts").fill(start.tzinfo.key)
    form.locator("[name=end]").fill(end.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Time zone where it ends").fill(end.tzinfo.key)
    form.get_by_label("Cost").fill(cost)
    form.get_by_label("Currency").select_option("USD")
    form.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Segment added.")
    expect(adding).to_have_attribute("open", "")


def test_a_routine_trip_is_made_by_the_tick_booked_over_its_limit_and_approved_from_the_email(
    live_server,
    settings,
    page,
    new_context,
    owner,
    organization,
    engagement,
    assistant,
    password,
    mailoutbox,
    log_in,
    screenshot,
):
    settings.SITE_URL = live_server.url
    assistant.timezone = "America/New_York"  # Rhonda works from elsewhere than his trips
    assistant.save()
    today = timezone.localdate(timezone=CHICAGO)
    meeting = next_first_tuesday(today)
    depart_on = meeting - timedelta(days=1)
    flight_start = datetime.combine(depart_on, time(15, 10), tzinfo=CHICAGO)
    flight_end = datetime.combine(depart_on, time(16, 45), tzinfo=DENVER)
    hotel_start = datetime.combine(depart_on, time(17, 30), tzinfo=DENVER)
    hotel_end = datetime.combine(depart_on + timedelta(days=2), time(11, 0), tzinfo=DENVER)

    # Renard fills in his travel profile.
    log_in(page, owner, password)
    page.goto("/travel/profile/")
    expect(page.get_by_role("heading", name="Travel profile")).to_be_visible()
    page.get_by_label("Home airport").fill("atw")
    page.get_by_label("Seat").select_option("aisle")
    page.get_by_label("Cabin").select_option("economy")
    page.get_by_label("Preferred airlines").fill("Delta")
    page.get_by_label("Preferred hotel chains").fill("Hilton")
    page.get_by_role("textbox", name="Known traveler number").fill("TT8812345")
    page.get_by_label("Emergency contact").fill("Marta Bergstrom, 920-555-0142")
    page.get_by_role("button", name="Save the profile").click()

    expect(page.get_by_role("alert")).to_contain_text("Travel profile saved.")
    expect(page.get_by_label("Home airport")).to_have_value("ATW")
    expect(page.locator("#masked")).to_contain_text("••••45")
    expect(page.locator("body")).not_to_contain_text("TT8812345")
    feed_url = page.get_by_label("Calendar feed link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/travel/feed/[\w-]+\.ics", feed_url)
    screenshot(page, "30-travel-profile-saved")

    # He sets up the monthly meeting: booked three weeks ahead, up to 600 USD on its own.
    page.goto("/travel/routines/new/")
    expect(page.get_by_role("heading", name="Set up a routine trip")).to_be_visible()
    page.locator("#id_organization").select_option(str(organization.pk))
    page.locator("#id_traveler").select_option(str(owner.pk))
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_destinations").fill("Denver")
    # The first Tuesday of every month, from the rule builder; the preview lists the days.
    page.locator("#id_frequency").select_option("monthly")
    page.get_by_label("A weekday of the month").check()
    page.locator("#id_ordinal").select_option("1")
    page.locator("#id_ordinal_weekday").select_option("TU")
    page.locator("#id_starts_on").fill(today.isoformat())
    expect(page.locator("#id_timezone")).to_have_value("America/Chicago")
    expect(page.locator("#occurrence-preview")).to_contain_text("On the first Tuesday of the month")
    expect(page.locator("#preview-occurrences li").first).to_have_text(
        day_label(first_tuesday_after(today))
    )
    screenshot(page, "30-routine-form-preview")
    page.locator("#id_days_before").fill("1")
    page.locator("#id_nights").fill("2")
    page.locator("#id_lead_days").fill(str(LEAD_DAYS))
    page.locator("#id_preferences").fill("Aisle seat, the usual hotel")
    page.locator("#id_auto_approve_limit").fill(AUTO_APPROVE)
    page.locator("#id_currency").select_option("USD")
    page.get_by_role("button", name="Set it up").click()

    expect(page.get_by_role("alert")).to_contain_text("Routine trip set up.")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    routine = RoutineTrip.objects.get(title=TITLE)
    assert (routine.organization, routine.traveler, routine.rrule) == (organization, owner, RULE)
    assert routine.segment_template == []
    screenshot(page, "30-routine-set-up")

    # The tick the day before the lead window makes nothing; on its first day, one trip.
    window_opens = meeting - timedelta(days=LEAD_DAYS)
    too_early = datetime.combine(window_opens - timedelta(days=1), time(9), tzinfo=CHICAGO)
    assert services.routines_dispatch(now=too_early) == 0
    tick_at = max(timezone.now(), datetime.combine(window_opens, time(9), tzinfo=CHICAGO))
    assert services.routines_dispatch(now=tick_at) == 1
    assert services.routines_dispatch(now=tick_at) == 0
    trip = Trip.objects.get(routine=routine)
    assert (trip.occurrence_date, trip.depart_on, trip.return_on) == (
        meeting,
        depart_on,
        meeting + timedelta(days=1),
    )
    assert (trip.status, trip.task.assignee, trip.task.status) == (
        Trip.Status.PLANNING,
        assistant,
        TaskStatus.IN_PROGRESS,
    )
    trip_path = f"/travel/trips/{trip.pk}/"

    # Rhonda finds it in her queue, opens the booking task and from it the trip.
    helper = new_context().new_page()
    log_in(helper, assistant, password)
    helper.goto("/tasks/queue/")
    helper.locator("#queue").get_by_role("link", name=f"Book the trip: {TITLE}").click()
    expect(helper.get_by_role("heading", name=f"Book the trip: {TITLE}")).to_be_visible()
    trip_link = helper.locator(f'a[href="{trip_path}"]').first
    expect(trip_link).to_be_visible()
    trip_link.click()

    expect(helper).to_have_url(f"{live_server.url}{trip_path}")
    expect(helper.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(helper.locator("#trip-status")).to_have_text("Planning")
    expect(helper.get_by_text("Seat: aisle")).to_be_visible()  # from Renard's profile
    expect(helper.get_by_role("button", name="Book it")).to_have_count(0)  # nothing to book yet

    # She adds the flight and the hotel: 800 USD, over the routine's 600. The first leaves
    # from his home airport's zone for Denver's; the hotel is where the flight landed.
    add_segment(
        helper,
        kind="flight",
        provider="Delta",
        number="DL 2345",
        origin="ATW",
        destination="DEN",
        start=flight_start,
        end=flight_end,
        cost="320.00",
        confirmation="K7XQ2M",
        zones_offered=("America/Chicago", "America/Denver"),
    )
    screenshot(helper, "30-segment-form-open-for-the-next")
    add_segment(
        helper,
        kind="hotel",
        provider="Hilton Denver City Center",
        number="",
        origin="",
        destination="Denver",
        start=hotel_start,
        end=hotel_end,
        cost="480.00",
        confirmation="HX-99812",
        zones_offered=("America/Denver", "America/Denver"),
    )
    expect(helper.locator("#segments tbody tr")).to_have_count(2)
    expect(helper.locator("#trip-total")).to_have_text("800.00 USD")
    # She works from New York: every time names its zone for her.
    flight_row = helper.locator("#segments tbody tr").first
    expect(flight_row).to_contain_text(f"15:10 {flight_start.tzname()} · America/Chicago")
    expect(flight_row).to_contain_text(f"16:45 {flight_end.tzname()} · America/Denver")
    helper.get_by_role("button", name="Book it").click()

    expect(
        helper.get_by_role("alert").filter(has_text="Sent to the owner for approval.")
    ).to_be_visible()
    expect(helper.locator("#trip-status")).to_have_text("Awaiting approval")
    screenshot(helper, "30-trip-awaiting-approval")

    # Renard approves from the link in the email, after confirming on the page it opens.
    [approval] = [m for m in mailoutbox if m.subject.startswith("Approve the trip")]
    assert approval.to == [owner.email]
    assert "800.00 USD is over the routine's auto-approve limit of 600.00" in approval.body
    link = re.search(rf"{re.escape(live_server.url)}/travel/approve/\S+", approval.body)
    assert link, approval.body
    page.goto(link.group())
    expect(page.get_by_role("heading", name=f"Approve “{TITLE}”?")).to_be_visible()
    expect(page.get_by_text("800.00 USD")).to_be_visible()
    assert Trip.objects.get(pk=trip.pk).status == Trip.Status.AWAITING_APPROVAL
    page.get_by_label("Comment (optional)").fill("Worth it for the association.")
    page.get_by_role("button", name="Approve", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}{trip_path}")
    expect(page.get_by_role("alert")).to_contain_text("Approved: the trip is booked.")
    expect(page.locator("#trip-status")).to_have_text("Booked")
    # Renard lives in Chicago's zone: only the landing in Denver names its zone.
    flight_row = page.locator("#segments tbody tr").first
    expect(flight_row).not_to_contain_text("America/Chicago")
    expect(flight_row).to_contain_text(f"16:45 {flight_end.tzname()} · America/Denver")

    # The itinerary: each segment in the local time and zone of its place.
    page.get_by_role("link", name="Itinerary").click()
    segments = page.locator("#itinerary > li")
    expect(segments).to_have_count(2)
    expect(segments.nth(0)).to_contain_text(FLIGHT)
    expect(segments.nth(0)).to_contain_text("ATW → DEN")
    expect(segments.nth(0)).to_contain_text(
        f"{local(flight_start, 'America/Chicago')} – {local(flight_end, 'America/Denver')}"
    )
    expect(segments.nth(1)).to_contain_text(HOTEL)
    expect(segments.nth(1)).to_contain_text(
        f"{local(hotel_start, 'America/Denver')} – {local(hotel_end, 'America/Denver')}"
    )
    screenshot(page, "30-itinerary")

    # His calendar feed has both, at the same instants and in the same zones.
    response = page.request.get(feed_url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = {
        str(event["summary"]): event for event in Calendar.from_ical(response.body()).walk("VEVENT")
    }
    assert sorted(events) == [f"{FLIGHT} (ATW → DEN)", f"{HOTEL} (Denver)"]
    for summary, start, end in [
        (f"{FLIGHT} (ATW → DEN)", flight_start, flight_end),
        (f"{HOTEL} (Denver)", hotel_start, hotel_end),
    ]:
        event = events[summary]
        assert (event.decoded("dtstart"), event.decoded("dtend")) == (start, end)
        assert event["dtstart"].params["TZID"] == start.tzinfo.key
        assert event["dtend"].params["TZID"] == end.tzinfo.key

    trip.refresh_from_db()
    assert (trip.status, trip.approved_by, trip.booked_by) == (Trip.Status.BOOKED, owner, assistant)
    assert trip.decision_note == "Worth it for the association."
    assert set(trip.segments.values_list("status", flat=True)) == {Segment.Status.BOOKED}
    trip.task.refresh_from_db()
    assert trip.task.status == TaskStatus.DONE
    [itinerary_mail] = [m for m in mailoutbox if m.subject.startswith("Booked:")]
    assert itinerary_mail.to == [owner.email]
    assert [name for name, _, _ in itinerary_mail.attachments] == [f"trip-{trip.pk}.ics"]
    # The email gives each time in its place's zone too: the flight lands at 16:45 in Denver.
    for moment in (flight_start, flight_end, hotel_start, hotel_end):
        assert f"{moment:%H:%M} {moment.tzname()}" in itinerary_mail.body, itinerary_mail.body

    # A week later the airline moves the flight an hour, at the same price: Rhonda changes it,
    # and the trip stays booked at what Renard approved; he is told what changed.
    mailoutbox.clear()
    helper.goto(trip_path)
    helper.locator("#segments tbody tr").filter(has_text="Delta DL 2345").get_by_role(
        "link", name="Change"
    ).click()
    expect(helper.get_by_label("Time zone where it starts")).to_have_value("America/Chicago")
    expect(helper.get_by_label("Time zone where it ends")).to_have_value("America/Denver")
    helper.locator("[name=start]").fill(
        (flight_start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    helper.locator("[name=end]").fill((flight_end + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    helper.get_by_role("button", name="Save").click()

    expect(helper.get_by_role("alert").first).to_contain_text("Segment changed.")
    expect(helper.locator("#trip-status")).to_have_text("Booked")
    expect(helper.locator("#segments")).to_contain_text("16:10")
    page.goto(trip_path)
    expect(
        page.get_by_text("Renard Bergstrom, at 800.00 USD: Worth it for the association.")
    ).to_be_visible()
    assert [m for m in mailoutbox if m.subject.startswith("Approve the trip")] == []
    [changed] = [m for m in mailoutbox if m.subject.startswith("Changed:")]
    assert changed.to == [owner.email]
    assert "15:10" in changed.body and "16:10" in changed.body

    # Renard makes a new calendar link: the page first says what that does to subscriptions.
    page.goto("/travel/profile/")
    page.get_by_role("link", name="Make a new link…").click()
    expect(page.get_by_role("heading", name="Make a new calendar link?")).to_be_visible()
    expect(page.locator("#what-a-new-link-does")).to_contain_text("stops getting your trips")
    assert page.request.get(feed_url).status == 200  # asking changed nothing
    page.get_by_role("button", name="Make a new link").click()
    expect(page.get_by_role("alert")).to_contain_text("the old one no longer works")
    new_feed_url = page.get_by_label("Calendar feed link").input_value()
    assert new_feed_url != feed_url
    assert page.request.get(feed_url).status == 404
    assert len(Calendar.from_ical(page.request.get(new_feed_url).body()).walk("VEVENT")) == 2

    # Rhonda cancels the trip: she is told what it does before anything happens.
    helper.goto(trip_path)
    helper.get_by_role("link", name="Cancel the trip…").click()
    expect(helper.get_by_role("heading", name=f"Cancel “{TITLE}”?")).to_be_visible()
    expect(helper.locator("#what-cancelling-does")).to_contain_text(
        "emails Renard Bergstrom that the trip is cancelled"
    )
    assert Trip.objects.get(pk=trip.pk).status == Trip.Status.BOOKED
    screenshot(helper, "30-cancel-the-trip")
    helper.get_by_label("Why (optional, on the trip's timeline)").fill("The meeting is online")
    helper.get_by_role("button", name="Cancel the trip").click()

    expect(helper.get_by_role("alert").first).to_contain_text("Trip cancelled.")
    expect(helper.locator("#trip-status")).to_have_text("Cancelled")
    assert Calendar.from_ical(page.request.get(new_feed_url).body()).walk("VEVENT") == []
