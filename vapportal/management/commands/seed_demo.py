"""Loads the demo people, organizations and their work, relative to the day it runs. Safe to
run again: it leaves what exists as it finds it and adds only what that day's demo lacks (see
`vapportal.demo_work`)."""

from datetime import time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assistants.models import AssistantProfile, Authority, Engagement
from checkins import services as checkin_services
from checkins.models import WhenMissing
from clients.models import Membership, Organization, TeamMember
from tasks import projects, services
from tasks.models import Category, Priority, Project, RecurringTask, Status, Task
from tasks.recurring import recurring_task_create
from travel import services as travel_services
from travel.models import RoutineTrip
from vendors import services as vendor_services
from vendors.models import Contact, Message, Vendor

from ...demo_work import Cast, demo_work_ensure

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
        _demo_tasks(bergstrom, renard, jill, rhonda)
        _demo_project(bergstrom, renard, rhonda)
        _demo_recurring(bergstrom, renard, rhonda)
        _demo_checkins(bergstrom)
        _demo_travel(bergstrom, renard)
        _demo_vendors(bergstrom, renard)
        _demo_vendor_mail(bergstrom, rhonda)
        _demo_lakeshore_tasks(lakeshore, elena, marcus)
        added = demo_work_ensure(Cast(organization=bergstrom, owner=renard, assistant=rhonda))
        # The routine's coming occurrence is made now rather than at beat's next tick.
        travel_services.routines_dispatch()
        if added:
            self.stdout.write("Added for today: " + ", ".join(added) + ".")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready; every demo password is {DEMO_PASSWORD}")
        )


def _demo_tasks(organization, owner, manager, assistant) -> None:
    """A week in Renard's delegation: some waiting in the pool, some in Rhonda's hands."""
    if Task.objects.filter(organization=organization).exists():
        return
    now = timezone.now()
    pool = [
        ("Order the new showroom banners", Category.VENDORS, Priority.HIGH, 2, owner),
        ("Research CRM options for online sales", Category.RESEARCH, Priority.NORMAL, 6, owner),
        (
            "Collect the Appleton service team's vacation requests",
            Category.CLERICAL,
            Priority.NORMAL,
            4,
            manager,
        ),
        (
            "Renew the dealership association membership",
            Category.CLERICAL,
            Priority.URGENT,
            1,
            owner,
        ),
    ]
    for title, category, priority, days, requester in pool:
        services.task_create(
            actor=requester,
            organization=organization,
            title=title,
            category=category,
            priority=priority,
            due_at=now + timedelta(days=days),
            budget_minutes=60,
            details="Details in the thread; ask if anything is unclear.",
        )
    taken = services.task_create(
        actor=owner,
        organization=organization,
        title="Set up the vendor meeting with the new detailing supplier",
        category=Category.SCHEDULING,
        due_at=now + timedelta(days=3),
        budget_minutes=90,
        checklist=["Propose three times", "Send the agenda", "Book the conference room"],
    )
    services.task_claim(actor=assistant, task=taken)
    services.time_entry_log(actor=assistant, task=taken, minutes=25, note="First calls")
    services.task_move(
        actor=assistant,
        task=taken,
        to=Status.WAITING,
        note="Do you want the Neenah or the Appleton conference room?",
    )
    done = services.task_create(
        actor=owner,
        organization=organization,
        title="Book the flights to the Minneapolis dealer meeting",
        category=Category.TRAVEL,
        due_at=now + timedelta(days=10),
    )
    services.task_claim(actor=assistant, task=done)
    services.time_entry_log(actor=assistant, task=done, minutes=40, note="Aisle seat, as usual")
    services.task_move(actor=assistant, task=done, to=Status.DONE)
    services.task_thank(
        actor=owner, task=done, note="Booked before I even thought of it. Thank you, Rhonda!"
    )


