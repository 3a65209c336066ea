"""Every write of the daily check-in: settings, writing, approval, scheduling, the beat tick
that starts due check-ins, and the delivery of each batch."""

import smtplib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import formataddr, make_msgid, parseaddr
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assistants.models import Authority, Engagement
from clients.models import Membership, Organization, TeamMember
from vapportal import links
from vapportal.audit import audit_record
from vapportal.dates import day_text, reading_in
from vapportal.emails import email_queue

from .models import (
    REMIND_BEFORE,
    CheckIn,
    CheckInEvent,
    CheckInSettings,
    Delivery,
    MissingCheckInReminder,
    Recipients,
    WhenMissing,
    weekdays_label,
)

Status = CheckIn.Status
ARCHIVE_SALT = "checkins.archive"
APPROVAL_SALT = "checkins.approval"
BATCH_SIZE = 100
MAX_ATTEMPTS = 8
# A standing note is not sent late in the day if beat was down at the send time.
STANDING_NOTE_GRACE = timedelta(hours=3)
ARCHIVE_LINK = "__archive_link__"


class CheckInError(Exception):
    """A change the rules refuse; the message says why."""


# Who may do what -----------------------------------------------------------------------------


def owner_of(organization: Organization) -> User | None:
    """The organization's first owner: who a check-in is sent on behalf of."""
    membership = (
        Membership.objects.filter(organization=organization, role=Membership.Role.OWNER)
        .select_related("user")
        .order_by("created_at", "id")
        .first()
    )
    return membership.user if membership else None


def authority_of(user: User, organization: Organization) -> str:
    """send for the owner and managers; the engagement's check-in authority for an
    assistant; none for anyone else."""
    if Membership.objects.filter(user=user, organization=organization).exists():
        return Authority.SEND
    engagement = Engagement.objects.active().filter(assistant=user, organization=organization)
    authority = engagement.values_list("checkin_authority", flat=True).first()
    return authority or Authority.NONE


def _require(user: User, organization: Organization, *needed: str) -> str:
    authority = authority_of(user, organization)
    if authority not in needed:
        raise PermissionDenied
    return authority


