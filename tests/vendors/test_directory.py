"""The vendor directory: importing it, its documents, who may write to whom as the owner, the
correspondence on a vendor's page, the owner's week and the hand-over summary; each page as
the owner, an assistant and a stranger from another organization."""

import zoneinfo
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import EngagementFactory, TaskFactory
from tests.helpers import A_NOVEMBER_WEDNESDAY, queries_for
from vendors import services
from vendors.models import AuthorityChange, Contact, Message, Vendor, VendorDocument

from .conftest import write

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEADER = "name,category,website,status,contact_name,contact_email,contact_phone,contact_role\n"


def csv_upload(content: bytes | str, name: str = "vendors.csv") -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def import_csv(client, organization, content):
    return client.post(
        f"{reverse('vendors:import')}?organization={organization.pk}",
        {"file": csv_upload(content)},
    )


def sent_message(vendor, subject, *, days_ago=0, **fields) -> Message:
    when = timezone.now() - timedelta(days=days_ago)
    return Message.objects.create(
        organization=vendor.organization,
        vendor=vendor,
        direction=Message.Direction.OUT,
        status=fields.pop("status", Message.Status.SENT),
        subject=subject,
        body=fields.pop("body", "Hello."),
        to_address=fields.pop("to_address", "dana@foxvalley.example"),
        happened_at=when,
        created_at=when,
        **fields,
    )


def local_input(user, when) -> str:
    """A datetime as the person's datetime-local field would send it."""
    return timezone.localtime(when, zoneinfo.ZoneInfo(user.timezone)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def task(organization, owner):
    return TaskFactory(organization=organization, created_by=owner, title="Detail the fleet")


@pytest.fixture
def other_vendor(other_organization):
    return Vendor.objects.create(organization=other_organization, name="Lakeside Supplies")


@pytest.fixture
def other_contact(other_vendor):
    return Contact.objects.create(
        vendor=other_vendor, name="Sam Lake", email="sam@lakeside.example"
    )


# CSV import -----------------------------------------------------------------------------------


def test_csv_import_reports_each_row_added_updated_or_rejected_with_why(
    client_for, assistant, organization, vendor
):
    content = (
        "\ufeff"
        + HEADER
        + (
            "Northside Tires,Tires,https://northside.example,prospective,"
            "Kim Lee,KIM@northside.example,920-555-0101,Sales\n"
            "fox valley detailing,Detailing and wraps,,active,,,,\n"
            "Acme Glass,Glass,,bankrupt,,,,\n"
            ",Parts,,,,,,\n"
            "Bad Site,Parts,not a web site,,,,,\n"
            "Bad Mail,Parts,,,Pat Doe,not-an-address,,\n"
        )
    )

    response = import_csv(client_for(assistant), organization, content)

    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [(row.line, row.name, row.outcome) for row in rows] == [
        (2, "Northside Tires", "added"),
        (3, "fox valley detailing", "updated"),
        (4, "Acme Glass", "rejected"),
        (5, "", "rejected"),
        (6, "Bad Site", "rejected"),
        (7, "Bad Mail", "rejected"),
    ]
    assert all(row.reason for row in rows if row.outcome == "rejected")
    assert "bankrupt" in rows[2].reason
    assert "empty" in rows[3].reason
    html = response.content.decode()
    assert 'id="import-report"' in html
    assert "rejected: " in html

    names = Vendor.objects.filter(organization=organization).values_list("name", flat=True)
    assert sorted(names) == ["Fox Valley Detailing", "Northside Tires"]
    vendor.refresh_from_db()
    assert vendor.category == "Detailing and wraps"
    northside = Vendor.objects.get(name="Northside Tires")
    assert (northside.status, northside.website) == ("prospective", "https://northside.example")
    kim = northside.contacts.get()
    assert (kim.name, kim.email, kim.phone, kim.role) == (
        "Kim Lee",
        "kim@northside.example",
        "920-555-0101",
        "Sales",
    )
    # The rejected row with a bad contact left no vendor behind either.
    assert not Vendor.objects.filter(name="Bad Mail").exists()


def test_csv_import_rejects_a_row_with_more_cells_than_the_header_and_goes_on(
    client_for, owner, organization
):
    content = "name,category\nAcme Glass,Glass,one cell too many\nNorthside Tires,Tires\n"

    response = import_csv(client_for(owner), organization, content)

    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [(row.name, row.outcome) for row in rows] == [
        ("Acme Glass", "rejected"),
        ("Northside Tires", "added"),
    ]
    assert rows[0].reason


def test_csv_import_name_with_a_line_break_is_rejected(client_for, owner, organization):
    content = 'name,category\n"Acme Glass\r\nBcc: spy@example.com",Glass\n'

    response = import_csv(client_for(owner), organization, content)

    (row,) = response.context["report"].rows
    assert row.outcome == "rejected"
    assert "line break" in row.reason
    assert not Vendor.objects.exists()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"name,category\n\x81\x8d broken\n", "Save it from the spreadsheet as “CSV UTF-8"),
        (
            b"Northside Tires,Tires\nAcme Glass,Glass\n",
            "it names “Northside Tires”, “Tires” (missing: name)",
        ),
        (
            (HEADER + "Northside Tires,Tires,,,,,,\n" * 40_000).encode(),
            "larger than 1 MB",
        ),
    ],
    ids=["not-text", "no-header", "over-1mb"],
)
def test_a_csv_that_is_not_text_has_no_header_or_is_too_big_changes_nothing(
    client_for, owner, organization, vendor, content, error
):
    response = import_csv(client_for(owner), organization, content)

    assert response.status_code == 200
    assert response.context["report"] is None
    assert error in " ".join(response.context["form"].errors["file"])
    assert list(Vendor.objects.values_list("name", flat=True)) == [vendor.name]
    assert not Contact.objects.exists()


