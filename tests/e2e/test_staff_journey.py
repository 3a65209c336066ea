"""An admin hands one assistant's work to another in a browser without JavaScript: the form,
the page that says what will move, and the page that says what moved."""

import pytest
from playwright.sync_api import expect

from tasks import services as task_services
from tasks.models import Task
from tests.factories import AssistantFactory, TaskFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "java_script_enabled": False}


def test_admin_reviews_and_confirms_a_hand_over_without_javascript(
    page, admin_user, owner, organization, assistant, password, log_in, screenshot
):
    marcus = AssistantFactory(full_name="Marcus Webb", email="marcus@vaportal.example")
    task = TaskFactory(organization=organization, created_by=owner, title="Order the banners")
    task_services.task_claim(actor=assistant, task=task)

    log_in(page, admin_user, password)
    page.goto("/staff/hand-over/")
    page.get_by_label("From").select_option(label=f"Rhonda Hayes ({assistant.email})")
    page.get_by_label("To").select_option(label="Marcus Webb (marcus@vaportal.example)")
    page.get_by_role("button", name="Review the hand-over").click()

    expect(
        page.get_by_role("heading", name="Hand Rhonda Hayes's work to Marcus Webb?")
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Bergstrom Cars")
    expect(row).to_contain_text("1")
    screenshot(page, "staff-hand-over-confirm")
    assert Task.objects.get(pk=task.pk).assignee == assistant

    page.get_by_role("button", name="Hand over 1 client").click()

    expect(page.get_by_role("status")).to_have_text(
        "1 client handed over from Rhonda Hayes to Marcus Webb."
    )
    row = page.get_by_role("row").filter(has_text="Bergstrom Cars")
    row.locator("summary").first.click()  # the open tasks' list
    expect(page.get_by_role("link", name="Order the banners")).to_be_visible()
    screenshot(page, "staff-hand-over-done")
    assert Task.objects.get(pk=task.pk).assignee == marcus