def is_client(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()


# Settings -----------------------------------------------------------------------------------


def checkin_settings_for(organization: Organization) -> CheckInSettings:
    """The organization's settings, made with the owner's name and address the first time."""
    existing = CheckInSettings.objects.filter(organization=organization).first()
    if existing:
        return existing
    owner = owner_of(organization)
    try:
        with transaction.atomic():
            return CheckInSettings.objects.create(
                organization=organization,
                sender_name=(owner.full_name or owner.email) if owner else organization.name,
                reply_to=owner.email if owner else "",
            )
    except IntegrityError:
        return CheckInSettings.objects.get(organization=organization)


@transaction.atomic
def checkin_settings_update(
    *, actor: User, checkin_settings: CheckInSettings, **fields
) -> CheckInSettings:
    """Owners and managers change the settings; check-ins already scheduled for a coming day
    move to the new send time."""
    organization = checkin_settings.organization
    if not is_client(actor, organization):
        raise PermissionDenied
    # The form has already put the new values on the instance: the old ones are the stored.
    stored = CheckInSettings.objects.select_for_update().get(pk=checkin_settings.pk)
    skipped_before = set(stored.skip_dates)
    for name, value in fields.items():
        setattr(checkin_settings, name, value)
    checkin_settings.sender_name = " ".join(checkin_settings.sender_name.split())
    checkin_settings.save()
    for checkin in CheckIn.objects.filter(
        organization=organization,
        status=Status.SCHEDULED,
        send_on__isnull=False,
        send_at__gt=timezone.now(),
    ):
        checkin.send_at = checkin_settings.send_at(checkin.send_on)
        checkin.save(update_fields=["send_at", "updated_at"])
    audit_record(
        actor=actor,
        action="checkins.settings",
        summary=_settings_summary(checkin_settings, skipped_before),
        organization=organization,
    )
    return checkin_settings


def _settings_summary(checkin_settings: CheckInSettings, skipped_before: set[str]) -> str:
    """For the audit trail: "07:45 on Mon–Fri; skips Thu 24 Dec 2026; no longer skips …"."""
    skipped_now = set(checkin_settings.skip_dates)
    parts = [f"{checkin_settings.send_time:%H:%M} on {weekdays_label(checkin_settings.weekdays)}"]
    if added := skipped_now - skipped_before:
        parts.append(f"skips {_days_label(added)}")
    if removed := skipped_before - skipped_now:
        parts.append(f"no longer skips {_days_label(removed)}")
    return f"Changed the check-in settings: {'; '.join(parts)}"


def _days_label(iso_days: set[str]) -> str:
    return ", ".join(day_text(date.fromisoformat(day), year=True) for day in sorted(iso_days))


# Writing ------------------------------------------------------------------------------------


def recipients_of(checkin: CheckIn, checkin_settings: CheckInSettings | None = None):
    """The active, deliverable team members the check-in goes to."""
    members = TeamMember.objects.filter(
        organization_id=checkin.organization_id, active=True, bounced_at__isnull=True
    )
    if checkin.recipients == Recipients.PEOPLE:
        return members.filter(pk__in=checkin.people.values("pk"))
    if checkin.recipients == Recipients.LOCATIONS:
        return members.filter(location__in=checkin.locations)
    checkin_settings = checkin_settings or checkin_settings_for(checkin.organization)
    if checkin_settings.default_locations:
        return members.filter(location__in=checkin_settings.default_locations)
    return members


def _event(checkin: CheckIn, actor: User | None, source: str, note: str = "") -> None:
    CheckInEvent.objects.create(
        checkin=checkin, actor=actor, from_status=source, to_status=checkin.status, note=note
    )


@dataclass
class Content:
    subject: str
    message: str
    thanks: str = ""
    new_process: str = ""
    video_url: str = ""
    recipients: str = Recipients.DEFAULT
    locations: list[str] = field(default_factory=list)
    people: list[TeamMember] = field(default_factory=list)
    video: object = None  # an uploaded file, already checked by the form
    video_content_type: str = ""


def _apply(checkin: CheckIn, content: Content) -> None:
    checkin.subject = " ".join(content.subject.split())  # one line: it becomes a header
    checkin.message = content.message
    checkin.thanks = content.thanks
    checkin.new_process = content.new_process
    checkin.video_url = content.video_url
    checkin.recipients = content.recipients
    checkin.locations = list(content.locations) if content.recipients == "locations" else []
    if content.video is not None:
        checkin.video = content.video
        checkin.video_content_type = content.video_content_type


@transaction.atomic
def checkin_write(
    *,
    actor: User,
    organization: Organization,
    content: Content,
    action: str = "draft",
    send_on: date | None = None,
) -> CheckIn:
    """Write a check-in, then keep it as a draft, submit it for approval, schedule it for a
    day's send time or send it now. Assistants need the engagement's authority: draft only
    lets them submit for approval; send lets them schedule or send."""
    _require(actor, organization, Authority.SEND, Authority.DRAFT)
    owner = actor if is_client(actor, organization) else owner_of(organization)
    checkin = CheckIn(organization=organization, written_by=actor, on_behalf_of=owner or actor)
    _apply(checkin, content)
    checkin.save()
    checkin.people.set(content.people if content.recipients == Recipients.PEOPLE else [])
    _event(checkin, actor, "", "Written")
    return _act(actor, checkin, action, send_on)


@transaction.atomic
def checkin_edit(
    *, actor: User, checkin: CheckIn, content: Content, action: str = "draft", send_on=None
) -> CheckIn:
    checkin = _locked(checkin)
    _require(actor, checkin.organization, Authority.SEND, Authority.DRAFT)
    if not checkin.is_editable:
        raise CheckInError(f"A check-in that is {checkin.get_status_display().lower()} is final.")
    _apply(checkin, content)
    if checkin.status == Status.AWAITING_APPROVAL and not is_client(actor, checkin.organization):
        checkin.status = Status.DRAFT  # changed after it was submitted: submit again
    checkin.save()
    checkin.people.set(content.people if content.recipients == Recipients.PEOPLE else [])
    _event(checkin, actor, checkin.status, "Edited")
    return _act(actor, checkin, action, send_on)


def _act(actor: User, checkin: CheckIn, action: str, send_on: date | None) -> CheckIn:
    if action == "draft":
        return checkin
    if action == "submit":
        return checkin_submit(actor=actor, checkin=checkin, send_on=send_on)
    if action in ("schedule", "send_now"):
        return checkin_schedule(
            actor=actor, checkin=checkin, send_on=send_on if action == "schedule" else None
        )
    raise CheckInError("Choose what to do with the check-in.")


def _locked(checkin: CheckIn) -> CheckIn:
    return (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=checkin.pk)
    )


