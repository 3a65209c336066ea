"""The outbox's guarantee where it can fail: the SMTP server took a message, and the worker
died before it could record so. The row stays "sending" and is never sent again (at most
once); the README says so. This module kills its worker, so it has a worker of its own."""

import os
import signal
import time

import pytest

from assistants.models import Authority
from vapportal.emails import email_send
from vapportal.models import OutgoingEmail
from vendors import services
from vendors.models import Contact, Vendor

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_after_the_server_took_its_message_never_sends_it_again(
    celery_worker, smtp_server, owner, engagement, organization, django_capture_on_commit_callbacks
):
    engagement.vendor_email_authority = Authority.SEND
    engagement.save()
    vendor = Vendor.objects.create(organization=organization, name="Fox Valley Detailing")
    contact = Contact.objects.create(vendor=vendor, name="Dana Fox", email="dana@foxvalley.example")
    worker_pid = celery_worker.process.pid
    accept = smtp_server.handler.handle_DATA

    async def accept_then_kill_the_worker(server, session, envelope):
        answer = await accept(server, session, envelope)  # the message is in the mailbox
        os.kill(worker_pid, signal.SIGKILL)  # and the worker never hears "250"
        return answer

    smtp_server.handler.handle_DATA = accept_then_kill_the_worker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = services.message_write(
                actor=engagement.assistant,
                vendor=vendor,
                contact=contact,
                to_address=contact.email,
                subject="Fleet detailing",
                body="Could you detail twelve trucks next week?",
            )
        deadline = time.monotonic() + 20
        while celery_worker.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        smtp_server.handler.handle_DATA = accept

    assert celery_worker.process.returncode == -signal.SIGKILL
    assert len(smtp_server.messages_to(contact.email)) == 1
    row = OutgoingEmail.objects.get(pk=message.outgoing_email_id)
    assert row.status == OutgoingEmail.Status.SENDING

    # The task delivered again (Redis gives an unacknowledged task back): nothing is sent.
    assert email_send(email_id=row.pk) is False
    assert len(smtp_server.messages_to(contact.email)) == 1
