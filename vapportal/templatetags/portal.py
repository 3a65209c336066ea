from functools import cache
from html import escape

import markdown as markdown_lib
import nh3
from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, localtime

from vapportal import dates

register = template.Library()

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}


@register.filter
def markdown(text: str) -> str:
    """User-written Markdown as HTML, with everything but plain formatting removed."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"])
    return mark_safe(  # noqa: S308 (nh3 has just sanitized it)
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


@register.filter
def minutes(value: int | None) -> str:
    """90 → “1 h 30 min”."""
    if value is None:
        return "—"
    hours, rest = divmod(int(value), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


# Badges are filters rather than includes: they stand in every row of the longest lists.
# Each is written once per process; there are only so many.
STATUS_BADGES = {
    "new": ("primary", "New"),
    "in_progress": ("info", "In progress"),
    "waiting": ("warning", "Waiting on client"),
    "done": ("success", "Done"),
    "cancelled": ("secondary", "Cancelled"),
}
PRIORITY_BADGES = {3: ("danger", "Urgent"), 2: ("warning", "High"), 0: ("light", "Low")}


@register.filter
@cache
def status_badge(status: str) -> str:
    colour, label = STATUS_BADGES[status]
    return format_html('<span class="badge text-bg-{}">{}</span>', colour, label)


@register.filter
@cache
def priority_badge(priority: int) -> str:
    """Urgent, high and low stand out; normal, the usual case, shows nothing."""
    if priority not in PRIORITY_BADGES:
        return ""
    colour, label = PRIORITY_BADGES[priority]
    return format_html('<span class="badge text-bg-{}">{}</span>', colour, label)


@register.filter
def select_options(options) -> str:
    """The <option>s of a select from (value, label, chosen): written here rather than by a
    template loop, as a client filter lists every client on each view of the queue."""
    return mark_safe(  # noqa: S308 (every value and label is escaped)
        "".join(
            f'<option value="{escape(str(value))}"{" selected" if chosen else ""}>'
            f"{escape(str(label))}</option>"
            for value, label, chosen in options
        )
    )


@register.filter
def due(task) -> str:
    """The task's due time in the viewer's time zone, flagged when overdue, and labelled with
    the zones when the client's clock says another time (the task's organization should be
    read with it)."""
    return due_markup(
        task.due_at,
        overdue=task.is_overdue,
        zone=get_current_timezone(),
        client_zone=task.organization.zone,
    )


def due_markup(due_at, *, overdue: bool, zone, client_zone=None) -> str:
    if due_at is None:
        return mark_safe('<span class="text-secondary">No due time</span>')
    when = dates.moment_text(due_at, zone, client_zone=client_zone)
    # Digits, English day and month names and zone abbreviations only: nothing to escape.
    if overdue:
        return mark_safe(f'<span class="text-danger fw-semibold">Overdue · {when}</span>')  # noqa: S308
    return mark_safe(f"<span>{when}</span>")  # noqa: S308


# Dates and times: every page and email writes them with these filters, in the one format of
# vapportal/dates.py; tests/test_dates.py fails on a template that writes its own. Each gives
# "" for no value, so that `|default:"—"` follows it.


@register.filter
def moment(value, zone=None) -> str:
    """`{{ comment.created_at|moment }}`: “Thu 3 Dec, 18:39” on the reader's clock.
    `{{ checkin.send_at|moment:organization.timezone }}`: on the clock of that zone (a
    client's, a place's), which is named where it is not the reader's: “Thu 3 Dec, 07:45
    CST”."""
    if not value:
        return ""
    return dates.moment_text(value, zone or None)


@register.filter
def clock(value, zone=None) -> str:
    """The time alone, “07:45”, for a moment whose day the page already gives."""
    if not value:
        return ""
    return dates.clock_text(value, zone or None)


@register.filter
def day(value, zone=None) -> str:
    """`{{ trip.depart_on|day }}`: “Thu 3 Dec”. A moment is dated on the reader's clock, or on
    that of `zone` (`{{ checkin.sent_at|day:organization.timezone }}`)."""
    if not value:
        return ""
    return dates.day_text(value, zone or None)


@register.filter
def day_long(value, zone=None) -> str:
    """A heading's or a printed page's day: “Thursday 3 December 2026”."""
    if not value:
        return ""
    return dates.day_text(value, zone or None, long=True)


@register.filter
def place_time(value, zone) -> str:
    """A time on the clock where it happens (a flight landing in Denver), with the zone and
    the place's zone named where the reader's clock reads another time: “Thu 3 Dec, 16:45
    MST · America/Denver”."""
    if not value:
        return ""
    when = dates.moment_text(value, zone, named=False)
    if not dates.names_zone(value, zone):
        return when
    label = dates.zone_label(localtime(value, dates.as_zone(zone)))
    return format_html('{} <span class="text-secondary">{} · {}</span>', when, label, zone)


@register.filter
def elapsed(value) -> str:
    """How long since the moment, as time is logged: “1 h 30 min”."""
    if not value:
        return ""
    return minutes(max(0, int((timezone.now() - value).total_seconds() // 60)))


@register.filter
def iso(value, part: str = "day") -> str:
    """A day as forms and links carry it: “2026-12-03”; `|iso:"month"`: “2026-12”."""
    if not value:
        return ""
    return f"{value:%Y-%m}" if part == "month" else value.isoformat()
