import pytest
from django.urls import reverse

from accounts.services import user_set_active

LOGIN = reverse("accounts:login")


def test_owner_logs_in_with_email_and_lands_on_dashboard(client, owner, password):
    response = client.post(LOGIN, {"username": owner.email, "password": password}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == owner


def test_email_is_matched_whatever_its_case(client, owner, password):
    response = client.post(LOGIN, {"username": owner.email.upper(), "password": password})

    assert response.status_code == 302


def test_wrong_password_shows_a_clear_error(client, owner):
    response = client.post(LOGIN, {"username": owner.email, "password": "not-it"})

    assert response.status_code == 200
    assert "That email and password do not match an active account." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out_with_a_message(client, owner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": owner.email, "password": "wrong"})

    response = client.post(LOGIN, {"username": owner.email, "password": password})

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_account_not_for_everyone(client, owner, outsider, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": owner.email, "password": "wrong"})

    response = client.post(LOGIN, {"username": outsider.email, "password": password})

    assert response.status_code == 302


def test_deactivated_user_cannot_log_in(client, owner, admin_user, password):
    user_set_active(actor=admin_user, user=owner, active=False)

    response = client.post(LOGIN, {"username": owner.email, "password": password})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_deactivating_a_user_ends_their_open_session(client_for, owner, admin_user):
    client = client_for(owner)
    assert client.get(reverse("home")).status_code == 200

    user_set_active(actor=admin_user, user=owner, active=False)

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_logout_is_a_post_and_ends_the_session(client_for, owner):
    client = client_for(owner)

    client.post(reverse("accounts:logout"))

    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("path", ["home", "accounts:profile", "roster:list"])
def test_pages_ask_anonymous_visitors_to_log_in(client, path, db):
    response = client.get(reverse(path))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
