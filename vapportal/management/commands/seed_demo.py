"""Loads the demo people and organizations. Safe to run again: it updates what exists."""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from assistants.models import AssistantProfile, Authority, Engagement
from clients.models import Membership, Organization, TeamMember

DEMO_PASSWORD = "portal-demo-2026"

BERGSTROM_TEAM = [
    ("Dana Kowalski", "dana.kowalski", "Neenah dealership"),
    ("Luis Ortega", "luis.ortega", "Neenah dealership"),
    ("Megan Thiel", "megan.thiel", "Neenah dealership"),
    ("Tom Brandt", "tom.brandt", "Neenah dealership"),
    ("Aisha Rahman", "aisha.rahman", "Neenah dealership"),
    ("Greg Lindqvist", "greg.lindqvist", "Neenah dealership"),
    ("Kara Novak", "kara.novak", "Appleton dealership"),
    ("Sam Whitfield", "sam.whitfield", "Appleton dealership"),
    ("Priya Shah", "priya.shah", "Appleton dealership"),
    ("Ben Schultz", "ben.schultz", "Appleton dealership"),
    ("Rosa Delgado", "rosa.delgado", "Appleton dealership"),
    ("Nate Olson", "nate.olson", "Service and parts"),
]


class Command(BaseCommand):
    help = "Load the demo data: Bergstrom Cars, its people, its assistant, and a second client."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        admin = _user("admin@vaportal.example", "Alex Morgan", "America/New_York", is_staff=True)
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])

        bergstrom = _organization(
            "Bergstrom Cars", "bergstrom-cars", "America/Chicago", plan_hours=40
        )
        renard = _user("renard@bergstromcars.example", "Renard Bergstrom", "America/Chicago")
        _member(renard, bergstrom, Membership.Role.OWNER)
        jill = _user("jill.meyer@bergstromcars.example", "Jill Meyer", "America/Chicago")
        _member(jill, bergstrom, Membership.Role.MANAGER)
        rhonda = _assistant(
            "rhonda@vaportal.example",
            "Rhonda Hayes",
            "America/Denver",
            bio="Virtual assistant to Renard Bergstrom: clerical work, vendors, travel.",
            skills="Scheduling, travel booking, vendor communications, online workflows",
        )
        _engagement(
            rhonda,
            bergstrom,
            can_book_travel=True,
            travel_budget_limit=Decimal("2500"),
            vendor_email_authority=Authority.SEND,
            checkin_authority=Authority.DRAFT,
        )
        for name, local_part, location in BERGSTROM_TEAM:
            TeamMember.objects.update_or_create(
                organization=bergstrom,
                email=f"{local_part}@bergstromcars.example",
                defaults={"name": name, "location": location, "active": True},
            )

        lakeshore = _organization(
            "Lakeshore Dental Group", "lakeshore-dental", "America/Los_Angeles", plan_hours=20
        )
        elena = _user("elena@lakeshoredental.example", "Elena Park", "America/Los_Angeles")
        _member(elena, lakeshore, Membership.Role.OWNER)
        marcus = _assistant(
            "marcus@vaportal.example",
            "Marcus Webb",
            "America/Phoenix",
            bio="Assistant for practice owners.",
            skills="Calendars, research, bookkeeping support",
        )
        _engagement(marcus, lakeshore, vendor_email_authority=Authority.DRAFT)
        for name, local_part, location in [
            ("Hannah Cole", "hannah.cole", "Front desk"),
            ("Victor Han", "victor.han", "Hygiene"),
        ]:
            TeamMember.objects.update_or_create(
                organization=lakeshore,
                email=f"{local_part}@lakeshoredental.example",
                defaults={"name": name, "location": location, "active": True},
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready; every demo password is {DEMO_PASSWORD}")
        )


def _user(email: str, name: str, tz: str, *, is_staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "timezone": tz, "is_staff": is_staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _organization(name: str, slug: str, tz: str, *, plan_hours: int) -> Organization:
    organization, _ = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "timezone": tz, "monthly_plan_hours": plan_hours}
    )
    return organization


def _member(user: User, organization: Organization, role: str) -> None:
    Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": role})


def _assistant(email: str, name: str, tz: str, *, bio: str, skills: str) -> User:
    user = _user(email, name, tz)
    AssistantProfile.objects.get_or_create(
        user=user,
        defaults={"bio": bio, "skills": skills, "working_hours": "Mon–Fri 08:00–16:30"},
    )
    return user


def _engagement(assistant: User, organization: Organization, **authority) -> None:
    if not Engagement.objects.active().filter(organization=organization).exists():
        Engagement.objects.create(assistant=assistant, organization=organization, **authority)
