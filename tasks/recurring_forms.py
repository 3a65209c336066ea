"""The rule builder, written once for every schedule of the portal (recurring tasks, routine
trips): plain choices built into an RFC 5545 RRULE, with a preview of its next occurrences;
and the recurring task form built on it."""

import calendar
import zoneinfo
from datetime import time

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils import timezone

from accounts.models import User
from vapportal.dates import day_text
from vapportal.timezones import TimeZoneField

from .models import Category, Priority, RecurringTask
from .recurring import (
    LAST_DAY,
    MAX_INTERVAL,
    MAX_LEAD_DAYS,
    ORDINALS,
    WEEKDAY_NAMES,
    Occurrence,
    RecurringError,
    RuleChoices,
    Schedule,
    rrule_build,
    rrule_choices,
    rrule_describe,
    rrule_validate,
    time_text,
)

PREVIEW_COUNT = 5
WEEKDAY_CHOICES = list(WEEKDAY_NAMES.items())
MIDNIGHT = time(0, 0)
TASK_FIELDS = (
    "organization",
    "requested_by",
    "title",
    "details",
    "category",
    "priority",
    "budget_minutes",
    "assignee",
)
# The builder's own fields: what its preview reports errors of.
RULE_FIELDS = (
    "frequency",
    "interval",
    "weekdays",
    "monthly_mode",
    "month",
    "month_day",
    "ordinal",
    "ordinal_weekday",
    "starts_on",
    "timezone",
)
SCHEDULE_FIELDS = (*RULE_FIELDS, "due_time", "lead_days")


def rule_in_words(rrule: str, at: time | None) -> str:
    """“Every 2 weeks on Tuesday at 9:00”; a rule for days only (at None) says no time."""
    if at is None:
        return rrule_describe(rrule, MIDNIGHT).removesuffix(f" at {time_text(MIDNIGHT)}")
    return rrule_describe(rrule, at)


def rule_initial(rrule: str) -> dict:
    """The builder's choices for a stored rule; one written by hand starts from weekly."""
    choices = rrule_choices(rrule) or RuleChoices(frequency="weekly")
    return {
        "frequency": choices.frequency,
        "interval": choices.interval,
        "weekdays": list(choices.weekdays),
        "monthly_mode": choices.monthly_mode,
        "month": choices.month,
        "month_day": choices.month_day,
        "ordinal": choices.ordinal,
        "ordinal_weekday": choices.ordinal_weekday,
    }


def is_hand_written(rrule: str) -> bool:
    """A rule the builder could not have made (saving the form replaces it)."""
    return rrule_choices(rrule) is None


