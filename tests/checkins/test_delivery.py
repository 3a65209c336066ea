from zoneinfo import ZoneInfo

from django.core import mail

from checkins import services
from checkins.models import CheckIn

from .conftest import content

CHICAGO = ZoneInfo("America/Chicago")


def test_a_check_in_sent_now_reaches_every_active_team_member_once(
    owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = services.checkin_write(
            actor=owner, organization=organization, content=content(), action="send_now"
        )

    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(member.email for member in team)
    message = mail.outbox[0]
    assert (
        message.from_email
        == f"{checkin_settings.sender_name} via VA Portal <portal@vaportal.example>"
    )
    assert message.reply_to == [owner.email]
    assert "/checkins/read/" in message.body
    assert "<strong>week</strong>" in message.alternatives[0][0]
