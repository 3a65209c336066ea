"""Bad input never breaks a page. With the demo data loaded, every page of the portal, asked
with each query parameter it reads set to a word, a huge number, a very long text or a NUL
character, answers each of the demo's people with a page, a redirect or a 4xx, never a server
error. So does every form on those pages, posted with each of its fields set so, and every
field a view reads from a post without a form.

The table of pages below is checked against the portal's URL patterns and against the names
the views' source reads from the query string and from posts, so a new page, parameter or
field cannot be left out of it. The bad input found by hand comes first, each with its test."""

import inspect
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.forms import BaseForm, BaseFormSet
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import Invitation, User
from assistants.models import Authority, Engagement
from checkins import services as checkin_services
from checkins.models import CheckIn, Delivery
from clients.models import Organization
from tasks import services as task_services
from tasks.models import Milestone, Project, RecurringTask, Task
from tasks.search import search_tasks
from tests.factories import TaskFactory, TeamMemberFactory
from travel import services as travel_services
from travel.models import RoutineTrip, Segment, Trip
from travel.services import routines_dispatch
from vendors import services as vendor_services
from vendors.models import Message, Vendor

# What was found by trying bad input by hand --------------------------------------------------


@pytest.mark.parametrize("param", ["task", "reply_to"])
@pytest.mark.parametrize("value", ["abc", str(10**20), "9" * 10_000, "1\x00"])
def test_writing_to_a_vendor_about_a_task_or_message_that_cannot_be_one_is_a_404(
    client_for, owner, vendor, param, value
):
    response = client_for(owner).get(reverse("vendors:write", args=[vendor.pk]), {param: value})

    assert response.status_code == 404


def test_a_message_written_about_a_task_that_cannot_be_one_is_not_stored(
    client_for, owner, vendor, contact
):
    url = reverse("vendors:write", args=[vendor.pk])

    response = client_for(owner).post(
        f"{url}?task=abc", {"contact": contact.pk, "subject": "Fleet detailing", "body": "Hi"}
    )

    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize("list_name", ["tasks:list", "tasks:queue"])
def test_a_page_number_past_any_list_shows_its_last_page(
    client_for, owner, assistant, organization, list_name
):
    for _ in range(30):
        TaskFactory(organization=organization, created_by=owner)

    response = client_for(assistant).get(reverse(list_name), {"page": str(10**20)})

    assert response.status_code == 200
    assert (response.context["page"].number, len(response.context["page"])) == (2, 5)


def test_search_text_with_a_nul_character_searches_for_the_rest_of_it(
    client_for, owner, admin_user, vendor, organization
):
    checkin_services.checkin_write(
        actor=owner,
        organization=organization,
        content=checkin_services.Content(subject="Service week", message="Thanks, all."),
    )
    vendor_services.message_log(
        actor=owner,
        vendor=vendor,
        kind=Message.Kind.CALL,
        subject="Fleet detailing",
        body="Twelve trucks.",
        happened_at=timezone.now(),
    )
    searches = [
        (owner, reverse("checkins:list"), "Service\x00", "Service week"),
        (owner, reverse("vendors:list"), "Fox\x00", "Fox Valley Detailing"),
        (owner, vendor.get_absolute_url(), "Fleet\x00", "Fleet detailing"),
        (admin_user, reverse("staff:accounts"), "Renard\x00", "Renard Bergstrom"),
    ]

    for person, url, query, found in searches:
        response = client_for(person).get(url, {"q": query})
        assert response.status_code == 200, url
        assert found in response.content.decode(), url


@pytest.mark.parametrize("query", ["-" * 100, "- " * 100, "pads " + "- " * 40 + "pads", "-(" * 99])
def test_a_task_search_of_minus_signs_answers_with_the_list(client_for, owner, query):
    response = client_for(owner).get(reverse("tasks:list"), {"q": query})

    assert response.status_code == 200