class RuleBuilderForm(forms.Form):
    """A schedule from plain choices (repeats, every, on which days), a start date and a time
    zone, cleaned into `cleaned_data["rrule"]`; `preview()` shows its next occurrences, even
    while other fields are off. A form whose schedule has a time of day returns it from
    `time_of_day`; the builder's own rules name days only."""

    # The fields whose errors keep the schedule from being worked out.
    schedule_fields = RULE_FIELDS

    frequency = forms.ChoiceField(
        choices=[
            ("daily", "Daily"),
            ("weekly", "Weekly"),
            ("monthly", "Monthly"),
            ("yearly", "Yearly"),
        ],
        initial="weekly",
        label="Repeats",
    )
    interval = forms.IntegerField(
        min_value=1,
        max_value=MAX_INTERVAL,
        initial=1,
        label="Every",
        help_text="1 for every day, week, month or year; 2 for every other one, and so on.",
    )
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="On",
        help_text="Weekly: the days. Daily: leave empty for every day, or pick the days.",
    )
    monthly_mode = forms.ChoiceField(
        choices=[
            ("day", "A day of the month"),
            ("weekday", "A weekday of the month"),
            ("last_business_day", "The last business day of the month"),
        ],
        initial="day",
        widget=forms.RadioSelect,
        label="Monthly or yearly, on",
    )
    month = forms.TypedChoiceField(
        choices=[(number, calendar.month_name[number]) for number in range(1, 13)],
        coerce=int,
        initial=1,
        label="Month (yearly)",
    )
    month_day = forms.TypedChoiceField(
        choices=[*((day, str(day)) for day in range(1, 32)), (LAST_DAY, "Last day")],
        coerce=int,
        initial=1,
        label="Day of the month",
        help_text="Months without this day are left out.",
    )
    ordinal = forms.TypedChoiceField(
        choices=list(ORDINALS.items()), coerce=int, initial=1, label="Which"
    )
    ordinal_weekday = forms.ChoiceField(choices=WEEKDAY_CHOICES, initial="MO", label="Weekday")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Starting")
    timezone = TimeZoneField(label="Time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule: Schedule | None = None

    def start_today_in(self, zone: str) -> None:
        """A new schedule: in `zone`, from today there."""
        self.fields["timezone"].initial = zone
        self.fields["timezone"].preferred = [zone]
        self.fields["starts_on"].initial = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))

    def time_of_day(self, cleaned: dict) -> time | None:
        """The time of day of each occurrence; None for a schedule of days."""
        return None

    def rule_layout(self, *then) -> Fieldset:
        """The builder's part of a crispy layout, `then` the fields that follow it."""
        return Fieldset(
            "When",
            Row(Column("frequency"), Column("interval")),
            InlineCheckboxes("weekdays"),
            InlineRadios("monthly_mode"),
            Row(
                Column("month"),
                Column("month_day"),
                Column("ordinal"),
                Column("ordinal_weekday"),
            ),
            *then,
        )

    def clean(self):
        cleaned = super().clean()
        self._clean_schedule(cleaned)
        return cleaned

    def _clean_schedule(self, cleaned: dict) -> None:
        if any(name in self.errors for name in self.schedule_fields):
            return
        choices = RuleChoices(
            frequency=cleaned["frequency"],
            interval=cleaned["interval"],
            weekdays=tuple(cleaned["weekdays"]),
            monthly_mode=cleaned["monthly_mode"],
            month_day=cleaned["month_day"],
            ordinal=cleaned["ordinal"],
            ordinal_weekday=cleaned["ordinal_weekday"],
            month=cleaned["month"],
        )
        if choices.frequency == "weekly" and not choices.weekdays:
            self.add_error("weekdays", "Choose at least one day of the week.")
            return
        if choices.frequency == "daily" and choices.weekdays and choices.interval > 1:
            # Every n days on chosen weekdays rarely means what it says (every 7 days on a
            # Tuesday may never be one); weekly says it plainly.
            self.add_error("weekdays", "Pick days only for every day; use weekly for the rest.")
            return
        if choices.frequency == "yearly" and choices.monthly_mode == "day":
            longest = 29 if choices.month == 2 else calendar.monthrange(2001, choices.month)[1]
            if choices.month_day > longest:
                name = calendar.month_name[choices.month]
                self.add_error(
                    "month_day",
                    f"{name} has no day {choices.month_day}: this schedule would never happen.",
                )
                return
        at = self.time_of_day(cleaned) or MIDNIGHT
        try:
            rrule = rrule_validate(
                rrule_build(choices), starts_on=cleaned["starts_on"], due_time=at
            )
        except RecurringError as error:
            self.add_error(None, str(error))
            return
        cleaned["rrule"] = rrule
        self.schedule = Schedule(rrule, cleaned["starts_on"], at, cleaned["timezone"])

    def preview(self) -> dict:
        """The rule in words and its next occurrences, or why there are none."""
        if not self.is_bound:
            return {}
        errors = self.errors  # cleans the form, once
        if self.schedule is None:
            errors = [
                f"{self.fields[name].label}: {message}"
                for name in self.schedule_fields
                for message in errors.get(name, [])
            ]
            return {"errors": errors + list(self.non_field_errors())}
        at = self.time_of_day(self.cleaned_data)
        occurrences: list[Occurrence] = self.schedule.next(timezone.now(), PREVIEW_COUNT)
        return {
            "description": rule_in_words(self.schedule.rrule, at),
            "timezone": self.schedule.timezone,
            "occurrences": [
                occurrence.label if at is not None else _day_label(occurrence)
                for occurrence in occurrences
            ],
        }


def _day_label(occurrence: Occurrence) -> str:
    return day_text(occurrence.local.date(), occurrence.at.tzinfo)  # “Tue 1 Dec”


