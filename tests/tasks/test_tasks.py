import io
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assistants.services import engagement_end
from tasks import services
from tasks.models import Attachment, ChecklistItem, Status, Task, TaskEvent
from tests.factories import TaskFactory
from tests.helpers import queries_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def new_task_data(organization, **overrides):
    tomorrow = timezone.localdate() + timedelta(days=2)
    return {
        "organization": organization.pk,
        "title": "Book the dealer association dinner",
        "details": "For **twelve** people, near the convention center.",
        "category": "scheduling",
        "priority": "2",
        "due_date": tomorrow.isoformat(),
        "due_time": "15:00",
        "budget_minutes": "90",
        "checklist": "Find three places\nConfirm headcount\n\n",
        **overrides,
    }


@pytest.fixture
def task(owner, organization):
    return TaskFactory(organization=organization, created_by=owner, title="Renew the domain")


def test_owner_delegates_a_task_with_checklist_and_attachments(
    client_for, owner, organization, engagement
):
    data = new_task_data(organization)
    data["attachments"] = [
        SimpleUploadedFile("menu.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("guests.docx", docx_bytes()),
    ]

    response = client_for(owner).post(reverse("tasks:new"), data)

    task = Task.objects.get()
    assert response.status_code == 302
    assert (task.status, task.assignee, task.requested_by, task.priority) == (
        Status.NEW,
        None,
        owner,
        2,
    )
    assert [item.text for item in task.checklist.all()] == [
        "Find three places",
        "Confirm headcount",
    ]
    assert sorted(a.content_type for a in task.attachments.all()) == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    assert timezone.localtime(task.due_at, owner_zone(owner)).hour == 15
    assert TaskEvent.objects.get(task=task).kind == "created"


def owner_zone(user):
    import zoneinfo

    return zoneinfo.ZoneInfo(user.timezone)


def test_a_due_time_in_the_past_is_a_form_error_and_stores_nothing(client_for, owner, organization):
    data = new_task_data(
        organization, due_date=(timezone.localdate() - timedelta(days=1)).isoformat()
    )

    response = client_for(owner).post(reverse("tasks:new"), data)

    assert response.status_code == 400
    assert "due_date" in response.context["form"].errors
    assert not Task.objects.exists()


def test_a_disguised_attachment_is_refused_and_stores_nothing(client_for, owner, organization):
    data = new_task_data(organization)
    data["attachments"] = [SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)]

    response = client_for(owner).post(reverse("tasks:new"), data)

    assert response.status_code == 400
    assert "do not match its name" in str(response.context["form"].errors["attachments"])
    assert not Task.objects.exists()
    assert not Attachment.objects.exists()


def test_an_attachment_over_ten_megabytes_is_refused(client_for, owner, organization):
    data = new_task_data(organization)
    data["attachments"] = [SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))]

    response = client_for(owner).post(reverse("tasks:new"), data)

    assert "larger than 10 MB" in str(response.context["form"].errors["attachments"])
    assert not Task.objects.exists()


def test_a_disallowed_file_type_is_refused(client_for, owner, organization):
    data = new_task_data(organization)
    data["attachments"] = [SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 100)]

    response = client_for(owner).post(reverse("tasks:new"), data)

    assert "not a document, image or spreadsheet" in str(
        response.context["form"].errors["attachments"]
    )
    assert not Task.objects.exists()


def test_assistant_writes_a_task_for_the_owner(client_for, assistant, owner, organization):
    response = client_for(assistant).post(
        reverse("tasks:new"), new_task_data(organization, requested_by=owner.pk)
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.created_by, task.requested_by) == (assistant, owner)
    assert TaskEvent.objects.get(task=task).note == f"for {owner}"


def test_assistant_must_say_whom_the_task_is_for(client_for, assistant, organization):
    response = client_for(assistant).post(reverse("tasks:new"), new_task_data(organization))

    assert "requested_by" in response.context["form"].errors
    assert not Task.objects.exists()


def test_owner_cannot_delegate_into_another_organization(client_for, outsider, organization):
    response = client_for(outsider).post(reverse("tasks:new"), new_task_data(organization))

    assert "organization" in response.context["form"].errors
    assert not Task.objects.exists()


