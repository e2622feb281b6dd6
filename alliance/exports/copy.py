"""CSV through PostgreSQL's COPY: the dataset's own query, formatted in SQL, straight to the file.

Rows never pass through Python objects, which makes this several times faster than a cursor loop
(see bench/export.py) with memory that does not grow. Each column kind is formatted exactly as
``alliance.exports.base.format_csv_value`` and ``neutralise`` do it in Python:

- text that could start a formula gets a leading apostrophe; empty text is written as nothing;
- codes, numbers and pseudonyms are written as they are;
- date-times are PostgreSQL's ISO output to the second in the clinic's time zone, set for the
  transaction: ``2025-07-01 10:00:00+01``;
- yes/no is ``true``/``false``;
- pseudonyms come from a temporary table of HMACs made in Python for the clinic's people (PostgreSQL
  has no HMAC without the pgcrypto extension), joined through the unmanaged ``ExportPseudonym``.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from django.db import connection, transaction
from django.db.models import Q

from alliance.exports.base import FORMULA_TRIGGERS, Dataset, Kind, Who, csv_line, pseudonym
from alliance.models import ExportPseudonym
from patients.models import User

PEOPLE_TABLE = ExportPseudonym._meta.db_table


def _literal(char: str) -> str:
    return f"chr({ord(char)})" if not char.isprintable() else "'" + char.replace("'", "''") + "'"


TRIGGERS_SQL = ", ".join(_literal(char) for char in FORMULA_TRIGGERS)


def _format(kind: Kind, ref: str) -> str:
    if kind is Kind.TEXT:
        return f"NULLIF(CASE WHEN left({ref}, 1) IN ({TRIGGERS_SQL}) THEN '''' || {ref} ELSE {ref} END, '')"
    if kind is Kind.DATETIME:
        # PostgreSQL's own ISO output in the session's (the clinic's) time zone, to the second.
        return f"date_trunc('second', {ref})::text"
    if kind is Kind.BOOL:
        return f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END"
    # Codes are never empty; numbers and pseudonyms COPY writes as they are.
    return ref


class _RowCounter:
    """The file COPY writes into: psycopg2 hands over one row per ``write``."""

    def __init__(self, out: BinaryIO, progress, every: int):
        self.out, self.progress, self.every = out, progress, every
        self.rows = 0

    def write(self, data) -> int:
        self.out.write(data)
        self.rows += 1
        if self.progress is not None and self.rows % self.every == 0:
            self.progress(self.rows)
        return len(data)


def copy_sql(dataset: Dataset) -> tuple[str, list]:
    """The SELECT that COPY runs: the dataset's query, each column formatted as the CSV needs it.

    Pseudonyms are joined inside the dataset's query (through ``ExportPseudonym``, the temporary
    table), next to each person's row, rather than looked up once per output row.
    """
    columns = dataset.columns()
    inner, params = dataset.values(sort_keys=True, for_copy=True).order_by().query.sql_with_params()
    selects = [_format(column.kind, f'q."c{index}"') for index, column in enumerate(columns)]
    order = ", ".join(f'q."o{index}"' for index in range(len(dataset.ordering)))
    # Only names this module makes up go into the SQL; every value is a parameter.
    sql = f"SELECT {', '.join(selects)} FROM ({inner}) q ORDER BY {order}"  # noqa: S608
    return sql, list(params)


def _load_people(cursor, dataset: Dataset) -> None:
    clinic = dataset.filters.clinic
    # Dropped first: inside an outer transaction (a test, or two exports in one request) ON COMMIT
    # has not come round yet.
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{PEOPLE_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {PEOPLE_TABLE} (user_id bigint PRIMARY KEY, patient text, staff text) ON COMMIT DROP"
    )
    ids = (
        User.objects.filter(Q(patient__clinic=clinic) | Q(clinician__clinic=clinic) | Q(clinic_admin__clinic=clinic))
        .values_list("pk", flat=True)
        .iterator(chunk_size=5000)
    )
    key = dataset.context.pseudonym_key
    batch = io.StringIO()
    for count, user_id in enumerate(ids, start=1):
        patient, staff = pseudonym(user_id, Who.PATIENT, key=key), pseudonym(user_id, Who.STAFF, key=key)
        batch.write(f"{user_id}\t{patient}\t{staff}\n")
        if count % 5000 == 0:
            batch.seek(0)
            cursor.copy_expert(f"COPY {PEOPLE_TABLE} FROM STDIN", batch)
            batch = io.StringIO()
    batch.seek(0)
    cursor.copy_expert(f"COPY {PEOPLE_TABLE} FROM STDIN", batch)
    cursor.execute(f"ANALYZE {PEOPLE_TABLE}")


def copy_csv(dataset: Dataset, out: BinaryIO, *, progress=None, every: int = 5000) -> int:
    """Write the dataset as CSV through COPY; returns the number of rows."""
    columns = dataset.columns()
    out.write(csv_line([column.name for column in columns]).encode())
    sql, params = copy_sql(dataset)
    counter = _RowCounter(out, progress, every)
    # This one query runs for seconds over a million rows, so it is worth planning in full: the
    # datasets join more tables than PostgreSQL's defaults plan exhaustively (8), and past them it
    # keeps the written join order, which looks up each pseudonym per output row instead of per
    # person. Compiling it just in time costs more than it saves. Times are in the clinic's zone.
    settings = {
        "TimeZone": dataset.filters.clinic.timezone,
        "join_collapse_limit": "20",
        "from_collapse_limit": "20",
        "geqo_threshold": "20",
        "jit": "off",
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Set for this transaction only, and put back afterwards: inside a caller's transaction (a
        # test, seed_demo) "this transaction" outlives the export, and Django reads times in UTC.
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(settings)), list(settings))
        before = dict(zip(settings, cursor.fetchone(), strict=True))
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        try:
            people = any(column.kind is Kind.PSEUDONYM for column in columns)
            if people:
                _load_people(cursor, dataset)
            statement = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", counter)
            if people:
                cursor.execute(f"DROP TABLE pg_temp.{PEOPLE_TABLE}")
        finally:
            for name, value in before.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    return counter.rows
