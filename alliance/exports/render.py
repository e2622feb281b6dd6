"""Renderers: a dataset into a file, as CSV, XLSX or FHIR, with memory that stays flat.

Every renderer writes to a binary file object and never holds more than a chunk of rows:

- CSV and XLSX both take the dataset's typed, safe rows (``Dataset.iter_rows``: a server-side cursor,
  text already neutralised, people already pseudonymised). CSV writes each kind of value in one
  fixed way (see ``write_csv``).
- XLSX uses openpyxl's write-only workbook, which streams each sheet to a temporary file; a sheet
  that reaches Excel's row limit continues on a new one.
- FHIR writes a Bundle entry by entry (``alliance.exports.fhir``).

``progress(rows)`` is called every ``every`` rows with the running count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from alliance.exports.base import Dataset, Kind, local_naive, neutralise
from alliance.exports.fhir import People, write_bundle

Progress = Callable[[int], None] | None

# Excel's limit is 1,048,576 rows a sheet, the header included.
XLSX_MAX_ROWS = 1_048_575
XLSX_CHUNK = 2000


def render(
    dataset: Dataset, fmt: str, out: BinaryIO, *, progress: Progress = None, every: int = 5000, about=None
) -> int:
    """Write ``dataset`` to ``out`` in format ``fmt``; returns the number of rows (or responses) written."""
    if fmt == "csv":
        return write_csv(dataset, out, progress=progress, every=every)
    if fmt == "xlsx":
        return write_xlsx(dataset, out, progress=progress, every=every, about=about)
    if fmt == "fhir":
        return write_fhir(dataset, out, progress=progress, every=every)
    raise ValueError(f"Unknown export format {fmt!r}")


def write_csv(dataset: Dataset, out: BinaryIO, *, progress: Progress = None, every: int = 5000) -> int:
    """The dataset as UTF-8 CSV, lines ending in LF, a header first; returns the number of rows.

    Each kind of value is written one way: empty for nothing; text (already neutralised) quoted only
    when it holds a comma, quote, CR or LF; whole numbers as they are and decimals to their places;
    date-times in the clinic's time zone to the second with their offset, ``2025-07-01 10:00:00+01``
    (minutes only when not zero, ``+05:30``); yes/no as ``true``/``false``.

    Python all the way, not PostgreSQL's COPY: bench/export.py measured 1,000,000 rows at 4.8 to 6.1 ×
    the time of ``psql \\copy`` of the same rows (the goal: at most 10 ×), with a peak of 71 MB at
    10,000 rows and at 1,000,000.
    """
    rows = iter(dataset.iter_rows())
    out.write(csv_line([neutralise(name) for name in next(rows)]).encode())
    cells = [_csv_cell(column.kind, dataset.filters.tz) for column in dataset.columns()]
    written, lines = 0, []
    for row in rows:
        lines.append(",".join([cell(value) for cell, value in zip(cells, row, strict=True)]) + "\n")
        written += 1
        if len(lines) == CSV_CHUNK:
            out.write("".join(lines).encode())
            lines.clear()
        if progress is not None and written % every == 0:
            progress(written)
    out.write("".join(lines).encode())
    return written


CSV_CHUNK = 1000  # lines written to the file at once


def csv_field(text: str) -> str:
    """Quote only when the text holds a comma, quote, CR or LF, doubling any quotes.

    (Python's csv module leaves a lone CR unquoted when lines end in LF, which breaks readers.)
    """
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values) -> str:
    return ",".join(csv_field(value) for value in values) + "\n"


def _csv_text(value: str | None) -> str:
    return "" if value is None else csv_field(value)


def _csv_number(value) -> str:
    return "" if value is None else str(value)


_CSV_BOOL = {True: "true", False: "false", None: ""}


def _csv_datetime(tz) -> Callable[[datetime | None], str]:
    # Cached: the rows of one check-in or one appointment share their times.
    @lru_cache(maxsize=1024)
    def cell(value: datetime | None) -> str:
        if value is None:
            return ""
        text = value.astimezone(tz).isoformat(" ", "seconds")
        return text[:-3] if text.endswith(":00") else text  # "+01:00" → "+01"; "+05:30" stays

    return cell


def _csv_cell(kind: Kind, tz) -> Callable[[object], str]:
    if kind is Kind.DATETIME:
        return _csv_datetime(tz)
    if kind is Kind.BOOL:
        return _CSV_BOOL.__getitem__
    if kind in (Kind.INT, Kind.DECIMAL):
        return _csv_number
    return _csv_text  # text, codes and pseudonyms


def _xlsx_text(value: str) -> str:
    """Text for a worksheet cell: neutralised like every CSV cell, so no cell anywhere is a formula.

    XML cannot hold most control characters; a replacement character shows that something was there.
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(value))


