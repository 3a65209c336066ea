"""The demo is complete on any date: loaded with the clock at each of these moments, it shows
what a newcomer should see that day and every page answers each demo person as it should.
Loaded again on later days, it stays complete and adds nothing on a second load the same day."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from checkins.models import CheckIn
from tasks.models import Task
from travel.models import Trip

from .demo import assert_every_page_answers_each_demo_person, load_demo, what_the_demo_lacks

# Every month of 2027, both daylight-saving changes in Chicago, the ends of months, a leap
# day, and moments when the date in Chicago is not the date in UTC.
MOMENTS = {
    "a Sunday at the end of January": "2027-01-31T17:00:00+00:00",
    "a Monday in February": "2027-02-15T14:00:00+00:00",
    "just after clocks go forward in Chicago": "2027-03-14T08:30:00+00:00",
    "the 30th of March, late evening in Chicago": "2027-03-31T04:00:00+00:00",
    "the last evening of April": "2027-04-30T22:00:00+00:00",
    "the 30th of May in Chicago, the 31st in UTC": "2027-05-31T03:00:00+00:00",
    "the 29th of June": "2027-06-29T12:00:00+00:00",
    "the day before the routine's July meeting": "2027-07-05T13:45:00+00:00",
    "the last night of August": "2027-08-31T23:30:00+00:00",
    "the 30th of September, 23:30 in Chicago": "2027-10-01T04:30:00+00:00",
    "01:30 in Chicago before the clocks go back": "2027-11-07T06:30:00+00:00",
    "01:30 in Chicago after the clocks go back": "2027-11-07T07:30:00+00:00",
    "a December Friday": "2027-12-17T15:00:00+00:00",
    "New Year's Eve 23:30 in Chicago, already 2028 in UTC": "2028-01-01T05:30:00+00:00",
    "29 February 2028": "2028-02-29T18:00:00+00:00",
}


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_a_new_demo_is_complete_and_every_page_answers(
    moment, client, db, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        people = load_demo(django_capture_on_commit_callbacks)
        assert what_the_demo_lacks() == []
        assert_every_page_answers_each_demo_person(client, people)


def test_loading_the_demo_day_after_day_keeps_it_complete(db, django_capture_on_commit_callbacks):
    start = datetime.fromisoformat("2027-01-27T14:00:00+00:00")
    for days in [0, 1, 2, 5, 8, 33, 96]:
        with time_machine.travel(start + timedelta(days=days), tick=True):
            load_demo(django_capture_on_commit_callbacks)
            assert what_the_demo_lacks() == [], days
            counts = _counts()
            with django_capture_on_commit_callbacks(execute=True):
                call_command("seed_demo", verbosity=0)
            assert _counts() == counts, days


def _counts() -> tuple[int, int, int]:
    return Task.objects.count(), Trip.objects.count(), CheckIn.objects.count()
