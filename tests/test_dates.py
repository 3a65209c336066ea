"""Every date and time the portal writes has one format, on the reader's clock: a moment as
“Thu 3 Dec, 18:39”, a day as “Thu 3 Dec”, each with its year when that is not the current
one, and the zone named where the clock is not the reader's or the reader cannot be known.
No template writes its own."""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import django.template.base
import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpResponse
from django.template import Context, Template
from django.urls import reverse

from accounts.middleware import UserTimezoneMiddleware
from tests.helpers import A_NOVEMBER_WEDNESDAY
from vapportal.dates import clock_text, day_text, moment_text, reading_in
from vapportal.models import AuditEvent

from .demo import ASSISTANT_PAGES, OWNER_PAGES, STAFF_PAGES, bergstrom_pages, load_demo

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

CHICAGO = ZoneInfo("America/Chicago")
# Thursday 3 December 2026, 18:39 in Chicago: already Friday in UTC.
EVENING = datetime(2026, 12, 3, 18, 39, tzinfo=CHICAGO)


def on_the_clock_of(zone: str):
    """A signed-in reader in `zone`, as the middleware sets one up."""
    return reading_in(zone, known=True)


# The format ---------------------------------------------------------------------------------


def test_a_moment_is_written_on_the_readers_clock():
    with on_the_clock_of("America/Chicago"):
        assert moment_text(EVENING) == "Thu 3 Dec, 18:39"
    with on_the_clock_of("Europe/Berlin"):
        assert moment_text(EVENING) == "Fri 4 Dec, 01:39"


def test_a_day_is_the_readers_day_of_a_moment():
    with on_the_clock_of("America/Chicago"):
        assert day_text(EVENING) == "Thu 3 Dec"
        assert day_text(date(2026, 12, 3)) == "Thu 3 Dec"
    with on_the_clock_of("UTC"):
        assert day_text(EVENING) == "Fri 4 Dec"


def test_the_year_is_written_only_when_it_is_not_the_current_one():
    with on_the_clock_of("America/Chicago"):
        assert moment_text(datetime(2025, 12, 3, 18, 39, tzinfo=CHICAGO)) == (
            "Wed 3 Dec 2025, 18:39"
        )
        assert day_text(date(2027, 1, 1)) == "Fri 1 Jan 2027"
        assert day_text(date(2026, 1, 1)) == "Thu 1 Jan"


def test_text_kept_for_later_always_has_its_year():
    with on_the_clock_of("America/Chicago"):
        assert day_text(date(2026, 12, 24), year=True) == "Thu 24 Dec 2026"
        assert moment_text(EVENING, named=True, year=True) == "Thu 3 Dec 2026, 18:39 CST"


def test_the_long_form_spells_the_day_out_with_its_year():
    with on_the_clock_of("America/Chicago"):
        assert day_text(EVENING, long=True) == "Thursday 3 December 2026"


def test_a_clock_elsewhere_is_named_and_the_readers_own_is_not():
    with on_the_clock_of("America/Chicago"):
        assert moment_text(EVENING, "America/Chicago") == "Thu 3 Dec, 18:39"
        assert moment_text(EVENING, "America/Denver") == "Thu 3 Dec, 17:39 MST"
        assert moment_text(EVENING, "Asia/Dubai") == "Fri 4 Dec, 04:39 UTC+04"
        # Another zone whose clock reads the same time needs no name.
        assert moment_text(EVENING, "America/Winnipeg") == "Thu 3 Dec, 18:39"
        assert clock_text(EVENING, "America/Denver") == "17:39 MST"


def test_every_time_names_its_zone_where_the_reader_is_not_known():
    # A worker or a command: nobody reads on its clock.
    assert moment_text(EVENING) == "Fri 4 Dec, 00:39 UTC"
    with reading_in("America/Chicago", known=False):  # an email to someone in Chicago
        assert moment_text(EVENING) == "Thu 3 Dec, 18:39 CST"
        assert clock_text(EVENING) == "18:39 CST"