class RecurringTaskForm(RuleBuilderForm):
    """A new or changed recurring task: the task's fields, and the builder's schedule with a
    due time and how far ahead each task is made."""

    schedule_fields = SCHEDULE_FIELDS

    organization = forms.ModelChoiceField(queryset=None, label="Client")
    requested_by = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="For",
        help_text="The owner or manager these tasks are for.",
    )
    title = forms.CharField(max_length=200)
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Markdown. Copied into every task.",
    )
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OTHER)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    budget_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, label="Time budget per task (minutes)"
    )
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Always give it to",
        empty_label="Nobody: each task goes to the pool",
    )

    due_time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial=time(9, 0),
        label="Due at",
        help_text="Local time in the time zone below, summer and winter.",
    )
    lead_days = forms.IntegerField(
        min_value=0,
        max_value=MAX_LEAD_DAYS,
        initial=2,
        label="Create each task this many days ahead",
        help_text="0 creates it on the day it is due, just after midnight.",
    )

    def __init__(self, *args, user: User, organizations, rule: RecurringTask | None = None, **kw):
        if rule is not None:
            kw.setdefault("initial", _initial_for(rule))
        super().__init__(*args, **kw)
        self.user, self.rule = user, rule
        if rule is not None:
            del self.fields["organization"]
            organizations = organizations.filter(pk=rule.organization_id)
        else:
            self.fields["organization"].queryset = organizations
            if len(organizations) == 1:
                self.fields["organization"].initial = organizations[0]
            self.start_today_in(
                organizations[0].timezone if user.is_assistant and organizations else user.timezone
            )
        if user.is_assistant:
            self.fields["requested_by"].queryset = User.objects.filter(
                memberships__organization__in=organizations, is_active=True
            ).distinct()
        else:
            del self.fields["requested_by"]
        self.fields["assignee"].queryset = User.objects.filter(
            engagements__organization__in=organizations,
            engagements__ended_at__isnull=True,
            is_active=True,
        ).distinct()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's form tag carries the token
        self.helper.layout = Layout(
            Fieldset("The task", *(name for name in TASK_FIELDS if name in self.fields)),
            self.rule_layout(
                Row(Column("due_time"), Column("starts_on"), Column("timezone")), "lead_days"
            ),
        )

    def time_of_day(self, cleaned: dict) -> time | None:
        return cleaned["due_time"]

    def _organization(self):
        return self.rule.organization if self.rule else self.cleaned_data.get("organization")

    def clean(self):
        cleaned = super().clean()
        organization = self._organization()
        if "requested_by" in self.fields and organization:
            requested_by = cleaned.get("requested_by")
            if requested_by is None:
                self.add_error("requested_by", "Choose who these tasks are for.")
            elif not requested_by.memberships.filter(organization=organization).exists():
                self.add_error("requested_by", f"{requested_by} is not part of {organization}.")
        assignee = cleaned.get("assignee")
        if (
            assignee
            and organization
            and not assignee.engagements.filter(
                organization=organization, ended_at__isnull=True
            ).exists()
        ):
            self.add_error("assignee", f"{assignee} is not an assistant of {organization}.")
        return cleaned

    def rule_fields(self) -> dict:
        """The service's keyword arguments, from a valid form."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "details": data["details"],
            "category": data["category"],
            "priority": data["priority"],
            "budget_minutes": data["budget_minutes"],
            "assignee": data["assignee"],
            "requested_by": data.get("requested_by"),
            "rrule": data["rrule"],
            "starts_on": data["starts_on"],
            "due_time": data["due_time"],
            "timezone": data["timezone"],
            "lead_days": data["lead_days"],
        }


def _initial_for(rule: RecurringTask) -> dict:
    return {
        **rule_initial(rule.rrule),
        "requested_by": rule.requested_by_id,
        "title": rule.title,
        "details": rule.details,
        "category": rule.category,
        "priority": rule.priority,
        "budget_minutes": rule.budget_minutes,
        "assignee": rule.assignee_id,
        "due_time": rule.due_time,
        "starts_on": rule.starts_on,
        "timezone": rule.timezone,
        "lead_days": rule.lead_days,
    }
