import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, User
from assistants.models import AssistantProfile
from clients.models import Membership
from tests.helpers import A_NOVEMBER_WEDNESDAY, suggestions

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

ACCEPT = {
    "full_name": "Dana Kowalski",
    "timezone": "America/Chicago",
    "password1": "Dealership-1926",
    "password2": "Dealership-1926",
}


@pytest.fixture
def invite(admin_user, organization, django_capture_on_commit_callbacks):
    """Invites someone and returns (invitation, path of the link in the email)."""

    def make(email="dana@bergstromcars.example", role="manager", org=organization):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(
                actor=admin_user, email=email, role=role, organization=org
            )
        body = mail.outbox[-1].body
        path = re.search(r"http://testserver(/accounts/invite/\S+/)", body).group(1)
        return invitation, path

    return make


def test_invited_manager_sets_a_password_and_is_logged_in(client, invite, organization):
    invitation, path = invite()

    response = client.post(path, ACCEPT, follow=True)

    user = User.objects.get(email="dana@bergstromcars.example")
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == user
    assert user.check_password("Dealership-1926")
    assert Membership.objects.get(user=user).organization == organization
    assert Membership.objects.get(user=user).role == "manager"
    invitation.refresh_from_db()
    assert invitation.accepted_user == user


def test_invitation_email_has_html_and_text_and_expiry(invite):
    invite()

    message = mail.outbox[0]
    assert message.to == ["dana@bergstromcars.example"]
    assert "Bergstrom Cars" in message.subject
    html = message.alternatives[0][0]
    assert "/accounts/invite/" in html
    assert "expires on" in message.body


def test_the_invitation_says_when_it_expires_on_the_invitees_clock_named(
    invite, admin_user, organization
):
    # Wednesday 18 November 2026, 15:30 UTC: seven days on, 09:30 in Chicago.
    admin_user.timezone = "Asia/Tokyo"
    admin_user.save()
    invite()
    organization.timezone = "Europe/Lisbon"
    organization.save()
    invite(email="lisbon@bergstromcars.example")

    chicago, lisbon = mail.outbox
    assert "The link works once and expires on Wed 25 Nov, 09:30 CST." in chicago.body
    assert "expires on Wed 25 Nov, 09:30 CST." in chicago.alternatives[0][0]
    assert "expires on Wed 25 Nov, 15:30 WET." in lisbon.body


def test_an_assistants_invitation_expires_on_the_clock_their_account_starts_in(invite, admin_user):
    admin_user.timezone = "America/Denver"
    admin_user.save()

    invite(email="new.va@example.com", role="assistant", org=None)

    assert "expires on Wed 25 Nov, 08:30 MST." in mail.outbox[0].body


def test_invited_assistant_gets_an_assistant_profile_and_no_organization(client, invite):
    _, path = invite(email="new.va@example.com", role="assistant", org=None)

    client.post(path, ACCEPT)

    user = User.objects.get(email="new.va@example.com")
    assert AssistantProfile.objects.filter(user=user).exists()
    assert not Membership.objects.filter(user=user).exists()


def test_a_used_link_shows_a_clear_page_and_creates_nothing(client, invite):
    _, path = invite()
    client.post(path, ACCEPT)
    client.logout()

    response = client.post(path, {**ACCEPT, "full_name": "Someone Else"})

    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert User.objects.filter(email="dana@bergstromcars.example").count() == 1


def test_an_expired_link_shows_a_clear_page_and_creates_nothing(client, invite):
    _, path = invite()

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.post(path, ACCEPT)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_a_link_still_works_just_before_seven_days(client, invite):
    _, path = invite()

    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        response = client.get(path)

    assert response.status_code == 200


def test_a_tampered_link_shows_a_clear_page_and_creates_nothing(client, invite):
    _, path = invite()
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    response = client.post(tampered, ACCEPT)

    assert response.status_code == 410
    assert "not valid" in response.content.decode()
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_a_revoked_link_shows_a_clear_page_and_creates_nothing(client, invite, admin_user):
    invitation, path = invite()
    services.invitation_revoke(actor=admin_user, invitation=invitation)

    response = client.post(path, ACCEPT)

    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_resending_makes_the_old_link_stop_working(client, invite, admin_user):
    invitation, old_path = invite()
    services.invitation_resend(actor=admin_user, invitation=invitation)

    old = client.get(old_path)

    assert old.status_code == 410
    assert "newer one" in old.content.decode()


def test_mismatched_passwords_are_a_form_error_and_create_nothing(client, invite):
    _, path = invite()

    response = client.post(path, {**ACCEPT, "password2": "Something-else-1"})

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_a_weak_password_is_a_form_error(client, invite):
    _, path = invite()

    response = client.post(path, {**ACCEPT, "password1": "123", "password2": "123"})

    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_invitation_page_starts_in_the_organizations_time_zone(client, invite, organization):
    organization.timezone = "Europe/Lisbon"
    organization.save()
    _, path = invite()

    response = client.get(path)

    html = response.content.decode()
    assert response.context["form"]["timezone"].value() == "Europe/Lisbon"
    assert suggestions(html, "id_timezone-zones")[0] == "Europe/Lisbon"
    assert "data-browser-timezone" not in html


def test_assistant_invitation_starts_in_the_admins_time_zone_and_offers_the_browsers(
    client, invite, admin_user
):
    admin_user.timezone = "America/Denver"
    admin_user.save()
    _, path = invite(email="new.va@example.com", role="assistant", org=None)

    response = client.get(path)

    html = response.content.decode()
    assert response.context["form"]["timezone"].value() == "America/Denver"
    assert re.search(r'<input [^>]*data-browser-timezone[^>]*id="id_timezone"', html)
    assert '<script src="/static/js/browser-timezone.js"></script>' in html


def test_assistant_invitation_keeps_the_zone_they_typed_when_the_form_comes_back(client, invite):
    _, path = invite(email="new.va@example.com", role="assistant", org=None)

    response = client.post(path, {**ACCEPT, "timezone": "Manila", "password2": "Different-1926"})

    html = response.content.decode()
    assert "password2" in response.context["form"].errors
    assert 'value="Manila"' in html and "data-browser-timezone" not in html
    assert not User.objects.filter(email="new.va@example.com").exists()


def test_a_city_typed_on_the_invitation_page_becomes_the_accounts_zone(client, invite):
    _, path = invite()

    client.post(path, {**ACCEPT, "timezone": "new york"})

    assert User.objects.get(email="dana@bergstromcars.example").timezone == "America/New_York"


def test_an_unknown_timezone_is_a_form_error(client, invite):
    _, path = invite()

    response = client.post(path, {**ACCEPT, "timezone": "Europe/Atlantis"})

    assert "timezone" in response.context["form"].errors
    assert not User.objects.filter(email="dana@bergstromcars.example").exists()


def test_the_same_link_accepted_twice_at_once_makes_one_account(invite):
    invitation, path = invite()
    signed = path.split("/")[-2]
    services.invitation_accept(
        signed=signed, full_name="A", password="Dealership-1926", timezone_name="UTC"
    )

    with pytest.raises(services.InvitationError):
        services.invitation_accept(
            signed=signed, full_name="B", password="Dealership-1926", timezone_name="UTC"
        )
    assert User.objects.filter(email=invitation.email).count() == 1


def test_only_open_invitations_can_be_resent(invite, admin_user):
    invitation, _ = invite()
    services.invitation_revoke(actor=admin_user, invitation=invitation)

    with pytest.raises(services.InvitationError):
        services.invitation_resend(actor=admin_user, invitation=invitation)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
