import pytest

from assistants.models import Authority
from checkins import services
from clients.models import TeamMember
from tests.factories import TeamMemberFactory


@pytest.fixture
def team(organization) -> list[TeamMember]:
    """Three people at two dealerships, and one who left."""
    members = [
        TeamMemberFactory(organization=organization, name="Ann Lee", location="Neenah"),
        TeamMemberFactory(organization=organization, name="Bo Diaz", location="Neenah"),
        TeamMemberFactory(organization=organization, name="Cy Park", location="Appleton"),
    ]
    TeamMemberFactory(organization=organization, name="Di Gone", location="Neenah", active=False)
    return members


@pytest.fixture
def checkin_settings(organization, owner):
    return services.checkin_settings_for(organization)


@pytest.fixture
def drafting_assistant(engagement):
    engagement.checkin_authority = Authority.DRAFT
    engagement.save()
    return engagement.assistant


@pytest.fixture
def sending_assistant(engagement):
    engagement.checkin_authority = Authority.SEND
    engagement.save()
    return engagement.assistant


def content(**fields) -> services.Content:
    return services.Content(
        **{"subject": "Good morning, team", "message": "Great **week**, everyone.", **fields}
    )
