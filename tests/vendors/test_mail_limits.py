"""Vendor mail at the edges of what it may hold: long subjects and addresses, and inbound
messages with NUL characters, thousands of levels of nesting, huge headers or ids."""

import time

from django.core import mail
from django.urls import reverse

from tasks.models import Task
from vapportal.models import OutgoingEmail
from vendors.models import Message

from .conftest import INBOUND_SECRET, reply, write

LONG_SUBJECT = "Fleet detailing for both lots: " + "twelve trucks, " * 17 + "done"


def inbound(client, raw: bytes):
    return client.post(
        reverse("vendors:inbound"),
        raw,
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )


def nested(depth: int, text: str = "Tuesday works for us.") -> bytes:
    """A reply whose text is `depth` multiparts deep."""
    head = (
        "From: Dana Fox <dana@foxvalley.example>\r\nTo: renard@bergstromcars.example\r\n"
        "Subject: Deep\r\nMessage-ID: <deep@foxvalley.example>\r\n"
    )
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
        for level in range(depth)
    )
    closing = "".join(f"\r\n--b{level}--" for level in reversed(range(depth)))
    part = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    return (head + opening + part + closing + "\r\n").encode()


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


# Inbound mail that no person wrote ----------------------------------------------------------------


def test_nul_characters_in_an_inbound_reply_are_dropped_and_the_rest_is_kept(
    client, sending_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = write(sending_assistant, vendor, contact)
    raw = reply(sent.message_id, subject="Re: Fleet\x00 detailing", body="Tues\x00day works.")
    raw = raw.replace(b"Dana Fox", b"Dana\x00 Fox").replace(b"reply-1@", b"reply\x00-1@")

    response = inbound(client, raw)

    assert response.status_code == 201
    received = Message.objects.get(direction="in")
    assert (received.subject, received.body) == ("Re: Fleet detailing", "Tuesday works.\r\n")
    assert received.from_address == "Dana Fox <dana@foxvalley.example>"
    assert (received.message_id, received.thread) == ("reply-1@foxvalley.example", sent)


def test_nul_characters_encoded_inside_an_inbound_reply_are_dropped_too(client, owner, contact):
    raw = (
        b"From: dana@foxvalley.example\r\nTo: renard@bergstromcars.example\r\n"
        b"Subject: =?utf-8?q?Price=00_list?=\r\nMessage-ID: <prices@foxvalley.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nAttached=00 below.\r\n"
    )

    response = inbound(client, raw)

    assert response.status_code == 201
    received = Message.objects.get(direction="in")
    assert (received.subject, received.body) == ("Price list", "Attached below.\r\n")


def test_a_reply_nested_a_few_levels_deep_is_read_for_its_text(client, owner, contact):
    response = inbound(client, nested(5))

    assert response.status_code == 201
    assert Message.objects.get(direction="in").body == "Tuesday works for us."


def test_a_reply_nested_three_thousand_levels_deep_is_stored_with_its_text(client, owner, contact):
    started = time.monotonic()
    response = inbound(client, nested(3000))

    assert response.status_code == 201
    received = Message.objects.get(direction="in")
    assert (received.subject, received.vendor) == ("Deep", contact.vendor)
    assert received.body == "Tuesday works for us."
    assert Task.objects.filter(title__startswith="Reply received from").exists()
    assert time.monotonic() - started < 5  # its parts are not read one level at a time


def test_headers_over_64_kb_are_refused_and_nothing_is_stored(client, owner, contact):
    everyone = ", ".join(f"person{n}@bergstromcars.example" for n in range(3000))
    raw = reply("").replace(b"To: ", f"Cc: {everyone}\r\nTo: ".encode())

    response = inbound(client, raw)

    assert (response.status_code, response.json()) == (
        413,
        {"error": "The message's headers are larger than 64 KB."},
    )
    assert not Message.objects.exists()


def test_a_reply_naming_thousands_of_earlier_messages_is_threaded_by_the_first_ones(
    client, sending_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = write(sending_assistant, vendor, contact)
    others = " ".join(f"<old-{n}@foxvalley.example>" for n in range(2000))
    raw = reply(sent.message_id).replace(b"Subject:", f"References: {others}\r\nSubject:".encode())

    response = inbound(client, raw)

    assert response.status_code == 201
    assert Message.objects.get(direction="in").thread == sent


def test_a_message_id_too_long_to_store_is_refused_as_having_none(client, owner, contact):
    response = inbound(client, reply("", message_id="a" * 400 + "@foxvalley.example"))

    assert (response.status_code, response.json()) == (
        400,
        {"error": "The message has no sender or no Message-ID."},
    )
    assert not Message.objects.exists()
