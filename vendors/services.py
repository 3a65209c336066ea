"""Every write about vendors: the directory, who may write to whom as the owner, writing and
approving messages, replies coming in, the correspondence log, and hand-over."""

import email
import email.errors
import email.message
import email.parser
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formataddr, getaddresses, make_msgid, parseaddr
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assistants.models import Authority, Engagement
from clients.models import Membership, Organization
from tasks import services as task_services
from tasks.models import Category, Priority, Task, TaskEvent
from tasks.uploads import attachment_content_type
from vapportal import links
from vapportal.audit import audit_record
from vapportal.csv_import import CSVFileError, csv_read
from vapportal.emails import email_queue, email_queue_written

from .models import AuthorityChange, Contact, Message, Vendor, VendorDocument, VendorSettings

APPROVAL_SALT = "vendors.approval"
INBOUND_MAX_BYTES = 10 * 1024 * 1024
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv)\s*:\s*)+", re.IGNORECASE)


class VendorError(Exception):
    """A change the rules refuse; the message says why."""


class InboundError(Exception):
    """An inbound post that is refused; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


# Who may do what -----------------------------------------------------------------------------


def is_client(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()


def engagement_of(user: User, organization: Organization) -> Engagement | None:
    return Engagement.objects.active().filter(assistant=user, organization=organization).first()


def may_manage(user: User, organization: Organization) -> bool:
    """Owners, managers and engaged assistants keep the directory."""
    return is_client(user, organization) or engagement_of(user, organization) is not None


def effective_authority(
    vendor: Vendor, contact: Contact | None, engagement: Engagement | None
) -> str:
    """What an assistant may do writing to this vendor or contact: the contact's setting,
    else the vendor's, else the engagement's."""
    if contact is not None and contact.authority:
        return contact.authority
    if vendor.authority:
        return vendor.authority
    return engagement.vendor_email_authority if engagement else Authority.NONE


def authority_for(user: User, vendor: Vendor, contact: Contact | None = None) -> str:
    """The owner and managers write as themselves; an assistant as the authority says."""
    return authorities_for(user, vendor, [contact])[contact]


def authorities_for(
    user: User, vendor: Vendor, contacts: list[Contact | None]
) -> dict[Contact | None, str]:
    """authority_for for several of the vendor's contacts at once (None: an address that is
    no contact's), reading the engagement once."""
    if is_client(user, vendor.organization):
        return dict.fromkeys(contacts, Authority.SEND)
    engagement = engagement_of(user, vendor.organization)
    if engagement is None:
        raise PermissionDenied
    return {contact: effective_authority(vendor, contact, engagement) for contact in contacts}


def vendors_writable_by(user: User, vendors: list[Vendor]) -> list[Vendor]:
    """The vendors the person may write to someone at (the vendor itself or one of its
    contacts), for the lists that offer writing. Reads each vendor's contacts: prefetch them."""
    if not vendors:
        return []
    organization = vendors[0].organization
    if is_client(user, organization):
        return vendors
    engagement = engagement_of(user, organization)
    return [
        vendor
        for vendor in vendors
        if any(
            effective_authority(vendor, contact, engagement) != Authority.NONE
            for contact in [None, *vendor.contacts.all()]
        )
    ]


def engaged_authorities(
    vendor: Vendor, contacts: list[Contact | None]
) -> dict[Contact | None, list[tuple[User, str]]]:
    """For the owner: what each engaged assistant may do writing to the vendor (None) and to
    each contact, by the same rule their messages are held to."""
    engagements = list(
        Engagement.objects.active()
        .filter(organization=vendor.organization)
        .select_related("assistant")
    )
    return {
        contact: [
            (engagement.assistant, effective_authority(vendor, contact, engagement))
            for engagement in engagements
        ]
        for contact in contacts
    }


@dataclass
class WritingChoice:
    """Whom one person may write to at one vendor, for the compose page."""

    contacts: list[Contact]  # the contacts with an address they may write to
    any_address: bool  # whether they may type an address that is no contact's
    authority: str  # send or draft for all of those, else "mixed"
    refusal: str = ""  # why they may not write here, if they may not


