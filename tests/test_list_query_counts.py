"""The list pages added with travel and vendors make the same queries however many rows they
show."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from tests.helpers import queries_for
from travel import services as travel
from vendors.models import Contact, Message, Vendor


def routine(owner, organization, n: int):
    return travel.routine_create(
        actor=owner,
        organization=organization,
        traveler=owner,
        fields=travel.RoutineFields(
            title=f"Routine {n}",
            destinations="Minneapolis",
            rrule="FREQ=MONTHLY;BYDAY=1TU",
            timezone="America/Chicago",
            starts_on=date(2026, 1, 1),
            auto_approve_limit=Decimal("500"),
        ),
    )


def test_the_routine_trips_list_keeps_its_query_count(
    client_for, owner, organization, django_assert_num_queries
):
    client = client_for(owner)
    routine(owner, organization, 0)
    expected = queries_for(lambda: client.get(reverse("travel:routines")))

    for n in range(1, 15):
        routine(owner, organization, n)

    with django_assert_num_queries(expected):
        response = client.get(reverse("travel:routines"))
    assert response.content.decode().count('class="list-group-item') == 15


def vendor_with_mail(organization, n: int) -> Vendor:
    vendor = Vendor.objects.create(organization=organization, name=f"Vendor {n}")
    contact = Contact.objects.create(vendor=vendor, name=f"Contact {n}", email=f"c{n}@v.example")
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                organization=organization,
                vendor=vendor,
                contact=contact,
                direction="out",
                status=status,
                subject=f"Subject {n} {status}",
                body="Hello",
                to_address=contact.email,
                happened_at=now,
            )
            for status in ("sent", "draft")
        ]
        + [
            Message(
                organization=organization,
                direction="in",
                status="received",
                subject=f"Unknown {n}",
                body="Hi",
                from_address=f"someone{n}@new.example",
                message_id=f"unknown-{n}@new.example",
                happened_at=now,
            )
        ]
    )
    return vendor


def test_the_vendor_pages_that_list_keep_their_query_counts(
    client_for, owner, organization, django_assert_num_queries
):
    client = client_for(owner)
    vendor_with_mail(organization, 0)
    pages = [
        reverse("vendors:review"),
        reverse("vendors:inbox"),
        reverse("vendors:authority"),
    ]
    expected = {url: queries_for(lambda url=url: client.get(url)) for url in pages}

    for n in range(1, 12):
        vendor_with_mail(organization, n)

    for url in pages:
        with django_assert_num_queries(expected[url]):
            assert client.get(url).status_code == 200


def test_the_hand_over_summary_keeps_its_query_count(
    client_for, assistant, organization, django_assert_num_queries
):
    client = client_for(assistant)
    url = f"{reverse('vendors:hand_over')}?organization={organization.pk}"
    vendor_with_mail(organization, 0)
    expected = queries_for(lambda: client.get(url))

    for n in range(1, 12):
        vendor_with_mail(organization, n)

    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.content.decode().count("Subject") == 12
