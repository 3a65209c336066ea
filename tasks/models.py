import uuid
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.translation import ngettext

from clients.models import Organization, OrganizationRowsQuerySet
from vapportal.dates import day_text
from vapportal.timezones import validate_timezone


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on client"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)


def is_overdue(status: str, due_at, now) -> bool:
    return status in OPEN_STATUSES and due_at is not None and due_at < now


def minutes_text(minutes: int) -> str:
    """“1 minute”, “25 minutes”: how every message about time counts it."""
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class Priority(models.IntegerChoices):
    LOW = 0, "Low"
    NORMAL = 1, "Normal"
    HIGH = 2, "High"
    URGENT = 3, "Urgent"


class Category(models.TextChoices):
    CLERICAL = "clerical", "Clerical"
    SCHEDULING = "scheduling", "Scheduling"
    TRAVEL = "travel", "Travel"
    VENDORS = "vendors", "Vendors"
    RESEARCH = "research", "Research"
    PROJECT = "project", "Project work"
    OTHER = "other", "Other"


class TaskQuerySet(OrganizationRowsQuerySet):
    def open(self) -> "TaskQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def startable(self) -> "TaskQuerySet":
        """Work can start: not in a milestone still waiting for the owner's approval."""
        return self.filter(
            Q(milestone__isnull=True)
            | Q(milestone__needs_approval=False)
            | Q(milestone__approved_at__isnull=False)
        )

    def in_queue_order(self) -> "TaskQuerySet":
        """Most urgent first, then the earliest due (overdue ones lead), then the oldest."""
        return self.order_by(
            "-priority", models.F("due_at").asc(nulls_last=True), "created_at", "id"
        )


class Task(models.Model):
    """A piece of work an owner hands to an assistant."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True, help_text="Markdown.")
    category = models.CharField(max_length=20, choices=Category, default=Category.OTHER)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    # Who wrote the task, and the owner or manager it is for (the same person unless an
    # assistant wrote it for them, for example from a phone call).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tasks"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    budget_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    project = models.ForeignKey(
        "Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    milestone = models.ForeignKey(
        "Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    recurring_task = models.ForeignKey(
        "RecurringTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    occurrence = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recurring_task", "occurrence"], name="task_one_per_rule_occurrence"
            ),
            models.CheckConstraint(
                condition=~Q(status="new") | Q(assignee__isnull=True),
                name="task_new_is_unassigned",
            ),
        ]
        indexes = [
            # The queue and the pool in their order, read without touching the table: the
            # assistant's clients are a filter on the included columns (PostgreSQL sorts NULL
            # due times last in ascending order, as the queue wants).
            models.Index(
                fields=["-priority", "due_at", "created_at", "id"],
                include=["organization", "assignee"],
                name="task_queue_order",
                condition=Q(status__in=["new", "in_progress", "waiting"]),
            ),
            # Each client's pool in queue order: Take next reads the head of each of the
            # assistant's clients, so it never walks past other clients' work or work that is
            # already taken (a claimed task leaves the index).
            models.Index(
                fields=["organization", "-priority", "due_at", "created_at", "id"],
                name="task_pool_by_client",
                condition=Q(status="new"),
            ),
            # Counting a queue, the open work of one client, and a queue read in full and
            # sorted when the planner expects that to beat walking the overall order.
            models.Index(
                fields=["organization", "assignee"],
                include=["priority", "due_at", "created_at", "id"],
                name="task_open_by_organization",
                condition=Q(status__in=["new", "in_progress", "waiting"]),
            ),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(fields=["organization", "status", "due_at"], name="task_org_status_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tasks:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.status, self.due_at, django_timezone.now())


class ChecklistItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Stored under a random name; the person's file name is kept only in the database."""
    return f"attachments/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class Attachment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class PendingUploadQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PendingUploadQuerySet":
        """Only the person who sent the file, admins too: it belongs to no task yet."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(uploaded_by=user)


class PendingUpload(models.Model):
    """A file sent with a task form that came back with an error, kept for the person who
    sent it so they need not choose it again. Saving the form makes it an attachment (the
    stored file stays where it is); otherwise it is removed after a day."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=django_timezone.now)

    objects = PendingUploadQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at"], name="pending_upload_created")]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField(help_text="Markdown.")
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.task}"


class TaskEvent(models.Model):
    """One line of a task's timeline: who did what, and the status before and after."""

    class Kind(models.TextChoices):
        CREATED = "created", "created the task"
        MOVED = "moved", "changed the status"
        ASSIGNED = "assigned", "took the task"
        COMMENTED = "commented", "commented"
        TIME_LOGGED = "time_logged", "logged time"
        BUDGET_REQUESTED = "budget_requested", "asked for more time"
        BUDGET_DECIDED = "budget_decided", "decided on more time"
        ATTACHED = "attached", "attached a file"
        THANKED = "thanked", "said thanks"
        HANDED_OVER = "handed_over", "handed the task over"
        CORRESPONDENCE = "correspondence", "corresponded with a vendor"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=20, choices=Kind)
    from_status = models.CharField(max_length=20, choices=Status, blank=True)
    to_status = models.CharField(max_length=20, choices=Status, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_kind_display()} on {self.task}"


