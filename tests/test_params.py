"""Reading ids, page numbers and search text from what a person typed into the address bar."""

import pytest
from django.http import Http404

from vapportal.params import MAX_PAGE, id_or_404, id_or_none, page_number, typed_text


@pytest.mark.parametrize("value", ["12", " 12 ", "١٢"])
def test_an_id_is_a_whole_number_as_python_reads_one(value):
    assert id_or_none(value) == id_or_404(value) == 12


@pytest.mark.parametrize(
    "value", [None, "", "abc", "1.5", "²", "0", "-3", str(2**63), "9" * 10_000, "12\x00"]
)
def test_what_cannot_be_an_id_is_none_or_a_404(value):
    assert id_or_none(value) is None
    with pytest.raises(Http404):
        id_or_404(value)


@pytest.mark.parametrize(
    ("value", "number"),
    [("3", 3), (None, 1), ("", 1), ("last", 1), ("0", 1), ("-2", 1), ("9" * 10_000, 1)],
)
def test_a_page_number_is_one_for_anything_that_is_not_a_page(value, number):
    assert page_number(value) == number


def test_a_page_number_past_any_list_stops_where_the_database_can_still_skip_to_it():
    assert page_number(str(10**20)) == MAX_PAGE


def test_typed_text_is_stripped_cut_to_its_length_and_loses_its_nul_characters():
    assert typed_text("  Fox\x00 Valley  ", max_length=100) == "Fox Valley"
    assert typed_text("x" * 10_000, max_length=100) == "x" * 100
    assert typed_text(None, max_length=100) == ""
