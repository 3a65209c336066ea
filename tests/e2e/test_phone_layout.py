"""On a phone (390 by 844) the pages of the demo fit the screen: nothing scrolls sideways,
not the page and not a part inside it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.demo import load_demo
from vapportal.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

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


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    return load_demo(django_capture_on_commit_callbacks)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


def test_the_check_in_form_fits_a_phone(page, demo, log_in):
    log_in(page, demo["renard"], DEMO_PASSWORD)

    assert _pages_wider_than_the_screen(page, [reverse("checkins:new")]) == {}
    label = page.locator("label", has_text="Dana Kowalski <dana.kowalski@bergstromcars.example>")
    expect(label).to_be_visible()
    box = label.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]


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
