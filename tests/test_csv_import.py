"""Reading uploaded CSV files as spreadsheets write them, for every import."""

import codecs

import pytest

from vapportal.csv_import import CSVFileError, csv_read

COLUMNS = ("name", "email", "location")


def read(content: bytes):
    return csv_read(content, expected=COLUMNS, required=COLUMNS[:2])


@pytest.mark.parametrize(
    ("content", "delimiter", "encoding"),
    [
        (b"name,email,location\r\nDana,dana@example.com,Neenah\r\n", ",", "utf-8-sig"),
        (
            codecs.BOM_UTF8 + b"Name;Email;Location\r\nDana;dana@example.com;Neenah\r\n",
            ";",
            "utf-8-sig",
        ),
        (b"name\temail\tlocation\nDana\tdana@example.com\tNeenah\n", "\t", "utf-8-sig"),
        (
            "name\temail\tlocation\nDana\tdana@example.com\tNeenah\n".encode("utf-16"),
            "\t",
            "utf-16",
        ),
        (b'"name";"email";"location"\n"Dana";"dana@example.com";"Neenah"\n', ";", "utf-8-sig"),
    ],
    ids=["commas", "excel-utf8-semicolons", "tabs", "excel-unicode-text", "quoted-semicolons"],
)
def test_a_file_is_read_whatever_separator_and_encoding_the_spreadsheet_chose(
    content, delimiter, encoding
):
    table = read(content)

    assert (table.delimiter, table.encoding) == (delimiter, encoding)
    assert table.columns == ["name", "email", "location"]
    [record] = table.records
    assert (record.line, record.values) == (
        2,
        {"name": "Dana", "email": "dana@example.com", "location": "Neenah"},
    )


def test_a_file_excel_saved_as_plain_csv_on_windows_is_read_with_its_accents():
    content = "name;email;location\nRenée Müller;renee@example.com;Neenah\n".encode("cp1252")

    [record] = read(content).records

    assert record.get("name") == "Renée Müller"


def test_a_comma_inside_a_semicolon_header_does_not_hide_its_columns():
    table = read(b"Name;Email;Location, city\nDana;dana@example.com;Neenah\n")

    assert table.delimiter == ";"
    assert table.columns == ["name", "email", "location, city"]


def test_a_header_without_the_columns_says_what_it_found_and_what_is_expected():
    with pytest.raises(CSVFileError) as raised:
        read(b"Who;Where\nDana;Neenah\n")

    assert str(raised.value) == (
        "The first line must name the columns name, email, location; it names “Who”, “Where” "
        "(missing: name, email)."
    )


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00binary", b"name,email\n\x81\x8d\x8f broken\n"],
    ids=["binary", "neither-utf8-nor-cp1252"],
)
def test_a_file_that_is_not_spreadsheet_text_is_refused_with_how_to_save_it(content):
    with pytest.raises(CSVFileError) as raised:
        read(content)

    assert "Save it from the spreadsheet as “CSV UTF-8 (Comma delimited)”" in str(raised.value)


def test_rows_keep_the_line_they_start_on_and_cells_beyond_the_header():
    table = read(b'name,email\n\nDana,dana@example.com\n"Bo\nDiaz",bo@example.com,extra\n')

    assert [(record.line, record.get("name"), record.extra_cells) for record in table.records] == [
        (3, "Dana", []),
        (4, "Bo\nDiaz", ["extra"]),
    ]
