"""Writing to a vendor as the owner, in the browser: the owner sets one vendor to "draft for
approval"; the assistant writes to it from a task; the owner approves the draft from the link
in his email; a real SMTP server receives it with the owner as Reply-To; the vendor's reply,
posted to the inbound endpoint, lands on the task's timeline and in the assistant's queue."""

import re
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from assistants.models import Authority
from tests.factories import TaskFactory
from vendors.models import AuthorityChange, Message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INBOUND_SECRET = "e2e-inbound-secret"
SUBJECT = "Fleet detailing"
BODY = "Could you detail twelve trucks at the Neenah lot next week?"
EDITED = "Could you detail twelve trucks at the Neenah lot on Tuesday?"
REPLY = "Tuesday works for us. We will be there at eight."


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_owner_approves_a_draft_to_a_vendor_and_the_reply_reaches_the_assistants_task(
    live_server,
    settings,
    page,
    new_context,
    owner,
    engagement,
    organization,
    vendor,
    contact,
    smtp_sink,
    password,
    log_in,
    screenshot,
):
    settings.SITE_URL = live_server.url
    settings.VENDOR_INBOUND_SECRET = INBOUND_SECRET
    # Rhonda may send as Renard by default; this one vendor is to go through him.
    engagement.vendor_email_authority = Authority.SEND
    engagement.save()
    assistant = engagement.assistant
    task = TaskFactory(organization=organization, created_by=owner, title="Detail the fleet")

    # Renard sets Fox Valley Detailing to "draft for approval".
    log_in(page, owner, password)
    page.goto(f"/vendors/authority/?organization={organization.pk}")
    expect(page.get_by_role("heading", name="Who may write as the owner")).to_be_visible()
    row = page.locator("#authorities tr").filter(
        has=page.get_by_label("Authority for Fox Valley Detailing", exact=True)
    )
    row.get_by_label("Authority for Fox Valley Detailing", exact=True).select_option(
        label="Draft for the owner's approval"
    )
    row.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Saved for Fox Valley Detailing.")
    expect(page.get_by_label("Authority for Fox Valley Detailing", exact=True)).to_have_value(
        "draft"
    )
    expect(page.locator("#authority-changes")).to_contain_text(
        "Renard Bergstrom: Fox Valley Detailing default → draft"
    )
    screenshot(page, "60-vendor-authority-draft")
    assert AuthorityChange.objects.get().to_authority == "draft"

    # Rhonda writes to the vendor from the task.
    helper = new_context().new_page()
    log_in(helper, assistant, password)
    helper.goto(f"/tasks/{task.pk}/")
    helper.get_by_label("Vendor", exact=True).select_option(label="Fox Valley Detailing")
    helper.get_by_role("button", name="Write to a vendor").click()

    expect(helper).to_have_url(re.compile(rf"/vendors/{vendor.pk}/write/\?task={task.pk}$"))
    expect(helper.get_by_role("heading", name="Write to Fox Valley Detailing")).to_be_visible()
    expect(helper.get_by_text("The owner approves it before it goes out.")).to_be_visible()
    helper.get_by_label("Contact").select_option(label=str(contact))
    helper.get_by_label("Subject").fill(SUBJECT)
    helper.get_by_label("Message").fill(BODY)
    helper.get_by_role("button", name="Send").click()

    expect(helper.get_by_role("alert")).to_contain_text("Sent to the owner for approval.")
    expect(helper.locator("#message-status")).to_have_text("Awaiting the owner's approval")
    screenshot(helper, "60-vendor-draft-written")
    assert smtp_sink.messages_to(contact.email) == []

    # Renard's email asks him to approve; he follows its link, edits the draft and approves.
    (request,) = smtp_sink.messages_to(owner.email)
    link = re.search(rf"{re.escape(live_server.url)}/vendors/approve/\S+", text_body(request))
    assert link, text_body(request)
    page.goto(link.group())
    expect(
        page.get_by_role("heading", name="Approve the draft to Fox Valley Detailing?")
    ).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value(BODY)
    page.get_by_label("Message").fill(EDITED)
    page.get_by_role("button", name="Approve and send").click()

    expect(page.get_by_role("alert")).to_contain_text("Approved and sent.")
    expect(page.locator("#message-status")).to_have_text("Sent")
    expect(page.locator("#message-facts")).to_contain_text("Renard Bergstrom")
    screenshot(page, "60-vendor-draft-approved")

    # The vendor receives it once, from Renard, with replies going to him.
    (sent_mail,) = smtp_sink.messages_to(contact.email)
    assert sent_mail["From"] == "Renard Bergstrom <portal@vaportal.example>"
    assert sent_mail["Reply-To"] == owner.email
    assert sent_mail["Subject"] == SUBJECT
    assert text_body(sent_mail).strip() == EDITED
    sent = Message.objects.get(direction=Message.Direction.OUT)
    # A long Message-ID is folded onto its own line; the parsed value keeps the fold's space.
    message_id = sent_mail["Message-ID"].strip()
    assert message_id == f"<{sent.message_id}>"
    assert (sent.written_by, sent.approved_by, sent.authority, sent.task) == (
        assistant,
        owner,
        "draft",
        task,
    )

    # Dana answers; the mail server posts her reply to the inbound endpoint.
    raw = (
        f"From: Dana Fox <{contact.email}>\r\n"
        f"To: {owner.email}\r\n"
        f"Subject: Re: {SUBJECT}\r\n"
        "Message-ID: <reply-1@foxvalley.example>\r\n"
        f"In-Reply-To: {message_id}\r\n"
        f"References: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{REPLY}\r\n"
    ).encode()
    response = helper.request.post(
        f"{live_server.url}/vendors/inbound/",
        data=raw,
        headers={"X-Inbound-Secret": INBOUND_SECRET, "Content-Type": "message/rfc822"},
    )
    assert response.status == 201, response.text()

    # Rhonda sees it on the task's timeline and in her queue.
    helper.goto(f"/tasks/{task.pk}/")
    expect(helper.locator("#task-correspondence")).to_contain_text(f"Re: {SUBJECT}")
    expect(helper.locator(".timeline")).to_contain_text(
        f"Reply received from Fox Valley Detailing: “Re: {SUBJECT}”"
    )
    screenshot(helper, "60-vendor-reply-on-task")
    helper.goto("/tasks/queue/")
    expect(
        helper.get_by_role("link", name=f"Reply received from Fox Valley Detailing: Re: {SUBJECT}")
    ).to_be_visible()
    screenshot(helper, "60-vendor-reply-in-queue")
    received = Message.objects.get(direction=Message.Direction.IN)
    assert (received.thread, received.task, received.handled_by) == (sent, task, assistant)