def test_csv_import_reads_a_file_excel_saved_with_semicolons_in_utf8_or_windows_text(
    client_for, owner, organization
):
    utf8 = ("\ufeff" + HEADER.replace(",", ";") + "Café Müller;Coffee;;;;;;\r\n").encode()
    windows = (HEADER.replace(",", ";") + "Brücke Tires;Tires;;;;;;\r\n").encode("cp1252")
    client = client_for(owner)

    for content in (utf8, windows):
        response = import_csv(client, organization, content)
        assert [row.outcome for row in response.context["report"].rows] == ["added"]

    assert sorted(Vendor.objects.values_list("name", "category")) == [
        ("Brücke Tires", "Tires"),
        ("Café Müller", "Coffee"),
    ]


def test_csv_import_into_another_organization_is_not_found(
    client_for, outsider, organization, vendor
):
    response = import_csv(client_for(outsider), organization, HEADER + "Spy Co,Spying,,,,,,\n")

    assert response.status_code == 404
    assert list(Vendor.objects.values_list("name", flat=True)) == [vendor.name]


# Documents ------------------------------------------------------------------------------------


def upload_document(client, vendor, upload):
    return client.post(reverse("vendors:document_add", args=[vendor.pk]), {"file": upload})


def test_a_document_is_stored_under_a_random_name_and_downloads_only_through_the_view(
    client_for, assistant, owner, vendor
):
    response = upload_document(
        client_for(assistant), vendor, SimpleUploadedFile("Price list 2026.pdf", PDF)
    )

    assert response.status_code == 302
    document = VendorDocument.objects.get()
    assert (document.vendor, document.uploaded_by, document.content_type, document.size) == (
        vendor,
        assistant,
        "application/pdf",
        len(PDF),
    )
    assert "Price" not in document.file.name

    client = client_for(owner)
    page = client.get(vendor.get_absolute_url()).content.decode()
    assert reverse("vendors:document", args=[document.pk]) in page
    download = client.get(reverse("vendors:document", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Price list 2026.pdf" in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    # Nothing serves the stored file directly.
    assert client.get(f"/media/{document.file.name}").status_code == 404


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("quote.pdf", b"MZ\x90\x00" + b"\x00" * 200), "do not match its name"),
        (SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 100), "not a document"),
        (SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024)), "larger than 10 MB"),
    ],
    ids=["disguised", "executable", "over-10mb"],
)
def test_a_document_the_upload_rules_refuse_stores_nothing(
    client_for, assistant, vendor, upload, reason
):
    client = client_for(assistant)

    response = upload_document(client, vendor, upload)

    assert response.status_code == 302
    assert not VendorDocument.objects.exists()
    shown = client.get(vendor.get_absolute_url()).content.decode()
    assert reason in shown


