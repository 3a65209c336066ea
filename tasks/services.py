"""Every change to a task goes through one of these functions: each checks who may do it,
writes the timeline event and queues the notifications, in one transaction."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from clients.models import Organization

from . import notifications
from .models import (
    OPEN_STATUSES,
    Acknowledgement,
    Attachment,
    BudgetRequest,
    ChecklistItem,
    Comment,
    Milestone,
    PendingUpload,
    Project,
    RecurringTask,
    RunningTimer,
    Status,
    Task,
    TaskEvent,
    TimeEntry,
    minutes_text,
)
from .notifications import Kind
from .permissions import is_client, is_engaged_assistant, primary_assistant
from .uploads import attachment_content_type


class TaskError(Exception):
    """The change is not allowed; the message says why, for the person who tried."""


class TaskAlreadyTaken(TaskError):
    pass


class BudgetReached(TaskError):
    pass


# Status → the statuses a task may move to from it. Reopening (from done or cancelled) and
# asking the client (to waiting) need a note.
ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.IN_PROGRESS, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.WAITING, Status.DONE, Status.CANCELLED, Status.NEW),
    Status.WAITING: (Status.IN_PROGRESS, Status.DONE, Status.CANCELLED),
    Status.DONE: (Status.IN_PROGRESS,),
    Status.CANCELLED: (Status.NEW,),
}
MOVES_NEEDING_A_NOTE = {
    (Status.IN_PROGRESS, Status.WAITING),
    (Status.DONE, Status.IN_PROGRESS),
    (Status.CANCELLED, Status.NEW),
}


def _require_client_or_assistant(user: User, organization: Organization) -> None:
    if not (is_client(user, organization) or is_engaged_assistant(user, organization)):
        raise PermissionDenied


def _event(task: Task, actor: User | None, kind: str, note: str = "", **statuses) -> TaskEvent:
    return TaskEvent.objects.create(task=task, actor=actor, kind=kind, note=note, **statuses)


@transaction.atomic
def task_create(
    *,
    actor: User,
    organization: Organization,
    title: str,
    details: str = "",
    category: str = "other",
    priority: int = 1,
    due_at: datetime | None = None,
    budget_minutes: int | None = None,
    checklist: Iterable[str] = (),
    attachments: Iterable[UploadedFile] = (),
    kept_uploads: Iterable[PendingUpload] = (),
    requested_by: User | None = None,
    project: Project | None = None,
    milestone: Milestone | None = None,
    recurring_task: RecurringTask | None = None,
    occurrence: datetime | None = None,
) -> Task:
    """Owners and managers delegate; an engaged assistant may write a task for one of them.

    The task starts in the organization's pool, unassigned. `kept_uploads`, files the actor
    sent with an earlier try of the form, become its attachments first."""
    if is_client(actor, organization):
        requested_by = actor
    elif is_engaged_assistant(actor, organization):
        if requested_by is None or not is_client(requested_by, organization):
            raise TaskError("Choose the owner or manager this task is for.")
    else:
        raise PermissionDenied
    if due_at is not None and due_at <= timezone.now():
        raise TaskError("The due time is in the past.")
    for item in (project, milestone.project if milestone else None):
        if item is not None and item.organization_id != organization.id:
            raise PermissionDenied
    if project is not None and milestone is not None and milestone.project_id != project.id:
        raise TaskError("That milestone belongs to another project.")
    project = project or (milestone.project if milestone else None)
    if project is not None and project.state != Project.State.ACTIVE:
        raise TaskError(f"The project “{project}” is {project.get_state_display().lower()}.")
    task = Task.objects.create(
        organization=organization,
        title=title,
        details=details,
        category=category,
        priority=priority,
        due_at=due_at,
        budget_minutes=budget_minutes,
        created_by=actor,
        requested_by=requested_by,
        project=project,
        milestone=milestone,
        recurring_task=recurring_task,
        occurrence=occurrence,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(task=task, text=text.strip()[:200], position=position)
        for position, text in enumerate(checklist)
        if text.strip()
    )
    for kept in _claim_kept_uploads(actor, kept_uploads):
        Attachment.objects.create(
            task=task,
            file=kept.file.name,
            name=kept.name,
            content_type=kept.content_type,
            size=kept.size,
            uploaded_by=actor,
        )
    for upload in attachments:
        _attach(task=task, actor=actor, upload=upload)
    note = ", ".join(
        filter(
            None,
            [
                "" if requested_by == actor else f"for {requested_by}",
                f"recurring: {recurring_task.title}" if recurring_task else "",
            ],
        )
    )
    event = _event(task, actor, TaskEvent.Kind.CREATED, note, to_status=Status.NEW)
    assistant = primary_assistant(organization)
    if assistant is not None and assistant != actor:
        notifications.notify(
            user=assistant,
            task=task,
            kind=Kind.NEW,
            key=event.pk,
            text=f"{requested_by} delegated “{task.title}”.",
        )
    return task


def _claim_kept_uploads(actor: User, kept_uploads: Iterable[PendingUpload]) -> list[PendingUpload]:
    """The actor's kept files, locked and taken out of the kept ones (their stored files pass
    to the attachments); refused when one is gone, removed by the daily clean-up meanwhile."""
    ids = {upload.pk for upload in kept_uploads}
    if not ids:
        return []
    kept = list(PendingUpload.objects.select_for_update().filter(pk__in=ids, uploaded_by=actor))
    if len(kept) != len(ids):
        raise TaskError(
            "A file kept from your last try is gone (they are kept for a day); choose it again."
        )
    PendingUpload.objects.filter(pk__in=ids).delete()
    return kept


# How long a file sent with a task form that came back with an error is kept for its sender.
PENDING_UPLOAD_LIFETIME = timedelta(days=1)
PENDING_UPLOADS_PER_BATCH = 500


@transaction.atomic
def pending_uploads_keep(*, actor: User, uploads: Iterable[UploadedFile]) -> list[PendingUpload]:
    """Files sent with a task form that came back with an error are kept for the person who
    sent them, so the form can list them and attach them once it is saved. Each is checked as
    every attachment is; one the check refuses is not kept (the form's error says why). Only
    someone who may delegate keeps files."""
    uploads = list(uploads)
    if not uploads:
        return []
    if not Organization.objects.worked_in_by(actor).exists():
        raise PermissionDenied
    kept = []
    for upload in uploads:
        try:
            content_type = attachment_content_type(upload)
        except ValidationError:
            continue
        kept.append(
            PendingUpload.objects.create(
                uploaded_by=actor,
                file=upload,
                name=upload.name[:200],
                content_type=content_type,
                size=upload.size,
            )
        )
    return kept


@transaction.atomic
def pending_upload_remove(*, actor: User, upload: PendingUpload) -> None:
    """The sender takes a kept file off the form; its stored file goes once that commits."""
    if upload.uploaded_by_id != actor.pk:
        raise PermissionDenied
    stored = upload.file.name
    upload.delete()
    transaction.on_commit(partial(upload.file.storage.delete, stored))


def pending_uploads_clean(*, now: datetime | None = None) -> int:
    """A beat tick: kept files older than a day, whose form was never saved, are removed with
    their stored files. Files being attached at this instant are left alone (skipped, not
    waited for); a file is deleted before its row, so a tick killed midway leaves rows the
    next one finishes. Returns how many were removed."""
    cutoff = (now or timezone.now()) - PENDING_UPLOAD_LIFETIME
    removed = 0
    while True:
        with transaction.atomic():
            stale = list(
                PendingUpload.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=cutoff)
                .order_by("created_at", "id")[:PENDING_UPLOADS_PER_BATCH]
            )
            for upload in stale:
                upload.file.storage.delete(upload.file.name)
            PendingUpload.objects.filter(pk__in=[upload.pk for upload in stale]).delete()
        removed += len(stale)
        if len(stale) < PENDING_UPLOADS_PER_BATCH:
            return removed


def _attach(*, task: Task, actor: User, upload: UploadedFile) -> Attachment:
    try:
        content_type = attachment_content_type(upload)
    except ValidationError as error:
        raise TaskError(error.messages[0]) from error
    return Attachment.objects.create(
        task=task,
        file=upload,
        name=upload.name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )


@transaction.atomic
def attachment_add(*, actor: User, task: Task, upload: UploadedFile) -> Attachment:
    _require_client_or_assistant(actor, task.organization)
    attachment = _attach(task=task, actor=actor, upload=upload)
    _event(task, actor, TaskEvent.Kind.ATTACHED, attachment.name)
    return attachment


def _locked(task: Task) -> Task:
    """The task as it is now, locked until the transaction ends."""
    return (
        Task.objects.select_for_update(of=("self",)).select_related("organization").get(pk=task.pk)
    )


@transaction.atomic
def task_claim(*, actor: User, task: Task) -> Task:
    """An engaged assistant takes a task from the pool; someone who just took it wins."""
    if not is_engaged_assistant(actor, task.organization):
        raise PermissionDenied
    task = _locked(task)
    if task.assignee_id == actor.id:
        return task
    if task.assignee_id is not None or task.status != Status.NEW:
        raise TaskAlreadyTaken(
            f"{task.assignee or 'Someone'} already took “{task.title}”; "
            "it is no longer in the pool."
        )
    return _assign(task, actor)


def _assign(task: Task, assistant: User) -> Task:
    _check_milestone(task)
    task.assignee = assistant
    task.status = Status.IN_PROGRESS
    task.save(update_fields=["assignee", "status", "updated_at"])
    _event(
        task,
        assistant,
        TaskEvent.Kind.ASSIGNED,
        from_status=Status.NEW,
        to_status=Status.IN_PROGRESS,
    )
    return task


# How far down the pool Take next looks, widening only when every candidate is being claimed
# at that instant or waits for approval. The first window is larger than the number of claims
# normally in flight at once; None is the whole pool.
TAKE_NEXT_WINDOWS = (8, 128, None)


@transaction.atomic
def claim_next_task(*, assistant: User) -> Task | None:
    """The top of the pool across the assistant's clients, claimed atomically, with its
    client's name as `organization_name`.

    It locks the first task of the pool's head (the first few tasks in queue order, the head
    of each client's pool merged) that no one else is claiming at this instant, so two
    assistants pressing "Take next" together get two different tasks. Work waiting for the
    owner's approval is passed over. Only when every candidate is being claimed or waiting,
    and the pool holds more, does it look further down."""
    from .queue import engaged_clients, lock_first_claimable, pool_head

    clients = engaged_clients(assistant)
    for window in TAKE_NEXT_WINDOWS:
        task = lock_first_claimable(clients, window)
        if task is not None:
            return _assign(task, assistant)
        if window is None or len(pool_head(clients, window)) < window:
            break  # that window held the whole pool
    return None


def _check_milestone(task: Task) -> None:
    if task.milestone_id and Milestone.objects.get(pk=task.milestone_id).is_blocked:
        raise TaskError(
            "This task belongs to a milestone that waits for the owner's approval; "
            "work can start once it is approved."
        )


@transaction.atomic
def task_move(
    *, actor: User, task: Task, to: str, note: str = "", answer: Comment | None = None
) -> Task:
    """The one place a task changes status. Moves not in ALLOWED_MOVES are refused.

    `answer` is the client's comment that answers the question the task waited on: the
    assistant's notification quotes it."""
    task = _locked(task)
    organization = task.organization
    client, assistant = is_client(actor, organization), is_engaged_assistant(actor, organization)
    if not (client or assistant):
        raise PermissionDenied
    source = task.status
    if to not in ALLOWED_MOVES.get(source, ()):
        raise TaskError(
            f"A task that is {task.get_status_display().lower()} cannot move to "
            f"{Status(to).label.lower() if to in Status.values else to}."
        )
    if (source, to) in MOVES_NEEDING_A_NOTE and not note.strip():
        raise TaskError("Say why: a note is needed for this change.")
    if to == Status.WAITING and not assistant:
        raise TaskError("Only the assistant puts a task on hold for the client.")
    if source == Status.NEW and to == Status.IN_PROGRESS:
        if not assistant:
            raise TaskError("An assistant starts a task by taking it.")
        return _assign(task, actor)
    if to == Status.IN_PROGRESS:
        _check_milestone(task)
    task.status = to
    if to == Status.NEW:
        task.assignee = None
    task.completed_at = timezone.now() if to == Status.DONE else None
    task.save(update_fields=["status", "assignee", "completed_at", "updated_at"])
    event = _event(task, actor, TaskEvent.Kind.MOVED, note, from_status=source, to_status=to)
    _notify_move(task, actor, source, to, event, answer)
    return task


def _notify_move(
    task: Task, actor: User, source: str, to: str, event: TaskEvent, answer: Comment | None
) -> None:
    if to == Status.WAITING:
        notifications.notify(
            user=task.requested_by,
            task=task,
            kind=Kind.WAITING,
            key=event.pk,
            text=f"{actor} needs your answer on “{task.title}”: {event.note}",
        )
    elif source == Status.WAITING and to == Status.IN_PROGRESS and task.assignee:
        notifications.notify(
            user=task.assignee,
            task=task,
            kind=Kind.ANSWERED,
            key=event.pk,
            text=f"{actor} answered on “{task.title}”.",
            detail=notifications.markdown_as_text(answer.body) if answer else "",
        )
    elif source == Status.DONE and task.assignee and actor != task.assignee:
        notifications.notify(
            user=task.assignee,
            task=task,
            kind=Kind.REOPENED,
            key=event.pk,
            text=f"{actor} reopened “{task.title}”: {event.note}",
        )
    elif to == Status.DONE:
        notifications.notify(
            user=task.requested_by,
            task=task,
            kind=Kind.DONE,
            key=event.pk,
            text=f"{actor} finished “{task.title}”.",
        )


@transaction.atomic
def comment_add(*, actor: User, task: Task, body: str) -> Comment:
    """A comment in the thread. The client's comment on a task waiting for them is their
    answer: the task goes back to the assistant."""
    _require_client_or_assistant(actor, task.organization)
    if not body.strip():
        raise TaskError("Write something first.")
    task = _locked(task)
    comment = Comment.objects.create(task=task, author=actor, body=body)
    event = _event(task, actor, TaskEvent.Kind.COMMENTED)
    if task.status == Status.WAITING and is_client(actor, task.organization):
        task_move(
            actor=actor,
            task=task,
            to=Status.IN_PROGRESS,
            note="Answered in the thread.",
            answer=comment,
        )
        return comment
    recipients = {task.requested_by, task.assignee} - {actor, None}
    for user in recipients:
        notifications.notify(
            user=user,
            task=task,
            kind=Kind.COMMENTED,
            key=event.pk,
            text=f"{actor} commented on “{task.title}”.",
        )
    return comment


@transaction.atomic
def checklist_toggle(*, actor: User, item: ChecklistItem) -> ChecklistItem:
    _require_client_or_assistant(actor, item.task.organization)
    item.done = not item.done
    item.save(update_fields=["done"])
    return item


def logged_minutes(task: Task) -> int:
    return task.time_entries.aggregate(total=Sum("minutes"))["total"] or 0


@transaction.atomic
def time_entry_log(*, actor: User, task: Task, minutes: int, note: str = "") -> TimeEntry:
    """Assistants log time; past the task's budget they must ask the owner for more."""
    if not is_engaged_assistant(actor, task.organization):
        raise PermissionDenied
    if minutes is None or minutes <= 0:
        raise TaskError("Log at least one minute.")
    task = _locked(task)
    if task.budget_minutes is not None:
        used = logged_minutes(task)
        if used + minutes > task.budget_minutes:
            raise BudgetReached(
                f"This would take the task past its budget ({used} of "
                f"{minutes_text(task.budget_minutes)} used). Ask the owner for more time first."
            )
    entry = TimeEntry.objects.create(
        task=task, organization=task.organization, assistant=actor, minutes=minutes, note=note
    )
    _event(
        task,
        actor,
        TaskEvent.Kind.TIME_LOGGED,
        f"{minutes} min: {note}" if note else f"{minutes} min",
    )
    return entry


# The longest a timer may run and still be logged: as much as one time entry holds. A timer
# left running longer was forgotten, and its minutes would be a guess.
TIMER_LIMIT_MINUTES = 24 * 60


@transaction.atomic
def timer_start(*, actor: User, task: Task) -> RunningTimer:
    """An engaged assistant starts their timer on an open task. One timer runs at a time: a
    timer still running on another task must be stopped first, unless that task is no longer
    one the assistant works on (their engagement ended), in which case it is dropped."""
    if not is_engaged_assistant(actor, task.organization):
        raise PermissionDenied
    if not task.is_open:
        raise TaskError("The task is closed; reopen it to time more work.")
    running = (
        RunningTimer.objects.select_for_update(of=("self",))
        .select_related("task__organization")
        .filter(assistant=actor)
        .first()
    )
    if running is not None:
        if running.task_id == task.pk:
            raise TaskError("Your timer is already running on this task.")
        if is_engaged_assistant(actor, running.task.organization):
            raise TaskError(
                f"Your timer is running on “{running.task.title}”; stop it there first."
            )
        running.delete()
    try:
        with transaction.atomic():
            return RunningTimer.objects.create(assistant=actor, task=task)
    except IntegrityError as error:  # started on another task at the same moment
        raise TaskError(
            "Your timer was just started on another task; stop it there first."
        ) from error


@transaction.atomic
def timer_stop(*, actor: User, task: Task, note: str = "") -> TimeEntry | None:
    """Stops the assistant's timer on the task and logs the minutes it ran, to the nearest
    minute; a timer stopped within half a minute logs nothing (None). When the minutes would
    take the task past its budget nothing is logged and the timer keeps running, so the time
    is not lost while the assistant asks the owner for more."""
    timer = _running_timer(actor, task)
    minutes = timer.minutes(timezone.now())
    if minutes == 0:
        timer.delete()
        return None
    if minutes > TIMER_LIMIT_MINUTES:
        raise TaskError(
            "The timer has run for more than a day. Log the time you worked by hand and "
            "discard the timer."
        )
    entry = time_entry_log(actor=actor, task=task, minutes=minutes, note=note)
    timer.delete()
    return entry


@transaction.atomic
def timer_discard(*, actor: User, task: Task) -> None:
    """Drops the assistant's timer on the task without logging anything."""
    _running_timer(actor, task).delete()


def _running_timer(actor: User, task: Task) -> RunningTimer:
    timer = RunningTimer.objects.select_for_update().filter(assistant=actor, task=task).first()
    if timer is None:
        raise TaskError("Your timer is not running on this task.")
    return timer


@transaction.atomic
def budget_request(*, actor: User, task: Task, extra_minutes: int, reason: str) -> BudgetRequest:
    if not is_engaged_assistant(actor, task.organization):
        raise PermissionDenied
    task = _locked(task)
    if task.budget_minutes is None:
        raise TaskError("This task has no time budget.")
    if extra_minutes is None or extra_minutes <= 0:
        raise TaskError("Ask for at least one more minute.")
    if task.budget_requests.filter(decision=BudgetRequest.Decision.PENDING).exists():
        raise TaskError("A request for more time is already waiting for the owner.")
    request = BudgetRequest.objects.create(
        task=task, requested_by=actor, extra_minutes=extra_minutes, reason=reason
    )
    more = minutes_text(extra_minutes)
    event = _event(task, actor, TaskEvent.Kind.BUDGET_REQUESTED, f"{more} more: {reason}")
    notifications.notify(
        user=task.requested_by,
        task=task,
        kind=Kind.BUDGET,
        key=event.pk,
        text=f"{actor} asks for {more} more on “{task.title}”.",
    )
    return request


@transaction.atomic
def budget_decide(*, actor: User, request: BudgetRequest, approve: bool) -> BudgetRequest:
    """The owner or a manager approves or declines; approval raises the task's budget."""
    request = BudgetRequest.objects.select_for_update().select_related("task").get(pk=request.pk)
    task = request.task
    if not is_client(actor, task.organization):
        raise PermissionDenied
    if request.decision != BudgetRequest.Decision.PENDING:
        raise TaskError("This request was already decided.")
    request.decision = (
        BudgetRequest.Decision.APPROVED if approve else BudgetRequest.Decision.DECLINED
    )
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["decision", "decided_by", "decided_at"])
    if approve:
        Task.objects.filter(pk=task.pk).update(
            budget_minutes=task.budget_minutes + request.extra_minutes
        )
    event = _event(
        task,
        actor,
        TaskEvent.Kind.BUDGET_DECIDED,
        f"{request.get_decision_display()}: {minutes_text(request.extra_minutes)} more",
    )
    notifications.notify(
        user=request.requested_by,
        task=task,
        kind=Kind.BUDGET_APPROVED if approve else Kind.BUDGET_DECLINED,
        key=event.pk,
        text=f"{actor} {request.get_decision_display().lower()} "
        f"{minutes_text(request.extra_minutes)} more on “{task.title}”.",
    )
    return request


