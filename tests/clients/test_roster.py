import pytest
from django.urls import reverse

from clients.models import TeamMember
from tests.factories import EngagementFactory, TeamMemberFactory
from tests.helpers import queries_for

ROSTER = reverse("roster:list")


def roster_url(organization, name="roster:list"):
    return f"{reverse(name)}?organization={organization.pk}"


def test_owner_sees_the_active_team(client_for, owner, organization):
    TeamMemberFactory(organization=organization, name="Dana Kowalski")
    TeamMemberFactory(organization=organization, name="Left Already", active=False)

    response = client_for(owner).get(ROSTER)

    body = response.content.decode()
    assert "Dana Kowalski" in body
    assert "Left Already" not in body


def test_owner_can_show_deactivated_members_too(client_for, owner, organization):
    TeamMemberFactory(organization=organization, name="Left Already", active=False)

    response = client_for(owner).get(roster_url(organization) + "&show=all")

    assert "Left Already" in response.content.decode()


def test_owner_adds_a_team_member(client_for, owner, organization):
    response = client_for(owner).post(
        roster_url(organization, "roster:new"),
        {"name": "Luis Ortega", "email": "Luis@Bergstromcars.example", "location": "Neenah"},
    )

    assert response.status_code == 302
    member = TeamMember.objects.get(organization=organization)
    assert (member.name, member.email, member.location) == (
        "Luis Ortega",
        "luis@bergstromcars.example",
        "Neenah",
    )


def test_manager_can_manage_the_roster_too(client_for, manager, organization):
    response = client_for(manager).post(
        roster_url(organization, "roster:new"),
        {"name": "Luis Ortega", "email": "luis@bergstromcars.example", "location": ""},
    )

    assert response.status_code == 302
    assert TeamMember.objects.filter(organization=organization).count() == 1


def test_a_duplicate_email_is_a_form_error(client_for, owner, organization):
    TeamMemberFactory(organization=organization, email="luis@bergstromcars.example")

    response = client_for(owner).post(
        roster_url(organization, "roster:new"),
        {"name": "Luis Again", "email": "LUIS@bergstromcars.example", "location": ""},
    )

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert TeamMember.objects.filter(organization=organization).count() == 1


def test_owner_edits_and_deactivates_a_member(client_for, owner, organization):
    member = TeamMemberFactory(organization=organization, name="Megan Thiel")
    client = client_for(owner)

    client.post(
        reverse("roster:edit", args=[member.pk]),
        {"name": "Megan Thiel-Ross", "email": member.email, "location": "Appleton"},
    )
    client.post(reverse("roster:deactivate", args=[member.pk]))

    member.refresh_from_db()
    assert (member.name, member.location, member.active) == ("Megan Thiel-Ross", "Appleton", False)


def test_owner_cannot_see_another_organizations_roster(client_for, outsider, organization):
    TeamMemberFactory(organization=organization, name="Dana Kowalski")

    response = client_for(outsider).get(roster_url(organization))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["roster:edit", "roster:deactivate", "roster:reactivate"])
def test_another_organizations_member_is_404_and_unchanged(
    client_for, outsider, organization, name
):
    member = TeamMemberFactory(organization=organization, name="Dana Kowalski")

    response = client_for(outsider).post(
        reverse(name, args=[member.pk]), {"name": "Hacked", "email": "x@example.com"}
    )

    assert response.status_code == 404
    member.refresh_from_db()
    assert (member.name, member.active) == ("Dana Kowalski", True)


def test_assistant_reads_the_roster_but_cannot_change_it(client_for, assistant, organization):
    member = TeamMemberFactory(organization=organization, name="Dana Kowalski")
    client = client_for(assistant)

    listing = client.get(roster_url(organization))
    deactivate = client.post(reverse("roster:deactivate", args=[member.pk]))

    assert "Dana Kowalski" in listing.content.decode()
    assert deactivate.status_code == 404
    member.refresh_from_db()
    assert member.active


def test_assistant_whose_engagement_ended_no_longer_sees_the_roster(
    client_for, engagement, organization, admin_user
):
    from assistants.services import engagement_end

    engagement_end(actor=admin_user, engagement=engagement)

    response = client_for(engagement.assistant).get(roster_url(organization))

    assert response.status_code == 404


def test_a_non_numeric_organization_is_404(client_for, owner):
    assert client_for(owner).get(ROSTER + "?organization=abc").status_code == 404


def test_roster_query_count_does_not_grow_with_members(
    client_for, owner, organization, django_assert_num_queries
):
    client = client_for(owner)
    TeamMemberFactory.create_batch(2, organization=organization)
    expected = queries_for(lambda: client.get(ROSTER))

    TeamMemberFactory.create_batch(20, organization=organization)
    EngagementFactory(organization=organization, role="backup")

    with django_assert_num_queries(expected):
        response = client.get(ROSTER)
    assert len(response.context["page"].object_list) == 22


def test_adding_to_another_organizations_roster_is_404(client_for, outsider, organization):
    response = client_for(outsider).post(
        roster_url(organization, "roster:new"),
        {"name": "Planted", "email": "planted@example.com", "location": ""},
    )

    assert response.status_code == 404
    assert not TeamMember.objects.exists()