def test_another_organizations_documents_are_not_found(client_for, owner, outsider, vendor):
    document = services.document_add(
        actor=owner, vendor=vendor, upload=SimpleUploadedFile("contract.pdf", PDF)
    )
    client = client_for(outsider)

    assert client.get(reverse("vendors:document", args=[document.pk])).status_code == 404
    response = upload_document(client, vendor, SimpleUploadedFile("mine.pdf", PDF))

    assert response.status_code == 404
    assert list(VendorDocument.objects.all()) == [document]


# Authority ------------------------------------------------------------------------------------


def set_authority(client, organization, vendor, authority, contact=None):
    data = {"vendor": vendor.pk, "authority": authority}
    if contact is not None:
        data["contact"] = contact.pk
    return client.post(f"{reverse('vendors:authority')}?organization={organization.pk}", data)


def test_owner_sets_vendor_and_contact_authority_and_every_change_is_recorded_and_shown(
    client_for, owner, sending_assistant, organization, vendor, contact
):
    second = Contact.objects.create(vendor=vendor, name="Lee Park", email="lee@foxvalley.example")
    client = client_for(owner)

    # The default comes from the engagement: send.
    assert services.authority_for(sending_assistant, vendor, contact) == "send"
    assert set_authority(client, organization, vendor, "none").status_code == 302
    set_authority(client, organization, vendor, "draft", contact=contact)

    vendor.refresh_from_db()
    contact.refresh_from_db()
    assert (vendor.authority, contact.authority) == ("none", "draft")
    # The contact's setting overrides the vendor's; a contact without one follows the vendor.
    assert services.authority_for(sending_assistant, vendor, contact) == "draft"
    assert services.authority_for(sending_assistant, vendor, second) == "none"
    assert services.authority_for(sending_assistant, vendor) == "none"

    set_authority(client, organization, vendor, "")  # back to the engagement's default
    vendor.refresh_from_db()
    assert services.authority_for(sending_assistant, vendor, second) == "send"
    assert services.authority_for(sending_assistant, vendor, contact) == "draft"

    changes = list(AuthorityChange.objects.order_by("id"))
    assert [(c.actor, c.vendor, c.contact, c.from_authority, c.to_authority) for c in changes] == [
        (owner, vendor, None, "", "none"),
        (owner, vendor, contact, "", "draft"),
        (owner, vendor, None, "none", ""),
    ]
    page = client.get(f"{reverse('vendors:authority')}?organization={organization.pk}")
    html = page.content.decode()
    changes_html = html[html.index('id="authority-changes"') :]
    assert "Fox Valley Detailing default → none" in changes_html
    assert "Dana Fox (Fox Valley Detailing) default → draft" in changes_html
    assert "Fox Valley Detailing none → default" in changes_html
    assert "Renard Bergstrom" in changes_html


def test_saving_the_same_authority_again_records_nothing(client_for, owner, organization, vendor):
    client = client_for(owner)
    set_authority(client, organization, vendor, "draft")
    set_authority(client, organization, vendor, "draft")

    assert AuthorityChange.objects.count() == 1