def _check_has_recipients(checkin: CheckIn) -> None:
    if not recipients_of(checkin).exists():
        raise CheckInError("Nobody would receive this check-in: choose at least one recipient.")


@transaction.atomic
def checkin_schedule(*, actor: User, checkin: CheckIn, send_on: date | None = None) -> CheckIn:
    """Schedule for a day's send time, or (no day) send now. Needs send authority."""
    checkin = _locked(checkin)
    _require(actor, checkin.organization, Authority.SEND)
    if checkin.status not in (Status.DRAFT, Status.AWAITING_APPROVAL):
        raise CheckInError(
            f"A check-in that is {checkin.get_status_display().lower()} cannot be scheduled."
        )
    _check_has_recipients(checkin)
    source = checkin.status
    _set_send_time(checkin, send_on)
    if source == Status.AWAITING_APPROVAL:
        checkin.approved_by, checkin.approved_at = actor, timezone.now()
    checkin.status = Status.SCHEDULED
    checkin.save()
    _event(checkin, actor, source, "Approved" if checkin.approved_by_id else "")
    if send_on is None:
        transaction.on_commit(partial(_start_soon, checkin.pk))
    return checkin


def _set_send_time(checkin: CheckIn, send_on: date | None) -> None:
    checkin_settings = checkin_settings_for(checkin.organization)
    now = timezone.now()
    if send_on is None:
        checkin.send_on = timezone.localdate(now, timezone=checkin.organization.zone)
        checkin.send_at = now
        return
    if not checkin_settings.is_send_day(send_on):
        raise CheckInError(
            f"{day_text(send_on)} is not a check-in day: choose a day it goes out, "
            "or change the days in the settings."
        )
    send_at = checkin_settings.send_at(send_on)
    if send_at <= now:
        raise CheckInError(
            f"The send time on {day_text(send_on)} has passed: send it now or choose a later day."
        )
    checkin.send_on, checkin.send_at = send_on, send_at


def _start_soon(checkin_id: int) -> None:
    from .tasks import checkin_start

    checkin_start.delay(checkin_id)


@transaction.atomic
def checkin_submit(*, actor: User, checkin: CheckIn, send_on: date | None = None) -> CheckIn:
    """An assistant's draft goes to the owner, who approves it before it goes out."""
    checkin = _locked(checkin)
    _require(actor, checkin.organization, Authority.SEND, Authority.DRAFT)
    if checkin.status != Status.DRAFT:
        raise CheckInError("Only a draft can be submitted for approval.")
    _check_has_recipients(checkin)
    if send_on is not None:
        _set_send_time(checkin, send_on)
    else:
        checkin.send_on = checkin.send_at = None
    checkin.status = Status.AWAITING_APPROVAL
    checkin.save()
    _event(checkin, actor, Status.DRAFT, "Submitted for approval")
    for owner in User.objects.filter(
        memberships__organization=checkin.organization, is_active=True
    ).distinct():
        email_queue(
            template="checkin_approval",
            to=owner.email,
            zone=owner.timezone,
            context={
                "checkin": checkin,
                "writer": actor,
                "approve_path": reverse("checkins:approve_link", args=[approval_token(checkin)]),
                "checkin_path": checkin.get_absolute_url(),
            },
        )
    return checkin


