import json

from django.test import Client
from django.urls import reverse

from tests.factories import EngagementFactory, TeamMemberFactory
from tests.helpers import queries_for


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_says_when_the_broker_is_unreachable(client, db, settings):
    from vapportal.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert json.loads(response.content)["broker"] == "unreachable"


def test_owner_dashboard_shows_team_size_and_assistants(
    client_for, owner, engagement, organization
):
    TeamMemberFactory.create_batch(3, organization=organization)

    body = client_for(owner).get(reverse("home")).content.decode()

    assert "Bergstrom Cars" in body
    assert "Rhonda Hayes" in body
    assert "3 on the team" in body


def test_assistant_dashboard_lists_only_active_clients(client_for, assistant, other_organization):
    EngagementFactory(
        assistant=assistant, organization=other_organization, ended_at="2026-01-01T00:00Z"
    )

    body = client_for(assistant).get(reverse("home")).content.decode()

    assert "Bergstrom Cars" in body
    assert "Lakeshore Dental Group" not in body


def test_admin_dashboard_shows_counts(client_for, admin_user, engagement):
    response = client_for(admin_user).get(reverse("home"))

    assert response.context["engagement_count"] == 1
    assert "Admin dashboard" in response.content.decode()


def test_owner_dashboard_query_count_does_not_grow(
    client_for, owner, organization, engagement, django_assert_num_queries
):
    client = client_for(owner)
    expected = queries_for(lambda: client.get(reverse("home")))

    TeamMemberFactory.create_batch(10, organization=organization)
    EngagementFactory.create_batch(3, organization=organization, role="backup")

    with django_assert_num_queries(expected):
        client.get(reverse("home"))


def test_pages_carry_a_strict_content_security_policy(client_for, owner):
    response = client_for(owner).get(reverse("home"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_forms_are_csrf_protected(owner, password):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        reverse("accounts:login"), {"username": owner.email, "password": password}
    )

    assert response.status_code == 403


def test_help_page_needs_a_login_and_reads_only_the_session(
    client, client_for, owner, django_assert_num_queries
):
    assert client.get(reverse("help")).status_code == 302
    signed_in = client_for(owner)

    with django_assert_num_queries(3):  # the session, its user, and their role for the menu
        response = signed_in.get(reverse("help"))
    assert "Take next" in response.content.decode()