def test_a_minus_right_before_a_word_still_leaves_out_tasks_with_it(owner, organization):
    brakes = TaskFactory(organization=organization, title="Order brake pads", created_by=owner)
    TaskFactory(organization=organization, title="Order tires and brake pads", created_by=owner)

    found = search_tasks(Task.objects.all(), "order -tires -- -")

    assert list(found) == [brakes]


def test_no_search_text_makes_the_full_text_search_fail(db):
    """Random runs of the characters web search reads as operators, many thousands of them."""
    pieces = ["-", "-", " ", '"', "(", ")", "or", "|", "&", "!", ":*", "brakes", "ж", "_", "'"]
    rng = random.Random(2026)
    for _ in range(500):
        text = "".join(rng.choice(pieces) * rng.choice([1, 2, 40]) for _ in range(30))
        with transaction.atomic():
            list(search_tasks(Task.objects.all(), text))


def test_a_note_posted_without_a_form_is_kept_without_its_nul_characters(
    client_for, owner, engagement, organization, vendor, contact
):
    assistant = engagement.assistant
    engagement.checkin_authority = engagement.vendor_email_authority = Authority.DRAFT
    engagement.save()
    TeamMemberFactory(organization=organization)
    checkin = checkin_services.checkin_write(
        actor=assistant,
        organization=organization,
        content=checkin_services.Content(subject="Service week", message="Thanks, all."),
        action="submit",
    )
    task = TaskFactory(organization=organization, created_by=owner)
    draft = vendor_services.message_write(
        actor=assistant,
        vendor=vendor,
        contact=contact,
        to_address=contact.email,
        subject="Fleet detailing",
        body="Twelve trucks?",
        task=task,
    )
    trip = travel_services.trip_request(
        actor=owner,
        organization=organization,
        traveler=owner,
        purpose="Dealer meeting",
        destinations="Minneapolis",
        depart_on=date(2026, 12, 8),
        return_on=date(2026, 12, 9),
    )
    client = client_for(owner)

    client.post(reverse("checkins:decline", args=[checkin.pk]), {"note": "Not\x00 yet"})
    client.post(reverse("vendors:reject", args=[draft.pk]), {"note": "Too\x00 pricey"})
    client.post(reverse("travel:cancel", args=[trip.pk]), {"note": "Plans\x00 changed"})

    assert checkin.events.order_by("-id").first().note == "Not yet"
    assert task.events.order_by("-id").first().note.endswith("“Fleet detailing”. Too pricey")
    assert trip.events.order_by("-id").first().note == "Plans changed"
    checkin.refresh_from_db(), draft.refresh_from_db(), trip.refresh_from_db()
    assert (checkin.status, draft.status, trip.status) == ("draft", "rejected", "cancelled")


# An address of 265 characters: valid, but longer than mail servers (and the columns) take.
TOO_LONG_ADDRESS = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example"


