"""Recurring tasks: the rule an owner sets up ("every Monday at 9:00"), its occurrences in the
owner's time zone, and the beat tick that turns each coming occurrence into a task.

Occurrences are computed by dateutil as naive wall-clock times and only then placed in the
rule's time zone, so 9:00 stays 9:00 local on both sides of a daylight-saving change. A rule
has at most one occurrence a day, and the unique (rule, occurrence) constraint on Task means no
repeated tick, retry or second worker creates an occurrence twice."""

import calendar
import logging
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Prefetch, QuerySet
from django.utils import timezone as django_timezone

from accounts.models import User
from clients.models import Organization
from vapportal.audit import audit_record
from vapportal.dates import moment_text
from vapportal.timezones import validate_timezone

from . import notifications, services
from .models import Category, Priority, RecurringTask, Task
from .permissions import is_client, is_engaged_assistant, primary_assistant

logger = logging.getLogger(__name__)

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = dict(zip(WEEKDAYS, calendar.day_name, strict=True))
BUSINESS_DAYS = WEEKDAYS[:5]
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
MONTHLY_MODES = ("day", "weekday", "last_business_day")
LAST_DAY = -1
MAX_INTERVAL = 99
MAX_LEAD_DAYS = 60
# How far ahead someone may skip an occurrence; also bounds the search for it.
SKIP_HORIZON = timedelta(days=400)


class RecurringError(Exception):
    """The change is not allowed or the schedule cannot work; the message says why."""


NEVER_HAPPENS = "This schedule never happens (like February 30). Choose another day or interval."


# The rule builder: form choices <-> RRULE text <-> words.


@dataclass(frozen=True)
class RuleChoices:
    """What the rule builder asks; `rrule_build` turns it into RRULE text."""

    frequency: str  # one of FREQUENCIES
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # daily (as a filter) and weekly
    monthly_mode: str = "day"  # monthly and yearly: one of MONTHLY_MODES
    month_day: int = 1  # 1..31, or LAST_DAY
    ordinal: int = 1  # 1..4, or -1 for the last
    ordinal_weekday: str = "MO"
    month: int = 1  # yearly only


def rrule_build(choices: RuleChoices) -> str:
    """RFC 5545 RRULE text (without DTSTART) for the builder's choices."""
    parts = [f"FREQ={choices.frequency.upper()}"]
    if choices.interval > 1:
        parts.append(f"INTERVAL={choices.interval}")
    if choices.frequency in ("daily", "weekly"):
        if choices.weekdays:
            days = [day for day in WEEKDAYS if day in choices.weekdays]
            parts.append(f"BYDAY={','.join(days)}")
        return ";".join(parts)
    if choices.frequency == "yearly":
        parts.append(f"BYMONTH={choices.month}")
    if choices.monthly_mode == "day":
        parts.append(f"BYMONTHDAY={choices.month_day}")
    elif choices.monthly_mode == "weekday":
        parts.append(f"BYDAY={choices.ordinal}{choices.ordinal_weekday}")
    else:
        parts.append(f"BYDAY={','.join(BUSINESS_DAYS)};BYSETPOS=-1")
    return ";".join(parts)


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not (sep and key and value) or key in parts:
            raise RecurringError(f"“{text}” is not an RRULE (like FREQ=WEEKLY;BYDAY=MO).")
        parts[key] = value
    return parts


_ORDINAL_DAY = re.compile(r"^(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$")


def rrule_choices(text: str) -> RuleChoices | None:
    """The builder's choices for RRULE text it could have made; None for anything else."""
    try:
        choices = _choices_from_parts(_parts(text))
    except (RecurringError, ValueError, KeyError):
        return None
    if choices is None or rrule_build(choices) != text:
        return None
    return choices


def _choices_from_parts(parts: dict[str, str]) -> RuleChoices | None:
    frequency = parts.pop("FREQ").lower()
    interval = int(parts.pop("INTERVAL", "1"))
    if frequency in ("daily", "weekly"):
        weekdays = tuple(parts.pop("BYDAY").split(",")) if "BYDAY" in parts else ()
        if not set(weekdays) <= set(WEEKDAYS):
            return None
        return RuleChoices(frequency=frequency, interval=interval, weekdays=weekdays)
    if frequency not in ("monthly", "yearly"):
        return None
    fields: dict = {"frequency": frequency, "interval": interval}
    if frequency == "yearly":
        fields["month"] = int(parts.pop("BYMONTH"))
    if "BYSETPOS" in parts:
        parts.pop("BYSETPOS")
        parts.pop("BYDAY")
        fields["monthly_mode"] = "last_business_day"
    elif "BYMONTHDAY" in parts:
        fields["month_day"] = int(parts.pop("BYMONTHDAY"))
    else:
        match = _ORDINAL_DAY.match(parts.pop("BYDAY"))
        if match is None:
            return None
        fields.update(monthly_mode="weekday", ordinal=int(match[1]), ordinal_weekday=match[2])
    return None if parts else RuleChoices(**fields)


