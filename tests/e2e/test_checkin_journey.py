"""The daily check-in in the browser: the owner sets the send time, writes a check-in with a
thank-you and a video link and schedules it; at the send time the tick mails it through a
real SMTP server to each active team member; a team member's link opens it without logging
in, and the owner's report shows everyone as sent."""

import re
import struct
import zlib
import zoneinfo
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from checkins.models import CheckIn
from checkins.services import checkins_dispatch
from clients.models import TeamMember
from tests.factories import TeamMemberFactory
from tests.helpers import as_read_on

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
SEND_TIME = time(6, 30)  # not the default 07:45, so the saved setting is what decides
SUBJECT = "Good morning, Bergstrom Cars"
MESSAGE = "Record month at **Neenah**: thank you for every test drive."
THANKS = "Thank you, Marcus, for staying late to deliver the Olsens' truck."
VIDEO_URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture
def team(organization) -> tuple[list[TeamMember], TeamMember]:
    """Three people on the roster, and one who left and must hear nothing."""
    active = [
        TeamMemberFactory(organization=organization, name="Marcus Olsen"),
        TeamMemberFactory(organization=organization, name="Paula Nguyen"),
        TeamMemberFactory(organization=organization, name="Tom Fischer", location="Appleton"),
    ]
    departed = TeamMemberFactory(organization=organization, name="Gary Left", active=False)
    return active, departed


def next_weekday_after(day: date) -> date:
    """The first Monday-to-Friday day after `day`: a send day whose time has not come."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def still_image(width: int = 480, height: int = 270) -> bytes:
    """A plain grey PNG standing in for the video's still."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = (b"\x00" + b"\x9a\xa0\xa6" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def without_youtube(context) -> None:
    """The page shows YouTube's still of the video; the test answers for YouTube rather than
    reach out to the internet."""
    image = still_image()
    context.route(
        "https://img.youtube.com/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=image),
    )


def test_owner_schedules_a_check_in_that_reaches_the_active_team_at_the_send_time(
    live_server,
    settings,
    page,
    new_context,
    owner,
    organization,
    team,
    smtp_sink,
    password,
    log_in,
    screenshot,
):
    settings.SITE_URL = live_server.url
    active, departed = team
    send_on = next_weekday_after(timezone.localdate(timezone=CHICAGO))
    send_at = datetime.combine(send_on, SEND_TIME, tzinfo=CHICAGO)
    without_youtube(page.context)

    # Renard chooses when his check-ins go out.
    log_in(page, owner, password)
    page.goto("/checkins/settings/")
    expect(page.get_by_role("heading", name="Check-in settings · Bergstrom Cars")).to_be_visible()
    expect(page.get_by_text("Times are in America/Chicago.")).to_be_visible()
    page.get_by_label("Send time").fill("06:30")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("alert")).to_contain_text("Check-in settings saved.")
    expect(page.get_by_label("Send time")).to_have_value("06:30")
    screenshot(page, "20-checkin-settings-saved")

    # He writes the day's check-in with a thank-you and a video, for the next send day.
    page.goto("/checkins/new/")
    expect(page.get_by_role("heading", name="Write a check-in")).to_be_visible()
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_label("A thank-you to the team").fill(THANKS)
    page.get_by_label("Video link").fill(VIDEO_URL)
    expect(page.get_by_label("The usual recipients")).to_be_checked()
    page.get_by_label("Day", exact=True).fill(send_on.isoformat())
    page.get_by_role("button", name="Schedule for the day").click()

    expect(page.get_by_role("alert")).to_contain_text(
        f"Scheduled for {as_read_on(CHICAGO, send_at)}."
    )
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.locator("h1 + div .badge")).to_have_text("Scheduled")
    expect(page.get_by_text(f"goes out {as_read_on(CHICAGO, send_at)}")).to_be_visible()
    expect(
        page.get_by_text("To the usual recipients. The report fills in when it goes out.")
    ).to_be_visible()
    checkin_url = page.url
    screenshot(page, "20-checkin-scheduled")

    # A minute before the send time the tick leaves it alone; at the send time it goes out.
    # The clock stands at each tick's time, as it would under beat, so the report's times
    # are the send's.
    before = send_at - timedelta(minutes=1)
    with time_machine.travel(before, tick=False):
        report = checkins_dispatch(now=before)
    assert report.started == 0
    assert smtp_sink.received == []

    with time_machine.travel(send_at, tick=True):
        report = checkins_dispatch(now=send_at)
    assert report.started == 1

    # Each active team member received it exactly once; the one who left did not.
    received = smtp_sink.received
    assert sorted(address for rcpt_tos, _ in received for address in rcpt_tos) == sorted(
        member.email for member in active
    )
    assert all(departed.email not in rcpt_tos for rcpt_tos, _ in received)
    for rcpt_tos, message in received:
        assert message["To"] == rcpt_tos[0]
        assert message["Subject"] == SUBJECT
        assert message["From"] == "Renard Bergstrom via VA Portal <portal@vaportal.example>"
        assert message["Reply-To"] == owner.email
        assert THANKS in text_body(message)
        assert f"Watch the video: {VIDEO_URL}" in text_body(message)

    # Marcus opens the link in his email: no login, the whole check-in.
    marcus = active[0]
    [marcus_mail] = [message for rcpt_tos, message in received if rcpt_tos == [marcus.email]]
    link = re.search(rf"{re.escape(live_server.url)}/checkins/read/\S+", text_body(marcus_mail))
    assert link, text_body(marcus_mail)
    reader_context = new_context()
    without_youtube(reader_context)
    reader = reader_context.new_page()
    reader.goto(link.group())

    expect(reader).to_have_url(link.group())
    expect(reader.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(reader.get_by_text("From Renard Bergstrom, to Marcus Olsen")).to_be_visible()
    expect(reader.locator(".checkin-message strong")).to_have_text("Neenah")
    expect(reader.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(reader.get_by_text(THANKS)).to_be_visible()
    video_link = reader.get_by_role("link", name="Watch the video on YouTube")
    expect(video_link).to_be_visible()
    expect(video_link).to_have_attribute("href", VIDEO_URL)
    expect(video_link.get_by_role("img", name="The video")).to_be_visible()
    expect(reader.get_by_role("button", name="Log out")).to_have_count(0)
    screenshot(reader, "20-checkin-read-by-team-member")

    # Renard's report: everyone on the roster who is active, each sent.
    page.goto(checkin_url)
    expect(page.locator("h1 + div .badge")).to_have_text("Sent")
    expect(page.locator("#checkin-when")).to_have_text(as_read_on(CHICAGO, send_at))
    expect(page.locator("#report-counts")).to_contain_text("3 sent 0 pending 0 failed of 3")
    rows = page.locator("#report tbody tr")
    expect(rows).to_have_count(3)
    for member in sorted(active, key=lambda member: member.name):
        row = rows.filter(has_text=member.name)
        expect(row).to_contain_text(member.email)
        expect(row.locator(".badge")).to_have_text("Sent")
    expect(page.locator("#report")).not_to_contain_text(departed.name)
    screenshot(page, "20-checkin-report-all-sent")

    checkin = CheckIn.objects.get(subject=SUBJECT)
    assert (checkin.status, checkin.send_at) == (CheckIn.Status.SENT, send_at)
    assert checkin.deliveries.filter(status="sent").count() == 3
