"""Every error answers in the portal's layout, says what happened and offers a way back: the
dashboard to a signed-in person, the login page to someone signed out. The pages are what
production shows, so every test runs with DEBUG off."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse

from vapportal.urls import urlpatterns as portal_urlpatterns

LOGIN = reverse("accounts:login")
DASHBOARD_LINK = f'href="{reverse("home")}">Back to your dashboard</a>'
LOGIN_LINK = f'href="{LOGIN}">Log in</a>'
START_LINK = 'href="/">Go to VA Portal</a>'


def forbidden(request):
    raise PermissionDenied


def unreadable(request):
    raise SuspiciousOperation("a header that cannot be read")


def broken(request):
    raise RuntimeError("a bug")


# The portal's own addresses, and three that fail the ways no page of the portal fails on
# purpose.
urlpatterns = [
    *portal_urlpatterns,
    path("tests/forbidden/", forbidden),
    path("tests/unreadable/", unreadable),
    path("tests/broken/", broken),
]

# The portal's own 403 handler, which answers a refusal with the not-found page.
handler403 = "vapportal.views.refused"

pytestmark = [pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _as_in_production(settings):
    settings.DEBUG = False


def _template_names(response) -> list[str]:
    return [template.name for template in response.templates]


def test_unknown_address_gives_a_signed_in_person_the_menu_and_their_dashboard(client_for, owner):
    response = client_for(owner).get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert "Log out" in html and f'href="{reverse("tasks:list")}">Tasks</a>' in html
    assert DASHBOARD_LINK in html


def test_unknown_address_gives_someone_signed_out_the_login_page(client, db):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert LOGIN_LINK in html
    assert "Log out" not in html


def test_another_organizations_object_gets_the_same_404_page(client_for, outsider, organization):
    response = client_for(outsider).get(
        reverse("clients:organization_detail", args=[organization.pk])
    )

    assert response.status_code == 404
    assert "404.html" in _template_names(response)
    assert DASHBOARD_LINK in response.content.decode()


def test_refused_action_gives_the_404_page_with_the_way_back(client_for, owner):
    """A refusal does not confirm that what was refused exists: it is the not-found page."""
    response = client_for(owner).get("/tests/forbidden/")

    html = response.content.decode()
    assert response.status_code == 404
    assert _template_names(response)[:2] == ["404.html", "error.html"]
    assert DASHBOARD_LINK in html


def test_failed_csrf_check_gives_the_403_layout_and_saves_nothing(owner, password):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(LOGIN, {"username": owner.email, "password": password})

    html = response.content.decode()
    assert response.status_code == 403
    assert _template_names(response)[:3] == ["403_csrf.html", "403.html", "error.html"]
    assert "That form could not be sent" in html
    assert LOGIN_LINK in html
    assert "_auth_user_id" not in browser.session


def test_failed_csrf_check_of_a_signed_in_person_offers_their_dashboard(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)

    response = browser.post(reverse("accounts:profile"), {"person-full_name": "Someone Else"})

    assert response.status_code == 403
    assert DASHBOARD_LINK in response.content.decode()
    owner.refresh_from_db()
    assert owner.full_name == "Renard Bergstrom"


def test_unreadable_request_gives_the_400_page(client, db):
    response = client.get("/tests/unreadable/")

    assert response.status_code == 400
    assert "That request could not be read" in response.content.decode()
    assert LOGIN_LINK in response.content.decode()


def test_a_bug_gives_the_500_page_without_the_menu_or_the_person(client_for, owner):
    browser = client_for(owner)
    browser.raise_request_exception = False

    response = browser.get("/tests/broken/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert START_LINK in html
    assert owner.full_name not in html and "Log out" not in html


def test_the_500_page_renders_while_the_database_is_down(client_for, owner, django_db_blocker):
    browser = client_for(owner)
    browser.raise_request_exception = False

    # Reading the session is the first thing that fails.
    with django_db_blocker.block():
        response = browser.get(reverse("home"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_500_page_needs_neither_a_request_nor_the_database(django_db_blocker):
    with django_db_blocker.block():
        html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert 'rel="icon"' in html and "bootstrap.min.css" in html


def test_used_invitation_gives_the_410_page_with_the_login_page(client, db):
    response = client.get(reverse("accounts:invitation_accept", args=["not-a-signed-token"]))

    html = response.content.decode()
    assert response.status_code == 410
    assert "error.html" in _template_names(response)
    assert "This invitation link is not valid." in html
    assert LOGIN_LINK in html


def test_broken_signed_link_gives_the_410_page_with_a_way_back(client_for, owner):
    response = client_for(owner).get(reverse("checkins:read", args=["not-a-signed-link"]))

    assert response.status_code == 410
    assert "This link does not work" in response.content.decode()
    assert DASHBOARD_LINK in response.content.decode()


def test_lockout_answers_429_with_the_way_back(client, owner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": owner.email, "password": "wrong"})

    response = client.post(LOGIN, {"username": owner.email, "password": password})

    html = response.content.decode()
    assert response.status_code == 429
    assert "error.html" in _template_names(response)
    assert LOGIN_LINK in html
    assert f'href="{reverse("accounts:password_reset")}"' in html
