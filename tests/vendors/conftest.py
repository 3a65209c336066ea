import pytest

from assistants.models import Authority
from vendors import services
from vendors.models import Message

INBOUND_SECRET = "inbound-test-secret"


@pytest.fixture(autouse=True)
def _inbound_secret(settings):
    settings.VENDOR_INBOUND_SECRET = INBOUND_SECRET


@pytest.fixture
def sending_assistant(engagement):
    engagement.vendor_email_authority = Authority.SEND
    engagement.save()
    return engagement.assistant


@pytest.fixture
def drafting_assistant(engagement):
    engagement.vendor_email_authority = Authority.DRAFT
    engagement.save()
    return engagement.assistant


def reply(
    to_message_id: str,
    *,
    sender="dana@foxvalley.example",
    message_id="reply-1@foxvalley.example",
    subject="Re: Fleet detailing",
    body="Tuesday works for us.",
    to="renard@bergstromcars.example",
) -> bytes:
    return (
        f"From: Dana Fox <{sender}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\n"
        + (f"In-Reply-To: <{to_message_id}>\r\n" if to_message_id else "")
        + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + body
        + "\r\n"
    ).encode()


def write(actor, vendor, contact, **fields) -> Message:
    """A message written to the contact, by default about fleet detailing."""
    return services.message_write(
        actor=actor,
        vendor=vendor,
        contact=contact,
        to_address=contact.email,
        subject=fields.pop("subject", "Fleet detailing"),
        body=fields.pop("body", "Could you detail twelve trucks next week?"),
        **fields,
    )
