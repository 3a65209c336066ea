"""When check-ins go out: the send time in each organization's zone, on its days, across
daylight-saving changes, and what happens on a day nothing was written."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.urls import reverse

from checkins import services
from checkins.models import CheckIn, Delivery, MissingCheckInReminder, WhenMissing
from tests.factories import MembershipFactory, OrganizationFactory, TeamMemberFactory

from .conftest import content

CHICAGO = ZoneInfo("America/Chicago")
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int, minute: int, zone=CHICAGO) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def schedule(owner, organization, day: date) -> CheckIn:
    return services.checkin_write(
        actor=owner, organization=organization, content=content(), action="schedule", send_on=day
    )


def tick(now: datetime, capture) -> services.DispatchReport:
    with time_machine.travel(now, tick=False), capture(execute=True):
        return services.checkins_dispatch(now=now)


# 2026: Chicago springs forward on Sunday 8 March and falls back on Sunday 1 November.
MONDAY_AFTER_SPRING = date(2026, 3, 9)
MONDAY_AFTER_FALL = date(2026, 11, 2)


def test_a_check_in_goes_out_at_the_local_send_time_after_the_spring_change(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(MONDAY_AFTER_SPRING - timedelta(days=4), 9, 0), tick=False):
        checkin = schedule(owner, organization, MONDAY_AFTER_SPRING)

    assert checkin.send_at == datetime(2026, 3, 9, 12, 45, tzinfo=ZoneInfo("UTC"))  # CDT, -5
    tick(at(MONDAY_AFTER_SPRING, 7, 44), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    tick(at(MONDAY_AFTER_SPRING, 7, 45), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == len(team)


def test_a_check_in_goes_out_at_the_local_send_time_after_the_fall_change(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(MONDAY_AFTER_FALL - timedelta(days=4), 9, 0), tick=False):
        checkin = schedule(owner, organization, MONDAY_AFTER_FALL)

    assert checkin.send_at == datetime(2026, 11, 2, 13, 45, tzinfo=ZoneInfo("UTC"))  # CST, -6
    tick(at(MONDAY_AFTER_FALL, 7, 44), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    tick(at(MONDAY_AFTER_FALL, 7, 46), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == len(team)


def test_each_organization_sends_at_its_own_local_time(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    berlin = OrganizationFactory(name="Berlin office", timezone="Europe/Berlin")
    berliner = MembershipFactory(organization=berlin).user
    TeamMemberFactory(organization=berlin, email="anna@example.de")
    day = date(2026, 6, 3)
    with time_machine.travel(at(day - timedelta(days=2), 9, 0), tick=False):
        schedule(owner, organization, day)
        schedule(berliner, berlin, day)

    tick(at(day, 7, 46, BERLIN), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["anna@example.de"]]
    tick(at(day, 7, 46, CHICAGO), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 + len(team)


def test_two_ticks_at_once_send_each_recipient_one_message(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    day = date(2026, 6, 3)
    with time_machine.travel(at(day - timedelta(days=1), 9, 0), tick=False):
        schedule(owner, organization, day)

    first = tick(at(day, 7, 45), django_capture_on_commit_callbacks)
    second = tick(at(day, 7, 45), django_capture_on_commit_callbacks)

    assert (first.started, second.started) == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(member.email for member in team)
    assert Delivery.objects.count() == len(team)


def test_a_holiday_sends_nothing_even_with_a_standing_note(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    holiday = date(2026, 12, 25)
    checkin_settings.when_missing = WhenMissing.STANDING
    checkin_settings.standing_note = "Have a good day, everyone."
    checkin_settings.skip_dates = [holiday.isoformat()]
    checkin_settings.save()

    report = tick(at(holiday, 7, 50), django_capture_on_commit_callbacks)

    assert report.standing_notes == 0
    assert mail.outbox == []


def test_a_day_with_nothing_written_sends_the_standing_note_once(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    day = date(2026, 6, 3)
    checkin_settings.when_missing = WhenMissing.STANDING
    checkin_settings.standing_note = "Have a **good** day, everyone."
    checkin_settings.save()

    tick(at(day, 7, 40), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    tick(at(day, 7, 45), django_capture_on_commit_callbacks)
    tick(at(day, 7, 46), django_capture_on_commit_callbacks)

    assert CheckIn.objects.get().is_standing_note
    assert len(mail.outbox) == len(team)
    assert "<strong>good</strong>" in mail.outbox[0].alternatives[0][0]


def test_a_day_with_nothing_written_reminds_the_owner_once_half_an_hour_before(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    day = date(2026, 6, 3)
    checkin_settings.when_missing = WhenMissing.REMIND
    checkin_settings.save()

    tick(at(day, 7, 14), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    tick(at(day, 7, 15), django_capture_on_commit_callbacks)
    tick(at(day, 7, 16), django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert f"{reverse('checkins:new')}?organization={organization.pk}" in mail.outbox[0].body
    assert MissingCheckInReminder.objects.count() == 1


def test_a_written_check_in_means_no_reminder(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    day = date(2026, 6, 3)
    checkin_settings.when_missing = WhenMissing.REMIND
    checkin_settings.save()
    with time_machine.travel(at(day, 6, 0), tick=False):
        schedule(owner, organization, day)

    tick(at(day, 7, 20), django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_skip_the_day_sends_nothing_when_nothing_is_written(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    report = tick(at(date(2026, 6, 3), 7, 50), django_capture_on_commit_callbacks)

    assert (report.reminded, report.standing_notes, report.started) == (0, 0, 0)
    assert mail.outbox == []


def test_a_new_send_time_moves_the_check_ins_already_scheduled(
    client_for, owner, organization, team, checkin_settings
):
    day = date(2026, 6, 3)
    with time_machine.travel(at(day - timedelta(days=1), 9, 0), tick=False):
        checkin = schedule(owner, organization, day)
        response = client_for(owner).post(
            reverse("checkins:settings"),
            {
                "send_time": "09:15",
                "weekdays": ["0", "1", "2", "3", "4"],
                "skip_dates": "",
                "sender_name": "Renard Bergstrom",
                "reply_to": owner.email,
                "when_missing": "skip",
                "standing_note": "",
            },
        )

    assert response.status_code == 302
    checkin.refresh_from_db()
    assert checkin.send_at == at(day, 9, 15)


def test_bad_settings_are_form_errors_and_change_nothing(
    client_for, owner, organization, checkin_settings
):
    response = client_for(owner).post(
        reverse("checkins:settings"),
        {
            "send_time": "quarter to eight",
            "weekdays": [],
            "skip_dates": "Christmas",
            "sender_name": "Renard\nBcc: all@example.com",
            "reply_to": "not an address",
            "when_missing": "standing",
            "standing_note": "",
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid time." in body
    assert "This field is required." in body
    assert "is not a date like 2026-12-25" in body
    assert "The sender name is one line" in body
    assert "Enter a valid email address." in body
    assert "Write the standing note" in body
    checkin_settings.refresh_from_db()
    assert checkin_settings.send_time == time(7, 45)


def test_assistants_cannot_change_the_settings(client_for, sending_assistant, organization):
    response = client_for(sending_assistant).get(reverse("checkins:settings"))

    assert response.status_code == 404


def test_a_deactivated_client_sends_no_standing_note(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    checkin_settings.when_missing = WhenMissing.STANDING
    checkin_settings.standing_note = "Have a good day."
    checkin_settings.save()
    organization.active = False
    organization.save()

    report = tick(at(date(2026, 6, 3), 7, 50), django_capture_on_commit_callbacks)

    assert report.standing_notes == 0
    assert mail.outbox == []


def test_the_settings_say_how_the_sender_name_appears_in_the_email(
    client_for, owner, organization, checkin_settings
):
    checkin_settings.sender_name = "Renard <Bergstrom>"
    checkin_settings.save()

    body = client_for(owner).get(reverse("checkins:settings")).content.decode()

    assert "“Renard &lt;Bergstrom&gt; via VA Portal”" in body
    assert "“ via VA Portal”" not in body


def settings_post(owner, **fields) -> dict:
    return {
        "send_time": "07:45",
        "weekdays": ["0", "1", "2", "3", "4"],
        "skip_dates": "",
        "sender_name": "Renard Bergstrom",
        "reply_to": owner.email,
        "when_missing": "skip",
        "standing_note": "",
        **fields,
    }


def test_the_audit_trail_names_the_days_and_the_skip_dates_added_and_removed(
    client_for, owner, organization, checkin_settings
):
    from vapportal.models import AuditEvent

    client = client_for(owner)
    url = reverse("checkins:settings")
    client.post(url, settings_post(owner, skip_dates="2026-12-25\n2026-12-24\n2027-01-01"))
    client.post(url, settings_post(owner, weekdays=["0", "2", "4"], skip_dates="2026-12-24"))
    client.post(url, settings_post(owner, weekdays=["0", "1", "2", "5", "6"], send_time="08:00"))

    assert list(
        AuditEvent.objects.filter(action="checkins.settings")
        .order_by("id")
        .values_list("summary", flat=True)
    ) == [
        "Changed the check-in settings: 07:45 on Mon–Fri; "
        "skips Thu 24 Dec 2026, Fri 25 Dec 2026, Fri 1 Jan 2027",
        "Changed the check-in settings: 07:45 on Mon, Wed, Fri; "
        "no longer skips Fri 25 Dec 2026, Fri 1 Jan 2027",
        "Changed the check-in settings: 08:00 on Mon–Wed, Sat, Sun; "
        "no longer skips Thu 24 Dec 2026",
    ]