class TimeEntry(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="time_entries")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="time_entries"
    )
    assistant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    note = models.CharField(max_length=300, blank=True)
    logged_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-logged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="time_entry_minutes_positive")
        ]
        indexes = [models.Index(fields=["organization", "logged_at"])]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.task}"


class RunningTimerQuerySet(models.QuerySet):
    def shown_to(self, assistant) -> "RunningTimerQuerySet":
        """The assistant's timer while it runs on a client they still work for: one left on
        a client whose engagement ended is not shown, and gives way to the next they start."""
        return self.filter(
            assistant=assistant, task__organization__in=Organization.objects.visible_to(assistant)
        )


class RunningTimer(models.Model):
    """An assistant's timer on a task, running since `started_at`. An assistant runs one
    timer at a time; stopping it logs the time it ran as a time entry."""

    assistant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="running_timer"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="timers")
    started_at = models.DateTimeField(default=django_timezone.now)

    objects = RunningTimerQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.assistant}'s timer on {self.task}"

    def minutes(self, now: datetime) -> int:
        """The minutes it has run, to the nearest minute (half a minute counts as one). Not
        rounded up: the client pays for logged time, and rounding every stop up would bill
        them for up to a minute not worked each time. Under half a minute is 0."""
        return (now - self.started_at + timedelta(seconds=30)) // timedelta(minutes=1)


class BudgetRequest(models.Model):
    """An assistant's request for more time on a task that reached its budget."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Waiting for the owner"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="budget_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    extra_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=300)
    decision = models.CharField(max_length=10, choices=Decision, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(decision="pending"),
                name="budget_request_one_pending_per_task",
            )
        ]

    def __str__(self) -> str:
        return f"{minutes_text(self.extra_minutes)} more for {self.task}"


class Acknowledgement(models.Model):
    """The owner's thanks to the assistant for a finished task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="acknowledgements")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="thanks_given"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="thanks_received"
    )
    note = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "from_user"], name="thanks_once_per_task")
        ]

    def __str__(self) -> str:
        return f"{self.from_user} thanked {self.to_user} for {self.task}"


class Project(models.Model):
    """Tasks toward one outcome, with milestones the owner may have to approve."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    target_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.ACTIVE)
    created_at = models.DateTimeField(default=django_timezone.now)

    objects = OrganizationRowsQuerySet.as_manager()

    class Meta:
        ordering = ["target_date", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_late(self) -> bool:
        """Still active past its target date, a day on the client's calendar (not on the
        viewer's, a day early or late for an assistant elsewhere)."""
        today = django_timezone.localdate(timezone=self.organization.zone)
        return (
            self.state == self.State.ACTIVE
            and self.target_date is not None
            and self.target_date < today
        )


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Work on the milestone's tasks waits until the owner approves (e.g. hiring a firm).
    needs_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_blocked(self) -> bool:
        return self.needs_approval and self.approved_at is None


class RecurringTaskQuerySet(OrganizationRowsQuerySet):
    def running(self) -> "RecurringTaskQuerySet":
        return self.filter(paused=False, ended_at__isnull=True, organization__active=True)


class RecurringTask(models.Model):
    """A task that comes back on a schedule (an RFC 5545 RRULE in the owner's time zone)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="recurring_tasks"
    )
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category, default=Category.OTHER)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NORMAL)
    budget_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    rrule = models.CharField(max_length=500, help_text="RFC 5545 RRULE, without DTSTART.")
    starts_on = models.DateField()
    due_time = models.TimeField(help_text="Local time in the rule's time zone.")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    lead_days = models.PositiveSmallIntegerField(
        default=2, help_text="How many days before it is due each task is created."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    paused = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    skipped = models.JSONField(
        default=list, blank=True, help_text="Occurrences (ISO local datetimes) to leave out."
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecurringTaskQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """One thing to tell one person; sent at once or in their daily digest, never twice."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        COMMENTED = "commented", "New comment"
        WAITING = "waiting", "Waiting on you"
        ANSWERED = "answered", "The client answered"
        DONE = "done", "Done"
        REOPENED = "reopened", "Reopened"
        NEW = "new", "New task from a client"
        THANKED = "thanked", "You were thanked"
        BUDGET = "budget", "More time requested"
        BUDGET_APPROVED = "budget_approved", "More time approved"
        BUDGET_DECLINED = "budget_declined", "More time declined"
        DUE_SOON = "due_soon", "Due within 4 hours"
        OVERDUE = "overdue", "Overdue"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind)
    # What the notification is about: an event id, or the threshold of a reminder; one
    # notification per person, task, kind and key.
    key = models.CharField(max_length=60)
    text = models.CharField(max_length=300)
    # What was said, in full and as plain text, when the email should carry it (a client's
    # answer): the assistant can read it without opening the task.
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "task", "kind", "key"], name="notification_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unsent",
                condition=Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}: {self.task}"


class DigestRun(models.Model):
    """A person's daily digest for one local date: at most one, whatever the ticks do."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user} on {day_text(self.local_date, year=True)}"