@transaction.atomic
def task_thank(*, actor: User, task: Task, note: str) -> Acknowledgement:
    """The owner thanks the assistant who finished the task; once per task and person."""
    if not is_client(actor, task.organization):
        raise PermissionDenied
    task = _locked(task)
    if task.status != Status.DONE or task.assignee is None:
        raise TaskError("Thanks go to the assistant once the task is done.")
    if not note.strip():
        raise TaskError("Write a few words of thanks.")
    if Acknowledgement.objects.filter(task=task, from_user=actor).exists():
        raise TaskError("You already thanked them for this task.")
    thanks = Acknowledgement.objects.create(
        task=task, from_user=actor, to_user=task.assignee, note=note
    )
    event = _event(task, actor, TaskEvent.Kind.THANKED, note)
    notifications.notify(
        user=task.assignee,
        task=task,
        kind=Kind.THANKED,
        key=event.pk,
        text=f"{actor} thanked you for “{task.title}”: {note}",
    )
    return thanks


def open_tasks_of(assistant: User, organizations: Iterable[Organization]):
    """The assistant's open tasks on those clients: what a hand-over or the end of an
    engagement moves."""
    return Task.objects.filter(
        assignee=assistant, organization__in=list(organizations), status__in=OPEN_STATUSES
    )


def tasks_hand_over(
    *,
    actor: User,
    from_assistant: User,
    to_assistant: User | None,
    organizations: Iterable[Organization],
    reason: str = "",
) -> list[Task]:
    """Open tasks of those clients follow the new assistant, as they stand; with nobody to
    take them (`to_assistant` None: the engagement ended) they go back to the pool, new
    again, for whoever takes them next. Each gets a line on its timeline."""
    moved = []
    tasks = open_tasks_of(from_assistant, organizations).select_for_update().order_by("pk")
    for task in tasks:
        source = task.status
        task.assignee = to_assistant
        if to_assistant is None:
            task.status = Status.NEW
            task.save(update_fields=["assignee", "status", "updated_at"])
            _event(
                task,
                actor,
                TaskEvent.Kind.MOVED,
                f"Back to the pool: {reason}" if reason else "Back to the pool",
                from_status=source,
                to_status=Status.NEW,
            )
        else:
            task.save(update_fields=["assignee", "updated_at"])
            _event(
                task,
                actor,
                TaskEvent.Kind.HANDED_OVER,
                f"from {from_assistant} to {to_assistant}",
            )
        moved.append(task)
    return moved
