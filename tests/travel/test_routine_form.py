"""The routine-trip form: the schedule comes from the rule builder recurring tasks use, with
the same preview of the coming days; the segment template's rows are optional."""

import re
from datetime import date

import pytest
from django.urls import reverse

from tasks.recurring_forms import RecurringTaskForm, RuleBuilderForm
from tests.helpers import A_NOVEMBER_WEDNESDAY
from travel import services
from travel.forms import RoutineForm
from travel.models import RoutineTrip

from .test_routines import make_routine

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

NEW = reverse("travel:routine_new")
PREVIEW = reverse("travel:routine_preview")
# The first Tuesdays after the pinned clock's Wednesday 18 November 2026.
FIRST_TUESDAYS = [
    "Tue 1 Dec",
    "Tue 5 Jan 2027",
    "Tue 2 Feb 2027",
    "Tue 2 Mar 2027",
    "Tue 6 Apr 2027",
]


def first_tuesday(**changes) -> dict:
    return {
        "frequency": "monthly",
        "interval": "1",
        "monthly_mode": "weekday",
        "month": "1",
        "month_day": "1",
        "ordinal": "1",
        "ordinal_weekday": "TU",
        "starts_on": "2026-11-18",
        "timezone": "America/Chicago",
        **changes,
    }


def routine_data(organization, traveler, *, segments: list[dict] = (), **changes) -> dict:
    data = {
        "organization": organization.pk,
        "traveler": traveler.pk,
        "title": "Dealer association meeting",
        "destinations": "Minneapolis",
        "days_before": "1",
        "nights": "2",
        "lead_days": "21",
        "preferences": "",
        "auto_approve_limit": "600",
        "currency": "USD",
        "segments-TOTAL_FORMS": str(len(segments)),
        "segments-INITIAL_FORMS": "0",
        **first_tuesday(),
        **changes,
    }
    for number, segment in enumerate(segments):
        data.update({f"segments-{number}-{name}": value for name, value in segment.items()})
    return data


@pytest.fixture
def routine(owner, organization, engagement) -> RoutineTrip:
    return make_routine(owner, organization)


def test_routines_and_recurring_tasks_share_one_rule_builder():
    assert issubclass(RoutineForm, RuleBuilderForm)
    assert issubclass(RecurringTaskForm, RuleBuilderForm)
    assert "rrule" not in RoutineForm.base_fields


def test_the_form_builds_the_rule_from_choices_instead_of_asking_for_rrule_text(
    client_for, owner, engagement
):
    html = client_for(owner).get(NEW).content.decode()

    assert 'name="rrule"' not in html and "FREQ=" not in html
    for name in ("frequency", "interval", "weekdays", "monthly_mode", "ordinal_weekday"):
        assert f'name="{name}"' in html, name
    assert f'hx-post="{PREVIEW}"' in html


def test_the_owner_sets_up_the_first_tuesday_of_every_month_with_the_builder(
    client_for, owner, organization, engagement
):
    response = client_for(owner).post(NEW, routine_data(organization, owner))

    routine = RoutineTrip.objects.get()
    assert response.status_code == 302 and response.url == routine.get_absolute_url()
    assert (routine.rrule, routine.timezone, routine.starts_on) == (
        "FREQ=MONTHLY;BYDAY=1TU",
        "America/Chicago",
        date(2026, 11, 18),
    )