def test_an_invitation_to_an_address_longer_than_mail_servers_take_is_a_form_error(
    client_for, admin_user, organization
):
    response = client_for(admin_user).post(
        reverse("staff:invitation_new"),
        {"email": TOO_LONG_ADDRESS, "role": "manager", "organization": organization.pk},
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_login_with_an_address_longer_than_any_account_has_is_refused(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": TOO_LONG_ADDRESS, "password": "not-it"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_routine_posted_with_a_thousand_segment_rows_is_refused_before_they_are_built(
    client_for, owner, organization
):
    started = time.monotonic()
    response = client_for(owner).post(
        reverse("travel:routine_new"),
        {"segments-TOTAL_FORMS": "1000", "segments-INITIAL_FORMS": "0", "title": "Meeting"},
    )

    assert response.status_code == 200
    assert "Please submit at most 6 forms." in response.content.decode()
    assert len(response.context["formset"].forms) == 6
    assert not RoutineTrip.objects.exists()
    assert time.monotonic() - started < 5


# The demo, with a row of each kind the pages are about --------------------------------------


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
        routines_dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        return _with_one_of_each_kind()


def _with_one_of_each_kind() -> SimpleNamespace:
    people = {user.email.split("@")[0]: user for user in User.objects.all()}
    renard, rhonda, admin = people["renard"], people["rhonda"], people["admin"]
    bergstrom = Organization.objects.get(slug="bergstrom-cars")
    vendor = Vendor.objects.get(name="Fox Valley Detailing")
    contact = vendor.contacts.first()
    task = Task.objects.filter(organization=bergstrom, budget_minutes=90).get()
    vendor_services.authority_set(actor=renard, vendor=vendor, contact=None, authority="draft")
    draft = vendor_services.message_write(
        actor=rhonda,
        vendor=vendor,
        contact=contact,
        to_address=contact.email,
        subject="Fleet detailing",
        body="Could you detail twelve trucks next week?",
        task=task,
    )
    inbound, _ = vendor_services.inbound_receive(
        b"From: Someone New <someone@new.example>\r\nTo: renard@bergstromcars.example\r\n"
        b"Subject: Hello there\r\nMessage-ID: <hello@new.example>\r\n\r\nA new supplier.\r\n"
    )
    text_file = SimpleUploadedFile("notes.txt", b"Plain notes for the file.\n", "text/plain")
    attachment = task_services.attachment_add(actor=renard, task=task, upload=text_file)
    text_file.seek(0)
    document = vendor_services.document_add(actor=renard, vendor=vendor, upload=text_file)
    text_file.seek(0)
    (pending_upload,) = task_services.pending_uploads_keep(actor=renard, uploads=[text_file])
    budget = task_services.budget_request(
        actor=rhonda, task=task, extra_minutes=30, reason="More calls than planned"
    )
    invitation = account_services.invitation_create(
        actor=admin,
        email="new.manager@bergstromcars.example",
        role=Invitation.Role.MANAGER,
        organization=bergstrom,
    )
    trip = Trip.objects.first()
    awaiting = CheckIn.objects.get(status=CheckIn.Status.AWAITING_APPROVAL)
    return SimpleNamespace(
        people=people,
        organization=bergstrom,
        vendor=vendor,
        contact=contact,
        draft=draft,
        inbound=inbound,
        document=document,
        task=task,
        attachment=attachment,
        pending_upload=pending_upload,
        checklist_item=task.checklist.first(),
        budget=budget,
        project=Project.objects.get(),
        milestone=Milestone.objects.first(),
        rule=RecurringTask.objects.first(),
        checkin=awaiting,
        checkin_token=checkin_services.approval_token(awaiting),
        archive_token=checkin_services.archive_token(Delivery.objects.first().pk),
        trip=trip,
        trip_token=travel_services.approval_token(trip),
        segment=Segment.objects.first(),
        routine=RoutineTrip.objects.get(),
        feed_token=travel_services.profile_for(renard).feed_token,
        team_member=bergstrom.team_members.first(),
        invitation=invitation,
        invitation_link=urlsplit(account_services.invitation_link(invitation)).path.split("/")[-2],
        engagement=Engagement.objects.first(),
        vendor_token=vendor_services.approval_token(draft),
        reset=(
            urlsafe_base64_encode(force_bytes(renard.pk)),
            default_token_generator.make_token(renard),
        ),
    )


# The table of pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A URL pattern: its arguments from the demo, the query parameters and posted fields its
    view reads (each with the others that make it matter, as `after` needs a page past the
    first), and whether it only takes posts."""

    args: object = None  # a function of the demo, giving the URL's arguments
    params: dict = field(default_factory=dict)
    posted: dict = field(default_factory=dict)  # fields the view reads from a post itself
    post_only: bool = False


def _pk(name):
    return lambda demo: [getattr(demo, name).pk]


ORGANIZATION = {"organization": {}}
NOTE = {"note": {}}
PAGES: dict[str, Page] = {
    "home": Page(),
    "healthz": Page(),
    "favicon": Page(),
    "help": Page(),
    # accounts
    "accounts:login": Page(params={"next": {}}),
    "accounts:logout": Page(post_only=True),
    "accounts:profile": Page(),
    "accounts:password_change": Page(),
    "accounts:password_reset": Page(),
    "accounts:password_reset_done": Page(),
    "accounts:password_reset_confirm": Page(args=lambda demo: list(demo.reset)),
    "accounts:password_reset_complete": Page(),
    "accounts:invitation_accept": Page(args=lambda demo: [demo.invitation_link]),
    # clients and the roster
    "clients:organization_detail": Page(args=_pk("organization")),
    "clients:organization_settings": Page(args=_pk("organization")),
    "roster:list": Page(params={**ORGANIZATION, "show": {}, "page": {}}, posted=ORGANIZATION),
    "roster:new": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "roster:import": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "roster:edit": Page(args=_pk("team_member")),
    "roster:deactivate": Page(args=_pk("team_member"), post_only=True),
    "roster:reactivate": Page(args=_pk("team_member"), post_only=True),
    # check-ins
    "checkins:list": Page(params={"q": {}, "page": {}}),
    "checkins:new": Page(
        params={**ORGANIZATION, "start": {}}, posted={**ORGANIZATION, "action": {}}
    ),
    "checkins:preview": Page(post_only=True, posted={"message": {}}),
    "checkins:settings": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "checkins:detail": Page(args=_pk("checkin")),
    "checkins:edit": Page(args=_pk("checkin"), params={"start": {}}, posted={"action": {}}),
    "checkins:video": Page(args=_pk("checkin")),
    "checkins:submit": Page(args=_pk("checkin"), post_only=True, posted=NOTE),
    "checkins:approve": Page(args=_pk("checkin"), post_only=True, posted=NOTE),
    "checkins:decline": Page(args=_pk("checkin"), post_only=True, posted=NOTE),
    "checkins:cancel": Page(args=_pk("checkin"), post_only=True, posted=NOTE),
    "checkins:approve_link": Page(args=lambda demo: [demo.checkin_token]),
    "checkins:read": Page(args=lambda demo: [demo.archive_token]),
    "checkins:read_video": Page(args=lambda demo: [demo.archive_token]),
    # travel
    "travel:list": Page(),
    "travel:trip_new": Page(),
    "travel:trip": Page(args=_pk("trip")),
    "travel:segment_add": Page(args=_pk("trip"), post_only=True),
    "travel:itinerary": Page(args=_pk("trip")),
    "travel:itinerary_ics": Page(args=_pk("trip")),
    "travel:book": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:approve": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:decline": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:cancel": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:complete": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:thank": Page(args=_pk("trip"), post_only=True, posted=NOTE),
    "travel:segment_edit": Page(args=_pk("segment")),
    "travel:segment_cancel": Page(args=_pk("segment"), post_only=True),
    "travel:approve_link": Page(args=lambda demo: [demo.trip_token], posted={"decision": {}}),
    "travel:profile": Page(),
    "travel:feed_regenerate": Page(post_only=True),
    "travel:profile_of": Page(args=lambda demo: [demo.people["renard"].pk]),
    "travel:reveal": Page(args=lambda demo: [demo.people["renard"].pk], post_only=True),
    "travel:feed": Page(args=lambda demo: [demo.feed_token]),
    "travel:routines": Page(),
    "travel:routine_new": Page(),
    "travel:routine_preview": Page(post_only=True),
    "travel:routine": Page(args=_pk("routine")),
    "travel:routine_pause": Page(args=_pk("routine"), post_only=True, posted={"day": {}}),
    "travel:routine_resume": Page(args=_pk("routine"), post_only=True, posted={"day": {}}),
    "travel:routine_end": Page(args=_pk("routine"), post_only=True, posted={"day": {}}),
    "travel:routine_skip": Page(args=_pk("routine"), post_only=True, posted={"day": {}}),
    # vendors
    "vendors:list": Page(
        params={**ORGANIZATION, "q": {}, "status": {}, "page": {}}, posted=ORGANIZATION
    ),
    "vendors:new": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:import": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:authority": Page(
        params=ORGANIZATION,
        posted={
            **ORGANIZATION,
            "vendor": {},
            "contact": {"vendor": "vendor"},
            "authority": {"vendor": "vendor"},
        },
    ),
    "vendors:settings": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:review": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:inbox": Page(params={**ORGANIZATION, "page": {}}, posted=ORGANIZATION),
    "vendors:inbound": Page(post_only=True),
    "vendors:hand_over": Page(params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:write_for_task": Page(
        params={
            "vendor": {"task": "task"},
            "task": {"vendor": "vendor"},
        }
    ),
    "vendors:detail": Page(args=_pk("vendor"), params={"q": {}, "page": {}}),
    "vendors:edit": Page(args=_pk("vendor"), params=ORGANIZATION, posted=ORGANIZATION),
    "vendors:contact_new": Page(args=_pk("vendor")),
    "vendors:contact_edit": Page(args=_pk("contact")),
    "vendors:document_add": Page(args=_pk("vendor"), post_only=True),
    "vendors:document": Page(args=_pk("document")),
    "vendors:write": Page(args=_pk("vendor"), params={"task": {}, "reply_to": {}, "contact": {}}),
    "vendors:log": Page(
        args=_pk("vendor"), params={"task": {}}, post_only=True, posted={"task": {}}
    ),
    "vendors:message": Page(args=_pk("draft")),
    "vendors:approve": Page(args=_pk("draft"), post_only=True, posted=NOTE),
    "vendors:reject": Page(args=_pk("draft"), post_only=True, posted=NOTE),
    "vendors:file": Page(args=_pk("inbound"), post_only=True, posted={"vendor": {}}),
    "vendors:approve_link": Page(
        args=lambda demo: [demo.vendor_token],
        posted={"decision": {}, "note": {"decision": "reject"}},
    ),
    # tasks
    "tasks:list": Page(
        params={"q": {}, "status": {}, "organization": {}, "page": {}, "after": {"page": "2"}}
    ),
    "tasks:new": Page(params={"project": {}, "milestone": {}}, posted={"remove_upload": {}}),
    "tasks:queue": Page(
        params={
            "organization": {},
            "status": {},
            "category": {},
            "due": {},
            "page": {},
            "after": {"page": "2"},
        }
    ),
    "tasks:take_next": Page(post_only=True),
    "tasks:detail": Page(args=_pk("task")),
    "tasks:move": Page(args=_pk("task"), post_only=True, posted={"from": {}}),
    "tasks:claim": Page(args=_pk("task"), post_only=True, posted={"from": {}}),
    "tasks:comment": Page(args=_pk("task"), post_only=True),
    "tasks:time": Page(args=_pk("task"), post_only=True, posted={"from": {}}),
    "tasks:timer_start": Page(args=_pk("task"), post_only=True),
    "tasks:timer_stop": Page(args=_pk("task"), post_only=True),
    "tasks:timer_discard": Page(args=_pk("task"), post_only=True),
    "tasks:budget_request": Page(args=_pk("task"), post_only=True),
    "tasks:thank": Page(args=_pk("task"), post_only=True),
    "tasks:attachment_add": Page(args=_pk("task"), post_only=True),
    "tasks:attachment": Page(args=lambda demo: [demo.task.pk, demo.attachment.pk]),
    "tasks:pending_upload": Page(args=_pk("pending_upload")),
    "tasks:checklist_toggle": Page(
        args=lambda demo: [demo.task.pk, demo.checklist_item.pk], post_only=True
    ),
    "tasks:budget_decide": Page(args=_pk("budget"), post_only=True, posted={"decision": {}}),
    "tasks:time_csv": Page(args=_pk("organization"), params={"month": {}}),
    "tasks:recurring": Page(params={"page": {}}),
    "tasks:recurring_new": Page(),
    "tasks:recurring_preview": Page(post_only=True),
    "tasks:recurring_detail": Page(args=_pk("rule")),
    "tasks:recurring_edit": Page(args=_pk("rule")),
    "tasks:recurring_pause": Page(args=_pk("rule"), post_only=True),
    "tasks:recurring_resume": Page(args=_pk("rule"), post_only=True),
    "tasks:recurring_skip": Page(args=_pk("rule"), post_only=True, posted={"occurrence": {}}),
    "tasks:recurring_restore": Page(args=_pk("rule"), post_only=True, posted={"occurrence": {}}),
    "tasks:recurring_end": Page(args=_pk("rule"), post_only=True),
    "tasks:projects": Page(params={"state": {}, "page": {}}),
    "tasks:project_new": Page(),
    "tasks:project_detail": Page(args=_pk("project")),
    "tasks:project_edit": Page(args=_pk("project")),
    "tasks:project_complete": Page(args=_pk("project"), post_only=True),
    "tasks:project_cancel": Page(args=_pk("project"), post_only=True),
    "tasks:milestone_add": Page(args=_pk("project")),
    "tasks:milestone_approve": Page(
        args=lambda demo: [demo.project.pk, demo.milestone.pk], post_only=True
    ),
    # the staff console
    "staff:accounts": Page(params={"q": {}, "page": {}}),
    "staff:deactivate": Page(args=lambda demo: [demo.people["jill.meyer"].pk], post_only=True),
    "staff:reactivate": Page(args=lambda demo: [demo.people["jill.meyer"].pk], post_only=True),
    "staff:invitations": Page(params={"page": {}}),
    "staff:invitation_new": Page(),
    "staff:invitation_resend": Page(args=_pk("invitation"), post_only=True),
    "staff:invitation_revoke": Page(args=_pk("invitation"), post_only=True),
    "staff:engagements": Page(params={"show": {}, "page": {}}),
    "staff:engagement_new": Page(),
    "staff:engagement_edit": Page(args=_pk("engagement")),
    "staff:engagement_end": Page(args=_pk("engagement"), post_only=True),
    "staff:hand_over": Page(params={"from_assistant": {}, "to_assistant": {}}),
    "staff:audit": Page(params={"page": {}}),
}


# The table is complete -----------------------------------------------------------------------


def _url_patterns(resolver=None, namespace=""):
    """(name, view) of every URL pattern of the portal, but Django's admin."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", pattern.callback


PROJECT_APPS = tuple(
    app.name for app in apps.get_app_configs() if Path(app.path).parent == settings.BASE_DIR
)
CALL_WITH_REQUEST = re.compile(r"([\w.]+)\(\s*request\b")


def _read_by(function, data: str, seen=None) -> set[str]:
    """The names a view reads from `data` (request.GET or request.POST) itself: in its source,
    in the forms it fills from the query string, and in the portal's functions it hands the
    request to. (The forms it fills from a post are found on its page.)"""
    seen = seen if seen is not None else set()
    function = inspect.unwrap(function)
    if function in seen or not function.__module__.startswith(PROJECT_APPS):
        return set()
    seen.add(function)
    source = inspect.getsource(function)
    names = set(re.findall(rf"""request\.{data}(?:\.get\(\s*|\[\s*)["'](\w+)["']""", source))
    # for key in ("project", "milestone"): ... request.GET.get(key)
    for variable in re.findall(rf"request\.{data}(?:\.get\(\s*|\[\s*)([a-z_]\w*)\b", source):
        for keys in re.findall(rf"for {variable} in \(([^)]*)\)", source):
            names |= set(re.findall(r"""["'](\w+)["']""", keys))
    scope = function.__globals__
    if data == "GET":
        for form_name in re.findall(r"(\w+)\(\s*request\.GET\b", source):
            form = scope.get(form_name)
            if isinstance(form, type):
                names |= set(form.base_fields)
    for called in CALL_WITH_REQUEST.findall(source):
        target = scope.get(called.split(".")[0])
        for attribute in called.split(".")[1:]:
            target = getattr(target, attribute, None)
        if inspect.isfunction(target):
            names |= _read_by(target, data, seen)
    return names


def _view_function(callback):
    view_class = getattr(callback, "view_class", None)
    return view_class.get if view_class and hasattr(view_class, "get") else callback


def test_every_url_of_the_portal_is_in_the_table():
    names = {name for name, _ in _url_patterns()}

    assert sorted(names - PAGES.keys()) == [], "pages missing from PAGES"
    assert sorted(PAGES.keys() - names) == [], "PAGES names pages that no longer exist"


def test_the_table_lists_every_query_parameter_and_posted_field_each_view_reads():
    unlisted = {}
    for name, callback in _url_patterns():
        view, page = _view_function(callback), PAGES[name]
        for data, listed in (("GET", page.params), ("POST", page.posted)):
            if missing := _read_by(view, data) - listed.keys():
                unlisted[f"{name} {data}"] = sorted(missing)

    assert unlisted == {}, "names the views read but PAGES does not list"


# Every page with bad query parameters ----------------------------------------------------------


PEOPLE = ["renard", "jill.meyer", "rhonda", "elena", "marcus", "admin"]
BAD_VALUES = {
    "a word": "abc",
    "a huge number": str(10**20),
    "a long text": "x" * 10_000,
    "a long number": "9" * 10_000,
    "a NUL character": "12\x00",
}


def _url(demo, name: str) -> str:
    page = PAGES[name]
    return reverse(name, args=page.args(demo) if page.args else None)


def _answer(client, method: str, url: str, data: dict, refused: set | None = None) -> str:
    """What the request ended in, as a description when it was a server error; "" when it
    was not; the fields its forms refused are added to `refused`. Each request runs in a
    savepoint rolled back after it, so nothing it changes (nor a failed statement) affects
    the next one."""
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    session_key = session.value if session else None
    try:
        with transaction.atomic():
            response = _read(getattr(client, method)(url, data))
            transaction.set_rollback(True)
        if refused is not None:
            refused |= _refused_fields(response)
    except Exception as error:  # the test client re-raises what the view raised
        return f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        if session_key:  # a rolled-back login or password change must not sign us out
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return f"status {response.status_code}" if response.status_code >= 500 else ""


def _refused_fields(response) -> set[str]:
    """The fields the bound forms of a page shown again say are wrong."""
    contexts = response.context if isinstance(response.context, list) else [response.context]
    forms = {}
    for context in filter(None, contexts):
        for value in context.flatten().values():
            if isinstance(value, BaseFormSet):
                forms.update({id(form): form for form in [value.management_form, *value.forms]})
            elif isinstance(value, BaseForm):
                forms[id(value)] = value
    return {
        form.add_prefix(name)
        for form in forms.values()
        if form.is_bound
        for name in form.errors
        if name != NON_FIELD_ERRORS
    }


def _read(response):
    """The response, read to its end: the test client closes a download's file then."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _resolved(demo, base: dict) -> dict:
    """The other parameters a parameter needs, with the demo's ids where the table names
    them."""
    return {
        key: str(getattr(demo, value).pk) if value in vars(demo) else value
        for key, value in base.items()
    }


@pytest.mark.parametrize("person", PEOPLE)
def test_bad_query_parameters_never_cause_a_server_error(client, demo, person):
    client.force_login(demo.people[person])
    errors = []
    for name, page in PAGES.items():
        url = _url(demo, name)
        method = "post" if page.post_only else "get"
        for param, base in page.params.items():
            for what, value in BAD_VALUES.items():
                query = {**_resolved(demo, base), param: value}
                target = f"{url}?{urlencode(query)}" if method == "post" else url
                data = {} if method == "post" else query
                if failure := _answer(client, method, target, data):
                    errors.append(f"{name} ?{param}= {what}: {failure}")

    assert errors == []


# Every form with bad fields ----------------------------------------------------------------------


class _Forms(HTMLParser):
    """The posted forms of a page: their action and their fields with the values a browser
    would send untouched."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = None
            if (attrs.get("method") or "get").lower() == "post":
                self._form = {"action": attrs.get("action") or "", "fields": {}}
                self.forms.append(self._form)
            return
        if tag == "option" and self._form is not None and self._select:
            chosen = self._form["fields"]
            if chosen.get(self._select) is None or "selected" in attrs:
                chosen[self._select] = attrs.get("value", "")
            return
        if self._form is None or not attrs.get("name"):
            return
        name, fields = attrs["name"], self._form["fields"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "file":
                return  # a file field given text is a form without its file
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields[name] = attrs.get("value", "on")
                else:
                    fields.setdefault(name, None)
            elif kind == "submit":
                fields.setdefault(name, attrs.get("value", ""))
            else:
                fields[name] = attrs.get("value", "")
        elif tag == "button" and attrs.get("value") is not None:
            fields.setdefault(name, attrs["value"])
        elif tag == "select":
            self._select = name
            fields.setdefault(name, None)
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def _forms_on(client, url: str) -> list[dict]:
    response = _read(client.get(url))
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = _Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = form["action"] or url
        form["fields"] = {k: v for k, v in form["fields"].items() if v is not None}
    return parser.forms


# Posting these would end the session the rest of the test runs in.
NOT_POSTED = {reverse("accounts:logout")}
# The others see the same forms as these three, about other rows.
FORM_PEOPLE = ["renard", "rhonda", "admin"]
# A huge number overflows a column, a long number is also too long for any text field and too
# long for int(), and a NUL is refused by PostgreSQL: between them, what a field can get wrong.
FORM_VALUES = {
    "a huge number": str(10**20),
    "a long number": "9" * 10_000,
    "a NUL character": "12\x00",
}
# Rows of a formset past the first have the first one's fields.
LATER_FORMSET_ROW = re.compile(r"-[1-9]\d*-")
FORMSET_COUNT = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")


def test_bad_form_fields_never_cause_a_server_error(client, demo):
    """Every form on every page, as the owner, the assistant and the admin, posted with each
    of its fields set to a bad value and the others as the page filled them in; and each
    field a view reads from a post itself, so set. The form is first posted with all its
    fields set so: a field it refuses then is not posted alone, where it would be refused
    again before anything could be stored."""
    errors, tried = [], set()
    for person in FORM_PEOPLE:
        client.force_login(demo.people[person])
        for name, page in PAGES.items():
            if page.post_only:
                continue
            for form in _forms_on(client, _url(demo, name)):
                action, fields = form["action"], form["fields"]
                key = (action, tuple(sorted(fields)))
                if action in NOT_POSTED or key in tried:
                    continue
                tried.add(key)
                bad = [
                    field_name
                    for field_name in fields
                    if field_name != "csrfmiddlewaretoken"
                    and not LATER_FORMSET_ROW.search(field_name)
                ]
                # A formset whose row count is bad reads none of its rows.
                rows = [field_name for field_name in bad if not FORMSET_COUNT.search(field_name)]
                for what, value in FORM_VALUES.items():
                    refused = set()
                    everything = {**fields, **dict.fromkeys(rows, value)}
                    if failure := _answer(client, "post", action, everything, refused):
                        errors.append(f"{person} {name}: {action} all fields {what}: {failure}")
                    for field_name in set(bad) - refused:
                        data = {**fields, field_name: value}
                        if failure := _answer(client, "post", action, data):
                            errors.append(
                                f"{person} {name}: {action} {field_name}= {what}: {failure}"
                            )

        for name, page in PAGES.items():
            url = _url(demo, name)
            for field_name, base in page.posted.items():
                for what, value in FORM_VALUES.items():
                    data = {**_resolved(demo, base), field_name: value}
                    if failure := _answer(client, "post", url, data):
                        errors.append(f"{person} {name}: {field_name}= {what}: {failure}")

    assert len(tried) > 50, "the pages' forms were not found"
    assert errors == []
