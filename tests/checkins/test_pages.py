from django.core import mail
from django.urls import reverse

from checkins import services
from checkins.models import CheckIn

from .conftest import content


def test_the_pages_of_a_sent_check_in_render(
    client_for, owner, organization, team, checkin_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = services.checkin_write(
            actor=owner,
            organization=organization,
            content=content(thanks="You were great", video_url="https://youtu.be/dQw4w9WgXcQ"),
            action="send_now",
        )
    client = client_for(owner)
    for url in (
        reverse("checkins:list"),
        reverse("checkins:new"),
        reverse("checkins:settings"),
        checkin.get_absolute_url(),
        reverse("home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    link = mail.outbox[0].body.split("web, with your earlier ones: ")[1].split()[0]
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "You were great" in page.content.decode()
    assert CheckIn.objects.get().status == "sent"