def write_xlsx(dataset: Dataset, out: BinaryIO, *, progress: Progress = None, every: int = 5000, about=None) -> int:
    workbook = Workbook(write_only=True)
    rows = dataset.iter_rows()
    header = next(rows)
    columns = dataset.columns()
    tz = dataset.filters.tz
    bold = Font(bold=True)

    def new_sheet(number: int):
        title = dataset.title if number == 1 else f"{dataset.title} ({number})"
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns):
            width = 22 if column.kind is Kind.DATETIME else max(12, len(column.name) + 2)
            sheet.column_dimensions[_letter(index)].width = width
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(name))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    converters = []
    for column in columns:
        if column.kind is Kind.TEXT:
            converters.append(lambda v: _xlsx_text(v) if v else v)
        elif column.kind is Kind.DATETIME:
            converters.append(lambda v: local_naive(v, tz) if v else v)
        else:
            converters.append(lambda v: v)

    sheets, sheet, in_sheet, written = 1, None, 0, 0
    sheet = new_sheet(1)
    for row in rows:
        if in_sheet == XLSX_MAX_ROWS:
            sheets += 1
            sheet, in_sheet = new_sheet(sheets), 0
        sheet.append([convert(value) for convert, value in zip(converters, row, strict=True)])
        in_sheet += 1
        written += 1
        if progress is not None and written % every == 0:
            progress(written)
    _about_sheet(workbook, dataset, written, about or [])
    workbook.save(out)
    return written


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _about_sheet(workbook: Workbook, dataset: Dataset, written: int, about: list[tuple[str, str]]) -> None:
    sheet = workbook.create_sheet(title="About this export")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    f = dataset.filters
    lines = [
        ("Export", dataset.title),
        ("Clinic", f.clinic.name),
        ("Rows", written),
        ("Dates", f"{f.date_from:%-d %b %Y} to {f.date_to:%-d %b %Y} ({dataset.date_meaning})"),
        ("Clinician", f.clinician.user.full_name if f.clinician else "All clinicians"),
        ("Questionnaire", f.instrument.name if f.instrument else "All questionnaires"),
        (
            "People",
            "Identified: names and email addresses included"
            if dataset.context.identified
            else "De-identified: pseudonymous ids instead of names and emails; free text left out",
        ),
        ("Times", f"Local time in {f.clinic.timezone}"),
        ("Prepared", f"{timezone.localtime(timezone.now(), f.tz):%-d %b %Y %H:%M}"),
        *about,
        ("", ""),
        ("Column", "What it holds"),
        *((column.name, column.description) for column in dataset.columns()),
        *dataset.about(),
    ]
    for label, text in lines:
        sheet.append([_xlsx_text(str(label)), _xlsx_text(str(text)) if isinstance(text, str) else text])


def write_fhir(dataset: Dataset, out: BinaryIO, *, progress: Progress = None, every: int = 5000) -> int:
    """A dataset as a FHIR Bundle; returns how many responses (or goals) it holds."""
    if "fhir" not in dataset.formats:
        raise ValueError(f"{dataset.title} has no FHIR form")
    counted = {"responses": 0}

    def count(responses: int) -> None:
        counted["responses"] = responses
        if progress is not None and responses % every == 0:
            progress(responses)

    people = People(identified=dataset.context.identified, key=dataset.context.pseudonym_key)
    entries = dataset.fhir_entries(people=people, progress=count)
    stem = dataset.file_stem()
    write_bundle(out, entries, bundle_id=stem, timestamp=datetime.now(tz=UTC))
    return counted["responses"]
