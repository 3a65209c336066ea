"""How the portal writes a moment and a day: on pages (through the filters of
`vapportal/templatetags/portal.py`), in emails, and in the text services write (flash
messages, audit summaries, timeline notes, subjects). One format everywhere:

- a moment on the reader's clock: “Thu 3 Dec, 18:39”;
- a day: “Thu 3 Dec”;
- either with its year when that is not the current year on the clock it is written on
  (the reader's, or the zone it is given): “Thu 3 Dec 2025, 18:39”, “Fri 1 Jan 2027”; text
  stored to be read later (an audit summary, a timeline note) cannot know the year it will
  be read in, and always has it (`year=True`);
- the zone named, “Thu 3 Dec, 18:39 CST”, where the clock is not the reader's (a place's, a
  client's) or where the reader cannot be known: an email (read wherever its recipient is), a
  page opened without signing in, text stored for whoever reads it later;
- a long form for headings and printed pages: “Thursday 3 December 2026”.

Who reads is the current time zone (the signed-in person's, see `accounts/middleware.py`, or
the recipient's while an email is rendered) and whether it is known to be theirs
(`reading_in`)."""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo

from django.utils import timezone

# Outside a request by a signed-in person, or an email rendered for its recipient, nobody is
# known to read on the current clock (a worker's or a command's is UTC): zones are named.
_reader_known: ContextVar[bool] = ContextVar("reader_known", default=False)

Zone = tzinfo | str


def as_zone(zone: Zone) -> tzinfo:
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


@contextmanager
def reading_in(zone: Zone | None, *, known: bool) -> Iterator[None]:
    """Dates written inside are for a reader on `zone`'s clock (None: the default zone, UTC).
    `known` says the reader is there for sure (a signed-in person on their own page); an
    email's recipient may read it anywhere, so its times name their zone."""
    token = _reader_known.set(known)
    try:
        with timezone.override(as_zone(zone) if zone is not None else None):
            yield
    finally:
        _reader_known.reset(token)


def reader_zone() -> tzinfo:
    return timezone.get_current_timezone()


def moment_text(
    moment: datetime,
    zone: Zone | None = None,
    *,
    client_zone: Zone | None = None,
    named: bool | None = None,
    year: bool | None = None,
) -> str:
    """The moment on the clock of `zone` (the reader's when None): “Thu 3 Dec, 18:39”, with
    its year when that is not the current year there (always, with `year`).

    The zone is named (“18:39 CST”) when `named`; by default, where that clock reads another
    time than the reader's, or the reader is not known. With `client_zone`, the client's clock
    stands beside where it reads another time, so an assistant and an owner in different
    zones read the same moment: “Fri 4 Dec, 09:30 MST (client: 10:30 CST)”, with the client's
    day too when it is another one."""
    local = timezone.localtime(moment, as_zone(zone) if zone is not None else reader_zone())
    if named is None:
        named = names_zone(moment, local.tzinfo)
    when = f"{_day(local.date(), local.tzinfo, year=year)}, {local:%H:%M}"
    there = timezone.localtime(moment, as_zone(client_zone)) if client_zone is not None else None
    if there is None or there.utcoffset() == local.utcoffset():
        return f"{when} {zone_label(local)}" if named else when
    day = "" if there.date() == local.date() else f"{_day(there.date(), there.tzinfo, year=year)}, "
    return f"{when} {zone_label(local)} (client: {day}{there:%H:%M} {zone_label(there)})"


def clock_text(moment: datetime, zone: Zone | None = None, *, named: bool | None = None) -> str:
    """The time alone, for a moment the page has already dated (today's check-in): “07:45”,
    its zone named by the rule of `moment_text`: “07:45 CST”."""
    local = timezone.localtime(moment, as_zone(zone) if zone is not None else reader_zone())
    if named is None:
        named = names_zone(moment, local.tzinfo)
    return f"{local:%H:%M} {zone_label(local)}" if named else f"{local:%H:%M}"


def day_text(
    value: date | datetime,
    zone: Zone | None = None,
    *,
    long: bool = False,
    year: bool | None = None,
) -> str:
    """A day: “Thu 3 Dec”, with its year when that is not the current year on the clock of
    `zone` (the reader's when None): “Fri 1 Jan 2027”; always, with `year`. The long form,
    for headings and printed pages, always has it: “Thursday 3 December 2026”. A moment is
    dated on that clock too."""
    zone = as_zone(zone) if zone is not None else reader_zone()
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone).date()
    return _day(value, zone, long=long, year=year)


def names_zone(moment: datetime, zone: Zone) -> bool:
    """Whether a time on `zone`'s clock must say which zone it is: the reader is not known to
    be on a clock of their own, or theirs reads another time at that moment."""
    if not _reader_known.get():
        return True
    return (
        moment.astimezone(as_zone(zone)).utcoffset() != moment.astimezone(reader_zone()).utcoffset()
    )


def zone_label(local: datetime) -> str:
    """The zone's abbreviation (CST, CET); zones that have none are named by their offset,
    which IANA writes as “+04”: “UTC+04”."""
    name = local.tzname() or ""
    return f"UTC{name}" if name.startswith(("+", "-")) else name


def _day(day: date, zone: tzinfo, *, long: bool = False, year: bool | None = None) -> str:
    if long:
        return f"{day:%A} {day.day} {day:%B} {day.year}"
    text = f"{day:%a} {day.day} {day:%b}"
    # The current year on that clock, not UTC's: on New Year's Eve in Chicago, 31 December
    # is still this year's after 18:00 there.
    if year or day.year != timezone.localdate(timezone=zone).year:
        return f"{text} {day.year}"
    return text
