"""The signed links: the owner's approval link and the team member's archive link."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, Delivery
from tests.factories import MembershipFactory

from .conftest import content


def submitted(assistant, organization, capture) -> CheckIn:
    with capture(execute=True):
        return services.checkin_write(
            actor=assistant, organization=organization, content=content(), action="submit"
        )


def approval_path(owner) -> str:
    (message,) = [m for m in mail.outbox if m.to == [owner.email]]
    return message.body.split("confirm): http://testserver")[1].split()[0]


def test_the_owner_approves_from_the_email_after_confirming_on_a_page(
    client_for, owner, drafting_assistant, organization, team, django_capture_on_commit_callbacks
):
    checkin = submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)
    client = client_for(owner)
    path = approval_path(owner)

    page = client.get(path)
    assert page.status_code == 200
    assert "Approve “Good morning, team”?" in page.content.decode()
    assert CheckIn.objects.get().status == CheckIn.Status.AWAITING_APPROVAL

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)

    checkin.refresh_from_db()
    assert response["Location"] == checkin.get_absolute_url()
    assert checkin.status == CheckIn.Status.SENT
    assert checkin.approved_by == owner
    assert len(mail.outbox) == len(team)


def test_an_approval_link_works_once(
    client_for, owner, drafting_assistant, organization, team, django_capture_on_commit_callbacks
):
    submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)
    client = client_for(owner)
    path = approval_path(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    sent = len(mail.outbox)

    again = client.post(path)

    assert again.status_code == 410
    assert "already dealt with" in again.content.decode()
    assert len(mail.outbox) == sent
    assert Delivery.objects.count() == len(team)


def test_a_tampered_or_expired_approval_link_shows_a_clear_page_and_changes_nothing(
    client_for, owner, drafting_assistant, organization, team, django_capture_on_commit_callbacks
):
    submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)
    client = client_for(owner)
    path = approval_path(owner)

    tampered = client.post(path.replace("/approve/", "/approve/x"))
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = client.post(path)

    assert tampered.status_code == 410 and "not valid" in tampered.content.decode()
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert CheckIn.objects.get().status == CheckIn.Status.AWAITING_APPROVAL


def test_an_approval_link_is_not_found_for_anyone_but_the_organizations_owners(
    client_for, owner, outsider, drafting_assistant, organization, team,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)
    path = approval_path(owner)

    assert client_for(outsider).post(path).status_code == 404
    assert client_for(drafting_assistant).post(path).status_code == 404
    assert CheckIn.objects.get().status == CheckIn.Status.AWAITING_APPROVAL


def test_a_manager_can_approve_in_the_browser_and_decline_sends_it_back_as_a_draft(
    client_for, owner, drafting_assistant, organization, team, django_capture_on_commit_callbacks
):
    manager = MembershipFactory(organization=organization, role="manager").user
    checkin = submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)

    client_for(manager).post(reverse("checkins:decline", args=[checkin.pk]), {"note": "Shorter"})

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.DRAFT
    assert checkin.events.last().note == "Shorter"
    assert not Delivery.objects.exists()


def sent_checkin(owner, organization, capture) -> CheckIn:
    with capture(execute=True):
        return services.checkin_write(
            actor=owner, organization=organization, content=content(), action="send_now"
        )


def archive_path(member) -> str:
    (message,) = [m for m in mail.outbox if m.to == [member.email]]
    return message.body.split("earlier ones: http://testserver")[1].split()[0]


def test_the_archive_link_opens_the_check_in_and_the_recipients_earlier_ones(
    client, owner, organization, team, django_capture_on_commit_callbacks
):
    ann = team[0]
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        sent_checkin(owner, organization, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    services.checkin_write(
        actor=owner,
        organization=organization,
        content=content(subject="Tuesday's note"),
        action="draft",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_schedule(
            actor=owner, checkin=CheckIn.objects.get(subject="Tuesday's note")
        )

    page = client.get(archive_path(ann))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Tuesday&#x27;s note" in body
    assert "Your earlier check-ins" in body and "Good morning, team" in body


def test_a_tampered_or_expired_archive_link_shows_a_clear_page(
    client, owner, organization, team, django_capture_on_commit_callbacks
):
    sent_checkin(owner, organization, django_capture_on_commit_callbacks)
    path = archive_path(team[0])

    tampered = client.get(path[:-3] + "xx/")
    with time_machine.travel(timezone.now() + timedelta(days=401)):
        expired = client.get(path)

    assert tampered.status_code == 410 and "not valid" in tampered.content.decode()
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_a_deactivated_team_members_link_stops_working(
    client, owner, organization, team, django_capture_on_commit_callbacks
):
    sent_checkin(owner, organization, django_capture_on_commit_callbacks)
    path = archive_path(team[0])
    assert client.get(path).status_code == 200

    team[0].active = False
    team[0].save()

    response = client.get(path)
    assert response.status_code == 410
    assert "no longer works" in response.content.decode()


def test_an_old_approval_link_does_not_approve_a_check_in_submitted_again(
    client_for, owner, drafting_assistant, organization, team, django_capture_on_commit_callbacks
):
    checkin = submitted(drafting_assistant, organization, django_capture_on_commit_callbacks)
    old_path = approval_path(owner)
    services.checkin_decline(actor=owner, checkin=checkin, note="Shorter")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_submit(actor=drafting_assistant, checkin=checkin)

    old = client_for(owner).post(old_path)

    assert old.status_code == 410
    assert CheckIn.objects.get().status == CheckIn.Status.AWAITING_APPROVAL
    assert client_for(owner).get(approval_path(owner)).status_code == 200
