from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from checkins import video
from checkins.models import CheckIn, Delivery
from tests.helpers import A_NOVEMBER_WEDNESDAY

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

NEW = reverse("checkins:new")
# The first bytes of an MP4 file: an ftyp box, which is what libmagic recognises.
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048


def next_weekday() -> date:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def form_data(**fields) -> dict:
    return {
        "subject": "Good morning, team",
        "message": "Great week, everyone.",
        "recipients": "default",
        "action": "draft",
        **fields,
    }


def test_an_owner_schedules_a_check_in_for_a_day_at_its_send_time(
    client_for, owner, organization, team, checkin_settings
):
    day = next_weekday()

    response = client_for(owner).post(
        NEW, form_data(action="schedule", send_on=day.isoformat(), thanks="Thanks, all")
    )

    checkin = CheckIn.objects.get()
    assert response["Location"] == checkin.get_absolute_url()
    assert checkin.status == CheckIn.Status.SCHEDULED
    assert checkin.send_at == checkin_settings.send_at(day)
    assert checkin.written_by == owner and checkin.on_behalf_of == owner
    assert not Delivery.objects.exists()


def test_a_subject_with_a_line_break_is_a_form_error_and_nothing_is_saved(
    client_for, owner, organization, team
):
    response = client_for(owner).post(
        NEW, form_data(subject="Hello\r\nBcc: everyone@example.com", action="send_now")
    )

    assert response.status_code == 200
    assert "A subject is one line" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert mail.outbox == []


def test_choosing_people_but_nobody_is_a_form_error(client_for, owner, organization, team):
    response = client_for(owner).post(NEW, form_data(recipients="people", action="send_now"))

    assert "Choose at least one person." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_roster_with_nobody_on_it_cannot_be_sent_to(client_for, owner, organization):
    response = client_for(owner).post(NEW, form_data(action="send_now"))

    assert "Nobody would receive this check-in" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_day_that_is_not_a_check_in_day_cannot_be_scheduled(
    client_for, owner, organization, team, checkin_settings
):
    checkin_settings.skip_dates = [next_weekday().isoformat()]
    checkin_settings.save()

    response = client_for(owner).post(
        NEW, form_data(action="schedule", send_on=next_weekday().isoformat())
    )

    assert "is not a check-in day" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_chosen_locations_and_people_decide_who_receives_it(
    client_for, owner, organization, team, django_capture_on_commit_callbacks
):
    ann, bo, cy = team
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            NEW, form_data(recipients="locations", locations=["Appleton"], action="send_now")
        )
    assert [m.to for m in mail.outbox] == [[cy.email]]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, form_data(recipients="people", people=[ann.pk, bo.pk], action="send_now"))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ann.email, bo.email])