def test_details_are_rendered_as_sanitized_markdown(client_for, owner, organization):
    task = TaskFactory(
        organization=organization,
        created_by=owner,
        details="**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )

    body = client_for(owner).get(reverse("tasks:detail", args=[task.pk])).content.decode()

    assert "<strong>Bold</strong>" in body
    assert "<script>alert(1)" not in body
    assert "javascript:" not in body


@pytest.mark.parametrize(
    "name",
    [
        "tasks:detail",
        "tasks:move",
        "tasks:claim",
        "tasks:comment",
        "tasks:time",
        "tasks:thank",
        "tasks:budget_request",
        "tasks:attachment_add",
        "tasks:timer_start",
        "tasks:timer_stop",
        "tasks:timer_discard",
    ],
)
def test_another_organizations_task_is_404(client_for, outsider, task, name):
    client = client_for(outsider)

    response = client.post(reverse(name, args=[task.pk]), {"to": "cancelled", "body": "hi"})

    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == Status.NEW
    assert not task.comments.exists()


def test_another_assistant_gets_404_on_the_task(client_for, other_assistant, task):
    assert (
        client_for(other_assistant).get(reverse("tasks:detail", args=[task.pk])).status_code == 404
    )


def test_assistant_whose_engagement_ended_can_no_longer_open_the_clients_tasks(
    client_for, engagement, task, admin_user
):
    engagement_end(actor=admin_user, engagement=engagement)

    response = client_for(engagement.assistant).get(reverse("tasks:detail", args=[task.pk]))

    assert response.status_code == 404


def test_another_organizations_attachment_is_404(client_for, owner, outsider, task):
    attachment = services.attachment_add(
        actor=owner, task=task, upload=SimpleUploadedFile("a.pdf", PDF)
    )

    response = client_for(outsider).get(reverse("tasks:attachment", args=[task.pk, attachment.pk]))

    assert response.status_code == 404


def test_attachment_downloads_through_the_access_check_with_its_name(client_for, owner, task):
    attachment = services.attachment_add(
        actor=owner, task=task, upload=SimpleUploadedFile("Menu 2026.pdf", PDF)
    )

    response = client_for(owner).get(reverse("tasks:attachment", args=[task.pk, attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Menu 2026.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "Menu" not in attachment.file.name


def test_a_team_member_has_no_login_and_sees_nothing(client, task):
    response = client.get(reverse("tasks:detail", args=[task.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_task_list_query_count_does_not_grow(
    client_for, owner, organization, engagement, django_assert_num_queries
):
    client = client_for(owner)
    TaskFactory.create_batch(2, organization=organization, created_by=owner)
    expected = queries_for(lambda: client.get(reverse("tasks:list")))

    TaskFactory.create_batch(15, organization=organization, created_by=owner, assignee=None)

    with django_assert_num_queries(expected):
        response = client.get(reverse("tasks:list"))
    assert len(response.context["page"].object_list) == 17


def test_task_page_query_count_does_not_grow(
    client_for, owner, assistant, task, django_assert_num_queries
):
    client = client_for(owner)
    services.task_claim(actor=assistant, task=task)
    services.comment_add(actor=owner, task=task, body="First")
    ChecklistItem.objects.create(task=task, text="One")
    expected = queries_for(lambda: client.get(reverse("tasks:detail", args=[task.pk])))

    for n in range(5):
        services.comment_add(actor=assistant, task=task, body=f"Comment {n}")
        services.time_entry_log(actor=assistant, task=task, minutes=5)
        ChecklistItem.objects.create(task=task, text=f"Item {n}")
        services.attachment_add(actor=owner, task=task, upload=SimpleUploadedFile("a.pdf", PDF))

    with django_assert_num_queries(expected):
        client.get(reverse("tasks:detail", args=[task.pk]))


def test_search_finds_words_in_titles_details_and_comments(
    client_for, owner, organization, assistant
):
    invoice = TaskFactory(organization=organization, created_by=owner, title="Pay the invoices")
    dinner = TaskFactory(organization=organization, created_by=owner, details="Reserve a dinner")
    hotel = TaskFactory(organization=organization, created_by=owner, title="Something else")
    services.comment_add(actor=owner, task=hotel, body="The hotel in Minneapolis, please")
    client = client_for(owner)

    def found(text):
        response = client.get(reverse("tasks:list"), {"q": text})
        return set(response.context["page"].object_list)

    assert found("invoice") == {invoice}
    assert found("dinners") == {dinner}
    assert found("minneapolis") == {hotel}


def test_thanks_need_a_done_task(client_for, owner, task):
    response = client_for(owner).post(reverse("tasks:thank", args=[task.pk]), {"note": "Thanks!"})

    assert response.status_code == 400
    assert not task.acknowledgements.exists()
    assert mail.outbox == []