def _demo_recurring(organization, owner, assistant) -> None:
    """Renard's weekly numbers and the monthly close, which Rhonda always handles."""
    if RecurringTask.objects.filter(organization=organization).exists():
        return
    today = timezone.localdate(timezone=organization.zone)
    recurring_task_create(
        actor=owner,
        organization=organization,
        title="Compile last week's sales numbers for both dealerships",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=today,
        due_time=time(9, 0),
        timezone=organization.timezone,
        category=Category.CLERICAL,
        budget_minutes=45,
        lead_days=1,
        assignee=assistant,
    )
    recurring_task_create(
        actor=owner,
        organization=organization,
        title="Send the month-end vendor invoices to accounting",
        rrule="FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        starts_on=today,
        due_time=time(15, 0),
        timezone=organization.timezone,
        category=Category.VENDORS,
        lead_days=3,
    )


def _demo_project(organization, owner, assistant) -> None:
    """Rhonda takes the employee evaluations off Renard's plate; hiring an outside firm to
    finish them waits for his approval."""
    if Project.objects.filter(organization=organization, title="Employee evaluations").exists():
        return
    today = timezone.localdate(timezone=organization.zone)
    project = projects.project_create(
        actor=owner,
        organization=organization,
        title="Employee evaluations",
        description=(
            "Take the **employee evaluation process** off my plate and secure an outside firm "
            "to finish it.\n\n- collect last year's evaluations from both dealerships\n"
            "- hire an evaluation firm (I approve before we sign anything)"
        ),
        target_date=today + timedelta(days=60),
    )
    collect = projects.milestone_add(
        actor=owner,
        project=project,
        title="Collect last year's evaluations",
        due_date=today + timedelta(days=14),
    )
    hire = projects.milestone_add(
        actor=assistant,
        project=project,
        title="Hire an outside evaluation firm",
        due_date=today + timedelta(days=30),
        needs_approval=True,
    )
    gathered = services.task_create(
        actor=owner,
        organization=organization,
        title="Gather the 2025 evaluation forms from both dealerships",
        category=Category.PROJECT,
        milestone=collect,
    )
    services.task_claim(actor=assistant, task=gathered)
    services.task_move(actor=assistant, task=gathered, to=Status.DONE)
    services.task_create(
        actor=owner,
        organization=organization,
        title="Ask each manager for their notes on their team",
        category=Category.PROJECT,
        milestone=collect,
    )
    services.task_create(
        actor=owner,
        organization=organization,
        title="Shortlist three evaluation firms with quotes",
        category=Category.PROJECT,
        milestone=hire,
    )


def _demo_checkins(organization) -> None:
    """Renard's settings: 07:45 on weekdays, and a reminder when nothing is written. His
    check-ins and Rhonda's draft are dated work (`demo_work`)."""
    checkin_settings = checkin_services.checkin_settings_for(organization)
    checkin_settings.when_missing = WhenMissing.REMIND
    checkin_settings.save(update_fields=["when_missing", "updated_at"])


def _demo_travel(organization, owner) -> None:
    """Renard's travel profile and his monthly trip to the dealer association meeting in
    Minneapolis, which books itself (the beat tick makes the coming occurrence)."""
    profile = travel_services.profile_for(owner)
    if not profile.home_airport:
        travel_services.profile_save(
            actor=owner,
            profile=profile,
            home_airport="ATW",
            seat="aisle",
            cabin="economy",
            preferred_airlines="Delta",
            hotel_chains="Hilton",
            car_size="Midsize",
            loyalty_programs="Delta SkyMiles 9876543210\nHilton Honors 1122334455",
            known_traveler_number="TT7Q21984",
            emergency_contact="Maria Bergstrom, +1 920 555 0142",
        )
    if RoutineTrip.objects.filter(organization=organization).exists():
        return
    flight = {"kind": "flight", "provider": "Delta", "currency": "USD"}
    chicago = {"start_zone": "America/Chicago", "end_zone": "America/Chicago"}
    travel_services.routine_create(
        actor=owner,
        organization=organization,
        traveler=owner,
        fields=travel_services.RoutineFields(
            title="Dealer association meeting",
            destinations="Minneapolis",
            rrule="FREQ=MONTHLY;BYDAY=1TU",
            timezone="America/Chicago",
            starts_on=timezone.localdate(timezone=organization.zone).replace(day=1),
            days_before=1,
            nights=2,
            lead_days=21,
            preferences="Aisle seat; the Hilton downtown",
            auto_approve_limit=Decimal("1200"),
            segment_template=[
                {**flight, **chicago, "number": "DL 2345", "origin": "ATW",
                 "destination": "MSP", "day": 0, "start": "15:10", "end_day": 0,
                 "end": "16:20", "cost": "320"},
                {"kind": "hotel", "provider": "Hilton Minneapolis", **chicago,
                 "destination": "Minneapolis", "day": 0, "start": "17:00", "end_day": 2,
                 "end": "11:00", "cost": "480", "currency": "USD"},
                {**flight, **chicago, "number": "DL 2346", "origin": "MSP",
                 "destination": "ATW", "day": 2, "start": "17:05", "end_day": 2,
                 "end": "18:10", "cost": "320"},
            ],
        ),
    )  # fmt: skip


