"""Delivery against a real SMTP server on loopback (aiosmtpd), in this process."""

import email
import email.policy
import socket

import pytest
from django.utils import timezone

from checkins import services
from checkins.models import CheckIn, Delivery
from tests.smtp import serving_smtp

from .conftest import content


class Sink:
    """Accepts everything, except the answers it is told to give for an address."""

    def __init__(self):
        self.messages, self.connections, self.answers = [], 0, {}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        answers = self.answers.get(address)
        if answers:
            return answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos[0], message))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [message for rcpt, message in self.messages if rcpt == address]


@pytest.fixture
def sink(settings):
    handler = Sink()
    with serving_smtp(handler, settings):
        yield handler


def started(owner, organization) -> list[int]:
    checkin = services.checkin_write(actor=owner, organization=organization, content=content())
    checkin.status, checkin.send_at = CheckIn.Status.SCHEDULED, timezone.now()
    checkin.save()
    services.checkin_start(checkin_id=checkin.pk)
    return list(Delivery.objects.order_by("id").values_list("id", flat=True))


def test_a_batch_goes_over_one_smtp_connection(owner, organization, team, sink):
    result = services.deliver_batch(started(owner, organization))

    assert result.sent == len(team)
    assert sink.connections == 1
    for member in team:
        (message,) = sink.to(member.email)
        assert message["From"] == f"{owner.full_name} via VA Portal <portal@vaportal.example>"
        assert message["Reply-To"] == owner.email
        assert message["Message-ID"].strip() == Delivery.objects.get(email=member.email).message_id
    assert CheckIn.objects.get().status == CheckIn.Status.SENT


def test_a_temporary_refusal_puts_the_rest_back_for_a_retry_that_sends_each_once(
    owner, organization, team, sink
):
    ids = started(owner, organization)
    sink.answers[team[1].email] = ["451 4.3.0 Try again later"]

    first = services.deliver_batch(ids)
    row = Delivery.objects.get(email=team[1].email)
    assert (row.status, row.last_error) == ("queued", "451 4.3.0 Try again later")
    assert first.retry_ids == ids[1:]

    second = services.deliver_batch(first.retry_ids)

    assert (first.sent, second.sent) == (1, len(team) - 1)
    assert all(len(sink.to(member.email)) == 1 for member in team)
    assert Delivery.objects.get(email=team[1].email).attempts == 2


def test_a_permanent_refusal_fails_the_row_and_flags_the_address(owner, organization, team, sink):
    ids = started(owner, organization)
    sink.answers[team[0].email] = ["550 5.1.1 No such user"]

    result = services.deliver_batch(ids)

    row = Delivery.objects.get(email=team[0].email)
    assert (row.status, row.last_error) == ("failed", "550 5.1.1 No such user")
    team[0].refresh_from_db()
    assert team[0].bounce_reason == "550 5.1.1 No such user" and team[0].bounced_at
    assert result.sent == len(team) - 1 and sink.to(team[0].email) == []


def test_a_mail_server_that_is_down_is_retried_and_given_up_on_after_the_last_attempt(
    owner, organization, team, settings
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]  # nothing listens there
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    ids = started(owner, organization)

    result = services.deliver_batch(ids)

    assert sorted(result.retry_ids) == sorted(ids)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}

    for _ in range(services.MAX_ATTEMPTS - 1):
        result = services.deliver_batch(ids)

    assert result.retry_ids == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    assert "Gave up after 8 attempts" in Delivery.objects.first().last_error
    assert CheckIn.objects.get().status == CheckIn.Status.SENT
