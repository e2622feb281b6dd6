"""The export base: a dataset is a class that yields rows, header first (after pretix's exporters).

A dataset declares its columns once. Each column is an ORM expression plus a *kind* (text, code,
whole number, decimal, date-time, yes/no, pseudonym) and says whether it is free text or identifies a
person. From that one declaration ``Dataset.iter_rows()`` reads the rows through a server-side cursor
and yields the header and then typed, safe Python values: text neutralised against formulas, people
pseudonymised, decimals to their places. The CSV and XLSX renderers (``alliance.exports.render``) turn
those values into files; nothing else reads the rows.

De-identified exports drop every column marked ``identifying`` or ``free_text`` and put in its place
the ``pseudonym`` columns: a stable id per person, an HMAC of their account id keyed on
``PSEUDONYM_KEY``, so the same patient has the same id in every export and nobody without the key can
reverse it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Callable, Iterator, Sequence
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

#: Rows fetched from the server-side cursor at a time.
ROWS_AT_ONCE = 2000


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
    #: For DECIMAL columns: the decimal places every value is written with ("4.00"), whatever the
    #: expression gives (a rounded or averaged number may come back as 4 or 4.0).
    places: int | None = None

    def __post_init__(self):
        if (self.kind is Kind.PSEUDONYM) != (self.who is not None):
            raise ValueError(f"{self.name}: pseudonym columns, and only they, say whose pseudonym they are")

    @property
    def resolved(self):
        return F(self.expression) if isinstance(self.expression, str) else self.expression


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
        self._pseudonyms = {who: Pseudonyms(who, key=context.pseudonym_key) for who in Who}

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

    def values(self) -> QuerySet:
        """The rows' query, in the dataset's order: a tuple per row, one value per column."""
        expressions = {f"c{index}": column.resolved for index, column in enumerate(self.columns())}
        return self.queryset().order_by(*self.ordering).annotate(**expressions).values_list(*expressions)

    def count(self) -> int:
        return self.queryset().count()

    def iter_rows(self) -> Iterator[Sequence]:
        """The header, then each row as typed, safe values (text neutralised, people pseudonymised).

        The rows come through a server-side cursor, ``ROWS_AT_ONCE`` at a time, so memory stays flat
        whatever the number of rows. Outside a transaction (the export task) PostgreSQL keeps the
        cursor's rows for it (``WITH HOLD``), so the task can write its progress on the same
        connection as it goes. Only the columns that need it are converted.
        """
        columns = self.columns()
        yield tuple(column.name for column in columns)
        converters = [(index, self._converter(column)) for index, column in enumerate(columns)]
        converters = [(index, convert) for index, convert in converters if convert is not None]
        for values in self.values().iterator(chunk_size=ROWS_AT_ONCE):
            row = list(values)
            for index, convert in converters:
                row[index] = convert(row[index])
            yield row

    def _converter(self, column: Column) -> Callable[[Any], Any] | None:
        """What turns the database's value into the cell's, or None when it is the cell already."""
        if column.kind in (Kind.TEXT, Kind.CODE):
            # Codes are the app's own words, but keys of a clinic's questionnaire came from outside:
            # every text cell goes through the same neutralising.
            return _safe_text
        if column.kind is Kind.PSEUDONYM:
            return self._pseudonyms[column.who].__getitem__
        if column.kind is Kind.DECIMAL:
            step = Decimal(1).scaleb(-column.places) if column.places is not None else None

            def decimal(value):
                if value is None:
                    return None
                number = value if isinstance(value, Decimal) else Decimal(str(value))
                return number.quantize(step) if step is not None else number

            return decimal
        return None

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


def _safe_text(value: str | None) -> str | None:
    return neutralise(value) if value else None


class Pseudonyms(dict):
    """People's pseudonyms of one kind, each worked out once: ``table[user_id]``; ``table[None]`` is None."""

    def __init__(self, who: Who, *, key: str):
        super().__init__({None: None})
        self.who, self.key = who, key

    def __missing__(self, user_id: int) -> str:
        value = self[user_id] = pseudonym(user_id, self.who, key=self.key)
        return value


def local_naive(value: datetime, tz) -> datetime:
    """Spreadsheets have no time zones: clinic-local wall-clock time."""
    return value.astimezone(tz).replace(tzinfo=None)
