"""The IANA time zones people and organizations choose from, and the one form field every
time-zone question in the portal uses.

`TimeZoneField` is a text input with a datalist of suggestions: the common zones of the
Americas and Europe (and any the form prefers, such as the person's own and their
organization's) first, then every other place. It accepts a zone's exact name, the name typed
in another case or with spaces for underscores, or a city that names a single zone ("paris").
A page with several zone fields can share one datalist: give each field the same
`shared_list` id and render the list once with `{% load timezones %}{% timezone_datalist
"that-id" %}`.
"""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import mark_safe

# Suggested first, in this order; the label is what a person recognizes besides the city.
COMMON_TIMEZONES: dict[str, str] = {
    "America/New_York": "US Eastern",
    "America/Chicago": "US Central",
    "America/Denver": "US Mountain",
    "America/Phoenix": "Arizona, no daylight saving",
    "America/Los_Angeles": "US Pacific",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
    "America/Toronto": "Canada Eastern",
    "America/Vancouver": "Canada Pacific",
    "America/Halifax": "Canada Atlantic",
    "America/Mexico_City": "Mexico Central",
    "America/Bogota": "Colombia",
    "America/Sao_Paulo": "Brazil",
    "America/Argentina/Buenos_Aires": "Argentina",
    "Europe/London": "United Kingdom",
    "Europe/Dublin": "Ireland",
    "Europe/Lisbon": "Portugal",
    "Europe/Paris": "Central Europe",
    "Europe/Berlin": "Central Europe",
    "Europe/Madrid": "Central Europe",
    "Europe/Rome": "Central Europe",
    "Europe/Amsterdam": "Central Europe",
    "Europe/Warsaw": "Central Europe",
    "Europe/Athens": "Eastern Europe",
    "Europe/Helsinki": "Eastern Europe",
    "UTC": "Coordinated Universal Time",
}

# Legacy and POSIX-style names ("US/Eastern", "Etc/GMT+5", "EST5EDT") stay valid for data
# that holds them, but only the places of these regions are suggested.
_REGIONS = {
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
}


@cache
def known_timezones() -> frozenset[str]:
    # available_timezones() walks the zone files on every call.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


@cache
def suggested_timezones() -> tuple[str, ...]:
    places = sorted(name for name in known_timezones() if name.split("/")[0] in _REGIONS)
    return (*COMMON_TIMEZONES, *(name for name in places if name not in COMMON_TIMEZONES))


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(known_timezones())]


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError("“%(value)s” is not a known time zone.", params={"value": value})


def _folded(text: str) -> str:
    return "_".join(text.split()).casefold()


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {_folded(name): name for name in known_timezones()}


@cache
def _zones_by_folded_city() -> dict[str, tuple[str, ...]]:
    cities = defaultdict(list)
    for name in suggested_timezones():
        if "/" in name:
            cities[_folded(name.rsplit("/", 1)[1])].append(name)
    return {city: tuple(sorted(names)) for city, names in cities.items()}


def timezones_matching(text: str) -> tuple[str, ...]:
    """The zones someone may have meant by `text`: its exact name, the name in another case or
    with spaces for underscores, or else the suggested zones whose city it names (the common
    one, when a city has an old name besides it, such as America/Buenos_Aires)."""
    text = text.strip()
    if text in known_timezones():
        return (text,)
    folded = _folded(text)
    if folded in _zones_by_folded_name():
        return (_zones_by_folded_name()[folded],)
    cities = _zones_by_folded_city().get(folded, ())
    common = tuple(name for name in cities if name in COMMON_TIMEZONES)
    return common if len(common) == 1 else cities


def timezone_datalist(list_id: str, preferred: Iterable[str] = ()) -> str:
    """The `<datalist>` of suggested zones: `preferred` first (unknown names are left out),
    then the common ones, then every other place, each once."""
    first = [name for name in dict.fromkeys(preferred) if name in known_timezones()]
    rest = [name for name in suggested_timezones() if name not in first]
    # Each option was escaped by format_html.
    options = mark_safe("".join(_option(name) for name in (*first, *rest)))  # noqa: S308
    return format_html('<datalist id="{}">{}</datalist>', list_id, options)


@cache
def _option(name: str) -> str:
    label = COMMON_TIMEZONES.get(name)
    if label:
        return format_html('<option value="{}" label="{}">', name, label)
    return format_html('<option value="{}">', name)


class TimeZoneInput(forms.TextInput):
    """A text input whose suggestions are the portal's zones (see `timezone_datalist`)."""

    def __init__(self, attrs=None, *, preferred: Iterable[str] = (), shared_list: str = ""):
        # The browser's own autofill history would crowd out the suggestions.
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.preferred = tuple(preferred)
        self.shared_list = shared_list

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = self.shared_list or f"{widget_attrs.get('id') or name}-zones"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        html = self._render(self.template_name, context, renderer)
        if self.shared_list:
            return html
        return html + timezone_datalist(context["widget"]["attrs"]["list"], self.preferred)


class TimeZoneField(forms.CharField):
    """An IANA time zone, typed or picked from the suggestions; cleans to its exact name.

    `preferred` zones are suggested first (set it in the form's `__init__` for zones that
    depend on the person); `shared_list` names a datalist the page renders once itself."""

    widget = TimeZoneInput
    default_error_messages = {
        "unknown": "“%(value)s” is not a time zone we know. Type a city, such as Chicago, or a "
        "zone's name, such as Europe/Paris.",
        "ambiguous": "“%(value)s” could be %(zones)s: choose one.",
    }

    def __init__(self, *, preferred: Iterable[str] = (), shared_list: str = "", **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault(
            "help_text", "A city, such as Chicago, or a zone's name, such as Europe/Paris."
        )
        super().__init__(**kwargs)
        self.widget.preferred = tuple(preferred)
        self.widget.shared_list = shared_list

    @property
    def preferred(self) -> tuple[str, ...]:
        return self.widget.preferred

    @preferred.setter
    def preferred(self, zones: Iterable[str]) -> None:
        self.widget.preferred = tuple(zones)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        matches = timezones_matching(text)
        if not matches:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": text}
            )
        if len(matches) > 1:
            raise ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={"value": text, "zones": " or ".join(matches)},
            )
        return matches[0]
