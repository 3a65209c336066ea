from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from travel import services

CHICAGO = ZoneInfo("America/Chicago")


def in_days(days: int) -> date:
    return timezone.localdate(timezone=CHICAGO) + timedelta(days=days)


def flight(day: date, cost="320.00", **fields) -> services.SegmentFields:
    return services.SegmentFields(
        **{
            "kind": "flight",
            "provider": "Delta",
            "number": "DL 2345",
            "origin": "ATW",
            "destination": "MSP",
            "start_at": datetime.combine(
                day, datetime.min.time().replace(hour=15, minute=10), tzinfo=CHICAGO
            ),
            "start_zone": "America/Chicago",
            "end_at": datetime.combine(
                day, datetime.min.time().replace(hour=16, minute=20), tzinfo=CHICAGO
            ),
            "end_zone": "America/Chicago",
            "cost": Decimal(cost),
            "currency": "USD",
            "confirmation": "K7XQ2M",
            **fields,
        }
    )


def hotel(day: date, nights: int = 2, cost="480.00") -> services.SegmentFields:
    return services.SegmentFields(
        kind="hotel",
        provider="Hilton Minneapolis",
        destination="Minneapolis",
        start_at=datetime.combine(day, datetime.min.time().replace(hour=16), tzinfo=CHICAGO),
        start_zone="America/Chicago",
        end_at=datetime.combine(
            day + timedelta(days=nights), datetime.min.time().replace(hour=11), tzinfo=CHICAGO
        ),
        end_zone="America/Chicago",
        cost=Decimal(cost),
        currency="USD",
        confirmation="HX-99812",
    )


@pytest.fixture
def trip(owner, organization, engagement):
    return services.trip_request(
        actor=owner,
        organization=organization,
        traveler=owner,
        purpose="Dealer association meeting",
        destinations="Minneapolis",
        depart_on=in_days(20),
        return_on=in_days(22),
    )