@transaction.atomic
def checkin_approve(*, actor: User, checkin: CheckIn) -> CheckIn:
    """The owner's approval: it goes out on the day chosen, or now if none was or its time
    has passed."""
    checkin = _locked(checkin)
    if not is_client(actor, checkin.organization):
        raise PermissionDenied
    if checkin.status != Status.AWAITING_APPROVAL:
        raise CheckInError(
            f"This check-in is {checkin.get_status_display().lower()}: there is nothing to approve."
        )
    keep_day = checkin.send_at is not None and checkin.send_at > timezone.now()
    return checkin_schedule(
        actor=actor, checkin=checkin, send_on=checkin.send_on if keep_day else None
    )


@transaction.atomic
def checkin_decline(*, actor: User, checkin: CheckIn, note: str = "") -> CheckIn:
    checkin = _locked(checkin)
    if not is_client(actor, checkin.organization):
        raise PermissionDenied
    if checkin.status != Status.AWAITING_APPROVAL:
        raise CheckInError(
            f"This check-in is {checkin.get_status_display().lower()}: there is nothing to decline."
        )
    checkin.status = Status.DRAFT
    checkin.save(update_fields=["status", "updated_at"])
    _event(checkin, actor, Status.AWAITING_APPROVAL, note[:300] or "Sent back as a draft")
    return checkin


@transaction.atomic
def checkin_cancel(*, actor: User, checkin: CheckIn) -> CheckIn:
    checkin = _locked(checkin)
    _require(actor, checkin.organization, Authority.SEND, Authority.DRAFT)
    if checkin.status not in (Status.DRAFT, Status.AWAITING_APPROVAL, Status.SCHEDULED):
        raise CheckInError("A check-in that has started going out cannot be cancelled.")
    source = checkin.status
    checkin.status = Status.CANCELLED
    checkin.save(update_fields=["status", "updated_at"])
    _event(checkin, actor, source)
    return checkin


# Signed links -------------------------------------------------------------------------------


def approval_token(checkin: CheckIn) -> str:
    return links.approval_token(
        salt=APPROVAL_SALT, pk=checkin.pk, request=_approval_request(checkin)
    )


def _approval_request(checkin: CheckIn) -> int:
    """The timeline row of the latest submission for approval."""
    latest = checkin.events.filter(to_status=Status.AWAITING_APPROVAL).order_by("-id").first()
    return latest.pk if latest else 0


def checkin_from_approval_token(token: str) -> CheckIn:
    """The check-in a link approves; CheckInError if the link is tampered, expired or the
    check-in no longer awaits approval (a link works once)."""
    try:
        pk, request = links.approval_link_id(
            token, salt=APPROVAL_SALT, max_age=settings.CHECKIN_APPROVAL_MAX_AGE, what="check-in"
        )
    except links.LinkError as error:
        raise CheckInError(str(error)) from error
    checkin = CheckIn.objects.select_related("organization").filter(pk=pk).first()
    if checkin is None:
        raise CheckInError("This approval link is not valid.")
    if checkin.status != Status.AWAITING_APPROVAL or _approval_request(checkin) != request:
        raise CheckInError("This check-in was already dealt with: the link has been used.")
    return checkin


def archive_token(delivery_id: int) -> str:
    return signing.dumps(delivery_id, salt=ARCHIVE_SALT)


