from functools import cache
from html import escape

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, localtime

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
    when = local_time_text(due_at, zone, client_zone=client_zone)
    # Digits, English day and month names and zone abbreviations only: nothing to escape.
    if overdue:
        return mark_safe(f'<span class="text-danger fw-semibold">Overdue · {when}</span>')  # noqa: S308
    return mark_safe(f"<span>{when}</span>")  # noqa: S308


def local_time_text(moment, zone, *, client_zone=None) -> str:
    """The moment as the viewer's clock in `zone` shows it: “Fri 27 Nov, 09:30”. When the
    client's clock (`client_zone`) shows another time, both are labelled with their zone, so
    an assistant and an owner in different zones read the same moment: “Fri 4 Dec, 09:30 MST
    (client: 10:30 CST)”, with the client's day too when it is another one."""
    local = localtime(moment, zone)
    when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    if client_zone is None:
        return when
    there = localtime(moment, client_zone)
    if there.utcoffset() == local.utcoffset():
        return when
    day = "" if there.date() == local.date() else f"{there:%a} {there.day} {there:%b}, "
    return f"{when} {_zone_label(local)} (client: {day}{there:%H:%M} {_zone_label(there)})"


def _zone_label(local) -> str:
    """The zone's abbreviation (CST, CET); zones that have none are named by their offset,
    which IANA writes as “+04”: “UTC+04”."""
    name = local.tzname() or ""
    return f"UTC{name}" if name.startswith(("+", "-")) else name
