"""A real SMTP server on loopback (aiosmtpd) for the tests where delivery is the point."""

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.helpers import free_port


class RecordingHandler:
    """aiosmtpd handler that keeps each message it accepts with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope named `address` as a recipient."""
        return [message for rcpt_tos, message in self.received if address in rcpt_tos]


@contextmanager
def serving_smtp(handler, settings=None) -> Iterator[Controller]:
    """`handler` served on a free loopback port; with pytest-django's `settings`, Django's
    SMTP backend sends there."""
    # The Controller connects to its own port to check it is up, so the port cannot be 0.
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    if settings is not None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield controller
    finally:
        controller.stop()