def delivery_from_archive_token(token: str) -> Delivery:
    """The delivery an archive link names; CheckInError if it is tampered, expired or the
    team member has since been deactivated."""
    try:
        delivery_id = signing.loads(
            token, salt=ARCHIVE_SALT, max_age=settings.CHECKIN_ARCHIVE_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise CheckInError("This link has expired.") from error
    except signing.BadSignature as error:
        raise CheckInError("This link is not valid.") from error
    delivery = (
        Delivery.objects.select_related("checkin__organization", "team_member")
        .filter(pk=delivery_id, status=Delivery.Status.SENT)
        .first()
    )
    if delivery is None or not delivery.team_member.active:
        raise CheckInError("This link no longer works.")
    return delivery


# The beat tick ------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    reminded: int = 0
    standing_notes: int = 0
    started: int = 0
    requeued: int = 0
    lost: int = 0
    finished: int = 0


def checkins_dispatch(*, now: datetime | None = None) -> DispatchReport:
    """One beat tick. Safe to run twice at once: each step claims its rows, and the unique
    constraints stop a second reminder, standing note or delivery row."""
    now = now or timezone.now()
    report = DispatchReport()
    report.reminded, report.standing_notes = _missing_days(now)
    due = CheckIn.objects.filter(
        status=Status.SCHEDULED, send_at__lte=now, organization__active=True
    ).order_by("send_at")
    for checkin_id in due.values_list("id", flat=True)[:100]:
        report.started += checkin_start(checkin_id=checkin_id, now=now)
    report.requeued = _requeue_stalled(now)
    report.lost = _give_up_on_lost_sends(now)
    report.finished = _finish_sent()
    return report


def _missing_days(now: datetime) -> tuple[int, int]:
    """Remind the owner, or send the standing note, where nothing was written for today."""
    reminded = standing = 0
    for checkin_settings in CheckInSettings.objects.filter(
        when_missing__in=[WhenMissing.REMIND, WhenMissing.STANDING], organization__active=True
    ).select_related("organization"):
        organization = checkin_settings.organization
        today = timezone.localdate(now, timezone=organization.zone)
        if not checkin_settings.is_send_day(today):
            continue
        send_at = checkin_settings.send_at(today)
        if checkin_settings.when_missing == WhenMissing.REMIND:
            window = send_at - REMIND_BEFORE <= now < send_at
        else:
            window = send_at <= now < send_at + STANDING_NOTE_GRACE
        if not window or _has_checkin(organization, today):
            continue
        if checkin_settings.when_missing == WhenMissing.REMIND:
            reminded += _remind(organization, today)
        elif checkin_settings.standing_note:
            standing += _standing_note(checkin_settings, today, send_at)
    return reminded, standing


def _has_checkin(organization: Organization, day: date) -> bool:
    return CheckIn.objects.filter(
        organization=organization,
        send_on=day,
        status__in=[Status.SCHEDULED, Status.SENDING, Status.SENT],
    ).exists()


def _remind(organization: Organization, day: date) -> int:
    try:
        with transaction.atomic():
            MissingCheckInReminder.objects.create(organization=organization, day=day)
            owner = owner_of(organization)
            if owner is not None:
                email_queue(
                    template="checkin_reminder",
                    to=owner.email,
                    zone=owner.timezone,
                    context={
                        "organization": organization,
                        "day": day,
                        "new_path": f"{reverse('checkins:new')}?organization={organization.pk}",
                    },
                )
    except IntegrityError:
        return 0
    return 1


def _standing_note(checkin_settings: CheckInSettings, day: date, send_at: datetime) -> int:
    organization = checkin_settings.organization
    owner = owner_of(organization)
    if owner is None:
        return 0
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                organization=organization,
                subject=f"Check-in · {day_text(day, organization.zone)}",
                message=checkin_settings.standing_note,
                status=Status.SCHEDULED,
                send_on=day,
                send_at=send_at,
                written_by=owner,
                on_behalf_of=owner,
                is_standing_note=True,
            )
            _event(checkin, None, "", "The standing note: nothing was written for the day")
    except IntegrityError:
        return 0
    return 1


