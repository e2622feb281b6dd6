"""The export base: a dataset is a class that yields rows, header first (after pretix's exporters).

A dataset declares its columns once. Each column is an ORM expression plus a *kind* (text, code,
whole number, decimal, date-time, yes/no, pseudonym) and says whether it is free text or identifies a
person. From that one declaration:

- ``Dataset.iter_rows()`` yields the header and then typed, safe Python values, which the CSV, XLSX
  and FHIR renderers turn into files (and which work on any database);
- ``alliance.exports.copy`` builds a PostgreSQL ``COPY`` of the very same query for CSV, formatting
  each kind in SQL exactly as ``format_csv_value`` does in Python (a test compares the two byte for
  byte), because COPY is many times faster than anything that passes rows through Python.

De-identified exports drop every column marked ``identifying`` or ``free_text`` and put in its place
the ``pseudonym`` columns: a stable id per person, an HMAC of their account id keyed on
``PSEUDONYM_KEY``, so the same patient has the same id in every export and nobody without the key can
reverse it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import F, QuerySet

from alliance.models import ExportDataset
from alliance.selectors.filters import DataFilters

# Characters that make a spreadsheet treat a cell as a formula (or smuggle one in after a control
# character). Full-width forms too: some spreadsheet programs fold them to their ASCII twins.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: str) -> str:
    """A text cell that could start a formula gets a leading apostrophe, so it shows as typed."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


class Kind(enum.Enum):
    TEXT = "text"  # anything a person typed or named: neutralised
    CODE = "code"  # identifiers and choice values the app controls, e.g. "alliance-checkin", "done"
    INT = "int"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    BOOL = "bool"
    PSEUDONYM = "pseudonym"  # the expression is a user id; the cell is that person's pseudonym


class Who(enum.Enum):
    PATIENT = "P"
    STAFF = "C"


