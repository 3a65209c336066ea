"""Reading an uploaded CSV the way spreadsheets write it, for every import (the team roster,
the vendor directory): UTF-8 with or without a byte order mark, UTF-16 ("Unicode text"), or
Windows' cp1252 (Excel's plain "CSV" on Windows); a comma, semicolon (Excel where the decimal
mark is a comma) or tab between the columns. Each import keeps its own rules for the rows."""

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

DELIMITERS = ",;\t"
SAVE_AS_UTF8 = "Save it from the spreadsheet as “CSV UTF-8 (Comma delimited)” and try again."
# Control characters other than tab and line breaks do not occur in a spreadsheet's text.
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CSVFileError(Exception):
    """The file as a whole cannot be read as the CSV asked for; the message says why."""


@dataclass
class CSVRecord:
    line: int  # where the row starts in the file, the header being line 1
    values: dict[str, str]  # by the header's lower-cased column names, trimmed
    extra_cells: list[str] = field(default_factory=list)  # non-empty cells beyond the header

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def is_blank(self) -> bool:
        return not any(self.values.values()) and not self.extra_cells


@dataclass
class CSVTable:
    columns: list[str]
    records: list[CSVRecord]
    delimiter: str
    encoding: str


def csv_read(content: bytes, *, expected: Sequence[str], required: Sequence[str]) -> CSVTable:
    """The rows of an uploaded CSV whose first line names its columns. `required` are the
    columns it cannot do without; `expected` all it reads, for the message when one is
    missing. Raises CSVFileError when the file is not text, has no such header or is not CSV."""
    text, encoding = _decode(content)
    first_line = text.splitlines()[0] if text else ""
    delimiter = _delimiter(first_line, required)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_cells = next(reader, [])
        columns = [cell.strip().lower() for cell in header_cells]
        missing = [column for column in required if column not in columns]
        if missing:
            raise CSVFileError(_missing_message(header_cells, expected, missing))
        records = []
        previous_line = reader.line_num
        for cells in reader:
            start, previous_line = previous_line + 1, reader.line_num
            if not cells:
                continue
            records.append(
                CSVRecord(
                    line=start,
                    values={
                        name: cell.strip()
                        for name, cell in zip(columns, cells, strict=False)
                        if name
                    },
                    extra_cells=[cell for cell in cells[len(columns) :] if cell.strip()],
                )
            )
    except csv.Error as error:
        raise CSVFileError(
            f"The file is not valid CSV (line {reader.line_num}): {error}."
        ) from error
    return CSVTable(columns=columns, records=records, delimiter=delimiter, encoding=encoding)


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if NOT_TEXT.search(text):
            break
        return text, encoding
    raise CSVFileError(f"The file is not text in UTF-8 or in Windows' encoding. {SAVE_AS_UTF8}")


def _delimiter(first_line: str, required: Sequence[str]) -> str:
    """The header line's separator as csv.Sniffer reads it; if that leaves a required column
    unnamed while another separator names them all, that one."""
    try:
        sniffed = csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","  # one column only, or nothing to go by
    for delimiter in (sniffed, *DELIMITERS.replace(sniffed, "")):
        names = {
            cell.strip().lower() for cell in next(csv.reader([first_line], delimiter=delimiter), [])
        }
        if all(column in names for column in required):
            return delimiter
    return sniffed


def _missing_message(header_cells: list[str], expected: Sequence[str], missing: list[str]) -> str:
    found = [cell.strip()[:40] for cell in header_cells if cell.strip()][:12]
    names = ", ".join(f"“{name}”" for name in found) if found else "nothing"
    return (
        f"The first line must name the columns {', '.join(expected)}; it names {names} "
        f"(missing: {', '.join(missing)})."
    )
