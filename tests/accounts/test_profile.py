import re

from django.core import mail
from django.urls import reverse

from tests.helpers import suggestions
from vapportal.models import OutgoingEmail


def test_user_sets_name_timezone_and_notifications(client_for, owner):
    response = client_for(owner).post(
        reverse("accounts:profile"),
        {
            "person-full_name": "Renard J. Bergstrom",
            "person-timezone": "Europe/Berlin",
            "person-notify": "daily_digest",
        },
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.full_name, owner.timezone, owner.notify) == (
        "Renard J. Bergstrom",
        "Europe/Berlin",
        "daily_digest",
    )


def test_unknown_timezone_is_a_form_error_and_changes_nothing(client_for, owner):
    response = client_for(owner).post(
        reverse("accounts:profile"),
        {
            "person-full_name": "Someone Else",
            "person-timezone": "Mars/Olympus_Mons",
            "person-notify": "never",
        },
    )

    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.timezone == "America/Chicago"
    assert owner.full_name == "Renard Bergstrom"


def test_a_city_typed_for_the_time_zone_saves_its_zone(client_for, owner):
    client_for(owner).post(
        reverse("accounts:profile"),
        {
            "person-full_name": "Renard Bergstrom",
            "person-timezone": "berlin",
            "person-notify": "never",
        },
    )

    owner.refresh_from_db()
    assert owner.timezone == "Europe/Berlin"


def test_profile_suggests_the_persons_zone_and_their_clients_zones_first(
    client_for, assistant, engagement, other_organization
):
    assistant.timezone = "Asia/Manila"
    assistant.save()
    engagement.organization.timezone = "Europe/Lisbon"
    engagement.organization.save()
    other_organization.timezone = "Asia/Tokyo"
    other_organization.save()

    response = client_for(assistant).get(reverse("accounts:profile"))

    listed = suggestions(response.content.decode(), "id_person-timezone-zones")
    assert listed[:3] == ["Asia/Manila", "Europe/Lisbon", "America/New_York"]
    assert listed.index("Asia/Tokyo") > 20


def test_assistant_keeps_bio_skills_and_working_hours(client_for, assistant):
    response = client_for(assistant).post(
        reverse("accounts:profile"),
        {
            "person-full_name": "Rhonda Hayes",
            "person-timezone": "America/Denver",
            "person-notify": "immediately",
            "assistant-bio": "Renard's sidekick.",
            "assistant-skills": "Travel, vendors",
            "assistant-working_hours": "Mon–Fri 07:00–15:30",
        },
    )

    assert response.status_code == 302
    profile = assistant.assistant_profile
    profile.refresh_from_db()
    assert profile.skill_list == ["Travel", "vendors"]
    assert profile.working_hours == "Mon–Fri 07:00–15:30"
    assistant.refresh_from_db()
    assert assistant.timezone == "America/Denver"


def test_an_owner_has_no_assistant_section(client_for, owner):
    response = client_for(owner).get(reverse("accounts:profile"))

    assert response.context["assistant_form"] is None


def test_password_change_needs_the_old_password(client_for, owner, password):
    client = client_for(owner)

    wrong = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password1": "A-new-pass-2026",
            "new_password2": "A-new-pass-2026",
        },
    )
    right = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "A-new-pass-2026",
            "new_password2": "A-new-pass-2026",
        },
    )

    assert wrong.status_code == 200
    assert right.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("A-new-pass-2026")


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": owner.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert OutgoingEmail.objects.get(to=owner.email).status == OutgoingEmail.Status.SENT
    path = re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Fresh-start-2026", "new_password2": "Fresh-start-2026"},
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Fresh-start-2026")


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()
