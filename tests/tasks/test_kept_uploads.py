"""Files sent with a task form that comes back with an error are kept for their sender: listed
on the form with a Remove button, attached when it is saved, removed after a day otherwise,
and nobody else's to see or use."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import Attachment, PendingUpload, Task
from tasks.tasks import pending_uploads_dispatch
from tests.tasks.test_tasks import PDF, new_task_data

NEW = reverse("tasks:new")


def past_due(organization, **overrides):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    return new_task_data(organization, due_date=yesterday, **overrides)


def pdf(name="menu.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def keep(user, *names):
    return services.pending_uploads_keep(actor=user, uploads=[pdf(name) for name in names])


def test_a_file_sent_with_a_form_that_comes_back_is_kept_listed_and_attached_on_save(
    client_for, owner, organization, engagement
):
    client = client_for(owner)

    refused = client.post(NEW, {**past_due(organization), "attachments": [pdf()]})

    kept = PendingUpload.objects.get()
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "The due time is in the past." in page
    assert (kept.uploaded_by, kept.name, kept.content_type) == (
        owner,
        "menu.pdf",
        "application/pdf",
    )
    assert "Files kept from your last try" in page
    assert f'<input type="hidden" name="kept_upload" value="{kept.pk}">' in page
    assert f'name="remove_upload" value="{kept.pk}" aria-label="Remove menu.pdf"' in page
    assert reverse("tasks:pending_upload", args=[kept.pk]) in page
    assert 'value="Book the dealer association dinner"' in page
    assert not Task.objects.exists() and not Attachment.objects.exists()

    saved = client.post(NEW, {**new_task_data(organization), "kept_upload": [kept.pk]})

    task = Task.objects.get()
    attachment = task.attachments.get()
    assert saved.status_code == 302
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "menu.pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment.uploaded_by == owner
    assert not PendingUpload.objects.exists()
    download = client.get(reverse("tasks:attachment", args=[task.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == PDF


def test_kept_files_and_newly_chosen_ones_are_attached_together(
    client_for, owner, organization, engagement
):
    (kept,) = keep(owner, "menu.pdf")

    client_for(owner).post(
        NEW,
        {**new_task_data(organization), "kept_upload": [kept.pk], "attachments": [pdf("map.pdf")]},
    )

    assert [a.name for a in Task.objects.get().attachments.all()] == ["menu.pdf", "map.pdf"]


def test_a_form_that_comes_back_twice_keeps_its_files_both_times(
    client_for, owner, organization, engagement
):
    client = client_for(owner)
    client.post(NEW, {**past_due(organization), "attachments": [pdf()]})
    kept = PendingUpload.objects.get()

    again = client.post(
        NEW, {**past_due(organization), "kept_upload": [kept.pk], "attachments": [pdf("map.pdf")]}
    )

    assert again.status_code == 400
    assert sorted(PendingUpload.objects.values_list("name", flat=True)) == ["map.pdf", "menu.pdf"]
    page = again.content.decode()
    assert "menu.pdf" in page and "map.pdf" in page


def test_a_refused_file_is_not_kept_but_the_accepted_ones_are(
    client_for, owner, organization, engagement
):
    disguised = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)

    response = client_for(owner).post(
        NEW, {**new_task_data(organization), "attachments": [disguised, pdf()]}
    )

    assert response.status_code == 400
    assert "do not match its name" in str(response.context["form"].errors["attachments"])
    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["menu.pdf"]
    assert not Task.objects.exists()


def test_removing_a_kept_file_keeps_the_form_as_written_and_deletes_the_file(
    client_for, owner, organization, engagement, django_capture_on_commit_callbacks
):
    menu, guests = keep(owner, "menu.pdf", "guests.pdf")
    stored = menu.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            NEW,
            {
                **past_due(organization),
                "kept_upload": [menu.pk, guests.pk],
                "remove_upload": menu.pk,
                "attachments": [pdf("map.pdf")],
            },
        )

    page = response.content.decode()
    assert 'value="Book the dealer association dinner"' in page
    assert "guests.pdf" in page and "map.pdf" in page and "menu.pdf" not in page
    assert sorted(PendingUpload.objects.values_list("name", flat=True)) == ["guests.pdf", "map.pdf"]
    assert not default_storage.exists(stored)
    assert not Task.objects.exists()


def test_enter_in_a_field_of_a_form_with_kept_files_delegates(
    client_for, owner, organization, engagement
):
    """Browsers press a form's first submit button on Enter: that must not be a Remove."""
    response = client_for(owner).post(NEW, {**past_due(organization), "attachments": [pdf()]})

    form = response.content.decode().split('enctype="multipart/form-data"')[1]
    first_button = form.split("<button", 1)[1].split("</button>")[0]
    assert first_button.endswith(">Delegate") and "remove_upload" not in first_button


