import pytest

from assistants.models import Authority
from vendors.models import Contact, Vendor

INBOUND_SECRET = "inbound-test-secret"


@pytest.fixture(autouse=True)
def _inbound_secret(settings):
    settings.VENDOR_INBOUND_SECRET = INBOUND_SECRET


@pytest.fixture
def vendor(organization):
    return Vendor.objects.create(
        organization=organization, name="Fox Valley Detailing", category="Detailing"
    )


@pytest.fixture
def contact(vendor):
    return Contact.objects.create(
        vendor=vendor, name="Dana Fox", role="Owner", email="dana@foxvalley.example"
    )


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
