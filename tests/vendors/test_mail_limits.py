"""Vendor mail at the edges of what it may hold: long subjects and addresses."""

from django.core import mail
from django.urls import reverse

from vapportal.models import OutgoingEmail
from vendors.models import Message

from .conftest import write

LONG_SUBJECT = "Fleet detailing for both lots: " + "twelve trucks, " * 17 + "done"


# Long subjects and addresses ---------------------------------------------------------------------


def test_a_draft_with_a_subject_of_nearly_300_characters_is_kept_and_its_approval_email_fits(
    drafting_assistant, owner, vendor, contact, django_capture_on_commit_callbacks
):
    assert len(LONG_SUBJECT) == 290
    with django_capture_on_commit_callbacks(execute=True):
        draft = write(drafting_assistant, vendor, contact, subject=LONG_SUBJECT)

    draft.refresh_from_db()
    assert (draft.status, draft.subject) == (Message.Status.DRAFT, LONG_SUBJECT)
    (approval,) = mail.outbox
    assert len(approval.subject) == 300
    assert approval.subject.startswith(f"Approve a message to {vendor}: Fleet detailing")
    assert approval.subject.endswith("…")
    assert LONG_SUBJECT in approval.body  # the owner reads the whole subject there


def test_the_approved_draft_goes_to_the_vendor_with_its_whole_subject(
    client_for, drafting_assistant, owner, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = write(drafting_assistant, vendor, contact, subject=LONG_SUBJECT)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("vendors:approve", args=[draft.pk]),
            {"subject": LONG_SUBJECT, "body": "Twelve trucks, Tuesday?"},
        )

    (sent,) = mail.outbox
    assert (sent.to, sent.subject) == ([contact.email], LONG_SUBJECT)


def test_an_address_longer_than_mail_servers_take_is_a_form_error_and_nothing_is_stored(
    client_for, owner, vendor
):
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example"
    assert len(address) > 254

    response = client_for(owner).post(
        reverse("vendors:write", args=[vendor.pk]),
        {"to_address": address, "subject": "Fleet detailing", "body": "Hello"},
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Message.objects.exists()
    assert not OutgoingEmail.objects.exists()