def writing_choice(user: User, vendor: Vendor, chosen: Contact | None = None) -> WritingChoice:
    """What the compose page offers: only the contacts (and typed addresses) the writer's
    authority allows, and, where it is "never" for the contact chosen or for everyone, why."""
    contacts = list(vendor.contacts.exclude(email=""))
    targets = [None, *contacts, *([chosen] if chosen and chosen not in contacts else [])]
    authorities = authorities_for(user, vendor, targets)
    writable = [contact for contact in contacts if authorities[contact] != Authority.NONE]
    any_address = authorities[None] != Authority.NONE
    kinds = {authorities[contact] for contact in writable}
    if any_address:
        kinds.add(authorities[None])
    choice = WritingChoice(
        contacts=writable,
        any_address=any_address,
        authority=kinds.pop() if len(kinds) == 1 else "mixed",
    )
    if chosen is not None and authorities[chosen] == Authority.NONE:
        choice.refusal = refusal_reason(vendor, chosen)
    elif not writable and not any_address:
        choice.refusal = refusal_reason(vendor, None)
    return choice


def refusal_reason(vendor: Vendor, contact: Contact | None) -> str:
    """Which setting makes an assistant's authority "never" here, for the message saying so."""
    if contact is not None and contact.authority == Authority.NONE:
        return f"the owner set {contact} to “never”"
    if (contact is None or not contact.authority) and vendor.authority == Authority.NONE:
        return f"the owner set {vendor} to “never”"
    return "your engagement does not include emailing vendors as the owner"


