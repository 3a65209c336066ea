import pytest
from django.urls import reverse

from assistants.services import engagement_end
from clients.models import Organization
from tests.helpers import suggestions


def test_owner_sees_their_assistants_and_what_each_may_do(client_for, owner, engagement):
    response = client_for(owner).get(
        reverse("clients:organization_detail", args=[engagement.organization.pk])
    )

    body = response.content.decode()
    assert "Rhonda Hayes" in body
    assert "May book, up to 1,500.00 a trip" in body
    assert "Not allowed" in body  # vendor email and check-in


def test_another_organizations_page_is_404(client_for, outsider, organization):
    response = client_for(outsider).get(
        reverse("clients:organization_detail", args=[organization.pk])
    )

    assert response.status_code == 404


def test_an_assistant_whose_engagement_ended_gets_404(client_for, engagement, admin_user):
    engagement_end(actor=admin_user, engagement=engagement)

    response = client_for(engagement.assistant).get(
        reverse("clients:organization_detail", args=[engagement.organization.pk])
    )

    assert response.status_code == 404


def test_owner_changes_the_organizations_timezone(client_for, owner, organization):
    response = client_for(owner).post(
        reverse("clients:organization_settings", args=[organization.pk]),
        {"name": "Bergstrom Cars", "timezone": "America/New_York"},
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.timezone == "America/New_York"


def test_organization_settings_are_reserved_for_owners(client_for, manager, organization):
    response = client_for(manager).post(
        reverse("clients:organization_settings", args=[organization.pk]),
        {"name": "Renamed", "timezone": "UTC"},
    )

    assert response.status_code == 404
    organization.refresh_from_db()
    assert organization.name == "Bergstrom Cars"


@pytest.mark.parametrize("user_fixture", ["outsider", "assistant"])
def test_others_cannot_change_organization_settings(
    request, client_for, organization, user_fixture
):
    user = request.getfixturevalue(user_fixture)

    response = client_for(user).post(
        reverse("clients:organization_settings", args=[organization.pk]),
        {"name": "Renamed", "timezone": "UTC"},
    )

    assert response.status_code == 404
    assert Organization.objects.get(pk=organization.pk).name == "Bergstrom Cars"


def test_an_unknown_timezone_is_refused(client_for, owner, organization):
    response = client_for(owner).post(
        reverse("clients:organization_settings", args=[organization.pk]),
        {"name": "Bergstrom Auto", "timezone": "Fox Valley"},
    )

    assert response.status_code == 200
    assert "not a time zone we know" in response.context["form"].errors["timezone"][0]
    organization.refresh_from_db()
    assert (organization.name, organization.timezone) == ("Bergstrom Cars", "America/Chicago")


def test_owner_who_types_a_city_gets_its_time_zone(client_for, owner, organization):
    client_for(owner).post(
        reverse("clients:organization_settings", args=[organization.pk]),
        {"name": "Bergstrom Cars", "timezone": "new york"},
    )

    organization.refresh_from_db()
    assert organization.timezone == "America/New_York"


def test_settings_suggest_the_organizations_and_the_owners_zones_first(
    client_for, owner, organization
):
    organization.timezone = "Asia/Manila"
    organization.save()
    owner.timezone = "Australia/Perth"
    owner.save()

    response = client_for(owner).get(
        reverse("clients:organization_settings", args=[organization.pk])
    )

    html = response.content.decode()
    assert suggestions(html, "id_timezone-zones")[:3] == [
        "Asia/Manila",
        "Australia/Perth",
        "America/New_York",
    ]


def test_visible_to_encodes_tenancy(owner, assistant, outsider, admin_user, stranger, organization):
    other = Organization.objects.exclude(pk=organization.pk).get()

    assert list(Organization.objects.visible_to(owner)) == [organization]
    assert list(Organization.objects.visible_to(assistant)) == [organization]
    assert list(Organization.objects.visible_to(outsider)) == [other]
    assert set(Organization.objects.visible_to(admin_user)) == {organization, other}
    assert not Organization.objects.visible_to(stranger).exists()


def test_an_inactive_organization_is_hidden_from_its_own_people(owner, organization):
    organization.active = False
    organization.save()

    assert not Organization.objects.visible_to(owner).exists()