def test_an_assistant_sees_the_authorities_but_cannot_change_them(
    client_for, sending_assistant, organization, vendor, contact
):
    client = client_for(sending_assistant)

    page = client.get(f"{reverse('vendors:authority')}?organization={organization.pk}")
    vendor_response = set_authority(client, organization, vendor, "send")
    contact_response = set_authority(client, organization, vendor, "send", contact=contact)

    assert page.status_code == 200
    assert "<select" not in page.content.decode()
    assert (vendor_response.status_code, contact_response.status_code) == (404, 404)
    vendor.refresh_from_db()
    contact.refresh_from_db()
    assert (vendor.authority, contact.authority) == ("", "")
    assert not AuthorityChange.objects.exists()
    with pytest.raises(services.PermissionDenied):
        services.authority_set(
            actor=sending_assistant, vendor=vendor, contact=None, authority="send"
        )


def test_another_organizations_authority_page_is_not_found(
    client_for, outsider, owner, organization, other_organization, vendor, other_vendor
):
    client = client_for(outsider)

    page = client.get(f"{reverse('vendors:authority')}?organization={organization.pk}")
    into_theirs = set_authority(client, organization, vendor, "send")
    # Their own organization named, our vendor posted.
    smuggled = set_authority(client, other_organization, vendor, "send")

    assert (page.status_code, into_theirs.status_code, smuggled.status_code) == (404, 404, 404)
    vendor.refresh_from_db()
    assert vendor.authority == ""
    assert not AuthorityChange.objects.exists()


def contact_line(html: str, contact) -> str:
    start = html.index(f'id="contact-{contact.pk}"')
    return html[start : html.index("</li>", start)]


def test_the_owner_sees_for_each_contact_the_rule_each_engaged_assistant_is_held_to(
    client_for, owner, sending_assistant, organization, vendor, contact
):
    backup = EngagementFactory(
        organization=organization,
        role="backup",
        assistant__full_name="Marcus Webb",
        vendor_email_authority="draft",
    ).assistant
    careful = Contact.objects.create(vendor=vendor, name="Lee Park", email="lee@foxvalley.example")
    services.authority_set(actor=owner, vendor=vendor, contact=careful, authority="none")

    html = client_for(owner).get(vendor.get_absolute_url()).content.decode()

    assert "Rhonda Hayes may send as the owner" in contact_line(html, contact)
    assert "Marcus Webb may draft, for the owner's approval" in contact_line(html, contact)
    assert "Rhonda Hayes may not write as the owner" in contact_line(html, careful)
    assert "Marcus Webb may not write as the owner" in contact_line(html, careful)
    assert "Assistant may" not in html
    assert "Rhonda Hayes may send as the owner" in html[html.index('id="assistant-authorities"') :]
    # What the page says is what happens when they write.
    assert write(sending_assistant, vendor, contact).status == Message.Status.SENT
    assert write(backup, vendor, contact).status == Message.Status.DRAFT
    with pytest.raises(services.VendorError):
        write(sending_assistant, vendor, careful)


def test_an_assistant_sees_what_they_may_do_for_each_contact(
    client_for, owner, sending_assistant, vendor, contact
):
    careful = Contact.objects.create(vendor=vendor, name="Lee Park", email="lee@foxvalley.example")
    services.authority_set(actor=owner, vendor=vendor, contact=careful, authority="none")

    html = client_for(sending_assistant).get(vendor.get_absolute_url()).content.decode()

    assert "You may send as the owner" in contact_line(html, contact)
    assert "You may not write as the owner" in contact_line(html, careful)
    assert 'id="assistant-authorities"' not in html


# Query counts ---------------------------------------------------------------------------------