def checkin_start(*, checkin_id: int, now: datetime | None = None) -> int:
    """Move a due check-in to sending: one delivery row per recipient, then the batches are
    queued after commit. Returns 1 if this call started it, 0 if another did."""
    now = now or timezone.now()
    with transaction.atomic():
        checkin = (
            CheckIn.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization")
            .filter(pk=checkin_id, status=Status.SCHEDULED, send_at__lte=now)
            .first()
        )
        if checkin is None:
            return 0
        # Made here if need be: the batches read the sender and Reply-To from it.
        checkin_settings = checkin_settings_for(checkin.organization)
        Delivery.objects.bulk_create(
            [
                Delivery(checkin=checkin, team_member=member, email=member.email, queued_at=now)
                for member in recipients_of(checkin, checkin_settings)
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        checkin.status = Status.SENDING
        checkin.save(update_fields=["status", "updated_at"])
        _event(checkin, None, Status.SCHEDULED)
        ids = list(
            checkin.deliveries.filter(status=Delivery.Status.QUEUED).values_list("id", flat=True)
        )
        transaction.on_commit(partial(_enqueue_batches, ids))
    return 1


def _enqueue_batches(delivery_ids: list[int]) -> None:
    from .tasks import checkin_deliver_batch

    for start in range(0, len(delivery_ids), BATCH_SIZE):
        checkin_deliver_batch.delay(delivery_ids[start : start + BATCH_SIZE])


def _requeue_stalled(now: datetime) -> int:
    """Rows still queued well after they were due: their task was lost (a worker killed
    before it acknowledged, Redis restarted). Queue them again; the claim inside the batch
    makes a second copy of a task harmless."""
    stalled_before = now - timedelta(seconds=settings.CHECKIN_REQUEUE_AFTER)
    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True).filter(
            status=Delivery.Status.QUEUED, queued_at__lt=stalled_before
        )
        ids = list(rows.order_by("checkin_id", "id").values_list("id", flat=True)[:5000])
        if ids:
            Delivery.objects.filter(id__in=ids).update(queued_at=now)
            transaction.on_commit(partial(_enqueue_batches, ids))
    return len(ids)


LOST_SEND = (
    "The worker stopped during the send: the message may or may not have arrived, and it is "
    "not sent again (at most once)."
)


def _give_up_on_lost_sends(now: datetime) -> int:
    """A row claimed for sending whose worker died mid-send stays unsent, on purpose: the
    server may have taken the message, and sending it again could deliver it twice."""
    lost_before = now - timedelta(seconds=settings.CHECKIN_SENDING_LEASE)
    return Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=lost_before
    ).update(status=Delivery.Status.FAILED, last_error=LOST_SEND)


def _finish_sent(checkin_ids=None) -> int:
    """Check-ins whose every row is settled (sent or failed) are sent."""
    sending = CheckIn.objects.filter(status=Status.SENDING)
    if checkin_ids is not None:
        sending = sending.filter(pk__in=checkin_ids)
    finished = 0
    for checkin in sending.exclude(
        deliveries__status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    ):
        last = checkin.deliveries.aggregate(last=Max("sent_at"))["last"]
        updated = CheckIn.objects.filter(pk=checkin.pk, status=Status.SENDING).update(
            status=Status.SENT, sent_at=last or timezone.now(), updated_at=timezone.now()
        )
        if updated:
            checkin.status = Status.SENT
            _event(checkin, None, Status.SENDING)
            finished += 1
    return finished


# Delivery -----------------------------------------------------------------------------------


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    retry_ids: list[int] = field(default_factory=list)
    error: str = ""


