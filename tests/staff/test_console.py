from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from assistants.models import Engagement
from tests.factories import (
    AdminFactory,
    AssistantFactory,
    EngagementFactory,
    MembershipFactory,
    UserFactory,
)
from tests.helpers import A_NOVEMBER_WEDNESDAY, queries_for
from vapportal.models import AuditEvent

# Its dates and hours are written for the suite's own moment.
pytestmark = pytest.mark.clock(A_NOVEMBER_WEDNESDAY)

STAFF_PAGES = [
    ("staff:accounts", []),
    ("staff:invitations", []),
    ("staff:invitation_new", []),
    ("staff:engagements", []),
    ("staff:engagement_new", []),
    ("staff:hand_over", []),
    ("staff:audit", []),
]


@pytest.mark.parametrize("user_fixture", ["owner", "assistant", "stranger"])
@pytest.mark.parametrize(("name", "args"), STAFF_PAGES)
def test_staff_console_is_404_for_everyone_but_admins(
    request, client_for, user_fixture, name, args
):
    user = request.getfixturevalue(user_fixture)

    assert client_for(user).get(reverse(name, args=args)).status_code == 404


@pytest.mark.parametrize("user_fixture", ["owner", "assistant"])
def test_staff_actions_on_an_id_are_404_for_non_admins(
    request, client_for, user_fixture, engagement
):
    user = request.getfixturevalue(user_fixture)
    victim = UserFactory()
    client = client_for(user)

    assert client.post(reverse("staff:deactivate", args=[victim.pk])).status_code == 404
    assert client.post(reverse("staff:engagement_end", args=[engagement.pk])).status_code == 404
    assert client.post(reverse("staff:engagement_edit", args=[engagement.pk])).status_code == 404
    invitation = Invitation.objects.create(
        email="new@example.com",
        role="assistant",
        token="t",
        invited_by=victim,
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert client.post(reverse("staff:invitation_resend", args=[invitation.pk])).status_code == 404
    assert client.post(reverse("staff:invitation_revoke", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert (invitation.token, invitation.revoked_at) == ("t", None)
    victim.refresh_from_db()
    engagement.refresh_from_db()
    assert victim.is_active
    assert engagement.is_active


def test_admin_lists_and_searches_accounts(client_for, admin_user, owner, assistant):
    client = client_for(admin_user)

    everyone = client.get(reverse("staff:accounts")).content.decode()
    found = client.get(reverse("staff:accounts"), {"q": "rhonda"}).content.decode()

    assert "Renard Bergstrom" in everyone and "Rhonda Hayes" in everyone
    assert "Rhonda Hayes" in found and "Renard Bergstrom" not in found


def test_account_list_query_count_does_not_grow(
    client_for, admin_user, organization, django_assert_num_queries
):
    client = client_for(admin_user)
    MembershipFactory(organization=organization)
    AssistantFactory()
    expected = queries_for(lambda: client.get(reverse("staff:accounts")))

    MembershipFactory.create_batch(15, organization=organization)
    AssistantFactory.create_batch(10)

    with django_assert_num_queries(expected):
        response = client.get(reverse("staff:accounts"))
    assert len(response.context["page"].object_list) == 28


def test_admin_invites_an_owner_by_email(
    client_for, admin_user, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(
            reverse("staff:invitation_new"),
            {
                "email": "Renard@BergstromCars.example",
                "role": "owner",
                "organization": organization.pk,
            },
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organization) == (
        "renard@bergstromcars.example",
        "owner",
        organization,
    )
    assert mail.outbox[0].to == ["renard@bergstromcars.example"]


def test_inviting_an_email_that_has_an_account_is_a_form_error(
    client_for, admin_user, owner, organization
):
    response = client_for(admin_user).post(
        reverse("staff:invitation_new"),
        {"email": owner.email.upper(), "role": "manager", "organization": organization.pk},
    )

    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    assert not Invitation.objects.exists()


def test_an_owner_invitation_needs_an_organization(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("staff:invitation_new"), {"email": "new@example.com", "role": "owner"}
    )

    assert "organization" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_admin_resends_and_revokes_an_invitation(
    client_for, admin_user, organization, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("staff:invitation_new"),
            {"email": "dana@example.com", "role": "manager", "organization": organization.pk},
        )
    invitation = Invitation.objects.get()
    old_token = invitation.token

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:invitation_resend", args=[invitation.pk]))
    client.post(reverse("staff:invitation_revoke", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.token != old_token
    assert len(mail.outbox) == 2
    assert invitation.status == "revoked"


def test_admin_deactivates_and_reactivates_an_account(client_for, admin_user, owner):
    client = client_for(admin_user)

    client.post(reverse("staff:deactivate", args=[owner.pk]))
    owner.refresh_from_db()
    assert not owner.is_active

    client.post(reverse("staff:reactivate", args=[owner.pk]))
    owner.refresh_from_db()
    assert owner.is_active


def test_admin_cannot_deactivate_themself(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("staff:deactivate", args=[admin_user.pk]), follow=True
    )

    assert "cannot deactivate your own account" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_admin_engages_an_assistant_and_sets_authority(client_for, admin_user, organization):
    rhonda = AssistantFactory(full_name="Rhonda Hayes")

    response = client_for(admin_user).post(
        reverse("staff:engagement_new"),
        {
            "assistant": rhonda.pk,
            "organization": organization.pk,
            "role": "primary",
            "can_book_travel": "on",
            "travel_budget_limit": "2500",
            "vendor_email_authority": "send",
            "checkin_authority": "draft",
        },
    )

    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert (engagement.assistant, engagement.vendor_email_authority) == (rhonda, "send")


def test_a_negative_travel_budget_is_a_form_error(client_for, admin_user, organization):
    rhonda = AssistantFactory()

    response = client_for(admin_user).post(
        reverse("staff:engagement_new"),
        {
            "assistant": rhonda.pk,
            "organization": organization.pk,
            "role": "primary",
            "travel_budget_limit": "-5",
            "vendor_email_authority": "none",
            "checkin_authority": "none",
        },
    )

    assert "travel_budget_limit" in response.context["form"].errors
    assert not Engagement.objects.exists()


def test_a_second_primary_is_a_clear_form_error(client_for, admin_user, engagement):
    response = client_for(admin_user).post(
        reverse("staff:engagement_new"),
        {
            "assistant": AssistantFactory().pk,
            "organization": engagement.organization.pk,
            "role": "primary",
            "travel_budget_limit": "0",
            "vendor_email_authority": "none",
            "checkin_authority": "none",
        },
    )

    assert "already has a primary assistant" in response.content.decode()
    assert Engagement.objects.count() == 1


def test_admin_changes_authority_and_ends_an_engagement(client_for, admin_user, engagement):
    client = client_for(admin_user)

    client.post(
        reverse("staff:engagement_edit", args=[engagement.pk]),
        {
            "role": "primary",
            "travel_budget_limit": "0",
            "vendor_email_authority": "draft",
            "checkin_authority": "send",
        },
    )
    engagement.refresh_from_db()
    assert (engagement.can_book_travel, engagement.checkin_authority) == (False, "send")

    client.post(reverse("staff:engagement_end", args=[engagement.pk]))
    engagement.refresh_from_db()
    assert not engagement.is_active


def test_engagement_list_query_count_does_not_grow(
    client_for, admin_user, django_assert_num_queries
):
    client = client_for(admin_user)
    EngagementFactory()
    expected = queries_for(lambda: client.get(reverse("staff:engagements")))

    EngagementFactory.create_batch(12)

    with django_assert_num_queries(expected):
        client.get(reverse("staff:engagements"))


def test_hand_over_in_the_console_moves_the_work_and_shows_in_the_audit_trail(
    client_for, admin_user, engagement
):
    marcus = AssistantFactory(full_name="Marcus Webb")
    client = client_for(admin_user)

    response = client.post(
        reverse("staff:hand_over"),
        {"from_assistant": engagement.assistant.pk, "to_assistant": marcus.pk},
    )

    assert response.status_code == 200
    assert "1 client handed over from Rhonda Hayes to Marcus Webb." in response.content.decode()
    assert Engagement.objects.active().get().assistant == marcus
    audit = client.get(reverse("staff:audit")).content.decode()
    assert "Handed Bergstrom Cars over from Rhonda Hayes to Marcus Webb: no open tasks" in audit


def test_hand_over_to_the_same_assistant_is_a_form_error(client_for, admin_user, engagement):
    response = client_for(admin_user).post(
        reverse("staff:hand_over"),
        {"from_assistant": engagement.assistant.pk, "to_assistant": engagement.assistant.pk},
    )

    assert "to_assistant" in response.context["form"].errors
    engagement.refresh_from_db()
    assert engagement.is_active


def test_audit_trail_shows_times_in_the_admins_timezone(client_for, admin_user):
    admin_user.timezone = "Asia/Tokyo"
    admin_user.save()
    AuditEvent.objects.create(
        actor=admin_user,
        action="test",
        summary="Something happened",
        created_at=datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    )

    response = client_for(admin_user).get(reverse("staff:audit"))

    assert ">Sun 1 Mar, 09:00<" in response.content.decode()


def test_audit_list_query_count_does_not_grow(
    client_for, admin_user, organization, django_assert_num_queries
):
    client = client_for(admin_user)
    AuditEvent.objects.create(actor=admin_user, organization=organization, action="a", summary="a")
    expected = queries_for(lambda: client.get(reverse("staff:audit")))

    for n in range(15):
        AuditEvent.objects.create(
            actor=UserFactory(), organization=organization, action="a", summary=f"{n}"
        )

    with django_assert_num_queries(expected):
        client.get(reverse("staff:audit"))


def test_invitation_list_query_count_does_not_grow(
    client_for, admin_user, organization, django_assert_num_queries
):
    from accounts.services import invitation_create

    client = client_for(admin_user)
    invitation_create(
        actor=admin_user, email="a@example.com", role="owner", organization=organization
    )
    expected = queries_for(lambda: client.get(reverse("staff:invitations")))

    for n in range(12):
        invitation_create(
            actor=AdminFactory(),
            email=f"p{n}@example.com",
            role="manager",
            organization=organization,
        )

    with django_assert_num_queries(expected):
        response = client.get(reverse("staff:invitations"))
    assert len(response.context["page"].object_list) == 13


def test_the_engagements_list_shows_each_clients_primary_above_its_backup(
    client_for, admin_user, organization, engagement
):
    backup = EngagementFactory(
        organization=organization, role=Engagement.Role.BACKUP, assistant__full_name="Aaron Backup"
    )

    page = client_for(admin_user).get(reverse("staff:engagements")).content.decode()

    assert page.index(engagement.assistant.full_name) < page.index(backup.assistant.full_name)
    assert list(Engagement.objects.filter(organization=organization)) == [engagement, backup]