def test_vendor_list_query_count_does_not_grow_with_vendors(
    client_for, owner, organization, vendor, contact, django_assert_num_queries
):
    client = client_for(owner)
    url = f"{reverse('vendors:list')}?organization={organization.pk}"
    expected = queries_for(lambda: client.get(url))

    vendors = Vendor.objects.bulk_create(
        Vendor(organization=organization, name=f"Vendor {n:03}", category="Parts")
        for n in range(120)
    )
    Contact.objects.bulk_create(
        Contact(vendor=v, name=f"Contact {v.name}", email=f"c{v.pk}@example.com") for v in vendors
    )
    Message.objects.bulk_create(
        Message(
            organization=organization,
            vendor=v,
            direction=Message.Direction.OUT,
            status=Message.Status.SENT,
            subject=f"About {v.name}",
            body="Hello.",
        )
        for v in vendors
    )

    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50


def test_vendor_page_with_two_thousand_messages_keeps_its_query_count(
    client_for,
    owner,
    sending_assistant,
    organization,
    vendor,
    contact,
    task,
    django_assert_num_queries,
):
    client = client_for(sending_assistant)
    url = vendor.get_absolute_url()
    sent_message(vendor, "The first", contact=contact, written_by=sending_assistant, task=task)
    expected = queries_for(lambda: client.get(url))

    second = Contact.objects.create(vendor=vendor, name="Lee Park", email="lee@foxvalley.example")
    tasks = [TaskFactory(organization=organization, created_by=owner) for _ in range(3)]
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                organization=organization,
                vendor=vendor,
                contact=(contact, second, None)[n % 3],
                task=tasks[n % 3] if n % 2 else None,
                direction=Message.Direction.OUT if n % 4 else Message.Direction.IN,
                kind=Message.Kind.EMAIL if n % 5 else Message.Kind.CALL,
                status=Message.Status.SENT if n % 4 else Message.Status.RECEIVED,
                subject=f"Message {n}",
                body="Body.",
                to_address="dana@foxvalley.example",
                written_by=(sending_assistant, owner)[n % 2],
                approved_by=owner if n % 7 == 0 else None,
                happened_at=now - timedelta(minutes=n),
            )
            for n in range(2_000)
        ],
        batch_size=1000,
    )

    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 2_001


# Correspondence -------------------------------------------------------------------------------


def test_the_vendor_page_searches_its_correspondence(client_for, owner, vendor, other_vendor):
    sent_message(vendor, "Fleet detailing quote", body="Twelve trucks, interior only.")
    sent_message(vendor, "Invoice for March", body="The brake pads were extra.")
    sent_message(other_vendor, "Brakes for the other client", body="brake")
    client = client_for(owner)

    by_body = client.get(vendor.get_absolute_url(), {"q": "BRAKE"})
    by_subject = client.get(vendor.get_absolute_url(), {"q": "detailing quote"})

    assert [m.subject for m in by_body.context["page"]] == ["Invoice for March"]
    assert [m.subject for m in by_subject.context["page"]] == ["Fleet detailing quote"]
    html = by_body.content.decode()
    assert "Invoice for March" in html
    assert "Fleet detailing quote" not in html
    assert "Brakes for the other client" not in html


def test_a_call_logged_by_hand_appears_on_the_vendor_page(client_for, assistant, vendor, contact):
    client = client_for(assistant)
    when = timezone.now() - timedelta(hours=2)

    response = client.post(
        reverse("vendors:log", args=[vendor.pk]),
        {
            "kind": "call",
            "subject": "Called about the fleet quote",
            "body": "They can start Tuesday.",
            "happened_at": local_input(assistant, when),
        },
    )

    assert response.status_code == 302
    logged = Message.objects.get()
    assert (logged.kind, logged.status, logged.vendor, logged.written_by) == (
        "call",
        "logged",
        vendor,
        assistant,
    )
    assert abs(logged.happened_at - when) < timedelta(minutes=1)
    page = client.get(vendor.get_absolute_url()).content.decode()
    correspondence = page[page.index('id="correspondence"') :]
    assert "Called about the fleet quote" in correspondence
    assert "Call" in correspondence
    assert mail.outbox == []


