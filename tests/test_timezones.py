"""The one time-zone field every form uses: a text input with suggestions, common zones
first, that cleans what a person typed to an IANA zone's exact name or says why it cannot."""

import pytest
from django import forms
from django.template import Context, Template

from tests.helpers import suggestions
from vapportal.timezones import COMMON_TIMEZONES, TimeZoneField, timezone_choices


class ZoneForm(forms.Form):
    timezone = TimeZoneField()


class TripZonesForm(forms.Form):
    start_zone = TimeZoneField(shared_list="zones")
    end_zone = TimeZoneField(shared_list="zones")


def cleaned(text: str) -> str:
    form = ZoneForm({"timezone": text})
    assert form.is_valid(), form.errors
    return form.cleaned_data["timezone"]


def error(text: str) -> str:
    form = ZoneForm({"timezone": text})
    assert not form.is_valid()
    return form.errors["timezone"][0]


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("America/Chicago", "America/Chicago"),
        ("  Europe/Paris ", "Europe/Paris"),
        ("america/new york", "America/New_York"),
        ("Los Angeles", "America/Los_Angeles"),
        ("kolkata", "Asia/Kolkata"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("utc", "UTC"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_a_zone_or_a_city_cleans_to_the_zones_exact_name(typed, zone):
    assert cleaned(typed) == zone


def test_an_unknown_name_is_a_form_error_that_says_what_to_type():
    assert error("Europe/Atlantis") == (
        "“Europe/Atlantis” is not a time zone we know. Type a city, such as Chicago, or a "
        "zone's name, such as Europe/Paris."
    )


def test_a_city_with_two_zones_asks_which():
    assert error("Istanbul") == "“Istanbul” could be Asia/Istanbul or Europe/Istanbul: choose one."


def test_a_zone_is_required():
    assert error("") == "This field is required."


def test_suggestions_put_the_preferred_then_the_common_zones_first_each_once():
    form = ZoneForm()
    form.fields["timezone"].preferred = ["Asia/Manila", "Europe/Paris", "Asia/Manila", "Mars/Base"]

    listed = suggestions(str(form["timezone"]), "id_timezone-zones")

    common = [zone for zone in COMMON_TIMEZONES if zone != "Europe/Paris"]
    assert listed[: 2 + len(common)] == ["Asia/Manila", "Europe/Paris", *common]
    assert len(listed) == len(set(listed))
    assert "Asia/Tokyo" in listed and "Africa/Nairobi" in listed


def test_suggestions_leave_out_legacy_names_that_stay_valid():
    listed = suggestions(str(ZoneForm()["timezone"]), "id_timezone-zones")

    assert not {"US/Eastern", "Etc/GMT+5", "EST5EDT", "GB"} & set(listed)
    assert cleaned("Etc/GMT+5") == "Etc/GMT+5"


def test_common_zones_carry_a_label_a_person_recognizes():
    html = str(ZoneForm()["timezone"])

    assert '<option value="America/Chicago" label="US Central">' in html
    assert 'autocomplete="off"' in html and 'list="id_timezone-zones"' in html


def test_a_zone_input_weighs_less_than_half_a_select_of_every_zone():
    select = forms.Select(choices=timezone_choices()).render("timezone", "America/Chicago")
    field = str(ZoneForm(initial={"timezone": "America/Chicago"})["timezone"])

    assert len(field) < len(select) / 2


def test_fields_that_share_a_list_point_at_the_one_the_page_renders_once():
    form = TripZonesForm()
    page = Template(
        "{% load timezones %}{{ form.start_zone }}{{ form.end_zone }}"
        '{% timezone_datalist "zones" "Asia/Manila" %}'
    ).render(Context({"form": form}))

    assert page.count("<datalist") == 1
    assert page.count('list="zones"') == 2
    assert suggestions(page, "zones")[0] == "Asia/Manila"


def test_common_zones_are_real_zones():
    assert all(cleaned(zone) == zone for zone in COMMON_TIMEZONES)