def settings_for(organization: Organization) -> VendorSettings:
    existing = VendorSettings.objects.filter(organization=organization).first()
    if existing:
        return existing
    owner = (
        Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    user = owner.user if owner else None
    try:
        with transaction.atomic():
            return VendorSettings.objects.create(
                organization=organization,
                reply_to=user.email if user else "",
                sender_name=(user.full_name or user.email) if user else organization.name,
            )
    except IntegrityError:
        return VendorSettings.objects.get(organization=organization)


def one_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise VendorError(f"{what} is one line: a line break is not allowed.")
    return value.strip()


# The directory ------------------------------------------------------------------------------


@transaction.atomic
def vendor_save(*, actor: User, vendor: Vendor) -> Vendor:
    if not may_manage(actor, vendor.organization):
        raise PermissionDenied
    creating = vendor.pk is None
    vendor.name = one_line(vendor.name, "A name")
    vendor.save()
    audit_record(
        actor=actor,
        action="vendor.added" if creating else "vendor.updated",
        summary=f"{'Added' if creating else 'Updated'} the vendor {vendor}",
        organization=vendor.organization,
    )
    return vendor


@transaction.atomic
def contact_save(*, actor: User, contact: Contact) -> Contact:
    if not may_manage(actor, contact.vendor.organization):
        raise PermissionDenied
    contact.name = one_line(contact.name, "A name")
    contact.email = one_line(contact.email, "An address").lower()
    contact.save()
    return contact


@transaction.atomic
def authority_set(*, actor: User, vendor: Vendor, contact: Contact | None, authority: str) -> None:
    """Owners and managers decide who the assistant may write to as them; every change is
    recorded."""
    if not is_client(actor, vendor.organization):
        raise PermissionDenied
    if authority not in ("", *Authority.values):
        raise VendorError("Choose send, draft, never or the default.")
    target = contact or vendor
    before = target.authority
    if before == authority:
        return
    target.authority = authority
    target.save(update_fields=["authority"])
    AuthorityChange.objects.create(
        vendor=vendor, contact=contact, actor=actor, from_authority=before, to_authority=authority
    )
    audit_record(
        actor=actor,
        action="vendor.authority",
        summary=f"{target}: {before or 'default'} → {authority or 'default'}",
        organization=vendor.organization,
    )


@transaction.atomic
def document_add(*, actor: User, vendor: Vendor, upload) -> VendorDocument:
    if not may_manage(actor, vendor.organization):
        raise PermissionDenied
    content_type = attachment_content_type(upload)
    return VendorDocument.objects.create(
        vendor=vendor,
        file=upload,
        name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )


@dataclass
class ImportRow:
    line: int
    name: str
    outcome: str = ""  # added, updated or rejected
    reason: str = ""


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


IMPORT_COLUMNS = (
    "name",
    "category",
    "website",
    "status",
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_role",
)


def vendors_import_csv(*, actor: User, organization: Organization, content: bytes) -> ImportReport:
    """Vendors from a CSV (name, category, website, status, contact_name, contact_email,
    contact_phone, contact_role): each row added, updated (matched by name) or rejected with
    why. A file that is not such a CSV changes nothing."""
    if not may_manage(actor, organization):
        raise PermissionDenied
    if len(content) > 1024 * 1024:
        raise VendorError("The file is larger than 1 MB.")
    try:
        table = csv_read(content, expected=IMPORT_COLUMNS, required=("name",))
    except CSVFileError as error:
        raise VendorError(str(error)) from error
    report = ImportReport()
    for record in table.records:
        row = ImportRow(line=record.line, name=record.get("name"))
        report.rows.append(row)
        if record.extra_cells:
            row.outcome, row.reason = "rejected", "The row has more cells than the header."
            continue
        data = record.values
        try:
            with transaction.atomic():
                row.outcome = _import_row(actor, organization, data)
        except (VendorError, ValidationError) as error:
            row.outcome = "rejected"
            row.reason = (
                "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
    return report


def _import_row(actor: User, organization: Organization, data: dict) -> str:
    name = one_line(data.get("name", ""), "A name")
    if not name:
        raise VendorError("The name is empty.")
    status = data.get("status", "").lower() or Vendor.Status.ACTIVE
    if status not in Vendor.Status.values:
        raise VendorError(f"“{status}” is not prospective, active or former.")
    vendor = Vendor.objects.filter(organization=organization, name__iexact=name).first()
    outcome = "updated" if vendor else "added"
    vendor = vendor or Vendor(organization=organization, name=name)
    vendor.category = data.get("category", vendor.category)[:100]
    vendor.website = data.get("website", vendor.website)
    vendor.status = status
    vendor.full_clean(exclude=["organization"])
    vendor_save(actor=actor, vendor=vendor)
    email_address = data.get("contact_email", "").lower()
    if data.get("contact_name"):
        if email_address:
            validate_email(email_address)
        contact = vendor.contacts.filter(name__iexact=data["contact_name"]).first() or Contact(
            vendor=vendor
        )
        contact.name = data["contact_name"]
        contact.email = email_address or contact.email
        contact.phone = data.get("contact_phone", contact.phone)[:40]
        contact.role = data.get("contact_role", contact.role)[:100]
        contact_save(actor=actor, contact=contact)
    return outcome


# Writing as the owner -----------------------------------------------------------------------


def approval_token(message: Message) -> str:
    return links.approval_token(salt=APPROVAL_SALT, pk=message.pk)


def message_from_approval_token(token: str) -> Message:
    try:
        pk, _ = links.approval_link_id(
            token, salt=APPROVAL_SALT, max_age=settings.VENDOR_APPROVAL_MAX_AGE, what="draft"
        )
    except links.LinkError as error:
        raise VendorError(str(error)) from error
    message = Message.objects.select_related("organization", "vendor").filter(pk=pk).first()
    if message is None:
        raise VendorError("This approval link is not valid.")
    if message.status != Message.Status.DRAFT:
        raise VendorError("This draft was already dealt with: the link has been used.")
    return message


def _task_event(message: Message, actor: User | None, note: str) -> None:
    if message.task_id:
        TaskEvent.objects.create(
            task_id=message.task_id,
            actor=actor,
            kind=TaskEvent.Kind.CORRESPONDENCE,
            note=note[:300],
        )


@transaction.atomic
def message_write(
    *,
    actor: User,
    vendor: Vendor,
    contact: Contact | None,
    to_address: str,
    subject: str,
    body: str,
    task: Task | None = None,
    cc_owner: bool = False,
    thread: Message | None = None,
) -> Message:
    """The assistant (or the owner) writes to a vendor. Send: it goes out now, as the owner.
    Draft: the owner approves it first. Never: refused."""
    organization = vendor.organization
    if contact is not None and contact.vendor_id != vendor.pk:
        raise PermissionDenied
    if task is not None and task.organization_id != organization.pk:
        raise PermissionDenied
    to_address = one_line(to_address, "An address").lower()
    # The authority is the one of whoever the address belongs to, whatever contact was picked.
    owner_of_address = (
        Contact.objects.filter(vendor__organization=organization, email=to_address)
        .select_related("vendor")
        .first()
    )
    if owner_of_address is not None and owner_of_address.vendor_id != vendor.pk:
        raise VendorError(
            f"{to_address} is a contact of {owner_of_address.vendor}: write to them from "
            f"{owner_of_address.vendor}'s page."
        )
    contact = owner_of_address
    authority = authority_for(actor, vendor, contact)
    if authority == Authority.NONE:
        raise VendorError(
            f"You may not write to {contact or vendor} on the owner's behalf: "
            f"{refusal_reason(vendor, contact)}."
        )
    subject = one_line(subject, "A subject")
    try:
        validate_email(to_address)
    except ValidationError as error:
        raise VendorError(f"“{to_address}” is not an email address.") from error
    if not subject or not body.strip():
        raise VendorError("Write a subject and a message.")
    owner = actor if is_client(actor, organization) else _owner(organization)
    message = Message.objects.create(
        organization=organization,
        vendor=vendor,
        contact=contact,
        task=task,
        thread=(thread.thread or thread) if thread else None,
        direction=Message.Direction.OUT,
        status=Message.Status.DRAFT,
        subject=subject,
        body=body,
        to_address=to_address,
        cc_owner=cc_owner,
        written_by=actor,
        on_behalf_of=owner,
        handled_by=None if is_client(actor, organization) else actor,
        authority=authority,
    )
    if authority == Authority.SEND:
        _send(message, approver=None)
    else:
        _task_event(message, actor, f"Drafted “{subject}” to {vendor} for approval")
        for person in _clients(organization):
            email_queue(
                template="vendor_draft",
                to=person.email,
                zone=person.timezone,
                context={
                    "message": message,
                    "approve_path": reverse("vendors:approve_link", args=[approval_token(message)]),
                    "message_path": message.get_absolute_url(),
                },
            )
    return message


def _owner(organization: Organization) -> User | None:
    membership = (
        Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return membership.user if membership else None


def _clients(organization: Organization):
    return User.objects.filter(memberships__organization=organization, is_active=True).distinct()


def _send(message: Message, *, approver: User | None) -> None:
    vendor_settings = settings_for(message.organization)
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    message_id = make_msgid(f"vendor.{message.pk}", domain=address.split("@")[-1])
    headers = {"Message-ID": message_id}
    if message.thread and message.thread.message_id:
        headers["In-Reply-To"] = f"<{message.thread.message_id}>"
        headers["References"] = f"<{message.thread.message_id}>"
    sender_name = " ".join(vendor_settings.sender_name.split())
    outgoing = email_queue_written(
        to=message.to_address,
        subject=message.subject,
        text_body=message.body,
        template="vendor_message",
        from_email=formataddr((sender_name, address)),
        reply_to=vendor_settings.reply_to,
        cc=message.on_behalf_of.email if message.cc_owner and message.on_behalf_of else "",
        headers=headers,
    )
    message.status = Message.Status.SENT
    message.message_id = message_id.strip("<>")
    message.from_address = formataddr((sender_name, address))
    message.reply_to = vendor_settings.reply_to
    message.outgoing_email = outgoing
    message.approved_by = approver
    message.approved_at = timezone.now() if approver else None
    message.happened_at = timezone.now()
    message.save()
    how = f", approved by {approver}" if approver else ""
    _task_event(message, message.written_by, f"Wrote to {message.vendor}: “{message.subject}”{how}")


def _locked(message: Message) -> Message:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("organization", "vendor", "thread", "on_behalf_of", "written_by")
        .get(pk=message.pk)
    )


def _draft_to_decide(actor: User, message: Message) -> Message:
    """The draft, locked, for an owner or manager to approve or reject; once dealt with, it is
    refused."""
    message = _locked(message)
    if not is_client(actor, message.organization):
        raise PermissionDenied
    if message.status != Message.Status.DRAFT:
        raise VendorError(
            f"This message is {message.get_status_display().lower()}: it was dealt with."
        )
    return message


@transaction.atomic
def message_approve(
    *, actor: User, message: Message, subject: str | None = None, body: str | None = None
) -> Message:
    """The owner approves a draft, perhaps edited; only approval sends it, once."""
    message = _draft_to_decide(actor, message)
    if subject is not None:
        message.subject = one_line(subject, "A subject")
    if body is not None:
        message.body = body
    if not message.subject or not message.body.strip():
        raise VendorError("Write a subject and a message.")
    _send(message, approver=actor)
    return message


@transaction.atomic
def message_reject(*, actor: User, message: Message, note: str = "") -> Message:
    message = _draft_to_decide(actor, message)
    message.status = Message.Status.REJECTED
    message.approved_by, message.approved_at = actor, timezone.now()
    message.save(update_fields=["status", "approved_by", "approved_at"])
    _task_event(message, actor, f"Rejected the draft “{message.subject}”. {note}".strip())
    return message


@transaction.atomic
def message_log(
    *,
    actor: User,
    vendor: Vendor,
    kind: str,
    subject: str,
    body: str,
    happened_at: datetime,
    contact: Contact | None = None,
    task: Task | None = None,
) -> Message:
    """A call or meeting, logged by hand into the correspondence."""
    if not may_manage(actor, vendor.organization):
        raise PermissionDenied
    if kind not in (Message.Kind.CALL, Message.Kind.MEETING):
        raise VendorError("Log a call or a meeting.")
    if happened_at > timezone.now():
        raise VendorError("A call or meeting is logged after it happened.")
    message = Message.objects.create(
        organization=vendor.organization,
        vendor=vendor,
        contact=contact,
        task=task,
        direction=Message.Direction.OUT,
        kind=kind,
        status=Message.Status.LOGGED,
        subject=one_line(subject, "A subject"),
        body=body,
        written_by=actor,
        handled_by=actor if engagement_of(actor, vendor.organization) else None,
        happened_at=happened_at,
    )
    _task_event(message, actor, f"Logged a {kind} with {vendor}: {message.subject}")
    return message


# Replies coming in --------------------------------------------------------------------------


# Mail a person wrote stays far inside these. Python's parser takes about a millisecond per
# address it reads, and recurses once per level of nested parts: a few thousand levels took
# seconds and then failed. So headers past 64 KB are refused (mail servers cut them at 100 KB),
# only the first addresses and references are read (each is a query parameter), and a
# message nested deeper than MAX_NESTING is read for its headers only.
MAX_HEADER_BYTES = 64 * 1024
MAX_ADDRESSES = 100
MAX_REFERENCES = 100
MAX_NESTING = 50
NESTED_PART = re.compile(rb"^content-type:\s*(multipart|message)/", re.IGNORECASE | re.MULTILINE)
HEADERS_END = re.compile(rb"\r?\n\r?\n")
# The lines that frame a message's parts: boundaries, and part headers with their folded lines.
PART_FRAMING = re.compile(rb"^(--\S*|content-[\w-]+:.*(\r?\n[ \t].*)*)\r?\n", re.I | re.M)
BLANK_LINES = re.compile(r"(\r?\n){3,}")
MESSAGE_ID_MAX_LENGTH = Message._meta.get_field("message_id").max_length


def _parsed(raw: bytes) -> tuple[email.message.EmailMessage, str]:
    """The message and its text: the plain (else HTML) part, or, for a message nested too
    deep to read, the text of its body without the lines that frame its parts."""
    headers_end = HEADERS_END.search(raw)
    if (headers_end.start() if headers_end else len(raw)) > MAX_HEADER_BYTES:
        raise InboundError("The message's headers are larger than 64 KB.", 413)
    nested_parts = islice(NESTED_PART.finditer(raw), MAX_NESTING + 1)
    if len(list(nested_parts)) > MAX_NESTING:
        parsed = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        text = PART_FRAMING.sub(b"", raw[headers_end.end() :]) if headers_end else b""
        body = BLANK_LINES.sub("\n\n", text.decode("utf-8", errors="replace")).strip()
    else:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
    # PostgreSQL refuses NUL characters in text; the rest of the text is kept.
    return parsed, body.replace("\x00", "")


def _header(parsed: email.message.EmailMessage, name: str) -> str:
    return str(parsed.get(name, "")).replace("\x00", "")


def _ids(value: str | None) -> list[str]:
    """The Message-IDs in a header; ones too long to be stored name nothing we sent."""
    ids = re.findall(r"<([^<>\s]+)>", value or "")
    return [message_id for message_id in ids if len(message_id) <= MESSAGE_ID_MAX_LENGTH]


def inbound_receive(raw: bytes) -> tuple[Message, bool]:
    """Store a raw RFC 822 message: threaded to its conversation by In-Reply-To/References,
    else by sender and subject; unknown senders go to the organization's inbox. Returns the
    message and whether it is new (the same Message-ID twice is stored once)."""
    if not raw or not raw.strip():
        raise InboundError("The post has no message in it.", 400)
    if len(raw) > INBOUND_MAX_BYTES:
        raise InboundError("The message is larger than 10 MB.", 413)
    try:
        parsed, body = _parsed(raw)
        sender = parseaddr(_header(parsed, "From"))[1].lower()
        message_ids = _ids(_header(parsed, "Message-ID"))
        subject = " ".join(_header(parsed, "Subject").split())[:300]
        recipients = [
            address.lower()
            for _, address in getaddresses(
                [_header(parsed, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
            )
            if address
        ][:MAX_ADDRESSES]
        replied_to = _ids(_header(parsed, "In-Reply-To")) + _ids(_header(parsed, "References"))
        references = replied_to[:MAX_REFERENCES]  # any one of them finds the thread
    except (LookupError, ValueError, TypeError, email.errors.MessageError) as error:
        raise InboundError(f"The message cannot be read: {error}", 400) from error
    if not sender or not message_ids or "@" not in sender:
        raise InboundError("The message has no sender or no Message-ID.", 400)
    message_id = message_ids[0]
    parent = _replied_to(references)
    organization = parent.organization if parent else _organization_of(sender, recipients)
    if organization is None:
        raise InboundError("The message is not addressed to anyone we know.", 422)
    # The same message may reach two clients (a vendor they share): once for each.
    existing = Message.objects.filter(organization=organization, message_id=message_id).first()
    if existing is not None:
        return existing, False
    parent = parent or _same_conversation(organization, sender, subject)
    contact = parent.contact if parent else _contact_of(sender, organization)
    vendor = parent.vendor if parent else (contact.vendor if contact else None)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                organization=organization,
                vendor=vendor,
                contact=contact,
                task=parent.task if parent else None,
                thread=(parent.thread or parent) if parent else None,
                direction=Message.Direction.IN,
                status=Message.Status.RECEIVED,
                subject=subject or "(no subject)",
                body=body[:100_000],
                from_address=_header(parsed, "From")[:300],
                to_address=", ".join(recipients)[:300],
                message_id=message_id,
                in_reply_to=(references[0] if references else "")[:300],
                handled_by=parent.handled_by if parent else None,
            )
            _reply_received(message, parent)
    except IntegrityError:
        return Message.objects.get(organization=organization, message_id=message_id), False
    return message, True


THREAD_RELATED = ("organization", "vendor", "contact", "thread", "task", "handled_by")


def _replied_to(references: list[str]) -> Message | None:
    """The message a reply names in In-Reply-To/References (Message-IDs are unique)."""
    if not references:
        return None
    return Message.objects.filter(message_id__in=references).select_related(*THREAD_RELATED).first()


def _same_conversation(organization: Organization, sender: str, subject: str) -> Message | None:
    """Without references: the organization's last message to this sender with this subject
    (less its Re:/Fwd:)."""
    return (
        Message.objects.filter(
            organization=organization,
            direction=Message.Direction.OUT,
            to_address=sender,
            subject=SUBJECT_PREFIX.sub("", subject).strip(),
        )
        .select_related(*THREAD_RELATED)
        .order_by("-happened_at")
        .first()
    )


def _organization_of(sender: str, recipients: list[str]) -> Organization | None:
    """Whose mail this is when it names no earlier message: the organization whose owner or
    manager (or inbound address) it was sent to; else, if the sender is a contact of exactly
    one organization's vendor, that one. A vendor two clients share never decides alone."""
    domain = settings.VENDOR_INBOUND_DOMAIN
    slugs = [address.split("@")[0] for address in recipients if address.endswith("@" + domain)]
    for candidates in (
        Organization.objects.filter(slug__in=slugs) if slugs else Organization.objects.none(),
        Organization.objects.filter(memberships__user__email__in=recipients),
        Organization.objects.filter(vendors__contacts__email=sender),
    ):
        found = list(candidates.distinct()[:2])
        if len(found) == 1:
            return found[0]
        if found:
            return None  # more than one client could be meant: refuse rather than guess
    return None


def _contact_of(sender: str, organization: Organization) -> Contact | None:
    return (
        Contact.objects.filter(email=sender, vendor__organization=organization)
        .select_related("vendor")
        .first()
    )


def _reply_received(message: Message, parent: Message | None) -> None:
    """A "reply received" item in the queue of the assistant who handles the conversation
    (the pool when nobody does), and a line on the conversation's task."""
    organization = message.organization
    who = message.vendor or message.from_address
    owner = _owner(organization)
    if parent and parent.on_behalf_of and is_client(parent.on_behalf_of, organization):
        owner = parent.on_behalf_of
    writer = parent.written_by if parent else None
    if writer is None or not may_manage(writer, organization):
        writer = owner  # who wrote it has since left (a hand-over): the owner asks
    if owner is None:
        return  # an organization without an owner has nobody to raise it for
    task = task_services.task_create(
        actor=writer,
        organization=organization,
        requested_by=parent.on_behalf_of
        if parent and parent.on_behalf_of
        else _owner(organization),
        title=f"Reply received from {who}: {message.subject}"[:200],
        details=f"Read and answer it: {reverse('vendors:message', args=[message.pk])}",
        category=Category.VENDORS,
        priority=Priority.NORMAL,
    )
    assistant = message.handled_by
    if assistant is not None and engagement_of(assistant, organization):
        task_services.task_claim(actor=assistant, task=task)
    _task_event(message, None, f"Reply received from {who}: “{message.subject}”")


@transaction.atomic
def message_file(
    *, actor: User, message: Message, vendor: Vendor, contact: Contact | None = None
) -> Message:
    """An inbox message from an unknown sender, filed under a vendor."""
    if (
        not may_manage(actor, message.organization)
        or vendor.organization_id != message.organization_id
    ):
        raise PermissionDenied
    if contact is not None and contact.vendor_id != vendor.pk:
        raise PermissionDenied
    message.vendor, message.contact = vendor, contact
    message.handled_by = message.handled_by or (
        actor if engagement_of(actor, vendor.organization) else None
    )
    message.save(update_fields=["vendor", "contact", "handled_by"])
    return message


def conversations_handled_by(assistant: User, organizations) -> list[Message]:
    """The conversations (each thread's first message) on those clients that the assistant
    answers for."""
    roots = (
        Message.objects.filter(organization__in=list(organizations), handled_by=assistant)
        .annotate(root=Coalesce("thread", "pk"))
        .values("root")
    )
    return list(Message.objects.filter(pk__in=roots).select_related("organization", "vendor"))


def hand_over(*, from_assistant: User, to_assistant: User | None, organizations) -> list[Message]:
    """Conversations and pending drafts of the handed-over clients follow the new assistant;
    with nobody taking over (the engagement ended) they are nobody's, so a reply lands in the
    pool. Returns the conversations that moved."""
    conversations = conversations_handled_by(from_assistant, organizations)
    Message.objects.filter(organization__in=list(organizations), handled_by=from_assistant).update(
        handled_by=to_assistant
    )
    return conversations