def test_a_video_link_must_be_a_web_address(client_for, owner, organization, team):
    response = client_for(owner).post(
        NEW, form_data(video_url="javascript:alert(1)", action="send_now")
    )

    assert "Enter a valid URL." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_uploaded_video_is_stored_privately_and_played_through_a_checked_view(
    client_for, owner, outsider, organization, team, settings
):
    upload = SimpleUploadedFile("hello.mp4", MP4_BYTES, content_type="video/mp4")

    client_for(owner).post(NEW, form_data(video=upload))

    checkin = CheckIn.objects.get()
    assert checkin.video_content_type == "video/mp4"
    assert "hello" not in checkin.video.name
    assert client_for(outsider).get(reverse("checkins:video", args=[checkin.pk])).status_code == 404
    response = client_for(owner).get(reverse("checkins:video", args=[checkin.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == MP4_BYTES
    response.close()


def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_stored(
    client_for, owner, organization, team, settings
):
    upload = SimpleUploadedFile(
        "hello.mp4", b"just some text, not a video", content_type="video/mp4"
    )

    response = client_for(owner).post(NEW, form_data(video=upload))

    assert "are not a video of that kind" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("*.mp4"))


def test_a_video_over_the_limit_is_refused_and_nothing_is_stored(
    client_for, owner, organization, team, settings, monkeypatch
):
    monkeypatch.setattr(video, "MAX_VIDEO_BYTES", 1024)
    upload = SimpleUploadedFile("hello.mp4", MP4_BYTES, content_type="video/mp4")

    response = client_for(owner).post(NEW, form_data(video=upload))

    assert "is larger than 200 MB" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("*.mp4"))


# Assistants and their authority ---------------------------------------------------------------


def test_an_assistant_without_check_in_authority_cannot_write_one(client_for, assistant):
    assert client_for(assistant).get(NEW).status_code == 404
    assert client_for(assistant).post(NEW, form_data()).status_code == 404
    assert not CheckIn.objects.exists()


def test_an_assistant_who_may_draft_submits_for_approval_and_the_owner_is_emailed(
    client_for, drafting_assistant, owner, organization, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(drafting_assistant).post(NEW, form_data(action="submit"))

    checkin = CheckIn.objects.get()
    assert checkin.status == CheckIn.Status.AWAITING_APPROVAL
    assert checkin.written_by == drafting_assistant
    assert checkin.on_behalf_of == owner
    approval = [m for m in mail.outbox if m.to == [owner.email]]
    assert len(approval) == 1
    assert "/checkins/approve/" in approval[0].body
    assert not Delivery.objects.exists()


def test_an_assistant_who_may_only_draft_cannot_send_or_schedule(
    client_for, drafting_assistant, organization, team
):
    client = client_for(drafting_assistant)

    now = client.post(NEW, form_data(action="send_now"))
    later = client.post(NEW, form_data(action="schedule", send_on=next_weekday().isoformat()))

    assert "not send or schedule" in now.content.decode()
    assert "not send or schedule" in later.content.decode()
    assert not CheckIn.objects.exists()
    assert mail.outbox == []


def test_an_assistant_with_send_authority_schedules_on_the_owners_behalf(
    client_for, sending_assistant, owner, organization, team
):
    client_for(sending_assistant).post(
        NEW, form_data(action="schedule", send_on=next_weekday().isoformat())
    )

    checkin = CheckIn.objects.get()
    assert checkin.status == CheckIn.Status.SCHEDULED
    assert (checkin.written_by, checkin.on_behalf_of) == (sending_assistant, owner)
    page = client_for(owner).get(checkin.get_absolute_url()).content.decode()
    assert f"written by {sending_assistant.full_name} on behalf of {owner.full_name}" in page


def test_an_assistant_whose_engagement_ended_can_no_longer_write_check_ins(
    client_for, sending_assistant, engagement, organization, team
):
    engagement.ended_at = "2026-01-01T00:00Z"
    engagement.save()

    assert client_for(sending_assistant).post(NEW, form_data(action="send_now")).status_code == 404
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "name", ["detail", "edit", "video", "submit", "approve", "decline", "cancel"]
)
def test_another_organizations_check_in_is_not_found(
    client_for, outsider, owner, organization, team, name
):
    client_for(owner).post(NEW, form_data())
    checkin = CheckIn.objects.get()
    url = reverse(f"checkins:{name}", args=[checkin.pk])

    client = client_for(outsider)
    response = (
        client.post(url) if name in ("submit", "approve", "decline", "cancel") else client.get(url)
    )

    assert response.status_code == 404
    assert CheckIn.objects.get().status == CheckIn.Status.DRAFT


def test_another_organizations_settings_and_new_page_are_not_found(
    client_for, outsider, organization
):
    client = client_for(outsider)

    assert (
        client.get(reverse("checkins:settings"), {"organization": organization.pk}).status_code
        == 404
    )
    assert client.get(NEW, {"organization": organization.pk}).status_code == 404


def test_an_uploaded_video_answers_byte_ranges_as_phones_ask_for_them(
    client_for, owner, organization, team
):
    upload = SimpleUploadedFile("hello.mp4", MP4_BYTES, content_type="video/mp4")
    client_for(owner).post(NEW, form_data(video=upload))
    url = reverse("checkins:video", args=[CheckIn.objects.get().pk])
    client = client_for(owner)

    first_two = client.get(url, HTTP_RANGE="bytes=0-1")
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(MP4_BYTES) + 5}-")

    assert first_two.status_code == 206
    assert first_two.content == MP4_BYTES[:2]
    assert first_two["Content-Range"] == f"bytes 0-1/{len(MP4_BYTES)}"
    assert tail.content == MP4_BYTES[-10:]
    assert beyond.status_code == 416


def confirmation(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_send_now_confirms_that_it_is_going_out_not_that_it_is_scheduled(
    client_for, owner, organization, team, checkin_settings
):
    response = client_for(owner).post(NEW, form_data(action="send_now"), follow=True)

    assert confirmation(response) == ["Going out now."]
    assert CheckIn.objects.get().send_at <= timezone.now()


def test_scheduling_confirms_the_day_and_time_it_goes_out(
    client_for, owner, organization, team, checkin_settings
):
    day = next_weekday()

    response = client_for(owner).post(
        NEW, form_data(action="schedule", send_on=day.isoformat()), follow=True
    )

    assert confirmation(response) == [f"Scheduled for {day:%a} {day.day} {day:%b}, 07:45."]


def test_a_writer_elsewhere_reads_the_send_time_on_the_organizations_clock_named(
    client_for, owner, organization, team, checkin_settings
):
    owner.timezone = "Europe/Berlin"
    owner.save()
    day = next_weekday()

    response = client_for(owner).post(
        NEW, form_data(action="schedule", send_on=day.isoformat()), follow=True
    )

    when = f"{day:%a} {day.day} {day:%b}, 07:45 CST"
    assert confirmation(response) == [f"Scheduled for {when}."]
    assert f'id="checkin-when">goes out {when}</span>' in response.content.decode()
