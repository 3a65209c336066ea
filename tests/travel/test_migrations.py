"""The migration that records approved amounts gives trips approved before it theirs."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .conftest import flight, hotel, in_days

BEFORE = [("travel", "0002_routinetrip_edited_at")]
AFTER = [("travel", "0003_trip_approved_total")]


def migrate(to: list[tuple[str, str]]):
    """The models as they are once the database is migrated to `to`."""
    executor = MigrationExecutor(connection)
    executor.migrate(to)
    executor.loader.build_graph()
    return executor.loader.project_state(to).apps


@pytest.fixture
def apps_before(transactional_db):
    yield migrate(BEFORE)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_trip_approved_before_keeps_its_total_as_the_amount_approved(
    apps_before, owner, organization
):
    Trip = apps_before.get_model("travel", "Trip")
    Segment = apps_before.get_model("travel", "Segment")
    day = in_days(20)

    def trip(approved_by, *segments) -> int:
        made = Trip.objects.create(
            organization_id=organization.pk,
            traveler_id=owner.pk,
            requested_by_id=owner.pk,
            purpose="Dealer association meeting",
            destinations="Minneapolis",
            depart_on=day,
            return_on=in_days(22),
            status="booked",
            approved_by_id=approved_by,
        )
        for fields in segments:
            Segment.objects.create(trip=made, **fields.__dict__)
        return made.pk

    approved = trip(owner.pk, flight(day, cost="2100"), hotel(day, cost="500"))
    in_two_currencies = trip(owner.pk, flight(day), replace(hotel(day), currency="CAD"))
    never_approved = trip(None, flight(day))

    apps = migrate(AFTER)

    totals = dict(apps.get_model("travel", "Trip").objects.values_list("pk", "approved_total"))
    assert totals == {approved: Decimal("2600"), in_two_currencies: None, never_approved: None}
