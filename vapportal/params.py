"""Values read from a query string or a posted form, whatever was typed into the address bar:
a view gets a value it can use or a 404, never one the database refuses."""

from django.http import Http404

# Ids are bigint columns; a number past this names no row and overflows the column's type.
MAX_ID = 2**63 - 1
# A page past a list's end shows its last page; a bigger number than this would overflow the
# database's OFFSET before it got there.
MAX_PAGE = 1_000_000


def id_or_none(value: str | None) -> int | None:
    """The id `value` names; None for anything that cannot be an id (a word, a huge number)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def id_or_404(value: str | None) -> int:
    """The id `value` names; a 404 for anything that cannot be an id, as for the id of a row
    the person may not see."""
    number = id_or_none(value)
    if number is None:
        raise Http404
    return number


def page_number(value: str | None) -> int:
    """A page number from 1 to MAX_PAGE; 1 for anything that is not a number."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def typed_text(value: str | None, *, max_length: int) -> str:
    """Text a person typed (to search for, or a note posted without a form), as the database
    can keep it: stripped, at most `max_length` characters, and without NUL characters, which
    PostgreSQL refuses in text."""
    return (value or "").replace("\x00", "").strip()[:max_length]