def test_the_zone_is_named_by_the_clock_of_the_day_across_a_daylight_saving_change():
    # Chicago springs forward on Sunday 8 March 2026.
    before = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    after = datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    with reading_in("America/Chicago", known=False):
        assert moment_text(before) == "Sun 8 Mar, 01:30 CST"
        assert moment_text(after) == "Sun 8 Mar, 03:30 CDT"
    # Phoenix keeps standard time: in winter its clock is Denver's, in summer an hour behind.
    with on_the_clock_of("America/Denver"):
        assert moment_text(datetime(2026, 1, 15, 17, 0, tzinfo=UTC), "America/Phoenix") == (
            "Thu 15 Jan, 10:00"
        )
        assert moment_text(datetime(2026, 7, 15, 17, 0, tzinfo=UTC), "America/Phoenix") == (
            "Wed 15 Jul, 10:00 MST"
        )


def test_on_new_years_eve_in_chicago_the_year_is_still_chicagos():
    eve = datetime(2026, 12, 31, 23, 30, tzinfo=CHICAGO)  # 05:30 on 1 January 2027 in UTC
    with time_machine.travel(eve, tick=False):
        with on_the_clock_of("America/Chicago"):
            assert moment_text(eve) == "Thu 31 Dec, 23:30"
            assert day_text(date(2026, 12, 31)) == "Thu 31 Dec"
            assert day_text(date(2027, 1, 1)) == "Fri 1 Jan 2027"
        with on_the_clock_of("UTC"):
            assert moment_text(eve) == "Fri 1 Jan, 05:30"
            assert day_text(date(2026, 12, 31)) == "Thu 31 Dec 2026"


def test_the_clients_clock_stands_beside_the_readers_where_it_reads_another_time():
    with on_the_clock_of("Asia/Manila"):
        assert moment_text(EVENING, client_zone="America/Chicago") == (
            "Fri 4 Dec, 08:39 PST (client: Thu 3 Dec, 18:39 CST)"
        )
    with on_the_clock_of("America/Winnipeg"):
        assert moment_text(EVENING, client_zone="America/Chicago") == "Thu 3 Dec, 18:39"


def test_a_signed_in_reader_reads_their_own_clock_and_one_without_a_login_reads_zones(rf):
    def page(request):
        return HttpResponse(render("{{ at|moment }}", at=EVENING))

    request = rf.get("/")
    request.user = AnonymousUser()
    anonymous = UserTimezoneMiddleware(page)(request).content.decode()
    request.user = SimpleNamespace(is_authenticated=True, timezone="America/Chicago")
    signed_in = UserTimezoneMiddleware(page)(request).content.decode()

    assert anonymous == "Fri 4 Dec, 00:39 UTC"
    assert signed_in == "Thu 3 Dec, 18:39"


def test_an_audit_event_written_out_as_text_names_its_zone():
    event = AuditEvent(created_at=EVENING, action="user.deactivated", summary="Deactivated x")

    assert str(event) == "Fri 4 Dec, 00:39 UTC user.deactivated: Deactivated x"
    with on_the_clock_of("America/Chicago"):
        assert str(event).startswith("Thu 3 Dec, 18:39 CST ")


# The filters --------------------------------------------------------------------------------


def render(text: str, **context) -> str:
    return Template("{% load portal %}" + text).render(Context(context))


def test_the_filters_write_the_same_format():
    with on_the_clock_of("America/Chicago"):
        assert render("{{ at|moment }}", at=EVENING) == "Thu 3 Dec, 18:39"
        assert render("{{ at|moment:'America/Denver' }}", at=EVENING) == "Thu 3 Dec, 17:39 MST"
        assert render("{{ at|day }}", at=EVENING) == "Thu 3 Dec"
        assert render("{{ at|day:'Europe/Berlin' }}", at=EVENING) == "Fri 4 Dec"
        assert render("{{ at|day_long }}", at=EVENING) == "Thursday 3 December 2026"
        assert render("{{ at|clock }}", at=EVENING) == "18:39"
        assert render("{{ on|iso }} {{ on|iso:'month' }}", on=date(2026, 12, 3)) == (
            "2026-12-03 2026-12"
        )


def test_a_filter_given_nothing_writes_nothing_so_a_default_follows():
    with on_the_clock_of("America/Chicago"):
        assert render('{{ at|moment|default:"—" }} {{ on|day|default:"None set" }}') == (
            "— None set"
        )