def pseudonym(user_id: int, who: Who, *, key: str | None = None) -> str:
    """A stable pseudonymous id for a person, the same in every export while PSEUDONYM_KEY is kept."""
    secret = (key or settings.PSEUDONYM_KEY).encode()
    digest = hmac.new(secret, f"alliance-person:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{who.value}-{digest[:16]}"


@dataclass(frozen=True)
class Column:
    name: str
    expression: Any
    kind: Kind
    description: str
    identifying: bool = False
    free_text: bool = False
    who: Who | None = None  # for PSEUDONYM columns
    #: For PSEUDONYM columns: the pseudonym itself, through the temporary table the COPY path fills.
    copy_expression: Any = None
    #: For DECIMAL columns: decimal places, so every database writes "4.00" (SQLite returns 4.0).
    places: int | None = None

    def __post_init__(self):
        if (self.kind is Kind.PSEUDONYM) != (self.who is not None):
            raise ValueError(f"{self.name}: pseudonym columns, and only they, say whose pseudonym they are")

    @property
    def resolved(self):
        return F(self.expression) if isinstance(self.expression, str) else self.expression

    @property
    def resolved_for_copy(self):
        expression = self.copy_expression if self.copy_expression is not None else self.expression
        return F(expression) if isinstance(expression, str) else expression


def person_columns(*, prefix: str, path: str, who: Who, label: str) -> list[Column]:
    """A person's name and email when identified; their pseudonym when not.

    ``path`` leads from the dataset's rows to the person's ``User``.
    """
    return [
        Column(
            f"{prefix}_pseudonym",
            f"{path}_id",
            Kind.PSEUDONYM,
            f"A stable pseudonymous id for the {label}: the same in every de-identified export.",
            who=who,
            copy_expression=f"{path}__export_pseudonym__{'patient' if who is Who.PATIENT else 'staff'}",
        ),
        Column(f"{prefix}_name", f"{path}__full_name", Kind.TEXT, f"The {label}'s full name.", identifying=True),
        Column(f"{prefix}_email", f"{path}__email", Kind.TEXT, f"The {label}'s email address.", identifying=True),
    ]


@dataclass(frozen=True)
class ExportContext:
    filters: DataFilters
    identified: bool
    pseudonym_key: str = field(default_factory=lambda: settings.PSEUDONYM_KEY)


class Dataset:
    """One kind of export. Subclasses set the class attributes and ``all_columns``/``queryset``."""

    key: ClassVar[ExportDataset]
    title: ClassVar[str]
    description: ClassVar[str]
    #: Which of the filters apply: any of "date", "clinician", "instrument".
    filters_apply: ClassVar[frozenset[str]] = frozenset({"date", "clinician"})
    #: What the date range is about, in words ("when the check-in was submitted").
    date_meaning: ClassVar[str] = ""
    #: The formats this dataset can be exported in.
    formats: ClassVar[tuple[str, ...]] = ("csv", "xlsx")
    #: The unit progress is counted in ("rows", "responses").
    unit: ClassVar[str] = "rows"
    ordering: ClassVar[tuple[str, ...]] = ("pk",)

    def __init__(self, context: ExportContext):
        self.context = context
        self.filters = context.filters
        self._pseudonyms: dict[tuple[int, Who], str] = {}

    # --- what subclasses provide -----------------------------------------------------------------

    def all_columns(self) -> list[Column]:
        raise NotImplementedError

    def queryset(self) -> QuerySet:
        """The dataset's rows for the clinic and filters, before ordering and column selection."""
        raise NotImplementedError

    # --- the base ---------------------------------------------------------------------------------

    def columns(self) -> list[Column]:
        if self.context.identified:
            return [c for c in self.all_columns() if c.kind is not Kind.PSEUDONYM]
        return [c for c in self.all_columns() if not (c.identifying or c.free_text)]

    def header(self) -> list[str]:
        return [column.name for column in self.columns()]

    def values(self, *, sort_keys: bool = False, for_copy: bool = False) -> QuerySet:
        """The query both the Python and the COPY path read: one aliased value per column, in order.

        With ``sort_keys`` the ordering fields come out as extra values ``o0``, ``o1``… for a query
        that wraps this one and has to sort again (a subquery's order is not kept). ``for_copy``
        reads each pseudonym from the COPY path's temporary table instead of the account id.
        """
        columns = self.columns()
        values = {
            f"c{index}": column.resolved_for_copy if for_copy else column.resolved
            for index, column in enumerate(columns)
        }
        if sort_keys:
            values.update({f"o{index}": F(name) for index, name in enumerate(self.ordering)})
        return self.queryset().order_by(*self.ordering).values(**values)

    def count(self) -> int:
        return self.queryset().count()

    def iter_rows(self) -> Iterator[tuple]:
        """The header, then each row as typed, safe values (text neutralised, people pseudonymised)."""
        columns = self.columns()
        yield tuple(column.name for column in columns)
        names = [f"c{index}" for index in range(len(columns))]
        converters = [self._converter(column) for column in columns]
        for row in self.values().iterator(chunk_size=2000):
            yield tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True))

    def _converter(self, column: Column):
        if column.kind is Kind.TEXT:
            return lambda value: neutralise(value) if value else None
        if column.kind is Kind.CODE:
            return lambda value: value or None
        if column.kind is Kind.PSEUDONYM:
            who = column.who
            return lambda value: self.pseudonym(value, who) if value is not None else None
        if column.kind is Kind.DECIMAL:
            step = Decimal(1).scaleb(-column.places) if column.places is not None else None

            def decimal(value):
                if value is None:
                    return None
                number = value if isinstance(value, Decimal) else Decimal(str(value))
                return number.quantize(step) if step is not None else number

            return decimal
        return lambda value: value

    def pseudonym(self, user_id: int, who: Who) -> str:
        cached = self._pseudonyms.get((user_id, who))
        if cached is None:
            cached = self._pseudonyms[(user_id, who)] = pseudonym(user_id, who, key=self.context.pseudonym_key)
        return cached

    def fhir_entries(self, *, people, progress=None):
        """The dataset as FHIR Bundle entries, for datasets whose ``formats`` include "fhir"."""
        raise NotImplementedError(f"{self.title} has no FHIR form")

    def fhir_count(self) -> int:
        """How many top-level items (responses, goals) a FHIR export holds, for its progress bar."""
        raise NotImplementedError(f"{self.title} has no FHIR form")

    def file_stem(self) -> str:
        f = self.filters
        return f"alliance-{self.key.replace('_', '-')}-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}"

    def about(self) -> list[tuple[str, str]]:
        """What a reader of the file needs to know, for the XLSX "About" sheet."""
        return []


def format_datetime(value: datetime, tz) -> str:
    """Clinic-local time to the second with its UTC offset, as PostgreSQL writes it: ``2025-07-01 10:00:00+01``.

    (ISO 8601; the offset has minutes only when they are not zero, e.g. ``+05:30``.)
    """
    local = value.astimezone(tz)
    offset = int(local.utcoffset().total_seconds())
    sign, offset = ("-", -offset) if offset < 0 else ("+", offset)
    hours, minutes = offset // 3600, offset % 3600 // 60
    zone = f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")
    return f"{local:%Y-%m-%d %H:%M:%S}{zone}"


def format_csv_value(value, kind: Kind, *, tz) -> str:
    """One typed value as CSV text, exactly as the COPY path's SQL formats it."""
    if value is None:
        return ""
    if kind is Kind.DATETIME:
        return format_datetime(value, tz)
    if kind is Kind.BOOL:
        return "true" if value else "false"
    return str(value)


def csv_field(text: str) -> str:
    """Quote like PostgreSQL's CSV output: only when the text holds a comma, quote, CR or LF.

    (Python's csv module leaves a lone CR unquoted when lines end in LF, which breaks readers.)
    """
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: list[str]) -> str:
    return ",".join(csv_field(value) for value in values) + "\n"


def local_naive(value: datetime, tz) -> datetime:
    """Spreadsheets have no time zones: clinic-local wall-clock time."""
    return value.astimezone(tz).replace(tzinfo=None)
