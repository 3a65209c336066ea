"""An assistant times her work on a task in the browser: starts the timer, sees it on her
dashboard, stops it to log the minutes with a note, then starts and discards another."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tasks import services
from tasks.models import RunningTimer, TimeEntry
from tests.factories import TaskFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_assistant_starts_the_timer_stops_it_to_log_the_time_and_discards_another(
    live_server, page, owner, assistant, organization, password, log_in, screenshot
):
    task = TaskFactory(organization=organization, created_by=owner, title="Renew the domain")
    services.task_claim(actor=assistant, task=task)
    log_in(page, assistant, password)

    page.goto(f"/tasks/{task.pk}/")
    page.get_by_role("button", name="Start timer").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Your timer is running on “Renew the domain”."
    )
    expect(page.get_by_role("button", name="Stop and log")).to_be_visible()
    # She worked on it for a while: the timer started 19 and a half minutes ago.
    RunningTimer.objects.filter(assistant=assistant).update(
        started_at=timezone.now() - timedelta(minutes=19, seconds=30)
    )
    page.goto("/")
    expect(page.locator("#running-timer")).to_contain_text("Renew the domain")
    page.locator("#running-timer").get_by_role("link", name="Renew the domain").click()
    page.get_by_label("Note for the timed work").fill("Called the registrar")
    screenshot(page, "timer-running")
    page.get_by_role("button", name="Stop and log").click()

    expect(page.get_by_role("alert")).to_contain_text("Logged 20 minutes on “Renew the domain”.")
    expect(page.locator("#time-used")).to_have_text("20 min")
    entry = TimeEntry.objects.get(task=task)
    assert (entry.minutes, entry.note) == (20, "Called the registrar")

    page.get_by_role("button", name="Start timer").click()
    page.get_by_role("button", name="Discard").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Your timer is discarded; nothing was logged."
    )
    expect(page.get_by_role("button", name="Start timer")).to_be_visible()
    assert not RunningTimer.objects.exists()
    assert TimeEntry.objects.filter(task=task).count() == 1
