"""A task's whole life in the browser: the owner delegates it, the assistant takes it, asks,
is answered, logs time and finishes it, and the owner's thanks reach her dashboard."""

import zoneinfo
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tasks.models import Acknowledgement, Status, Task, TimeEntry
from tests.helpers import as_read_on

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Book the spring sales kickoff venue"
CHECKLIST = ["Get three quotes", "Confirm the guest list with Jill", "Send the invitations"]
QUOTE_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)
QUESTION = "Do you want the Neenah showroom or the Appleton hotel?"
ANSWER = "The Appleton hotel, please: the showroom is busy that week."
THANKS = "Thank you, Rhonda. That is one thing off my plate for good."


def status_badge(page):
    """The status badge under the task's title (the first of its badges)."""
    return page.locator("h1 + div .badge").first


def test_owner_delegates_assistant_asks_finishes_and_is_thanked_on_her_dashboard(
    live_server,
    page,
    new_context,
    owner,
    assistant,
    password,
    mailoutbox,
    tmp_path,
    log_in,
    screenshot,
):
    quote = tmp_path / "venue-quote.pdf"
    quote.write_bytes(QUOTE_PDF)
    old_quote = tmp_path / "old-quote.pdf"
    old_quote.write_bytes(QUOTE_PDF)
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(owner.timezone))
    due = today + timedelta(days=3)

    # Renard delegates the task with a checklist, two quotes and, by a slip, yesterday's date.
    log_in(page, owner, password)
    page.get_by_role("link", name="Delegate a task").click()
    expect(page.get_by_role("heading", name="Delegate a task")).to_be_visible()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Details").fill("Thirty people, **Friday evening**, close to Neenah.")
    page.get_by_label("Category").select_option(label="Scheduling")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Due date").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Due time").fill("17:00")
    page.get_by_label("Checklist").fill("\n".join(CHECKLIST))
    page.get_by_label("Attachments").set_input_files([quote, old_quote])
    page.get_by_role("button", name="Delegate").click()

    # The form comes back with the error, its text as written and the quotes kept.
    expect(page.get_by_text("The due time is in the past.")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    kept = page.locator("#kept-uploads")
    expect(kept).to_contain_text("Files kept from your last try")
    expect(kept.get_by_role("link")).to_have_text(["venue-quote.pdf", "old-quote.pdf"])
    screenshot(page, "10-task-form-kept-files")
    # The old quote was a mistake: removing it leaves the rest of the form as it was.
    kept.get_by_role("button", name="Remove old-quote.pdf").click()
    expect(kept.get_by_role("link")).to_have_text(["venue-quote.pdf"])
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Checklist")).to_have_value("\n".join(CHECKLIST))
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Title").press("Enter")  # Enter delegates, not the Remove button

    expect(page.get_by_role("alert")).to_contain_text(
        f"“{TITLE}” is delegated. You can stop thinking about it."
    )
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(status_badge(page)).to_have_text("New")
    expect(page.locator(".task-details strong")).to_have_text("Friday evening")
    chicago = zoneinfo.ZoneInfo(owner.timezone)
    due_at = datetime.combine(due, time(17), chicago)
    expect(page.get_by_text(as_read_on(chicago, due_at))).to_be_visible()
    expect(page.get_by_text("Not taken yet")).to_be_visible()
    expect(page.locator("#checklist li")).to_contain_text(CHECKLIST)
    expect(page.get_by_text("Checklist (0 of 3)")).to_be_visible()
    task_url = page.url

    # Rhonda takes the top of the pool from her dashboard.
    helper = new_context().new_page()
    log_in(helper, assistant, password)
    helper.get_by_role("button", name="Take next").click()

    expect(helper).to_have_url(task_url)
    expect(helper.get_by_role("alert")).to_contain_text(f"You took “{TITLE}” for Bergstrom Cars.")
    expect(status_badge(helper)).to_have_text("In progress")
    expect(helper.locator("dd").filter(has_text="Rhonda Hayes")).to_be_visible()
    with helper.expect_download() as download:
        helper.get_by_role("link", name="venue-quote.pdf").click()
    assert download.value.suggested_filename == "venue-quote.pdf"
    assert Path(download.value.path()).read_bytes() == QUOTE_PDF

    helper.get_by_role("button", name=f"Mark done: {CHECKLIST[0]}").click()
    expect(helper.get_by_role("button", name=f"Mark not done: {CHECKLIST[0]}")).to_be_visible()

    # She needs a decision from Renard: the task waits on him.
    helper.get_by_placeholder("Your question for the client").fill(QUESTION)
    helper.get_by_role("button", name="Ask the client").click()

    expect(helper.get_by_role("alert")).to_contain_text(f"“{TITLE}” is now waiting on client.")
    expect(status_badge(helper)).to_have_text("Waiting on client")
    waiting_mail = [m for m in mailoutbox if m.subject == f"Waiting on you: {TITLE}"]
    assert [m.to for m in waiting_mail] == [[owner.email]]
    assert f"Rhonda Hayes needs your answer on “{TITLE}”: {QUESTION}" in waiting_mail[0].body
    assert task_url.removeprefix(live_server.url) in waiting_mail[0].body

    # Renard's dashboard says one task waits on him; the tile opens it.
    page.goto("/")
    expect(page.locator('[data-stat="waiting"]')).to_have_text("1")
    page.get_by_role("link", name="See what waits on you").click()
    expect(page.get_by_label("Status")).to_have_value("waiting")
    expect(page.locator(".list-group-item")).to_have_count(1)
    page.get_by_role("link", name=TITLE).click()

    # Renard answers in the comment thread, which hands the task back to her.
    expect(page).to_have_url(task_url)
    expect(status_badge(page)).to_have_text("Waiting on client")
    expect(page.locator("#question")).to_contain_text(f"Rhonda Hayes asks: “{QUESTION}”")
    with page.expect_download() as download:
        page.get_by_role("link", name="venue-quote.pdf").click()
    assert download.value.suggested_filename == "venue-quote.pdf"
    page.get_by_label("Comment").fill(ANSWER)
    page.get_by_role("button", name="Send answer").click()

    expect(status_badge(page)).to_have_text("In progress")
    expect(page.locator(".comment-body")).to_have_text([ANSWER])
    expect(page.get_by_role("alert")).to_contain_text("Your answer went to Rhonda Hayes")
    expect(page.locator("#question")).to_have_count(0)
    answered_mail = [m for m in mailoutbox if m.subject == f"The client answered: {TITLE}"]
    assert [m.to for m in answered_mail] == [[assistant.email]]
    assert ANSWER in answered_mail[0].body

    # Rhonda sees the answer, ticks off the rest, logs her time and finishes.
    helper.reload()
    expect(status_badge(helper)).to_have_text("In progress")
    expect(helper.locator(".comment-body")).to_have_text([ANSWER])
    for count, item in enumerate(CHECKLIST[1:], start=2):
        helper.get_by_role("button", name=f"Mark done: {item}").click()
        expect(helper.get_by_role("button", name=f"Mark not done: {item}")).to_be_visible()
        expect(helper.locator("#checklist-count")).to_have_text(f"({count} of 3)")
    log_time = helper.locator(".card").filter(has=helper.get_by_role("heading", name="Log time"))
    log_time.get_by_label("Minutes").fill("45")
    log_time.get_by_label("Note").fill("Calls to three venues")
    log_time.get_by_role("button", name="Log time").click()

    expect(helper.get_by_role("alert")).to_contain_text(f"Logged 45 minutes on “{TITLE}”.")
    expect(helper.locator("#time-used")).to_have_text("45 min")
    expect(helper.get_by_text("Checklist (3 of 3)")).to_be_visible()
    helper.get_by_role("button", name="Mark done", exact=True).click()

    expect(helper.get_by_role("alert")).to_contain_text(f"“{TITLE}” is now done.")
    expect(status_badge(helper)).to_have_text("Done")
    expect(helper.get_by_role("button", name="Reopen")).to_be_visible()

    # Renard thanks her.
    page.reload()
    expect(status_badge(page)).to_have_text("Done")
    page.get_by_label("Your thanks").fill(THANKS)
    page.get_by_role("button", name="Send thanks").click()

    expect(page.get_by_role("alert")).to_contain_text("Your thanks went to Rhonda Hayes.")
    expect(page.locator("blockquote")).to_contain_text(THANKS)
    expect(page.get_by_role("button", name="Send thanks")).to_have_count(0)
    expect(page.locator(".timeline > li")).to_contain_text(
        [
            "Renard Bergstrom created the task",
            "Rhonda Hayes took the task: new → in progress",
            f"Rhonda Hayes changed the status: in progress → waiting on client — {QUESTION}",
            "Renard Bergstrom commented",
            "Renard Bergstrom changed the status: waiting on client → in progress"
            " — Answered in the thread.",
            "Rhonda Hayes logged time — 45 min: Calls to three venues",
            "Rhonda Hayes changed the status: in progress → done",
            f"Renard Bergstrom said thanks — {THANKS}",
        ]
    )
    expect(page.locator(".timeline > li")).to_have_count(8)
    screenshot(page, "10-task-done-and-thanked-owner")

    # The thanks are on her dashboard.
    helper.goto("/")
    thanks = helper.locator("#thanks")
    expect(helper.get_by_role("heading", name="Thanks you received")).to_be_visible()
    expect(thanks).to_contain_text(THANKS)
    expect(thanks).to_contain_text(f"— Renard Bergstrom, for “{TITLE}”")
    expect(thanks.get_by_role("link", name=TITLE)).to_have_attribute(
        "href", task_url.removeprefix(live_server.url)
    )
    screenshot(helper, "10-assistant-dashboard-thanked")

    task = Task.objects.get(title=TITLE)
    assert (task.status, task.assignee, task.requested_by) == (Status.DONE, assistant, owner)
    assert task.completed_at is not None
    assert task.due_at == datetime.combine(due, time(17), zoneinfo.ZoneInfo(owner.timezone))
    assert list(task.checklist.values_list("text", "done")) == [(item, True) for item in CHECKLIST]
    assert [(a.name, a.content_type, a.size) for a in task.attachments.all()] == [
        ("venue-quote.pdf", "application/pdf", len(QUOTE_PDF))
    ]
    thanks_row = Acknowledgement.objects.get(task=task)
    assert (thanks_row.from_user, thanks_row.to_user, thanks_row.note) == (
        owner,
        assistant,
        THANKS,
    )
    assert list(TimeEntry.objects.filter(task=task).values_list("assistant", "minutes")) == [
        (assistant.pk, 45)
    ]
    thanks_mail = [m for m in mailoutbox if m.subject == f"You were thanked: {TITLE}"]
    assert [m.to for m in thanks_mail] == [[assistant.email]]
    assert f"Renard Bergstrom thanked you for “{TITLE}”: {THANKS}" in thanks_mail[0].body


def test_assistant_in_another_zone_reads_due_times_on_both_clocks_and_times_from_her_queue(
    live_server, page, owner, assistant, organization, password, log_in, screenshot
):
    from tasks import services
    from tasks.models import RunningTimer
    from tests.factories import TaskFactory

    assistant.timezone = "America/Denver"
    assistant.save()
    client_zone, her_zone = organization.zone, zoneinfo.ZoneInfo(assistant.timezone)
    day = timezone.localdate(timezone=client_zone) + timedelta(days=3)
    due_at = datetime.combine(day, time(17), client_zone)
    task = services.task_claim(
        actor=assistant,
        task=TaskFactory(organization=organization, created_by=owner, title=TITLE, due_at=due_at),
    )
    labelled = as_read_on(her_zone, due_at, client_zone=client_zone)
    row = page.locator(f"#task-{task.pk}")

    # Her queue gives the due time on her clock and on Renard's.
    log_in(page, assistant, password)
    page.goto("/tasks/queue/")
    expect(row).to_contain_text(labelled)
    expect(page.locator("#running-timer")).to_have_count(0)

    # She starts the timer on the task; the queue shows it at its top and on the task's row.
    row.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Start timer").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Your timer is running on “{TITLE}”.")
    page.goto("/tasks/queue/")
    expect(page.locator("#running-timer")).to_contain_text(TITLE)
    expect(row).to_contain_text("Your timer is running")
    screenshot(page, "10-queue-with-timer-and-zones")

    # A 62-second call logs one minute.
    RunningTimer.objects.filter(assistant=assistant).update(
        started_at=timezone.now() - timedelta(seconds=62)
    )
    page.locator("#running-timer").get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Stop and log").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Logged 1 minute on “{TITLE}”.")
    expect(page.locator("#time-used")).to_have_text("1 min")

    # A timer stopped at once logs nothing, and says so.
    page.get_by_role("button", name="Start timer").click()
    page.get_by_role("button", name="Stop and log").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Your timer ran for less than half a minute; nothing was logged."
    )
    expect(page.locator("#time-used")).to_have_text("1 min")
    assert list(TimeEntry.objects.filter(task=task).values_list("minutes", flat=True)) == [1]
    assert not RunningTimer.objects.exists()