def test_the_preview_says_the_rule_in_words_and_the_next_days(client_for, owner, organization):
    response = client_for(owner).post(
        PREVIEW, routine_data(organization, owner), headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert "On the first Tuesday of the month" in body and " at 0:00" not in body
    assert re.findall(r"<li>([^<]+)</li>", body) == FIRST_TUESDAYS
    assert not RoutineTrip.objects.exists()


def test_without_javascript_the_preview_button_shows_the_days_and_saves_nothing(
    client_for, owner, organization, engagement
):
    data = {**routine_data(organization, owner), "preview": "1"}

    response = client_for(owner).post(NEW, data)

    assert response.status_code == 200
    assert all(day in response.content.decode() for day in FIRST_TUESDAYS)
    assert not RoutineTrip.objects.exists()


def test_a_schedule_that_never_happens_is_a_form_error_and_stores_nothing(
    client_for, owner, organization, engagement
):
    data = routine_data(
        organization, owner, frequency="yearly", monthly_mode="day", month="2", month_day="30"
    )

    response = client_for(owner).post(NEW, data)

    assert response.context["form"].errors["month_day"] == [
        "February has no day 30: this schedule would never happen."
    ]
    assert not RoutineTrip.objects.exists()


def test_a_routine_set_up_from_rrule_text_opens_in_the_builder_and_is_changed_there(
    client_for, owner, organization, engagement
):
    routine = make_routine(owner, organization)  # as the demo loader does: FREQ=MONTHLY;BYDAY=1TU
    client = client_for(owner)

    form = client.get(routine.get_absolute_url()).context["form"]
    assert {name: form[name].value() for name in ("frequency", "monthly_mode", "ordinal")} == {
        "frequency": "monthly",
        "monthly_mode": "weekday",
        "ordinal": 1,
    }
    assert form["ordinal_weekday"].value() == "TU"

    data = routine_data(organization, owner, ordinal="2", ordinal_weekday="WE")
    client.post(routine.get_absolute_url(), data)

    routine.refresh_from_db()
    assert routine.rrule == "FREQ=MONTHLY;BYDAY=2WE"


def test_a_rule_the_builder_cannot_make_is_flagged_before_saving_replaces_it(
    client_for, owner, organization, engagement
):
    routine = make_routine(owner, organization, rrule="FREQ=MONTHLY;BYDAY=1TU,3TU")

    html = client_for(owner).get(routine.get_absolute_url()).content.decode()

    assert "This schedule was written by hand" in html
    assert "FREQ=MONTHLY;BYDAY=1TU,3TU" in html


def test_the_segment_template_is_not_starred_as_required(client_for, owner, engagement):
    html = client_for(owner).get(NEW).content.decode()

    template_part = html.split("Segments to plan each time", 1)[1]
    assert "segments-0-provider" in template_part
    assert "asteriskField" not in template_part


def test_empty_template_rows_are_left_out(client_for, owner, organization, engagement):
    empty_row = {"kind": "", "provider": "", "day": "0", "end_day": "0", "cost": "0"}
    flight_row = {
        "kind": "flight",
        "provider": "Delta",
        "number": "DL 2345",
        "start": "15:10",
        "end": "16:20",
        "day": "",
        "end_day": "",
        "cost": "",
        "currency": "USD",
    }
    data = routine_data(organization, owner, segments=[empty_row, flight_row])

    response = client_for(owner).post(NEW, data)

    assert response.status_code == 302, [f.errors for f in response.context["formset"]]
    routine = RoutineTrip.objects.get()
    ((only,),) = [routine.segment_template]
    assert (only["kind"], only["provider"], only["day"], only["cost"]) == (
        "flight",
        "Delta",
        0,
        "0",
    )
    assert (only["start_zone"], only["end_zone"]) == ("", "")


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"kind": "flight", "start": "15:10", "end": "16:20"}, "provider", "needs its airline"),
        ({"kind": "hotel", "provider": "Hilton", "end": "11:00"}, "start", "needs its start"),
        ({"provider": "Hilton"}, "kind", "Choose what this segment is"),
    ],
)
def test_a_half_filled_template_row_is_a_form_error_and_stores_nothing(
    client_for, owner, organization, engagement, row, field, message
):
    data = routine_data(organization, owner, segments=[{"currency": "USD", **row}])

    response = client_for(owner).post(NEW, data)

    (row_form,) = response.context["formset"]
    assert message in " ".join(row_form.errors[field])
    assert not RoutineTrip.objects.exists()


def test_a_change_with_a_half_filled_row_changes_nothing(client_for, owner, routine):
    data = routine_data(
        routine.organization,
        owner,
        title="Dealer council",
        segments=[{"kind": "car", "currency": "USD"}],
    )

    client_for(owner).post(routine.get_absolute_url(), data)

    routine.refresh_from_db()
    assert routine.title == "Dealer association meeting"
    assert len(routine.segment_template) == 2


def test_the_routine_page_describes_the_rule_without_a_time_of_day(client_for, owner, routine):
    html = client_for(owner).get(routine.get_absolute_url()).content.decode()

    assert "On the first Tuesday of the month ·" in html
    assert services.upcoming_occurrences(routine, count=1) == [date(2026, 12, 1)]
