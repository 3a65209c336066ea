import pytest
from django.core import mail
from django.urls import reverse

from assistants.models import Authority
from tasks.models import Task, TaskEvent
from tests.factories import TaskFactory
from vendors import services
from vendors.models import AuthorityChange, Contact, Message, Vendor

from .conftest import INBOUND_SECRET, reply, write


def test_with_send_authority_the_email_goes_out_as_the_owner(
    sending_assistant, owner, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(sending_assistant, vendor, contact, cc_owner=True)

    (sent,) = mail.outbox
    assert sent.from_email == f"{owner.full_name} <portal@vaportal.example>"
    assert sent.reply_to == [owner.email]
    assert sent.cc == [owner.email]
    assert sent.to == [contact.email]
    assert sent.extra_headers["Message-ID"].strip("<>") == message.message_id
    assert (message.written_by, message.on_behalf_of, message.authority) == (
        sending_assistant,
        owner,
        "send",
    )


def test_with_draft_authority_only_the_owners_approval_sends_it_once(
    client_for, drafting_assistant, owner, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(drafting_assistant, vendor, contact)
    assert message.status == Message.Status.DRAFT
    assert [m.to for m in mail.outbox] == [[owner.email]]  # the approval request
    mail.outbox.clear()

    client = client_for(owner)
    url = reverse("vendors:approve", args=[message.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"subject": "Fleet detailing", "body": "Twelve trucks, Tuesday?"})
        client.post(url, {"subject": "Fleet detailing", "body": "Twelve trucks, Tuesday?"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].body == "Twelve trucks, Tuesday?"
    message.refresh_from_db()
    assert (message.status, message.approved_by) == (Message.Status.SENT, owner)


def test_with_never_the_assistant_is_refused_and_nothing_is_stored(
    sending_assistant, owner, vendor, contact
):
    services.authority_set(actor=owner, vendor=vendor, contact=contact, authority="none")

    with pytest.raises(services.VendorError, match="never"):
        write(sending_assistant, vendor, contact)

    assert not Message.objects.exists()
    assert mail.outbox == []
    change = AuthorityChange.objects.get()
    assert (change.actor, change.contact, change.to_authority) == (owner, contact, "none")


def test_a_subject_or_address_with_a_line_break_is_refused(sending_assistant, vendor, contact):
    with pytest.raises(services.VendorError, match="one line"):
        write(sending_assistant, vendor, contact, subject="Hi\r\nBcc: spy@example.com")
    with pytest.raises(services.VendorError, match="one line"):
        services.message_write(
            actor=sending_assistant,
            vendor=vendor,
            contact=None,
            to_address="dana@foxvalley.example\nBcc: spy@example.com",
            subject="Hi",
            body="Hello",
        )
    assert not Message.objects.exists()


def test_a_reply_is_threaded_stored_once_and_lands_on_the_task_and_in_the_queue(
    client, sending_assistant, owner, vendor, contact, django_capture_on_commit_callbacks
):
    task = Task.objects.create(
        organization=vendor.organization, title="Detailing for the fleet", created_by=owner,
        requested_by=owner,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        sent = write(sending_assistant, vendor, contact, task=task)
    raw = reply(sent.message_id)

    def post():
        return client.post(
            reverse("vendors:inbound"),
            raw,
            content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
        )

    first, second = post(), post()

    assert (first.status_code, second.status_code) == (201, 200)
    received = Message.objects.get(direction="in")
    assert (received.thread, received.vendor, received.task) == (sent, vendor, task)
    assert task.events.filter(kind=TaskEvent.Kind.CORRESPONDENCE).count() == 2
    item = Task.objects.get(title__startswith="Reply received")
    assert item.assignee == sending_assistant


def test_a_reply_without_references_is_threaded_by_sender_and_subject(
    client, owner, sending_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = write(sending_assistant, vendor, contact)

    client.post(
        reverse("vendors:inbound"),
        reply("", subject="RE: Fleet detailing"),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert Message.objects.get(direction="in").thread == sent


def test_an_unknown_sender_lands_in_the_inbox_to_be_filed(
    client, client_for, owner, sending_assistant, vendor
):
    response = client.post(
        reverse("vendors:inbound"),
        reply("", sender="someone@new.example", subject="Hello there", to=owner.email),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert response.status_code == 201
    message = Message.objects.get()
    assert (message.organization, message.vendor) == (vendor.organization, None)
    inbox = client_for(sending_assistant).get(reverse("vendors:inbox")).content.decode()
    assert "Hello there" in inbox
    client_for(sending_assistant).post(
        reverse("vendors:file", args=[message.pk]), {"vendor": vendor.pk}
    )
    message.refresh_from_db()
    assert message.vendor == vendor


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"HTTP_X_INBOUND_SECRET": "wrong"}, reply(""), 401),
        ({}, reply(""), 401),
        ({"HTTP_X_INBOUND_SECRET": INBOUND_SECRET}, b"", 400),
        ({"HTTP_X_INBOUND_SECRET": INBOUND_SECRET}, b"this is not an email at all", 400),
        (
            {"HTTP_X_INBOUND_SECRET": INBOUND_SECRET},
            reply("", body="x" * (services.INBOUND_MAX_BYTES + 1)),
            413,
        ),
    ],
)
def test_a_bad_inbound_post_is_refused_and_nothing_is_stored(
    client, vendor, contact, headers, body, status
):
    response = client.post(
        reverse("vendors:inbound"), body, content_type="message/rfc822", **headers
    )

    assert response.status_code == status
    assert not Message.objects.exists()


@pytest.mark.parametrize("name", ["detail", "edit", "contact_new", "write"])
def test_another_organizations_vendor_is_not_found(client_for, outsider, vendor, name):
    assert client_for(outsider).get(reverse(f"vendors:{name}", args=[vendor.pk])).status_code == 404


def test_another_organizations_message_and_approval_link_are_not_found(
    client_for, outsider, drafting_assistant, vendor, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(drafting_assistant, vendor, contact)
    client = client_for(outsider)
    link = reverse("vendors:approve_link", args=[services.approval_token(message)])

    assert client.get(reverse("vendors:message", args=[message.pk])).status_code == 404
    assert client.post(reverse("vendors:approve", args=[message.pk])).status_code == 404
    assert client.post(reverse("vendors:reject", args=[message.pk])).status_code == 404
    assert (
        client.post(link, {"decision": "approve", "subject": "x", "body": "y"}).status_code == 404
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DRAFT


def test_an_assistant_whose_engagement_ended_cannot_write(
    sending_assistant, engagement, vendor, contact
):
    engagement.ended_at = "2026-01-01T00:00Z"
    engagement.save()

    with pytest.raises(services.PermissionDenied):
        write(sending_assistant, vendor, contact)


def test_hand_over_moves_conversations_and_pending_drafts(
    drafting_assistant, admin_user, vendor, contact, django_capture_on_commit_callbacks
):
    from assistants.services import engagements_hand_over
    from tests.factories import AssistantFactory

    with django_capture_on_commit_callbacks(execute=True):
        draft = write(drafting_assistant, vendor, contact)
    newcomer = AssistantFactory()

    engagements_hand_over(
        actor=admin_user, from_assistant=drafting_assistant, to_assistant=newcomer
    )

    draft.refresh_from_db()
    assert draft.handled_by == newcomer
    assert draft.written_by == drafting_assistant


def test_the_address_of_another_vendors_contact_cannot_be_written_to_from_this_vendor(
    sending_assistant, owner, vendor, contact, organization
):
    from vendors.models import Contact, Vendor

    other = Vendor.objects.create(organization=organization, name="Northwoods Marketing")
    never = Contact.objects.create(vendor=other, name="Priya", email="priya@northwoods.example")
    services.authority_set(actor=owner, vendor=other, contact=None, authority="none")

    with pytest.raises(services.VendorError, match="is a contact of Northwoods Marketing"):
        services.message_write(
            actor=sending_assistant,
            vendor=vendor,
            contact=None,
            to_address=never.email,
            subject="Hello",
            body="Hi",
        )
    assert not Message.objects.exists()


def test_a_reply_to_an_assistant_who_has_since_been_handed_over_is_still_stored(
    client,
    sending_assistant,
    owner,
    admin_user,
    vendor,
    contact,
    django_capture_on_commit_callbacks,
):
    from assistants.services import engagements_hand_over
    from tests.factories import AssistantFactory

    with django_capture_on_commit_callbacks(execute=True):
        sent = write(sending_assistant, vendor, contact)
    newcomer = AssistantFactory()
    engagements_hand_over(actor=admin_user, from_assistant=sending_assistant, to_assistant=newcomer)

    response = client.post(
        reverse("vendors:inbound"),
        reply(sent.message_id),
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert response.status_code == 201
    received = Message.objects.get(direction="in")
    assert received.handled_by == newcomer
    assert Task.objects.get(title__startswith="Reply received").assignee == newcomer


def test_an_inbound_message_of_a_few_megabytes_is_taken(client, owner, vendor, contact):
    attachment_sized = reply("", body="x" * (3 * 1024 * 1024), to=owner.email)

    response = client.post(
        reverse("vendors:inbound"),
        attachment_sized,
        content_type="message/rfc822",
        HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
    )

    assert response.status_code == 201


def test_one_message_sent_to_two_clients_is_stored_once_for_each(
    client, owner, outsider, vendor, contact
):
    def post(to):
        return client.post(
            reverse("vendors:inbound"),
            reply("", subject="Price list 2027", to=to),
            content_type="message/rfc822",
            HTTP_X_INBOUND_SECRET=INBOUND_SECRET,
        )

    assert (post(owner.email).status_code, post(outsider.email).status_code) == (201, 201)
    assert post(owner.email).status_code == 200
    assert Message.objects.filter(message_id="reply-1@foxvalley.example").count() == 2


# Saying "never" before the assistant writes ---------------------------------------------------

WRITE_POST = {"subject": "Fleet detailing", "body": "Could you detail twelve trucks next week?"}


def test_an_assistant_whose_vendor_is_never_is_told_why_and_offered_no_form(
    client_for, owner, sending_assistant, vendor, contact
):
    services.authority_set(actor=owner, vendor=vendor, contact=None, authority="none")
    client = client_for(sending_assistant)
    url = reverse("vendors:write", args=[vendor.pk])

    page = client.get(url)
    posted = client.post(url, {**WRITE_POST, "contact": contact.pk})
    vendor_page = client.get(vendor.get_absolute_url()).content.decode()

    assert page.status_code == posted.status_code == 200
    for response in (page, posted):
        html = response.content.decode()
        assert (
            "You may not write to Fox Valley Detailing on the owner's behalf: the owner set "
            "Fox Valley Detailing to “never”."
        ) in html
        assert 'name="subject"' not in html and 'name="body"' not in html
    assert not Message.objects.exists()
    assert mail.outbox == []
    assert url not in vendor_page
    assert "You may not write to Fox Valley Detailing on the owner's behalf" in vendor_page


def test_an_assistant_without_vendor_email_authority_is_told_it_is_the_engagement(
    client_for, assistant, vendor, contact
):
    html = client_for(assistant).get(reverse("vendors:write", args=[vendor.pk])).content.decode()

    assert "your engagement does not include emailing vendors as the owner" in html
    assert 'name="subject"' not in html


def test_a_contact_set_to_never_is_offered_neither_a_write_link_nor_a_place_in_the_form(
    client_for, owner, sending_assistant, vendor, contact
):
    careful = Contact.objects.create(vendor=vendor, name="Lee Park", email="lee@foxvalley.example")
    services.authority_set(actor=owner, vendor=vendor, contact=careful, authority="none")
    client = client_for(sending_assistant)
    write_url = reverse("vendors:write", args=[vendor.pk])

    vendor_page = client.get(vendor.get_absolute_url()).content.decode()
    form_page = client.get(write_url)
    to_careful = client.get(f"{write_url}?contact={careful.pk}").content.decode()
    posted = client.post(write_url, {**WRITE_POST, "contact": careful.pk})

    assert f"{write_url}?contact={contact.pk}" in vendor_page
    assert f"?contact={careful.pk}" not in vendor_page
    assert list(form_page.context["form"].fields["contact"].queryset) == [contact]
    assert (
        "You may not write to Lee Park (Fox Valley Detailing) on the owner's behalf" in to_careful
    )
    assert 'name="subject"' not in to_careful
    assert "contact" in posted.context["form"].errors
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_reply_is_not_offered_to_a_contact_set_to_never(
    client_for, owner, sending_assistant, vendor, contact
):
    incoming = Message.objects.create(
        organization=vendor.organization,
        vendor=vendor,
        contact=contact,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        subject="Tuesday?",
        body="Does Tuesday work?",
        from_address=contact.email,
        message_id="tuesday@foxvalley.example",
    )
    client = client_for(sending_assistant)
    reply_url = f"{reverse('vendors:write', args=[vendor.pk])}?reply_to={incoming.pk}"
    assert reply_url in client.get(incoming.get_absolute_url()).content.decode()

    services.authority_set(actor=owner, vendor=vendor, contact=contact, authority="none")

    assert reply_url not in client.get(incoming.get_absolute_url()).content.decode()
    assert 'name="subject"' not in client.get(reply_url).content.decode()


def test_a_contact_of_another_organization_cannot_be_chosen_to_write_to(
    client_for, sending_assistant, vendor, other_organization
):
    from vendors.models import Vendor

    theirs = Vendor.objects.create(organization=other_organization, name="Lakeside Supplies")
    stranger = Contact.objects.create(vendor=theirs, name="Sam Lake", email="sam@lakeside.example")

    response = client_for(sending_assistant).get(
        f"{reverse('vendors:write', args=[vendor.pk])}?contact={stranger.pk}"
    )

    assert response.status_code == 404


def test_the_task_page_offers_to_write_only_to_vendors_the_assistant_may_write_to(
    client_for, sending_assistant, owner, organization, vendor, contact
):
    never = Vendor.objects.create(organization=organization, name="Northwoods Marketing")
    services.authority_set(actor=owner, vendor=never, contact=None, authority=Authority.NONE)
    only_one_contact = Vendor.objects.create(organization=organization, name="Lakeshore Tire")
    services.authority_set(
        actor=owner, vendor=only_one_contact, contact=None, authority=Authority.NONE
    )
    sam = Contact.objects.create(vendor=only_one_contact, name="Sam", email="sam@tire.example")
    services.authority_set(
        actor=owner, vendor=only_one_contact, contact=sam, authority=Authority.DRAFT
    )
    task = TaskFactory(organization=organization, requested_by=owner, created_by=owner)

    offered = client_for(sending_assistant).get(task.get_absolute_url()).context["vendors"]
    assert [v.name for v in offered] == ["Fox Valley Detailing", "Lakeshore Tire"]
    offered_to_owner = client_for(owner).get(task.get_absolute_url()).context["vendors"]
    assert len(offered_to_owner) == 3