def deliver_batch(delivery_ids: list[int], *, retry_in: timedelta = timedelta(0)) -> BatchResult:
    """Send a batch over one SMTP connection. Each row is claimed (queued → sending) just
    before its message and marked sent just after, so a repeated or concurrent batch skips
    it. A temporary failure stops the batch: that row and the rest go back to the queue for
    a retry. A permanent refusal fails the row with the reason and flags a bounced address."""
    result = BatchResult()
    rows = {
        row.pk: row
        for row in Delivery.objects.filter(
            pk__in=delivery_ids, status=Delivery.Status.QUEUED
        ).select_related("checkin__organization__checkin_settings", "team_member")
    }
    if not rows:
        return result
    renders: dict[int, tuple[str, str]] = {}
    connection = get_connection()
    try:
        # Opened here, the connection stays open for the whole batch (send() would otherwise
        # open and close one per message).
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        # The server cannot be reached: every row of the batch used an attempt, and rows that
        # used them all fail (the check-in then finishes, its report saying why).
        reason = f"{type(error).__name__}: {error}"[:300]
        queued = Delivery.objects.filter(pk__in=rows, status=Delivery.Status.QUEUED)
        queued.update(attempts=F("attempts") + 1, last_error=reason)
        queued.filter(attempts__gte=MAX_ATTEMPTS).update(
            status=Delivery.Status.FAILED,
            last_error=f"Gave up after {MAX_ATTEMPTS} attempts: {reason}"[:300],
        )
        queued.update(queued_at=timezone.now() + retry_in)
        _finish_sent({row.checkin_id for row in rows.values()})
        result.retry_ids = list(queued.values_list("pk", flat=True))
        result.error = reason
        return result
    try:
        for position, pk in enumerate(delivery_ids):
            row = rows.get(pk)
            if row is None or not _claim(row):
                continue
            checkin = row.checkin
            if checkin.pk not in renders:
                renders[checkin.pk] = _render(checkin)
            message = _message(row, *renders[checkin.pk], connection=connection)
            try:
                message.send()
            except smtplib.SMTPRecipientsRefused as error:
                code, reason = next(iter(error.recipients.values()))
                if code >= 500:
                    _fail(row, f"{code} {_text(reason)}", bounced=True)
                    result.failed += 1
                    continue
                return _back_to_queue(
                    result, row, delivery_ids[position:], f"{code} {_text(reason)}", retry_in
                )
            except smtplib.SMTPResponseException as error:
                if error.smtp_code >= 500:
                    _fail(row, f"{error.smtp_code} {_text(error.smtp_error)}", bounced=False)
                    result.failed += 1
                    continue
                return _back_to_queue(
                    result,
                    row,
                    delivery_ids[position:],
                    f"{error.smtp_code} {_text(error.smtp_error)}",
                    retry_in,
                )
            except (smtplib.SMTPException, OSError) as error:
                return _back_to_queue(
                    result,
                    row,
                    delivery_ids[position:],
                    f"{type(error).__name__}: {error}",
                    retry_in,
                )
            Delivery.objects.filter(pk=row.pk).update(
                status=Delivery.Status.SENT,
                sent_at=timezone.now(),
                message_id=message.extra_headers["Message-ID"],
                last_error="",
            )
            result.sent += 1
    finally:
        connection.close()
        _finish_sent({row.checkin_id for row in rows.values()})
    return result


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _claim(row: Delivery) -> bool:
    claimed = Delivery.objects.filter(pk=row.pk, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    row.attempts += 1
    return bool(claimed)


def _fail(row: Delivery, reason: str, *, bounced: bool) -> None:
    Delivery.objects.filter(pk=row.pk).update(
        status=Delivery.Status.FAILED, last_error=reason[:300]
    )
    if bounced:
        TeamMember.objects.filter(pk=row.team_member_id, email__iexact=row.email).update(
            bounced_at=timezone.now(), bounce_reason=reason[:300]
        )


def _back_to_queue(
    result: BatchResult, row: Delivery, remaining: list[int], reason: str, retry_in: timedelta
) -> BatchResult:
    if row.attempts >= MAX_ATTEMPTS:
        _fail(row, f"Gave up after {row.attempts} attempts: {reason}", bounced=False)
        result.failed += 1
        remaining = remaining[1:]
    else:
        Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.QUEUED, last_error=reason[:300]
        )
    # Due again when the retry runs; the tick requeues them only if that retry is lost.
    Delivery.objects.filter(pk__in=remaining, status=Delivery.Status.QUEUED).update(
        queued_at=timezone.now() + retry_in
    )
    result.retry_ids = list(remaining)
    result.error = reason
    return result


def _render(checkin: CheckIn) -> tuple[str, str]:
    """The text and HTML bodies, once per check-in: only the archive link differs between
    recipients, and it is put in per message. The team has no zones of their own: any date
    is the organization's, named."""
    context = {
        "checkin": checkin,
        "site_url": settings.SITE_URL,
        "archive_url": ARCHIVE_LINK,
    }
    with reading_in(checkin.organization.zone, known=False):
        return (
            render_to_string("emails/checkin_body.txt", context),
            render_to_string("emails/checkin_body.html", context),
        )


