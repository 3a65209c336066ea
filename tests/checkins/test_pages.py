from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, Delivery
from clients.models import TeamMember
from tests.helpers import A_NOVEMBER_WEDNESDAY, queries_for

from .conftest import content

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)


def test_the_pages_of_a_sent_check_in_render(
    client_for, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = services.checkin_write(
            actor=owner,
            organization=organization,
            content=content(thanks="You were great", video_url="https://youtu.be/dQw4w9WgXcQ"),
            action="send_now",
        )
    client = client_for(owner)
    for url in (
        reverse("checkins:list"),
        reverse("checkins:new"),
        reverse("checkins:settings"),
        checkin.get_absolute_url(),
        reverse("home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    link = mail.outbox[0].body.split("web, with your earlier ones: ")[1].split()[0]
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "You were great" in page.content.decode()
    assert CheckIn.objects.get().status == "sent"


def test_history_query_count_does_not_grow_with_check_ins(
    client_for, owner, organization, team, django_assert_num_queries
):
    client = client_for(owner)
    services.checkin_write(actor=owner, organization=organization, content=content())
    expected = queries_for(lambda: client.get(reverse("checkins:list")))

    for n in range(15):
        services.checkin_write(
            actor=owner, organization=organization, content=content(subject=f"Note {n}")
        )
    with django_assert_num_queries(expected):
        response = client.get(reverse("checkins:list"))
    assert len(response.context["page"].object_list) == 16


def test_history_searches_and_shows_delivery_counts(
    client_for, owner, organization, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_write(
            actor=owner,
            organization=organization,
            content=content(subject="Inventory count", new_process="Count cars on Fridays"),
            action="send_now",
        )
    services.checkin_write(actor=owner, organization=organization, content=content())

    body = client_for(owner).get(reverse("checkins:list"), {"q": "fridays"}).content.decode()

    assert "Inventory count" in body
    assert "Good morning, team" not in body
    assert f"{len(team)} of {len(team)}" in body


def test_the_report_query_count_does_not_grow_with_recipients(
    client_for, owner, organization, django_assert_num_queries
):
    client = client_for(owner)
    checkin = services.checkin_write(actor=owner, organization=organization, content=content())
    members = TeamMember.objects.bulk_create(
        TeamMember(organization=organization, name=f"Person {n}", email=f"p{n}@example.com")
        for n in range(1000)
    )
    Delivery.objects.create(checkin=checkin, team_member=members[0], email=members[0].email)
    url = checkin.get_absolute_url()
    expected = queries_for(lambda: client.get(url))

    Delivery.objects.bulk_create(
        Delivery(checkin=checkin, team_member=member, email=member.email, status=status)
        for member, status in zip(members[1:], ["sent", "failed", "queued"] * 400, strict=False)
    )
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.context["counts"] == {"queued": 334, "sending": 0, "sent": 333, "failed": 333}


def test_the_owners_dashboard_tells_todays_check_in(
    client_for, owner, organization, team, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    wednesday_morning = datetime(2026, 6, 3, 6, 0, tzinfo=ZoneInfo("America/Chicago"))
    with time_machine.travel(wednesday_morning, tick=False):
        assert "Write today's check-in" in client.get(reverse("home")).content.decode()

        draft = services.checkin_write(actor=owner, organization=organization, content=content())
        assert '<div class="stat">Written</div>' in client.get(reverse("home")).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            services.checkin_schedule(actor=owner, checkin=draft)
        body = client.get(reverse("home")).content.decode()
        assert f"Sent to {len(team)} of {len(team)}" in body

    with time_machine.travel(wednesday_morning + timedelta(days=3), tick=False):
        assert "Not a check-in day." in client.get(reverse("home")).content.decode()


def test_an_owner_away_reads_todays_check_in_time_on_the_organizations_clock_named(
    client_for, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    owner.timezone = "Europe/Berlin"
    owner.save()
    morning = datetime(2026, 12, 3, 7, 45, tzinfo=THURSDAY_IN_CHICAGO)
    send_now(owner, organization, "Morning note", morning, django_capture_on_commit_callbacks)

    with time_machine.travel(morning + timedelta(hours=1), tick=False):
        body = client_for(owner).get(reverse("home")).content.decode()

    assert 'Morning note</a> <span class="small text-secondary">· 07:45 CST</span>' in body


def test_a_subject_or_sender_with_a_line_break_cannot_add_headers(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    checkin_settings.sender_name = "Renard\r\nBcc: spy@example.com"
    checkin_settings.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_write(
            actor=owner,
            organization=organization,
            content=content(subject="Hello\r\nBcc: spy@example.com"),
            action="send_now",
        )

    message = mail.outbox[0].message()
    assert message["Bcc"] is None
    assert "spy@example.com" not in mail.outbox[0].recipients()
    assert "\n" not in message["Subject"] and "\n" not in message["From"]


def test_a_bounced_address_is_flagged_on_the_roster_and_left_out_until_it_changes(
    client_for, owner, organization, team, django_capture_on_commit_callbacks
):
    ann = team[0]
    ann.bounced_at, ann.bounce_reason = timezone.now(), "550 5.1.1 No such user"
    ann.save()
    client = client_for(owner)

    roster = client.get(reverse("roster:list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_write(
            actor=owner, organization=organization, content=content(), action="send_now"
        )

    assert "Email bounced" in roster and "No such user" in roster
    assert ann.email not in [m.to[0] for m in mail.outbox]
    client.post(
        reverse("roster:edit", args=[ann.pk]),
        {"name": ann.name, "email": "ann.lee@example.com", "location": ann.location},
    )
    ann.refresh_from_db()
    assert ann.bounced_at is None


THURSDAY_IN_CHICAGO = ZoneInfo("America/Chicago")


def send_now(owner, organization, subject, when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return services.checkin_write(
            actor=owner,
            organization=organization,
            content=content(subject=subject),
            action="send_now",
        )


def test_the_dashboard_shows_the_latest_check_in_sent_today_not_the_first(
    client_for, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    early = datetime(2026, 12, 3, 7, 0, tzinfo=THURSDAY_IN_CHICAGO)
    morning = datetime(2026, 12, 3, 7, 45, tzinfo=THURSDAY_IN_CHICAGO)
    evening = datetime(2026, 12, 3, 19, 18, tzinfo=THURSDAY_IN_CHICAGO)
    with time_machine.travel(early, tick=False):
        thanks = services.checkin_write(
            actor=owner, organization=organization, content=content(subject="Evening thanks")
        )
    send_now(owner, organization, "Morning note", morning, django_capture_on_commit_callbacks)
    with time_machine.travel(evening, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.checkin_schedule(actor=owner, checkin=thanks)

    with time_machine.travel(evening + timedelta(minutes=5), tick=False):
        services.checkin_write(
            actor=owner, organization=organization, content=content(subject="Tomorrow's draft")
        )
        response = client_for(owner).get(reverse("home"))

    [shown] = [o.todays_checkin.checkin for o in response.context["organizations"]]
    assert shown.subject == "Evening thanks"
    body = response.content.decode()
    assert f"Sent to {len(team)} of {len(team)}" in body
    assert "Evening thanks" in body and "19:18" in body
    assert "Morning note" not in body and "Tomorrow's draft" not in body


def test_a_sent_check_ins_page_says_when_it_went_out_once(
    client_for, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    evening = datetime(2026, 12, 3, 19, 18, tzinfo=THURSDAY_IN_CHICAGO)
    checkin = send_now(
        owner, organization, "Evening thanks", evening, django_capture_on_commit_callbacks
    )

    body = client_for(owner).get(checkin.get_absolute_url()).content.decode()

    assert '<span class="small text-secondary" id="checkin-when">Thu 3 Dec, 19:18</span>' in body
    assert "sent Thu" not in body


def test_the_team_page_dates_an_evening_check_in_by_the_organizations_day_not_utcs(
    client, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    evening = datetime(2026, 12, 3, 19, 18, tzinfo=THURSDAY_IN_CHICAGO)  # Friday 01:18 UTC
    send_now(owner, organization, "Evening thanks", evening, django_capture_on_commit_callbacks)
    send_now(
        owner,
        organization,
        "Friday note",
        evening + timedelta(hours=14),
        django_capture_on_commit_callbacks,
    )
    evening_page, friday_page = (
        client.get(
            message.body.split("web, with your earlier ones: ")[1]
            .split()[0]
            .removeprefix("http://testserver")
        ).content.decode()
        for message in (mail.outbox[0], mail.outbox[-1])
    )

    assert "Bergstrom Cars · Thursday 3 December 2026" in evening_page
    assert "Bergstrom Cars · Friday 4 December 2026" in friday_page
    assert 'Evening thanks</a> <span class="small text-secondary">Thu 3 Dec</span>' in friday_page