def test_a_meeting_logged_for_a_task_appears_on_the_tasks_timeline(
    client_for, assistant, vendor, task
):
    services.message_log(
        actor=assistant,
        vendor=vendor,
        kind="meeting",
        subject="Met at the Neenah lot",
        body="Walked the fleet.",
        happened_at=timezone.now() - timedelta(hours=1),
        task=task,
    )
    client = client_for(assistant)

    task_page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    vendor_page = client.get(vendor.get_absolute_url()).content.decode()

    timeline = task_page[task_page.index("Timeline") :]
    assert "Logged a meeting with Fox Valley Detailing: Met at the Neenah lot" in timeline
    correspondence = task_page[task_page.index('id="task-correspondence"') :]
    assert "Met at the Neenah lot" in correspondence
    assert "Met at the Neenah lot" in vendor_page


# An hour ago is an hour Chicago's clocks read twice on the night they go back, which the
# form refuses to guess; the test is written for an ordinary day.
@pytest.mark.clock(A_NOVEMBER_WEDNESDAY)
def test_a_call_logged_by_hand_from_a_task_appears_on_the_tasks_timeline(
    client_for, assistant, vendor, task
):
    client = client_for(assistant)

    client.post(
        f"{reverse('vendors:log', args=[vendor.pk])}?task={task.pk}",
        {
            "kind": "call",
            "subject": "Called about the fleet quote",
            "happened_at": local_input(assistant, timezone.now() - timedelta(hours=1)),
            "task": task.pk,
        },
    )

    logged = Message.objects.get()
    assert logged.task == task
    task_page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert "Called about the fleet quote" in task_page[task_page.index("Timeline") :]


def test_a_call_logged_in_the_future_is_refused(client_for, assistant, vendor):
    client = client_for(assistant)

    response = client.post(
        reverse("vendors:log", args=[vendor.pk]),
        {
            "kind": "call",
            "subject": "A call that has not happened",
            "happened_at": local_input(assistant, timezone.now() + timedelta(hours=3)),
        },
        follow=True,
    )

    assert "logged after it happened" in response.content.decode()
    assert not Message.objects.exists()
    with pytest.raises(services.VendorError):
        services.message_log(
            actor=assistant,
            vendor=vendor,
            kind="call",
            subject="Later",
            body="",
            happened_at=timezone.now() + timedelta(minutes=5),
        )


# The owner's review and the hand-over ---------------------------------------------------------


def test_the_owners_review_lists_drafts_on_top_and_the_weeks_sent_messages_by_vendor(
    client_for, owner, drafting_assistant, organization, vendor, contact
):
    northside = Vendor.objects.create(organization=organization, name="Northside Tires")
    draft = services.message_write(
        actor=drafting_assistant,
        vendor=vendor,
        contact=contact,
        to_address=contact.email,
        subject="Waiting for Renard",
        body="Could you do Tuesday?",
    )
    sent_message(vendor, "Fox this week", days_ago=1)
    sent_message(vendor, "Fox earlier this week", days_ago=3)
    sent_message(northside, "Northside this week", days_ago=2, to_address="kim@northside.example")
    sent_message(vendor, "Fox last month", days_ago=30)
    sent_message(vendor, "A rejected one", status=Message.Status.REJECTED)

    response = client_for(owner).get(reverse("vendors:review"), {"organization": organization.pk})

    assert response.status_code == 200
    assert [m.pk for m in response.context["drafts"]] == [draft.pk]
    grouped = [
        (group.name, [m.subject for m in messages])
        for group, messages in response.context["by_vendor"]
    ]
    assert grouped == [
        ("Fox Valley Detailing", ["Fox this week", "Fox earlier this week"]),
        ("Northside Tires", ["Northside this week"]),
    ]
    html = response.content.decode()
    assert html.index("Waiting for Renard") < html.index("Fox this week")
    assert html.index("Fox earlier this week") < html.index("Northside this week")
    assert "Fox last month" not in html
    assert "A rejected one" not in html


def test_an_assistant_cannot_open_the_owners_review(client_for, assistant, organization):
    response = client_for(assistant).get(
        reverse("vendors:review"), {"organization": organization.pk}
    )

    assert response.status_code == 404