def test_a_place_time_names_the_place_where_it_is_not_the_readers_clock():
    with on_the_clock_of("America/Chicago"):
        assert render("{{ at|place_time:'America/Chicago' }}", at=EVENING) == "Thu 3 Dec, 18:39"
        assert render("{{ at|place_time:'America/Denver' }}", at=EVENING) == (
            'Thu 3 Dec, 17:39 <span class="text-secondary">MST · America/Denver</span>'
        )


def test_elapsed_time_is_written_as_time_is_logged():
    started = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 18, 15, 30, tzinfo=UTC), tick=False):
        assert render("{{ at|elapsed }}", at=started) == "1 h 30 min"


# No template writes its own -----------------------------------------------------------------

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Django's own ways of formatting a date or a time, which the portal's filters replace.
OWN_FORMATS = re.compile(
    r"\|\s*(date|time|timesince|timeuntil|naturaltime|naturalday)\b|\{%\s*now\b"
)
PORTAL_FILTERS = {"moment", "day", "day_long", "clock", "place_time", "elapsed", "iso", "due"}
# Filters that pass a date through unchanged, so that it would still be printed bare.
PASSING = {"default", "default_if_none", "first", "last"}
VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)


def _dated_names() -> set[str]:
    """The names a template's dates go by: every date and date-time field of the portal's
    models, and the names views give dates and moments they work out."""
    fields = {
        field.name
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField)  # date-times too
    }
    return fields | {"today", "since", "day", "month", "local_date", "last_message", "moment"}


def _bare_dates(source: str, dated: set[str]) -> list[str]:
    """The `{{ … }}` of the source that print a dated name as it is."""
    found = []
    for expression in VARIABLE.findall(source):
        variable, *filters = (part.strip() for part in expression.split("|"))
        names = {name.split(":")[0].strip() for name in filters}
        if names & PORTAL_FILTERS or names - PASSING:
            continue
        if variable.split(".")[-1] in dated:
            found.append("{{ " + expression + " }}")
    return found


def _templates() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.is_file())


def test_no_template_formats_a_date_or_a_time_of_its_own():
    written = {
        str(path.relative_to(TEMPLATES)): OWN_FORMATS.findall(path.read_text())
        for path in _templates()
    }

    assert {name: found for name, found in written.items() if found} == {}


def test_no_template_prints_a_date_or_a_time_bare():
    dated = _dated_names()
    bare = {
        str(path.relative_to(TEMPLATES)): _bare_dates(path.read_text(), dated)
        for path in _templates()
    }

    assert {name: found for name, found in bare.items() if found} == {}


@pytest.mark.parametrize(
    "source",
    [
        '{{ comment.created_at|date:"D j M, H:i" }}',
        "{{ timer.started_at|timesince }}",
        '{{ checkin.send_at|time:"H:i" }}',
        "{% now 'Y' %}",
    ],
)
def test_the_search_finds_a_format_of_a_templates_own(source):
    assert OWN_FORMATS.search(source)


@pytest.mark.parametrize(
    ("source", "bare"),
    [
        ("<td>{{ event.created_at }}</td>", True),
        ('{{ engagement.started_on|default:"—" }}', True),
        ("{{ invitation.expires_at|moment }}", False),
        ('{{ vendor.last_message|day|default:"—" }}', False),
        ("{{ routine.days_before }}", False),
    ],
)
def test_the_search_finds_a_date_printed_bare(source, bare):
    assert bool(_bare_dates(source, _dated_names())) is bare


def test_no_page_of_the_demo_prints_a_date_or_a_time_bare(
    db, client, monkeypatch, django_capture_on_commit_callbacks
):
    people = load_demo(django_capture_on_commit_callbacks)
    printed = []
    render_value = django.template.base.render_value_in_context

    def watched(value, context):
        if isinstance(value, date):  # date-times too
            printed.append((context.template_name, repr(value)))
        return render_value(value, context)

    monkeypatch.setattr(django.template.base, "render_value_in_context", watched)
    pages = {
        "renard": [*bergstrom_pages(), *(reverse(name) for name in OWNER_PAGES)],
        "rhonda": [*bergstrom_pages(), *(reverse(name) for name in ASSISTANT_PAGES)],
        "admin": [reverse("home"), *(reverse(name) for name in STAFF_PAGES)],
    }
    for person, urls in pages.items():
        client.force_login(people[person])
        for url in urls:
            assert client.get(url).status_code == 200, (person, url)

    assert printed == []