def _message(row: Delivery, text: str, html: str, *, connection) -> EmailMultiAlternatives:
    checkin = row.checkin
    checkin_settings = checkin.organization.checkin_settings
    link = settings.SITE_URL + reverse("checkins:read", args=[archive_token(row.pk)])
    sender_name = " ".join(checkin_settings.sender_name.split())
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    message = EmailMultiAlternatives(
        subject=" ".join(checkin.subject.split()),
        body=text.replace(ARCHIVE_LINK, link),
        from_email=formataddr((f"{sender_name} via VA Portal", address)),
        to=[row.email],
        reply_to=[checkin_settings.reply_to] if checkin_settings.reply_to else None,
        headers={"Message-ID": make_msgid(f"checkin.{row.pk}", domain=address.split("@")[-1])},
        connection=connection,
    )
    message.attach_alternative(html.replace(ARCHIVE_LINK, link), "text/html")
    return message


def earlier_deliveries(delivery: Delivery, limit: int = 20) -> list[tuple[Delivery, str]]:
    """The recipient's earlier check-ins, each with its own archive link."""
    earlier = (
        Delivery.objects.filter(
            team_member_id=delivery.team_member_id,
            status=Delivery.Status.SENT,
            checkin__sent_at__lt=delivery.checkin.sent_at or timezone.now(),
        )
        .exclude(pk=delivery.pk)
        .select_related("checkin")
        .order_by("-checkin__sent_at")[:limit]
    )
    return [(row, archive_token(row.pk)) for row in earlier]


# How far along a check-in of the day is, for the dashboard: one that went out (or is going
# out) says more than one scheduled, which says more than a draft.
DAY_STAGE = {
    Status.DRAFT: 0,
    Status.AWAITING_APPROVAL: 0,
    Status.SCHEDULED: 1,
    Status.SENDING: 2,
    Status.SENT: 2,
}


@dataclass
class TodaysCheckIn:
    checkin: CheckIn | None  # the latest of today's furthest along, with its delivery counts
    send_day: bool


def _day_rank(checkin: CheckIn) -> tuple:
    moment = checkin.sent_at or checkin.send_at or checkin.created_at
    return (DAY_STAGE[checkin.status], moment, checkin.pk)


def todays_checkins(organizations) -> dict[int, TodaysCheckIn]:
    """For the owner's dashboard: each organization's check-in for today (written, scheduled
    or sent, with how many recipients it reached) and whether today is a check-in day. Of
    several, the latest of those furthest along: a second one sent in the evening is the one
    the team read last."""
    now = timezone.now()
    days = {o.pk: timezone.localdate(now, timezone=o.zone) for o in organizations}
    if not days:
        return {}
    condition = Q()
    for organization in organizations:
        day = days[organization.pk]
        start_of_day = datetime.combine(day, datetime.min.time(), tzinfo=organization.zone)
        condition |= Q(organization_id=organization.pk) & (
            Q(send_on=day) | Q(send_on__isnull=True, created_at__gte=start_of_day)
        )
    best: dict[int, CheckIn] = {}
    for checkin in (
        CheckIn.objects.filter(condition).exclude(status=Status.CANCELLED).with_delivery_counts()
    ):
        current = best.get(checkin.organization_id)
        if current is None or _day_rank(checkin) > _day_rank(current):
            best[checkin.organization_id] = checkin
    send_days = {
        row.organization_id: row
        for row in CheckInSettings.objects.filter(organization_id__in=days).only(
            "organization_id", "weekdays", "skip_dates"
        )
    }
    return {
        pk: TodaysCheckIn(
            checkin=best.get(pk),
            send_day=send_days[pk].is_send_day(day) if pk in send_days else day.weekday() < 5,
        )
        for pk, day in days.items()
    }