def test_the_hand_over_summary_shows_each_vendor_with_its_last_conversation(
    client_for, assistant, organization, vendor, task
):
    northside = Vendor.objects.create(organization=organization, name="Northside Tires")
    Vendor.objects.create(organization=organization, name="Gone Glass", status="former")
    sent_message(vendor, "The older conversation", days_ago=5)
    sent_message(vendor, "The latest conversation", days_ago=1)

    response = client_for(assistant).get(
        reverse("vendors:hand_over"), {"organization": organization.pk}
    )

    assert response.status_code == 200
    html = response.content.decode()
    vendors_html = html[html.index('id="hand-over-vendors"') :]
    assert "The latest conversation" in vendors_html
    assert "The older conversation" not in vendors_html
    assert northside.name in vendors_html
    assert "No conversation yet." in vendors_html
    assert "Gone Glass" not in vendors_html
    assert task.title in html


# Other organizations --------------------------------------------------------------------------


def test_another_organizations_contact_is_not_found_and_unchanged(
    client_for, outsider, vendor, contact
):
    client = client_for(outsider)
    url = reverse("vendors:contact_edit", args=[contact.pk])

    assert client.get(url).status_code == 404
    response = client.post(url, {"name": "Taken over", "email": "spy@example.com"})

    assert response.status_code == 404
    contact.refresh_from_db()
    assert (contact.name, contact.email) == ("Dana Fox", "dana@foxvalley.example")


@pytest.mark.parametrize("name", ["inbox", "review", "authority", "list", "import", "hand_over"])
def test_another_organizations_pages_are_not_found(client_for, outsider, organization, name):
    response = client_for(outsider).get(
        reverse(f"vendors:{name}"), {"organization": organization.pk}
    )

    assert response.status_code == 404


def test_another_organizations_inbox_message_is_not_found_and_not_filed(
    client, client_for, outsider, owner, vendor, other_vendor
):
    from .conftest import INBOUND_SECRET, reply

    client.post(
        reverse("vendors:inbound"),
        reply("", sender="someone@new.example", subject="Hello there", to=owner.email),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )
    message = Message.objects.get()
    outsider_client = client_for(outsider)

    assert outsider_client.get(message.get_absolute_url()).status_code == 404
    response = outsider_client.post(
        reverse("vendors:file", args=[message.pk]), {"vendor": other_vendor.pk}
    )

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.vendor is None


def test_an_assistant_cannot_file_a_message_under_another_organizations_vendor(
    client, client_for, assistant, owner, vendor, other_vendor
):
    from .conftest import INBOUND_SECRET, reply

    client.post(
        reverse("vendors:inbound"),
        reply("", sender="someone@new.example", subject="Hello there", to=owner.email),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )
    message = Message.objects.get()

    response = client_for(assistant).post(
        reverse("vendors:file", args=[message.pk]), {"vendor": other_vendor.pk}
    )

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.vendor is None


def test_logging_a_call_for_another_organizations_vendor_is_not_found(client_for, outsider, vendor):
    response = client_for(outsider).post(
        reverse("vendors:log", args=[vendor.pk]),
        {
            "kind": "call",
            "subject": "Sneaky",
            "happened_at": local_input(outsider, timezone.now() - timedelta(hours=1)),
        },
    )

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_writing_from_another_organizations_task_is_not_found(
    client_for, sending_assistant, vendor, other_organization
):
    theirs = TaskFactory(organization=other_organization)

    response = client_for(sending_assistant).get(
        reverse("vendors:write_for_task"), {"vendor": vendor.pk, "task": theirs.pk}
    )

    assert response.status_code == 404


# Line breaks never become headers -------------------------------------------------------------


