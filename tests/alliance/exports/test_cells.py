"""No cell of any export can run as a formula: data rows, headers, the About sheet and every name in them.

Everything a person can name or type is made to start with a formula (a clinician's display name,
patients' names, the clinic's name, questionnaire names and item text, notes), then every dataset is
exported in every spreadsheet format, identified and de-identified, and every cell is read back.
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat
from openpyxl import load_workbook

from alliance.exports import DATASETS, ExportContext
from alliance.exports.base import FORMULA_TRIGGERS
from alliance.exports.render import render
from alliance.models import Alert, CheckIn, Instrument, InstrumentVersion
from patients.models import AuditEvent, AuditKind, Clinic, User
from tests.alliance.reports.data import build_quarter

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","click")'


def _everything_starts_with_a_formula(quarter) -> None:
    User.objects.update(full_name=Concat(Value(FORMULA), F("full_name")))
    Clinic.objects.filter(pk=quarter.cast.riverside.pk).update(name=FORMULA + " Riverside")
    Instrument.objects.update(name=Concat(Value("=1+1 "), F("name")))
    for version in InstrumentVersion.objects.all():
        definition = version.definition
        for item in definition["items"]:
            item["text"] = "@SUM(A1:A9) " + item["text"]
        InstrumentVersion.objects.filter(pk=version.pk).update(definition=definition)
    CheckIn.objects.update(note="+cmd|' /C calc'!A0")
    # The audit trail: an entry in the quarter whose words start with a formula too.
    cast = quarter.cast
    AuditEvent.objects.create(
        at=datetime(2025, 2, 3, 10, tzinfo=UTC),
        kind=AuditKind.READ,
        actor=cast.bob.user,
        actor_role="clinician",
        patient=cast.alice,
        clinic=cast.riverside,
        page="alliance:record",
        path="/=1+1/",
        detail=FORMULA,
    )
    Alert.objects.update(acknowledge_note="-2+3", resolve_note="\t=1+1")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _export(key, fmt, quarter, *, identified):
    quarter.cast.riverside.refresh_from_db()
    quarter.cast.carol.user.refresh_from_db()
    filters = quarter.filters(clinic=quarter.cast.riverside, clinician=quarter.cast.carol)
    out = io.BytesIO()
    render(DATASETS[key](ExportContext(filters=filters, identified=identified)), fmt, out)
    return out.getvalue()


CASES = [(key, identified) for key in DATASETS for identified in (True, False)]


@pytest.mark.parametrize(
    ("key", "identified"), CASES, ids=[f"{k}-{'identified' if i else 'deidentified'}" for k, i in CASES]
)
def test_no_cell_of_any_xlsx_sheet_is_a_formula(cast, key, identified):
    quarter = build_quarter(cast)
    _everything_starts_with_a_formula(quarter)
    workbook = load_workbook(io.BytesIO(_export(key, "xlsx", quarter, identified=identified)))
    assert "About this export" in workbook.sheetnames
    checked = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value:
                    checked += 1
                    assert not cell.value.startswith(FORMULA_TRIGGERS), f"{sheet.title}!{cell.coordinate}"
    about = {row[0].value: row[1].value for row in workbook["About this export"].iter_rows() if row[0].value}
    assert about["Clinician"] == "'" + FORMULA + "Carol Clarke", "the filter's own description is neutralised"
    assert about["Clinic"] == "'" + FORMULA + " Riverside"
    assert checked > 20


@pytest.mark.parametrize(
    ("key", "identified"), CASES, ids=[f"{k}-{'identified' if i else 'deidentified'}" for k, i in CASES]
)
def test_no_field_of_any_csv_export_can_start_a_formula(cast, key, identified):
    quarter = build_quarter(cast)
    _everything_starts_with_a_formula(quarter)
    rows = list(csv.reader(io.StringIO(_export(key, "csv", quarter, identified=identified).decode())))
    assert len(rows) > 1
    for line, row in enumerate(rows, start=1):
        for field in row:
            if field and not _is_number(field):
                assert not field.startswith(FORMULA_TRIGGERS), f"line {line}: {field!r}"
    if identified and key != "sessions":
        assert any(field.startswith("'" + FORMULA) for row in rows for field in row), "the names were exported"
