from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from assistants import services
from assistants.models import Authority, Engagement
from tests.factories import AssistantFactory, EngagementFactory, OrganizationFactory, UserFactory
from vapportal.models import AuditEvent

# Thursday 3 December 2026, 19:00 in Chicago: Friday 01:00 in UTC, the zone of a worker, a
# command or an admin who never set one.
CHICAGO_EVENING = datetime(2026, 12, 3, 19, 0, tzinfo=ZoneInfo("America/Chicago"))


def test_admin_engages_an_assistant_with_authority(admin_user, organization):
    rhonda = AssistantFactory()

    engagement = services.engagement_create(
        actor=admin_user,
        assistant=rhonda,
        organization=organization,
        can_book_travel=True,
        travel_budget_limit=Decimal("2500"),
        vendor_email_authority=Authority.SEND,
        checkin_authority=Authority.DRAFT,
    )

    assert engagement.is_active
    event = AuditEvent.objects.get(action="engagement.created")
    assert event.actor == admin_user
    assert "travel up to 2500" in event.summary


def test_a_second_primary_assistant_is_refused(admin_user, engagement):
    with pytest.raises(services.EngagementError, match="already has a primary"):
        services.engagement_create(
            actor=admin_user,
            assistant=AssistantFactory(),
            organization=engagement.organization,
            role=Engagement.Role.PRIMARY,
        )
    assert Engagement.objects.active().count() == 1


def test_a_backup_assistant_can_join(admin_user, engagement):
    backup = services.engagement_create(
        actor=admin_user,
        assistant=AssistantFactory(),
        organization=engagement.organization,
        role=Engagement.Role.BACKUP,
    )

    assert backup.is_active


def test_a_user_who_is_not_an_assistant_cannot_be_engaged(admin_user, organization):
    with pytest.raises(services.EngagementError, match="not an assistant"):
        services.engagement_create(
            actor=admin_user, assistant=UserFactory(), organization=organization
        )


def test_ending_an_engagement_removes_access(admin_user, engagement):
    services.engagement_end(actor=admin_user, engagement=engagement)

    assert not engagement.organization.__class__.objects.visible_to(engagement.assistant).exists()
    assert not Engagement.objects.visible_to(engagement.assistant).exists()


def test_hand_over_moves_every_client_with_its_authority(
    admin_user, engagement, other_organization
):
    rhonda = engagement.assistant
    EngagementFactory(
        assistant=rhonda,
        organization=other_organization,
        role="backup",
        vendor_email_authority=Authority.DRAFT,
    )
    marcus = AssistantFactory()

    moved = services.engagements_hand_over(
        actor=admin_user, from_assistant=rhonda, to_assistant=marcus
    )

    assert [client.organization for client in moved.clients] == [
        engagement.organization,
        other_organization,
    ]
    assert not Engagement.objects.active().filter(assistant=rhonda).exists()
    taken = {e.organization: e for e in Engagement.objects.active().filter(assistant=marcus)}
    assert taken[engagement.organization].role == "primary"
    assert taken[engagement.organization].travel_budget_limit == Decimal("1500")
    assert taken[other_organization].vendor_email_authority == Authority.DRAFT
    assert AuditEvent.objects.filter(action="engagement.handed_over").count() == 2


def test_hand_over_to_an_assistant_already_there_keeps_one_engagement(admin_user, engagement):
    backup = EngagementFactory(organization=engagement.organization, role="backup")

    services.engagements_hand_over(
        actor=admin_user, from_assistant=engagement.assistant, to_assistant=backup.assistant
    )

    backup.refresh_from_db()
    assert backup.role == "primary"
    assert Engagement.objects.active().filter(organization=engagement.organization).count() == 1


def test_hand_over_to_oneself_is_refused(admin_user, engagement):
    with pytest.raises(services.EngagementError):
        services.engagements_hand_over(
            actor=admin_user,
            from_assistant=engagement.assistant,
            to_assistant=engagement.assistant,
        )
    engagement.refresh_from_db()
    assert engagement.is_active


def test_owners_see_their_engagements_assistants_see_their_own(
    owner, assistant, outsider, other_assistant, engagement
):
    assert list(Engagement.objects.visible_to(owner)) == [engagement]
    assert list(Engagement.objects.visible_to(assistant)) == [engagement]
    assert engagement not in Engagement.objects.visible_to(outsider)
    assert engagement not in Engagement.objects.visible_to(other_assistant)


@pytest.mark.parametrize("admin_zone", ["UTC", "Europe/Berlin", "Asia/Tokyo"])
def test_an_engagement_made_on_a_chicago_evening_starts_on_chicagos_day(
    admin_user, organization, admin_zone
):
    admin_user.timezone = admin_zone
    admin_user.save()

    with time_machine.travel(CHICAGO_EVENING, tick=False):
        engagement = services.engagement_create(
            actor=admin_user, assistant=AssistantFactory(), organization=organization
        )

    engagement.refresh_from_db()
    assert engagement.started_on == date(2026, 12, 3)


def test_an_engagement_written_by_a_command_starts_on_the_clients_day(db):
    tokyo = OrganizationFactory(timezone="Asia/Tokyo")

    with time_machine.travel(CHICAGO_EVENING, tick=False):
        in_chicago = Engagement.objects.create(
            assistant=AssistantFactory(), organization=OrganizationFactory()
        )
        in_tokyo = Engagement.objects.create(assistant=AssistantFactory(), organization=tokyo)

    assert in_chicago.started_on == date(2026, 12, 3)
    assert in_tokyo.started_on == date(2026, 12, 4)  # 10:00 on Friday there


def test_a_hand_over_on_a_chicago_evening_starts_the_new_engagement_on_chicagos_day(
    admin_user, engagement
):
    marcus = AssistantFactory()

    with time_machine.travel(CHICAGO_EVENING, tick=False):
        services.engagements_hand_over(
            actor=admin_user, from_assistant=engagement.assistant, to_assistant=marcus
        )

    assert Engagement.objects.active().get(assistant=marcus).started_on == date(2026, 12, 3)


def test_the_assistant_reads_since_when_she_works_for_the_client_by_its_day(
    client_for, admin_user, organization
):
    rhonda = AssistantFactory(timezone="America/Chicago")
    with time_machine.travel(CHICAGO_EVENING, tick=False):
        services.engagement_create(actor=admin_user, assistant=rhonda, organization=organization)
        page = client_for(rhonda).get(reverse("home")).content.decode()

    assert "Primary assistant since Thu 3 Dec ·" in page
