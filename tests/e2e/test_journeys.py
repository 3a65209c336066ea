"""What an admin, an owner and a newcomer do in the browser, end to end on the live server."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import invitation_create
from clients.models import Membership, TeamMember

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_invites_an_owner_who_joins_and_lands_on_the_dashboard(
    live_server,
    page,
    new_context,
    admin_user,
    organization,
    password,
    mailoutbox,
    log_in,
    screenshot,
):
    log_in(page, admin_user, password)
    page.goto("/staff/invitations/new/")
    page.get_by_label("Email").fill("Renard@BergstromCars.example")
    page.get_by_label("Name (optional)").fill("Renard Bergstrom")
    page.get_by_label("Role").select_option(label="Owner")
    page.get_by_label("Organization").select_option(label="Bergstrom Cars (bergstrom-cars)")
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(f"{live_server.url}/staff/invitations/")
    expect(page.get_by_role("alert")).to_contain_text(
        "An invitation is on its way to renard@bergstromcars.example."
    )
    invitation_row = page.get_by_role("row").filter(has_text="renard@bergstromcars.example")
    expect(invitation_row).to_contain_text("Owner of Bergstrom Cars")
    expect(invitation_row).to_contain_text("Open")

    assert [message.to for message in mailoutbox] == [["renard@bergstromcars.example"]]
    link = re.search(rf"{re.escape(settings.SITE_URL)}/\S+", mailoutbox[0].body).group()
    newcomer = new_context().new_page()
    newcomer.goto(live_server.url + link.removeprefix(settings.SITE_URL))

    expect(newcomer.get_by_role("heading", name="Join VA Portal")).to_be_visible()
    expect(newcomer.get_by_text("You were invited as owner of Bergstrom Cars.")).to_be_visible()
    expect(newcomer.get_by_label("Your name")).to_have_value("Renard Bergstrom")
    expect(newcomer.get_by_label("Your time zone")).to_have_value("America/Chicago")
    newcomer.get_by_label("Your time zone").fill("Denver")
    newcomer.get_by_label(re.compile(r"^\s*Password\W*$")).fill("dealership-family-1962")
    newcomer.get_by_label("Password again").fill("dealership-family-1962")
    newcomer.get_by_role("button", name="Create my account").click()

    expect(newcomer).to_have_url(f"{live_server.url}/")
    expect(newcomer.get_by_role("alert")).to_contain_text("Welcome to VA Portal, Renard.")
    expect(newcomer.get_by_role("heading", name="Good to see you, Renard")).to_be_visible()
    expect(newcomer.get_by_role("link", name="Bergstrom Cars")).to_be_visible()
    screenshot(newcomer, "01-invited-owner-dashboard")

    user = User.objects.get(email="renard@bergstromcars.example")
    assert (user.full_name, user.timezone) == ("Renard Bergstrom", "America/Denver")
    assert user.check_password("dealership-family-1962")
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role) == (organization, Membership.Role.OWNER)

    page.reload()
    expect(invitation_row).to_contain_text("Accepted")
    screenshot(page, "01-admin-invitations-accepted")


def test_invited_assistant_starts_in_the_browsers_time_zone_an_owner_in_the_organizations(
    live_server, new_context, admin_user, organization, mailoutbox, screenshot
):
    invitation_create(actor=admin_user, email="new.va@example.com", role="assistant")
    invitation_create(
        actor=admin_user,
        email="jill.meyer@bergstromcars.example",
        role="manager",
        organization=organization,
    )
    to_assistant, to_manager = (
        re.search(rf"{re.escape(settings.SITE_URL)}(/\S+)", message.body).group(1)
        for message in mailoutbox
    )
    in_manila = new_context(timezone_id="Asia/Manila").new_page()

    in_manila.goto(live_server.url + to_manager)
    expect(in_manila.get_by_label("Your time zone")).to_have_value("America/Chicago")

    in_manila.goto(live_server.url + to_assistant)
    expect(in_manila.get_by_label("Your time zone")).to_have_value("Asia/Manila")
    screenshot(in_manila, "01-invited-assistant-browser-zone")
    in_manila.get_by_label("Your name").fill("Maria Santos")
    in_manila.get_by_label(re.compile(r"^\s*Password\W*$")).fill("assistant-manila-2026")
    in_manila.get_by_label("Password again").fill("assistant-manila-2026")
    in_manila.get_by_role("button", name="Create my account").click()

    expect(in_manila).to_have_url(f"{live_server.url}/")
    assert User.objects.get(email="new.va@example.com").timezone == "Asia/Manila"


def test_wrong_password_keeps_the_person_on_the_login_page_with_an_error(
    live_server, page, owner, screenshot
):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(
        page.get_by_text("That email and password do not match an active account.")
    ).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_value(owner.email)
    screenshot(page, "02-login-wrong-password")


def test_owner_adds_a_team_member_who_appears_on_the_roster(
    live_server, page, owner, organization, password, log_in, screenshot
):
    log_in(page, owner, password)
    page.get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", name="Bergstrom Cars team")).to_be_visible()
    expect(page.get_by_text("No one is on the roster yet.")).to_be_visible()

    page.get_by_role("link", name="Add a team member").click()
    expect(page.get_by_role("heading", name="Add a team member to Bergstrom Cars")).to_be_visible()
    page.get_by_label("Name").fill("Marcus Olsen")
    page.get_by_label("Email").fill("Marcus.Olsen@BergstromCars.example")
    page.get_by_label("Location or department").fill("Neenah dealership")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Marcus Olsen was added to the team.")
    expect(page.get_by_role("heading", name="Bergstrom Cars team")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Marcus Olsen")
    expect(row).to_contain_text("marcus.olsen@bergstromcars.example")
    expect(row).to_contain_text("Neenah dealership")
    expect(row).to_contain_text("Active")
    screenshot(page, "03-roster-with-new-member")

    member = TeamMember.objects.get(organization=organization)
    assert (member.name, member.email, member.location, member.active) == (
        "Marcus Olsen",
        "marcus.olsen@bergstromcars.example",
        "Neenah dealership",
        True,
    )


def test_owner_dashboard_shows_the_engaged_assistant_and_what_she_may_do(
    live_server, page, owner, engagement, password, log_in, screenshot
):
    log_in(page, owner, password)

    assistants = page.locator(".card").filter(has_text="Your assistants and what they may do")
    expect(assistants).to_contain_text("Rhonda Hayes")
    expect(assistants).to_contain_text("Primary")
    expect(assistants).to_contain_text("May book, up to 1,500.00 a trip")
    expect(assistants.get_by_text("Not allowed")).to_have_count(2)
    screenshot(page, "04-owner-dashboard-authority")
