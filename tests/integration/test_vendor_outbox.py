"""Email to vendors leaves through the outbox, a real Celery worker and a real SMTP
conversation: as the owner, once, however often its task is delivered or its draft approved;
and a reply delivered twice is stored once."""

import pytest
from django.test import Client
from django.urls import reverse

from assistants.models import Authority
from tests.helpers import at_the_same_moment
from tests.vendors.conftest import write
from vapportal.models import OutgoingEmail
from vapportal.tasks import outgoing_email_send
from vendors import services
from vendors.models import Message

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

INBOUND_SECRET = "integration-inbound-secret"
PORTAL_ADDRESS = "portal@vaportal.example"


def assistant_with(engagement, authority: str):
    engagement.vendor_email_authority = authority
    engagement.save()
    return engagement.assistant


def wait_until_sent(celery_worker, outgoing_id: int) -> OutgoingEmail:
    celery_worker.wait_until(
        lambda: OutgoingEmail.objects.filter(
            id=outgoing_id, status=OutgoingEmail.Status.SENT
        ).exists(),
        what=f"the worker to send outbox row {outgoing_id}",
        timeout=20,
    )
    return OutgoingEmail.objects.get(id=outgoing_id)


def test_a_message_with_send_authority_is_delivered_once_as_the_owner(
    celery_worker, smtp_server, owner, engagement, vendor, contact
):
    assistant = assistant_with(engagement, Authority.SEND)

    message = write(assistant, vendor, contact)

    outgoing = wait_until_sent(celery_worker, message.outgoing_email_id)
    assert outgoing.attempts == 1
    (received,) = smtp_server.messages_to(contact.email)
    assert received["From"] == f"Renard Bergstrom <{PORTAL_ADDRESS}>"
    assert received["Reply-To"] == owner.email
    assert received["To"] == contact.email
    assert received["Subject"] == "Fleet detailing"
    # A long Message-ID is folded onto its own line; the parsed value keeps the fold's space.
    assert received["Message-ID"].strip() == f"<{message.message_id}>"
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == (
        "Could you detail twelve trucks next week?"
    )
    message.refresh_from_db()
    assert (message.status, message.written_by, message.on_behalf_of) == ("sent", assistant, owner)


def test_the_send_task_published_again_for_the_same_row_sends_once(
    celery_worker, smtp_server, engagement, vendor, contact
):
    assistant = assistant_with(engagement, Authority.SEND)
    message = write(assistant, vendor, contact)  # publishes the task once, on commit

    repeats = [outgoing_email_send.delay(message.outgoing_email_id) for _ in range(2)]

    wait_until_sent(celery_worker, message.outgoing_email_id)
    for repeat in repeats:
        celery_worker.wait_for_log(
            rf"outgoing_email_send\[{repeat.id}\] succeeded",
            what=f"the worker to run the repeated task {repeat.id}",
        )
    assert len(smtp_server.messages_to(contact.email)) == 1, celery_worker.log()
    outgoing = OutgoingEmail.objects.get(id=message.outgoing_email_id)
    assert (outgoing.status, outgoing.attempts) == (OutgoingEmail.Status.SENT, 1)


def test_a_draft_approved_twice_is_sent_once(
    celery_worker, smtp_server, client_for, owner, engagement, vendor, contact
):
    assistant = assistant_with(engagement, Authority.DRAFT)
    draft = write(assistant, vendor, contact)
    link = reverse("vendors:approve_link", args=[services.approval_token(draft)])
    client = client_for(owner)
    edited = {"subject": "Fleet detailing", "body": "Twelve trucks, Tuesday?"}

    first = client.post(reverse("vendors:approve", args=[draft.pk]), edited)
    again = client.post(reverse("vendors:approve", args=[draft.pk]), edited)
    by_link = client.post(link, {"decision": "approve", **edited})

    assert (first.status_code, again.status_code, by_link.status_code) == (302, 302, 410)
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == (Message.Status.SENT, owner)
    wait_until_sent(celery_worker, draft.outgoing_email_id)
    # The owner's approval request went out too; wait for it so nothing is still in flight.
    for row in OutgoingEmail.objects.filter(template="vendor_draft"):
        wait_until_sent(celery_worker, row.id)
    assert OutgoingEmail.objects.filter(to=contact.email).count() == 1
    (received,) = smtp_server.messages_to(contact.email)
    assert received["Reply-To"] == owner.email
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == (
        "Twelve trucks, Tuesday?"
    )


def test_two_owners_approving_the_same_draft_at_once_send_it_once(
    celery_worker, smtp_server, owner, manager, engagement, vendor, contact
):
    assistant = assistant_with(engagement, Authority.DRAFT)
    draft = write(assistant, vendor, contact)

    def approve(actor) -> str:
        try:
            services.message_approve(actor=actor, message=draft)
        except services.VendorError:
            return "refused"
        return "sent"

    outcomes = at_the_same_moment(lambda: approve(owner), lambda: approve(manager), timeout=20)

    assert sorted(outcomes) == ["refused", "sent"]
    draft.refresh_from_db()
    wait_until_sent(celery_worker, draft.outgoing_email_id)
    assert OutgoingEmail.objects.filter(to=contact.email).count() == 1
    assert len(smtp_server.messages_to(contact.email)) == 1, celery_worker.log()


def test_an_inbound_reply_posted_twice_at_once_is_stored_once(
    celery_worker, smtp_server, settings, owner, engagement, vendor, contact
):
    settings.VENDOR_INBOUND_SECRET = INBOUND_SECRET
    assistant = assistant_with(engagement, Authority.SEND)
    sent = write(assistant, vendor, contact)
    wait_until_sent(celery_worker, sent.outgoing_email_id)
    raw = (
        f"From: Dana Fox <{contact.email}>\r\n"
        f"To: {owner.email}\r\n"
        "Subject: Re: Fleet detailing\r\n"
        "Message-ID: <reply-1@foxvalley.example>\r\n"
        f"In-Reply-To: <{sent.message_id}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Tuesday works for us.\r\n"
    ).encode()

    def post() -> int:
        response = Client().post(
            reverse("vendors:inbound"),
            raw,
            content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
        )
        return response.status_code

    statuses = at_the_same_moment(post, post, timeout=20)
    again = Client().post(
        reverse("vendors:inbound"),
        raw,
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert sorted(statuses) == [200, 201]
    assert again.status_code == 200
    received = Message.objects.get(direction=Message.Direction.IN)
    assert (received.message_id, received.thread, received.vendor) == (
        "reply-1@foxvalley.example",
        sent,
        vendor,
    )
    from tasks.models import Task

    assert Task.objects.filter(title__startswith="Reply received").count() == 1