def _demo_vendors(organization, owner) -> None:
    """The dealerships' vendors: Rhonda may email the tire supplier as Renard, but drafts to
    the new detailing firm wait for his approval."""
    for name, category, works_with, contact, email, authority in [
        ("Fox Valley Detailing", "Detailing", "Neenah, Appleton", "Dana Fox",
         "dana@foxvalleydetailing.example", Authority.DRAFT),
        ("Lakeshore Tire Supply", "Parts", "Service departments", "Sam Ortiz",
         "sam@lakeshoretire.example", ""),
        ("Northwoods Marketing", "Advertising", "Sales", "Priya Shah",
         "priya@northwoodsmarketing.example", Authority.NONE),
    ]:  # fmt: skip
        vendor, created = Vendor.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={"category": category, "works_with": works_with},
        )
        if created:
            Contact.objects.create(vendor=vendor, name=contact, email=email)
            if authority:
                vendor_services.authority_set(
                    actor=owner, vendor=vendor, contact=None, authority=authority
                )


def _demo_vendor_mail(organization, assistant) -> None:
    """Rhonda ordered winter tires as Renard (she may send to the tire supplier), and her
    note to the new detailing firm waits for his approval."""
    if Message.objects.filter(organization=organization).exists():
        return
    for vendor_name, subject, body in [
        ("Lakeshore Tire Supply", "Winter tires for the Neenah service lane",
         "Hi Sam,\n\nPlease send 40 sets of the usual winter tires to the Neenah service "
         "lane by the end of next week, and the invoice to accounting as before.\n\n"
         "Thank you,\nRenard"),
        ("Fox Valley Detailing", "Detailing for the spring showroom event",
         "Hi Dana,\n\nWe would like every car on both showroom floors detailed the day before "
         "our spring event. Could you quote for about 60 cars?\n\nBest,\nRenard"),
    ]:  # fmt: skip
        vendor = Vendor.objects.get(organization=organization, name=vendor_name)
        contact = vendor.contacts.first()
        vendor_services.message_write(
            actor=assistant,
            vendor=vendor,
            contact=contact,
            to_address=contact.email,
            subject=subject,
            body=body,
        )


def _demo_lakeshore_tasks(organization, owner, assistant) -> None:
    """Elena's practice delegates too: Marcus has one task in hand and one in the pool."""
    if Task.objects.filter(organization=organization).exists():
        return
    now = timezone.now()
    services.task_create(
        actor=owner,
        organization=organization,
        title="Find a second supplier for patient bibs and cups",
        category=Category.RESEARCH,
        due_at=now + timedelta(days=5),
        budget_minutes=60,
    )
    recertification = services.task_create(
        actor=owner,
        organization=organization,
        title="Schedule the hygienists' CPR recertification",
        category=Category.SCHEDULING,
        due_at=now + timedelta(days=8),
        budget_minutes=45,
    )
    services.task_claim(actor=assistant, task=recertification)


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
