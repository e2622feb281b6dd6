"""Renderers: a dataset into a file, as CSV, XLSX or FHIR, with memory that stays flat.

Every renderer writes to a binary file object and never holds more than a chunk of rows:

- CSV on PostgreSQL is a ``COPY … TO STDOUT`` of the dataset's own query, with each column formatted
  in SQL (``alliance.exports.copy``); on other databases the rows come through a server-side cursor
  and ``csv_line``. Both produce the same bytes.
- XLSX uses openpyxl's write-only workbook, which streams each sheet to a temporary file; a sheet
  that reaches Excel's row limit continues on a new one.
- FHIR writes a Bundle entry by entry (``alliance.exports.fhir``).

``progress(rows)`` is called every ``every`` rows with the running count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import BinaryIO

from django.db import connection
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from alliance.exports.base import Dataset, Kind, csv_line, format_csv_value, local_naive
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
        if connection.vendor == "postgresql":
            from alliance.exports.copy import copy_csv

            return copy_csv(dataset, out, progress=progress, every=every)
        return write_csv(dataset, out, progress=progress, every=every)
    if fmt == "xlsx":
        return write_xlsx(dataset, out, progress=progress, every=every, about=about)
    if fmt == "fhir":
        return write_fhir(dataset, out, progress=progress, every=every)
    raise ValueError(f"Unknown export format {fmt!r}")


def write_csv(dataset: Dataset, out: BinaryIO, *, progress: Progress = None, every: int = 5000) -> int:
    """CSV through Python: the portable path (SQLite), and the reference the COPY path must match."""
    rows = dataset.iter_rows()
    out.write(csv_line(list(next(rows))).encode())
    kinds = [column.kind for column in dataset.columns()]
    tz = dataset.filters.tz
    written, buffer = 0, []
    for row in rows:
        buffer.append(csv_line([format_csv_value(v, k, tz=tz) for v, k in zip(row, kinds, strict=True)]))
        written += 1
        if len(buffer) == 1000:
            out.write("".join(buffer).encode())
            buffer.clear()
        if progress is not None and written % every == 0:
            progress(written)
    out.write("".join(buffer).encode())
    return written


def _xlsx_text(value: str) -> str:
    # XML cannot hold most control characters; show that something was there rather than fail.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


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
            cell = WriteOnlyCell(sheet, value=name)
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