def _nth(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10)
    return f"{number}{suffix or 'th'}"


def _and(words: list[str]) -> str:
    return f"{', '.join(words[:-1])} and {words[-1]}" if len(words) > 1 else "".join(words)


def time_text(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def rrule_describe(text: str, due_time: time) -> str:
    """The rule in words: “Every 2 weeks on Tuesday and Thursday at 9:00”."""
    at = f"at {time_text(due_time)}"
    choices = rrule_choices(text)
    if choices is None:
        return f"{text} {at}"  # written by hand: shown as written
    every = choices.interval
    days = _and([WEEKDAY_NAMES[day] for day in choices.weekdays])
    if choices.frequency == "daily":
        if choices.weekdays == BUSINESS_DAYS:
            when = "Every weekday"
        elif choices.weekdays:
            when = f"Every {days}"
        else:
            when = "Every day" if every == 1 else f"Every {every} days"
    elif choices.frequency == "weekly":
        weeks = "week" if every == 1 else f"{every} weeks"
        if not days:  # the weekday of the start date
            when = f"Every {weeks}"
        else:
            when = f"Every {days}" if every == 1 else f"Every {weeks} on {days}"
    else:
        if choices.monthly_mode == "last_business_day":
            day = "the last business day"
        elif choices.monthly_mode == "weekday":
            weekday = WEEKDAY_NAMES[choices.ordinal_weekday]
            day = f"the {ORDINALS[choices.ordinal]} {weekday}"
        else:
            day = (
                "the last day"
                if choices.month_day == LAST_DAY
                else f"the {_nth(choices.month_day)}"
            )
        if choices.frequency == "monthly":
            period = "the month" if every == 1 else f"every {every} months"
            when = f"On {day} of {period}"
        else:
            years = "Every year" if every == 1 else f"Every {every} years"
            when = f"{years} on {day} of {calendar.month_name[choices.month]}"
    return f"{when} {at}"


# Occurrences.


@dataclass(frozen=True)
class Occurrence:
    # The wall-clock time in the rule's zone, as the rule (and its skip list) names it.
    local: datetime
    # The same moment, aware, in the rule's zone (a time that does not exist on the day the
    # clocks spring forward lands just after the jump).
    at: datetime
    skipped: bool = False

    @property
    def key(self) -> str:
        return self.local.isoformat()

    @property
    def label(self) -> str:
        """“Tue 1 Dec, 09:00 CST”: a rule's times are its zone's, and say so wherever read."""
        return moment_text(self.at, self.at.tzinfo, named=True)

    @property
    def label_to_keep(self) -> str:
        """The label for text kept and read later (the audit trail), with its year."""
        return moment_text(self.at, self.at.tzinfo, named=True, year=True)


@dataclass(frozen=True)
class Schedule:
    rrule: str
    starts_on: date
    due_time: time
    timezone: str

    @classmethod
    def of(cls, rule: RecurringTask) -> "Schedule":
        return cls(rule.rrule, rule.starts_on, rule.due_time, rule.timezone)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def dtstart(self) -> datetime:
        return datetime.combine(self.starts_on, self.due_time)

    def rule(self) -> RRule:
        return rrulestr(self.rrule, dtstart=self.dtstart)

    def occurrence(self, local: datetime) -> Occurrence:
        at = local.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
        return Occurrence(local=local, at=at)

    def after(self, moment: datetime) -> Iterator[Occurrence]:
        """Occurrences later than the aware `moment`, in order."""
        # A day of slack for the zone's offset; the exact comparison is between aware times.
        start = moment.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        for local in self.rule().xafter(start):
            occurrence = self.occurrence(local)
            if occurrence.at.astimezone(UTC) > moment.astimezone(UTC):
                yield occurrence

    def next(self, moment: datetime, count: int) -> list[Occurrence]:
        occurrences = []
        for occurrence in self.after(moment):
            occurrences.append(occurrence)
            if len(occurrences) == count:
                break
        return occurrences


def rrule_validate(text: str, *, starts_on: date, due_time: time) -> str:
    """The RRULE text as stored, if it is one a recurring task can follow: at most daily, the
    time of day kept apart, and happening at least once."""
    text = text.strip().upper().removeprefix("RRULE:")
    if not text or any(character.isspace() for character in text):
        raise RecurringError("Write the rule on one line, like FREQ=WEEKLY;BYDAY=MO.")
    parts = _parts(text)
    if parts.get("FREQ", "").lower() not in FREQUENCIES:
        raise RecurringError(
            "A recurring task comes back daily, weekly, monthly or yearly, at most once a day."
        )
    if {"BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART"} & set(parts):
        raise RecurringError("The time of day and the start date are set apart from the rule.")
    schedule = Schedule(text, starts_on, due_time, "UTC")
    try:
        rule = schedule.rule()
    except (ValueError, TypeError) as error:
        raise RecurringError(f"This is not a rule we can follow: {error}") from error
    if rule.after(schedule.dtstart, inc=True) is None:
        raise RecurringError(NEVER_HAPPENS)
    return text


# Tasks made for occurrences due from this far back on still claim their day.
CLAIM_WINDOW = timedelta(days=2)


def _coming_tasks(now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(occurrence__gte=now - CLAIM_WINDOW).only(
        "pk", "recurring_task", "occurrence"
    )


def _days_taken(rule: RecurringTask, now: datetime, zone: zoneinfo.ZoneInfo) -> set[date]:
    # List pages prefetch the tasks (see `recurring_tasks_for`); elsewhere it is one query.
    if hasattr(rule, "coming_tasks"):
        moments = [task.occurrence for task in rule.coming_tasks]
    else:
        moments = (
            _coming_tasks(now).filter(recurring_task=rule).values_list("occurrence", flat=True)
        )
    return {moment.astimezone(zone).date() for moment in moments}


def _pending(rule: RecurringTask, now: datetime) -> Iterator[Occurrence]:
    """Occurrences after `now` still to become tasks, skipped ones flagged.

    A rule makes at most one task a local day: a day it already made one for is done, even
    if the rule was edited since (9:00 moved to 10:00 does not bring a second task)."""
    schedule = Schedule.of(rule)
    taken = _days_taken(rule, now, schedule.zone)
    skipped = set(rule.skipped)
    for occurrence in schedule.after(now):
        if occurrence.local.date() not in taken:
            yield replace(occurrence, skipped=occurrence.key in skipped)


def upcoming_occurrences(
    rule: RecurringTask, *, now: datetime | None = None, count: int = 5
) -> list[Occurrence]:
    """The next occurrences not created yet (skipped ones included, flagged)."""
    if rule.ended_at is not None:
        return []
    upcoming = []
    for occurrence in _pending(rule, now or django_timezone.now()):
        upcoming.append(occurrence)
        if len(upcoming) == count:
            break
    return upcoming


def creation_day(occurrence: Occurrence, lead_days: int) -> date:
    """The local day the occurrence's task is created (at the tick after local midnight)."""
    return occurrence.local.date() - timedelta(days=lead_days)


# Who may do what, and reading rules for pages.


def may_manage(user: User, organization: Organization) -> bool:
    """Owners and managers of the organization and its engaged assistants."""
    return is_client(user, organization) or is_engaged_assistant(user, organization)


def organizations_for_rules(user: User) -> QuerySet[Organization]:
    """Clients the person may set up recurring work in: their own, or those they assist."""
    return Organization.objects.worked_in_by(user)


def recurring_tasks_for(user: User, *, now: datetime) -> QuerySet[RecurringTask]:
    """The rules the person sees, running ones first, with what list pages show of each."""
    return (
        RecurringTask.objects.visible_to(user)
        .select_related("organization", "requested_by", "assignee")
        .annotate(task_count=Count("tasks"))
        .prefetch_related(Prefetch("tasks", _coming_tasks(now), to_attr="coming_tasks"))
        .order_by(F("ended_at").asc(nulls_first=True), "paused", "title", "pk")
    )


@dataclass(frozen=True)
class RuleSummary:
    rule: RecurringTask
    description: str
    next: Occurrence | None


def rule_summaries(rules: Iterable[RecurringTask], *, now: datetime) -> list[RuleSummary]:
    summaries = []
    for rule in rules:
        upcoming = [o for o in upcoming_occurrences(rule, now=now, count=5) if not o.skipped]
        summaries.append(
            RuleSummary(
                rule=rule,
                description=rrule_describe(rule.rrule, rule.due_time),
                next=upcoming[0] if upcoming and not rule.paused else None,
            )
        )
    return summaries


# Changing rules: one service per use case, each checking who acts and writing the audit trail.


def _requester(actor: User, organization: Organization, requested_by: User | None) -> User:
    if is_client(actor, organization):
        return actor
    if is_engaged_assistant(actor, organization):
        if requested_by is None or not is_client(requested_by, organization):
            raise RecurringError("Choose the owner or manager these tasks are for.")
        return requested_by
    raise PermissionDenied


def _check_fields(
    *,
    organization: Organization,
    title: str,
    rrule: str,
    starts_on: date,
    due_time: time,
    timezone: str,
    lead_days: int,
    assignee: User | None,
) -> str:
    if not title.strip():
        raise RecurringError("Give the task a title.")
    if not 0 <= lead_days <= MAX_LEAD_DAYS:
        raise RecurringError(f"Create the tasks between 0 and {MAX_LEAD_DAYS} days ahead.")
    try:
        validate_timezone(timezone)
    except ValidationError as error:
        raise RecurringError(error.messages[0]) from error
    if assignee is not None and not is_engaged_assistant(assignee, organization):
        raise RecurringError(f"{assignee} is not an assistant of {organization}.")
    return rrule_validate(rrule, starts_on=starts_on, due_time=due_time)


@transaction.atomic
def recurring_task_create(
    *,
    actor: User,
    organization: Organization,
    title: str,
    rrule: str,
    starts_on: date,
    due_time: time,
    timezone: str,
    details: str = "",
    category: str = Category.OTHER,
    priority: int = Priority.NORMAL,
    budget_minutes: int | None = None,
    lead_days: int = 2,
    requested_by: User | None = None,
    assignee: User | None = None,
) -> RecurringTask:
    """Owners and managers set up recurring work; an engaged assistant may, for one of them.

    A schedule that never happens is refused and nothing is stored."""
    requested_by = _requester(actor, organization, requested_by)
    rrule = _check_fields(
        organization=organization,
        title=title,
        rrule=rrule,
        starts_on=starts_on,
        due_time=due_time,
        timezone=timezone,
        lead_days=lead_days,
        assignee=assignee,
    )
    rule = RecurringTask.objects.create(
        organization=organization,
        title=title,
        details=details,
        category=category,
        priority=priority,
        budget_minutes=budget_minutes,
        rrule=rrule,
        starts_on=starts_on,
        due_time=due_time,
        timezone=timezone,
        lead_days=lead_days,
        assignee=assignee,
        created_by=actor,
        requested_by=requested_by,
    )
    _audit(actor, rule, "created", "Set up")
    return rule


def _audit(actor: User, rule: RecurringTask, action: str, verb: str) -> None:
    audit_record(
        actor=actor,
        action=f"recurring_task.{action}",
        summary=f"{verb} the recurring task “{rule.title}” "
        f"({rrule_describe(rule.rrule, rule.due_time)}, {rule.timezone})",
        organization=rule.organization,
    )


def _locked(rule: RecurringTask, actor: User) -> RecurringTask:
    """The rule, locked against a tick working on it at the same time; only for its managers."""
    rule = (
        RecurringTask.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=rule.pk)
    )
    if not may_manage(actor, rule.organization):
        raise PermissionDenied
    if rule.ended_at is not None:
        raise RecurringError("This recurring task has ended; set up a new one instead.")
    return rule


@transaction.atomic
def recurring_task_update(
    *,
    actor: User,
    rule: RecurringTask,
    title: str,
    rrule: str,
    starts_on: date,
    due_time: time,
    timezone: str,
    details: str = "",
    category: str = Category.OTHER,
    priority: int = Priority.NORMAL,
    budget_minutes: int | None = None,
    lead_days: int = 2,
    requested_by: User | None = None,
    assignee: User | None = None,
) -> RecurringTask:
    """The change applies to occurrences not created yet: tasks already created keep their
    title, due time and everything else, and still stand for their day."""
    rule = _locked(rule, actor)
    organization = rule.organization
    if is_client(actor, organization):
        # An owner or manager editing keeps the person the tasks are for, while they belong.
        requested_by = rule.requested_by
        if not is_client(requested_by, organization):
            requested_by = actor
    else:
        requested_by = _requester(actor, organization, requested_by)
    rrule = _check_fields(
        organization=organization,
        title=title,
        rrule=rrule,
        starts_on=starts_on,
        due_time=due_time,
        timezone=timezone,
        lead_days=lead_days,
        assignee=assignee,
    )
    rule.title, rule.details, rule.category, rule.priority = title, details, category, priority
    rule.budget_minutes, rule.lead_days = budget_minutes, lead_days
    rule.rrule, rule.starts_on, rule.due_time, rule.timezone = rrule, starts_on, due_time, timezone
    rule.requested_by, rule.assignee = requested_by, assignee
    # A skip names a wall-clock time; one the new schedule no longer has means nothing now.
    still = Schedule.of(rule).rule()
    rule.skipped = [key for key in rule.skipped if datetime.fromisoformat(key) in still]
    rule.save()
    _audit(actor, rule, "updated", "Changed")
    return rule


@transaction.atomic
def recurring_task_pause(*, actor: User, rule: RecurringTask) -> RecurringTask:
    """While paused no tasks are created; occurrences that pass meanwhile are not made up."""
    rule = _locked(rule, actor)
    if rule.paused:
        raise RecurringError("This recurring task is already paused.")
    rule.paused = True
    rule.save(update_fields=["paused", "updated_at"])
    _audit(actor, rule, "paused", "Paused")
    return rule


@transaction.atomic
def recurring_task_resume(*, actor: User, rule: RecurringTask) -> RecurringTask:
    rule = _locked(rule, actor)
    if not rule.paused:
        raise RecurringError("This recurring task is not paused.")
    rule.paused = False
    rule.save(update_fields=["paused", "updated_at"])
    _audit(actor, rule, "resumed", "Resumed")
    return rule


@transaction.atomic
def recurring_task_end(*, actor: User, rule: RecurringTask) -> RecurringTask:
    """For good: no more tasks. Tasks already created stay as they are."""
    rule = _locked(rule, actor)
    rule.ended_at = django_timezone.now()
    rule.save(update_fields=["ended_at", "updated_at"])
    _audit(actor, rule, "ended", "Ended")
    return rule


def _coming_occurrence(rule: RecurringTask, key: str, now: datetime) -> Occurrence | None:
    try:
        local = datetime.fromisoformat(key)
    except ValueError:
        return None
    if local.tzinfo is not None or local > now.replace(tzinfo=None) + SKIP_HORIZON:
        return None
    for occurrence in _pending(rule, now):
        if occurrence.local >= local:
            return occurrence if occurrence.local == local else None
    return None


@transaction.atomic
def recurring_task_skip(*, actor: User, rule: RecurringTask, occurrence: str) -> RecurringTask:
    """Leaves out one coming occurrence (named by its local ISO time). One already created
    as a task is not skipped here: that task is cancelled like any other."""
    rule = _locked(rule, actor)
    target = _coming_occurrence(rule, occurrence, django_timezone.now())
    if target is None:
        raise RecurringError(
            "That is not a coming occurrence of this recurring task; "
            "a task already created is cancelled from its own page."
        )
    if target.skipped:
        raise RecurringError(f"{target.label} is already skipped.")
    rule.skipped = sorted([*rule.skipped, target.key])
    rule.save(update_fields=["skipped", "updated_at"])
    audit_record(
        actor=actor,
        action="recurring_task.skipped",
        summary=f"Skipped {target.label_to_keep} of the recurring task “{rule.title}”",
        organization=rule.organization,
    )
    return rule


@transaction.atomic
def recurring_task_restore(*, actor: User, rule: RecurringTask, occurrence: str) -> RecurringTask:
    """Takes back a skip: the occurrence becomes a task after all, on the next tick."""
    rule = _locked(rule, actor)
    if occurrence not in rule.skipped:
        raise RecurringError("That occurrence is not skipped.")
    rule.skipped = [key for key in rule.skipped if key != occurrence]
    rule.save(update_fields=["skipped", "updated_at"])
    restored = Schedule.of(rule).occurrence(datetime.fromisoformat(occurrence))
    audit_record(
        actor=actor,
        action="recurring_task.restored",
        summary=f"Restored {restored.label_to_keep} of the recurring task “{rule.title}”",
        organization=rule.organization,
    )
    return rule


def rules_assigned_to(assistant: User, organizations: Iterable[Organization]):
    """The rules not ended whose occurrences go to the assistant, on those clients."""
    return RecurringTask.objects.filter(
        assignee=assistant, organization__in=list(organizations), ended_at__isnull=True
    )


def recurring_tasks_hand_over(
    *,
    actor: User,
    from_assistant: User,
    to_assistant: User | None,
    organizations: Iterable[Organization],
    reason: str = "",
) -> list[RecurringTask]:
    """Rules whose occurrences went to the old assistant give them to the new one, or to
    the pool when nobody takes over (the engagement ended), so no occurrence waits for
    someone who has left and the rule can be edited again."""
    moved = []
    rules = (
        rules_assigned_to(from_assistant, organizations)
        .select_for_update(of=("self",))
        .select_related("organization")
        .order_by("pk")
    )
    for rule in rules:
        rule.assignee = to_assistant
        rule.save(update_fields=["assignee", "updated_at"])
        goes_to = f"go to {to_assistant}" if to_assistant else "fall to the pool"
        audit_record(
            actor=actor,
            action="recurring_task.handed_over",
            summary=f"The tasks of the recurring task “{rule.title}” now {goes_to}, "
            f"no longer to {from_assistant}" + (f": {reason}" if reason else ""),
            organization=rule.organization,
        )
        moved.append(rule)
    return moved


# The beat tick.


def recurring_tasks_materialize(now: datetime | None = None) -> int:
    """Creates, for every running rule, the tasks whose creation day has come (lead_days
    before the occurrence, local time) and that are not due yet. Returns how many it created.

    Safe to run as often and as concurrently as beat and workers like: a rule another worker
    is on is skipped, and the unique (rule, occurrence) constraint refuses any duplicate."""
    now = now or django_timezone.now()
    rule_ids = list(RecurringTask.objects.running().values_list("pk", flat=True))
    return sum(recurring_task_materialize(rule_id=rule_id, now=now) for rule_id in rule_ids)


def recurring_task_materialize(*, rule_id: int, now: datetime) -> int:
    with transaction.atomic():
        rule = (
            RecurringTask.objects.running()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "created_by", "requested_by", "assignee")
            .filter(pk=rule_id)
            .first()
        )
        if rule is None:  # paused or ended meanwhile, or another worker has it
            return 0
        today = now.astimezone(zoneinfo.ZoneInfo(rule.timezone)).date()
        created = 0
        for occurrence in _pending(rule, now):
            if creation_day(occurrence, rule.lead_days) > today:
                break
            if not occurrence.skipped and _occurrence_create(rule, occurrence):
                created += 1
        return created


