"""An invitation's email leaves through a real Celery worker and a real SMTP conversation,
once, however often its task is delivered."""

import pytest

from accounts.services import invitation_create
from vapportal.models import OutgoingEmail
from vapportal.tasks import outgoing_email_send

pytestmark = pytest.mark.integration

INVITED = "jill.meyer@bergstromcars.example"


def _invite_and_wait_until_sent(celery_worker, *, admin_user, organization) -> OutgoingEmail:
    invitation = invitation_create(
        actor=admin_user, email=INVITED, role="owner", organization=organization
    )
    outgoing = OutgoingEmail.objects.get(to=invitation.email, template="invitation")
    celery_worker.wait_until(
        lambda: OutgoingEmail.objects.filter(
            id=outgoing.id, status=OutgoingEmail.Status.SENT
        ).exists(),
        what=f"the worker to send the invitation email (outbox row {outgoing.id})",
        timeout=20,
    )
    outgoing.refresh_from_db()
    return outgoing


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_invitation_email_after_commit(
    celery_worker, smtp_server, admin_user, organization
):
    outgoing = _invite_and_wait_until_sent(
        celery_worker, admin_user=admin_user, organization=organization
    )

    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.sent_at is not None
    assert outgoing.attempts == 1
    received = smtp_server.messages_to(INVITED)
    assert len(received) == 1, celery_worker.log()
    message = received[0]
    assert message["To"] == INVITED
    assert message["Subject"] == outgoing.subject
    assert "/accounts/invite/" in message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_the_invitation_task_delivered_again_sends_nothing_more(
    celery_worker, smtp_server, admin_user, organization
):
    outgoing = _invite_and_wait_until_sent(
        celery_worker, admin_user=admin_user, organization=organization
    )

    repeat = outgoing_email_send.delay(outgoing.id)
    celery_worker.wait_for_log(
        rf"outgoing_email_send\[{repeat.id}\] succeeded in [\d.e-]+s: False",
        what="the worker to run the repeated task and decline to send",
    )

    assert len(smtp_server.messages_to(INVITED)) == 1, celery_worker.log()
    outgoing.refresh_from_db()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.attempts == 1
