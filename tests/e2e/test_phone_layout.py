"""On a phone (390 by 844) every page of the demo fits the screen: nothing scrolls sideways, not
the page and not a table inside it, and lists are stacked cards with each row's action in
view. At 1280 pixels wide the same lists are still tables."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clients.models import Organization, TeamMember
from tasks.models import Project, RecurringTask
from tests.demo import ASSISTANT_PAGES, OWNER_PAGES, STAFF_PAGES, bergstrom_pages, load_demo
from travel.models import Segment, Trip
from vapportal.management.commands.seed_demo import DEMO_PASSWORD
from vendors.models import Vendor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# The page's width beyond the window, and every part of it that scrolls sideways on its own
# (a table in .table-responsive does rather than widen the page).
SIDEWAYS = """() => ({
  pageWidth: document.documentElement.scrollWidth,
  windowWidth: window.innerWidth,
  scrollingParts: [...document.querySelectorAll("body *")]
    .filter((element) => ["auto", "scroll"].includes(getComputedStyle(element).overflowX)
      && element.scrollWidth > element.clientWidth)
    .map((element) => element.id || element.className || element.tagName),
})"""

# The buttons of a table that stand partly or wholly outside the window, by their text.
BUTTONS_OFF_THE_SCREEN = """(table) => [...table.querySelectorAll("button, .btn")]
  .filter((button) => {
    const box = button.getBoundingClientRect();
    return box.left < 0 || box.right > window.innerWidth;
  })
  .map((button) => button.textContent.trim())"""


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    return load_demo(django_capture_on_commit_callbacks)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


def test_no_page_of_the_owner_scrolls_sideways_on_a_phone(page, demo, log_in):
    pages = [*bergstrom_pages(), *[reverse(name) for name in OWNER_PAGES], *_owner_pages()]
    log_in(page, demo["renard"], DEMO_PASSWORD)
    assert _pages_wider_than_the_screen(page, pages) == {}


def test_no_page_of_the_manager_scrolls_sideways_on_a_phone(page, demo, log_in):
    log_in(page, demo["jill.meyer"], DEMO_PASSWORD)
    assert _pages_wider_than_the_screen(page, bergstrom_pages()) == {}


def test_no_page_of_the_assistant_scrolls_sideways_on_a_phone(page, demo, log_in):
    pages = [*[reverse(name) for name in ASSISTANT_PAGES], *bergstrom_pages(), *_assistant_pages()]
    log_in(page, demo["rhonda"], DEMO_PASSWORD)
    assert _pages_wider_than_the_screen(page, pages) == {}


def test_no_page_of_the_admin_scrolls_sideways_on_a_phone(page, demo, log_in):
    pages = [reverse("home"), *[reverse(name) for name in STAFF_PAGES], *_staff_pages(demo)]
    log_in(page, demo["admin"], DEMO_PASSWORD)
    assert _pages_wider_than_the_screen(page, pages) == {}


def test_the_queue_on_a_phone_shows_each_task_as_a_card_with_its_claim_button_in_view(
    page, demo, log_in
):
    log_in(page, demo["rhonda"], DEMO_PASSWORD)
    page.goto(reverse("tasks:queue"))

    claimable = page.get_by_role("button", name="Claim")
    card = page.locator("#queue tbody tr").filter(has=claimable).first
    claim = card.get_by_role("button", name="Claim")
    expect(claim).to_be_visible()
    box = claim.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert _display(card) == "flex"
    title = card.get_by_role("link").first
    assert title.evaluate("link => link.getClientRects().length") <= 2  # lines it takes
    due = card.locator("[data-label=Due]")
    assert due.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Due"'


def test_the_owners_lists_are_cards_on_a_phone_with_every_button_on_the_screen(page, demo, log_in):
    log_in(page, demo["renard"], DEMO_PASSWORD)
    lists = {
        reverse("travel:list"): "#coming",
        reverse("checkins:list"): "#checkins",
        reverse("roster:list"): "table",
        reverse("vendors:list"): "#vendors",
        reverse("vendors:authority"): "#authorities",
    }
    for url, table in lists.items():
        page.goto(url)
        assert _display(page.locator(f"{table} tbody tr").first) == "flex", url
        assert page.locator(table).evaluate(BUTTONS_OFF_THE_SCREEN) == [], url


def test_the_check_in_form_fits_a_phone(page, demo, log_in):
    log_in(page, demo["renard"], DEMO_PASSWORD)

    assert _pages_wider_than_the_screen(page, [reverse("checkins:new")]) == {}
    label = page.locator("label", has_text="Dana Kowalski <dana.kowalski@bergstromcars.example>")
    expect(label).to_be_visible()
    box = label.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]


def test_lists_stay_tables_on_a_desktop(page, demo, log_in, new_context):
    log_in(page, demo["rhonda"], DEMO_PASSWORD)
    page.set_viewport_size(DESKTOP)
    lists = {
        reverse("tasks:queue"): "#queue",
        reverse("travel:list"): "#coming",
        reverse("checkins:list"): "#checkins",
        reverse("vendors:list"): "#vendors",
    }
    assert _pages_wider_than_the_screen(page, list(lists)) == {}
    for url, table in lists.items():
        page.goto(url)
        expect(page.locator(f"{table} thead")).to_be_visible()
        assert _display(page.locator(f"{table} tbody tr").first) == "table-row", url

    page.goto(reverse("tasks:queue"))
    row = page.locator("#queue tbody tr").filter(has=page.get_by_role("button", name="Claim"))
    title, claim = row.first.get_by_role("link").first, row.first.get_by_role("button")
    # One line of the table: the button stands beside the title, not under it.
    assert abs(_middle(title) - _middle(claim)) < title.bounding_box()["height"]

    admin = new_context().new_page()
    admin.set_viewport_size(DESKTOP)
    log_in(admin, demo["admin"], DEMO_PASSWORD)
    admin.goto(reverse("staff:accounts"))
    assert _display(admin.locator("table tbody tr").first) == "table-row"
    assert _pages_wider_than_the_screen(admin, [reverse("staff:accounts")]) == {}


def _pages_wider_than_the_screen(page, urls: list[str]) -> dict[str, dict]:
    """The pages that answered other than 200, or scroll sideways, with what was found."""
    failures = {}
    for url in urls:
        response = page.goto(url)
        if response.status != 200:
            failures[url] = {"status": response.status}
            continue
        found = page.evaluate(SIDEWAYS)
        if found["pageWidth"] > found["windowWidth"] or found["scrollingParts"]:
            failures[url] = found
    return failures


def _display(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).display")


def _middle(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"] / 2


def _owner_pages() -> list[str]:
    """The owner's pages of the organization, its team, vendors and plans beyond the lists."""
    bergstrom = Organization.objects.get(slug="bergstrom-cars")
    vendor = Vendor.objects.get(name="Fox Valley Detailing")
    return [
        reverse("clients:organization_detail", args=[bergstrom.pk]),
        reverse("clients:organization_settings", args=[bergstrom.pk]),
        reverse("roster:new"),
        reverse("roster:import"),
        reverse("roster:edit", args=[TeamMember.objects.filter(organization=bergstrom)[0].pk]),
        reverse("vendors:edit", args=[vendor.pk]),
        reverse("vendors:contact_edit", args=[vendor.contacts.first().pk]),
        reverse("tasks:project_edit", args=[Project.objects.get(organization=bergstrom).pk]),
        reverse(
            "tasks:recurring_edit",
            args=[RecurringTask.objects.filter(organization=bergstrom).first().pk],
        ),
    ]


def _assistant_pages() -> list[str]:
    """The assistant's pages for booking a trip beyond its own page."""
    trip = Trip.objects.filter(status=Trip.Status.BOOKED).first()
    return [
        reverse("travel:segment_edit", args=[Segment.objects.filter(trip=trip).first().pk]),
        reverse("travel:cancel", args=[trip.pk]),
    ]


def _staff_pages(people) -> list[str]:
    """The console's forms and the pages that ask before a deactivation, the end of an
    engagement or a hand-over."""
    rhonda, marcus = people["rhonda"], people["marcus"]
    engagement = rhonda.engagements.first()
    hand_over = reverse("staff:hand_over")
    return [
        reverse("staff:invitation_new"),
        reverse("staff:engagement_new"),
        reverse("staff:engagement_edit", args=[engagement.pk]),
        reverse("staff:engagement_end", args=[engagement.pk]),
        reverse("staff:deactivate", args=[rhonda.pk]),
        f"{hand_over}?from_assistant={rhonda.pk}&to_assistant={marcus.pk}",
    ]