def test_a_vendor_or_contact_name_with_a_line_break_is_refused(client_for, assistant, organization):
    client = client_for(assistant)

    vendor_response = client.post(
        f"{reverse('vendors:new')}?organization={organization.pk}",
        {"name": "Acme\r\nBcc: spy@example.com", "status": "active"},
    )
    assert vendor_response.status_code == 200
    assert "line break" in str(vendor_response.context["form"].errors["name"])
    assert not Vendor.objects.exists()

    vendor = Vendor.objects.create(organization=organization, name="Acme")
    contact_response = client.post(
        reverse("vendors:contact_new", args=[vendor.pk]),
        {"name": "Pat\nBcc: spy@example.com", "email": "pat@acme.example\nBcc: spy@example.com"},
    )
    assert contact_response.status_code == 200
    errors = contact_response.context["form"].errors
    assert "name" in errors
    assert "email" in errors
    assert not Contact.objects.exists()


def test_a_sender_name_with_a_line_break_is_refused_in_the_settings(
    client_for, owner, organization
):
    response = client_for(owner).post(
        f"{reverse('vendors:settings')}?organization={organization.pk}",
        {"sender_name": "Renard\r\nBcc: spy@example.com", "reply_to": owner.email},
    )

    assert response.status_code == 200
    assert "line break" in str(response.context["form"].errors["sender_name"])
    assert services.settings_for(organization).sender_name == "Renard Bergstrom"


def test_an_owners_name_with_a_line_break_is_sent_on_one_line(
    owner, sending_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    owner.full_name = "Renard\r\nBcc: spy@example.com"
    owner.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.message_write(
            actor=sending_assistant,
            vendor=vendor,
            contact=contact,
            to_address=contact.email,
            subject="Fleet detailing",
            body="Could you detail twelve trucks?",
        )

    (sent,) = mail.outbox
    assert sent.recipients() == [contact.email]
    headers = sent.message().as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers
    assert "spy@example.com" not in sent.recipients()
    assert "\n" not in sent.from_email and "\r" not in sent.from_email


def test_approving_with_a_subject_that_has_a_line_break_is_refused_and_sends_nothing(
    client_for, owner, drafting_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.message_write(
            actor=drafting_assistant,
            vendor=vendor,
            contact=contact,
            to_address=contact.email,
            subject="Fleet detailing",
            body="Could you detail twelve trucks?",
        )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("vendors:approve", args=[draft.pk]),
            {"subject": "Fleet\r\nBcc: spy@example.com", "body": "Twelve trucks?"},
        )

    draft.refresh_from_db()
    assert draft.status == Message.Status.DRAFT
    assert mail.outbox == []


def test_writing_with_a_subject_that_has_a_line_break_is_refused_in_the_form(
    client_for, sending_assistant, vendor, contact
):
    response = client_for(sending_assistant).post(
        reverse("vendors:write", args=[vendor.pk]),
        {
            "contact": contact.pk,
            "subject": "Hello\r\nBcc: spy@example.com",
            "body": "Hi Dana.",
        },
    )

    assert response.status_code == 200
    assert "subject" in response.context["form"].errors
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_contact_set_to_never_cannot_be_written_to_by_typing_their_address(
    client_for, owner, sending_assistant, vendor, contact
):
    services.authority_set(actor=owner, vendor=vendor, contact=contact, authority="none")

    response = client_for(sending_assistant).post(
        reverse("vendors:write", args=[vendor.pk]),
        {"to_address": contact.email, "subject": "Fleet detailing", "body": "Hi Dana."},
    )

    assert response.status_code == 200
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_reply_from_a_vendor_both_organizations_know_lands_in_the_organization_it_was_sent_to(
    client, owner, outsider, vendor, contact, other_vendor
):
    from .conftest import INBOUND_SECRET, reply

    Contact.objects.create(vendor=other_vendor, name="Dana Fox", email=contact.email)

    response = client.post(
        reverse("vendors:inbound"),
        reply("", sender=contact.email, subject="New price list", to=outsider.email),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert response.status_code == 201
    message = Message.objects.get()
    assert (message.organization, message.vendor) == (other_vendor.organization, other_vendor)
