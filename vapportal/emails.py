"""Outgoing mail: render a template trio, record it in the outbox, send it after commit."""

import smtplib
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator

from .dates import Zone, reading_in
from .models import OutgoingEmail

SUBJECT_MAX_LENGTH = OutgoingEmail._meta.get_field("subject").max_length


def email_queue(
    *,
    template: str,
    to: str,
    zone: Zone,
    context: dict,
    reply_to: str = "",
    from_email: str = "",
    attachments: list[tuple[str, str, str]] = (),
) -> OutgoingEmail:
    """Render `emails/<template>_{subject,body}.txt` and `_body.html` and queue the message.

    Its dates and times are written for the recipient, on the clock of `zone` (their own, or
    their organization's when they have none), each time naming its zone: nobody knows where
    a message is read. The send task is enqueued only when the surrounding transaction
    commits, so a rolled-back write never mails anyone."""
    context = {"site_url": settings.SITE_URL, **context}
    with reading_in(zone, known=False):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text_body = render_to_string(f"emails/{template}_body.txt", context)
        html_body = render_to_string(f"emails/{template}_body.html", context)
    return email_queue_written(
        to=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        template=template,
        reply_to=reply_to,
        from_email=from_email,
        attachments=[
            {"name": name, "content": content, "mimetype": mimetype}
            for name, content, mimetype in attachments
        ],
    )


def email_queue_written(
    *,
    to: str,
    subject: str,
    text_body: str,
    template: str,
    html_body: str = "",
    reply_to: str = "",
    from_email: str = "",
    cc: str = "",
    headers: dict | None = None,
    attachments: list[dict] = (),
) -> OutgoingEmail:
    """Queue a message whose text is already written (by a person, or from templates)."""
    email = OutgoingEmail.objects.create(
        to=to,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        reply_to=reply_to,
        cc=cc,
        headers=headers or {},
        # A subject is one line whatever the template or the data put in it, and fits its
        # column: one quoting a long subject (a draft to approve) is shortened, not refused.
        subject=Truncator(" ".join(subject.split())).chars(SUBJECT_MAX_LENGTH),
        text_body=text_body,
        html_body=html_body,
        template=template,
        attachments=list(attachments),
    )
    from .tasks import outgoing_email_send

    transaction.on_commit(partial(outgoing_email_send.delay, email.id))
    return email


class TemporaryEmailFailure(Exception):
    """The mail server could not take the message now; try again later."""


def email_send(*, email_id: int) -> bool:
    """Send one queued message. Claims the row first, so a repeated task sends nothing twice.

    Returns whether this call sent it. Raises TemporaryEmailFailure for errors worth a retry;
    permanent refusals mark the row failed with the reason."""
    claimed = OutgoingEmail.objects.filter(id=email_id, status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.SENDING
    )
    if not claimed:
        return False
    email = OutgoingEmail.objects.get(id=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=email.from_email,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        cc=[email.cc] if email.cc else None,
        headers=email.headers or None,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["name"], attachment["content"], attachment["mimetype"])
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        _record_failure(email, OutgoingEmail.Status.FAILED, error)
        return False
    except (smtplib.SMTPException, OSError) as error:
        _record_failure(email, OutgoingEmail.Status.QUEUED, error)
        raise TemporaryEmailFailure(str(error)) from error
    OutgoingEmail.objects.filter(id=email_id).update(
        status=OutgoingEmail.Status.SENT, sent_at=timezone.now(), attempts=email.attempts + 1
    )
    return True


def _record_failure(email: OutgoingEmail, status: str, error: Exception) -> None:
    OutgoingEmail.objects.filter(id=email.id).update(
        status=status, attempts=email.attempts + 1, last_error=f"{type(error).__name__}: {error}"
    )