def test_the_sender_downloads_a_kept_file_uncached(client_for, owner, organization):
    (kept,) = keep(owner, "menu.pdf")

    response = client_for(owner).get(reverse("tasks:pending_upload", args=[kept.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="menu.pdf"' in response["Content-Disposition"]


@pytest.mark.parametrize("person", ["manager", "assistant", "outsider"])
def test_nobody_else_sees_uses_or_removes_a_kept_file(
    client_for, owner, organization, engagement, request, person
):
    (kept,) = keep(owner, "menu.pdf")
    client = client_for(request.getfixturevalue(person))
    data = {**new_task_data(organization), "requested_by": owner.pk}

    seen = client.get(reverse("tasks:pending_upload", args=[kept.pk]))
    used = client.post(NEW, {**data, "kept_upload": [kept.pk]})
    removed = client.post(NEW, {**data, "remove_upload": kept.pk})

    assert [seen.status_code, used.status_code, removed.status_code] == [404, 404, 404]
    assert not Task.objects.exists() and not Attachment.objects.exists()
    kept.refresh_from_db()
    assert default_storage.exists(kept.file.name)


def test_an_admin_cannot_see_a_kept_file_either(client_for, owner, admin_user):
    (kept,) = keep(owner, "menu.pdf")

    response = client_for(admin_user).get(reverse("tasks:pending_upload", args=[kept.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("field", ["kept_upload", "remove_upload"])
def test_a_kept_file_named_by_anything_but_its_number_is_404(
    client_for, owner, organization, field
):
    response = client_for(owner).post(NEW, {**new_task_data(organization), field: "menu.pdf"})

    assert response.status_code == 404
    assert not Task.objects.exists()


def test_a_kept_file_that_is_gone_when_the_task_is_saved_is_refused_and_saves_nothing(
    owner, organization
):
    (kept,) = keep(owner, "menu.pdf")
    PendingUpload.objects.filter(pk=kept.pk).delete()

    with pytest.raises(services.TaskError, match="kept for a day"):
        services.task_create(
            actor=owner, organization=organization, title="Book the dinner", kept_uploads=[kept]
        )
    assert not Task.objects.exists()


def test_someone_without_a_client_keeps_no_files(stranger):
    with pytest.raises(services.PermissionDenied):
        keep(stranger, "menu.pdf")
    assert not PendingUpload.objects.exists()


def test_kept_files_older_than_a_day_are_removed_with_their_stored_files(owner):
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=25)):
        (old,) = keep(owner, "old.pdf")
    with time_machine.travel(now - timedelta(hours=23)):
        (recent,) = keep(owner, "recent.pdf")

    removed = services.pending_uploads_clean(now=now)
    again = services.pending_uploads_clean(now=now)

    assert (removed, again) == (1, 0)
    assert list(PendingUpload.objects.all()) == [recent]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(recent.file.name)


def test_the_beat_task_removes_kept_files_a_day_old(owner):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        keep(owner, "old.pdf", "older.pdf")

    assert pending_uploads_dispatch.apply().get() == 2
    assert not PendingUpload.objects.exists()


def test_a_kept_file_whose_stored_file_is_already_gone_is_still_cleaned(owner):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        (old,) = keep(owner, "old.pdf")
    default_storage.delete(old.file.name)

    assert services.pending_uploads_clean() == 1
    assert not PendingUpload.objects.exists()