def _occurrence_create(rule: RecurringTask, occurrence: Occurrence) -> Task | None:
    """The occurrence's task, made as `services.task_create` makes every task (the pool, the
    "created" event, the assistant told), then tied to the rule; None if it already exists."""
    organization = rule.organization
    # The person who wrote the rule writes its tasks, while they may; then the owner.
    writer = rule.created_by if may_manage(rule.created_by, organization) else rule.requested_by
    try:
        with transaction.atomic():
            task = services.task_create(
                actor=writer,
                organization=organization,
                requested_by=rule.requested_by,
                title=rule.title,
                details=rule.details,
                category=rule.category,
                priority=rule.priority,
                due_at=occurrence.at,
                budget_minutes=rule.budget_minutes,
                recurring_task=rule,
                occurrence=occurrence.at,
            )
    except IntegrityError:
        return None  # another worker created this occurrence a moment ago
    except (PermissionDenied, services.TaskError) as error:
        logger.warning(
            "Recurring task %s: no task for %s (%s)", rule.pk, occurrence.key, error or "refused"
        )
        return None
    if rule.assignee is not None:
        _hand_to_assignee(rule, task, occurrence)
    return task


def _hand_to_assignee(rule: RecurringTask, task: Task, occurrence: Occurrence) -> None:
    assistant = rule.assignee
    try:
        services.task_claim(actor=assistant, task=task)
    except (PermissionDenied, services.TaskError):
        return  # no longer engaged with the client: the task waits in the pool
    if assistant != primary_assistant(rule.organization):  # the primary was told already
        notifications.notify(
            user=assistant,
            task=task,
            kind=notifications.Kind.ASSIGNED,
            key=occurrence.key,
            text=f"“{task.title}” ({occurrence.label}) is yours, as every time.",
        )
