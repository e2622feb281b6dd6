"""Clinic reports: every figure on a hand-built quarter (see report_data.py for the workings)."""

import csv
import io
import statistics
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from alliance.exports import DATASETS, ExportContext
from alliance.exports.render import render
from alliance.selectors.filters import DataFilters
from alliance.selectors.reports import Median, Percentile, Share, report_by_clinician, report_overview, report_trends
from alliance.services.checkins import checkin_submit
from sessions.models import CareSession, SessionStatus
from tests.alliance.reports.data import START, at, build_quarter, four, pain
from tests.factories import CareSessionFactory, CareTeamFactory, ClinicianFactory, PatientFactory
from tests.helpers import query_counts_at_1_and_50, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter(cast, settings):
    settings.REPORT_MIN_PATIENTS = 2
    return build_quarter(cast)


def test_the_quarter_raised_the_alerts_the_rules_call_for(quarter):
    from alliance.models import Alert

    riverside = Alert.objects.filter(patient__clinic=quarter.cast.riverside).order_by("raised_at", "pk")
    assert [(a.patient.user.first_name, a.kind) for a in riverside] == [
        ("Alice", "mismatch"),
        ("Frank", "low_total"),
        ("Alice", "drop"),
        ("Sam", "low_total"),
        ("Sam", "low_item"),
        ("Priya", "low_total"),
        ("Priya", "drop"),
    ]


def test_overview_figures_for_the_whole_clinic(quarter):
    report = report_overview(user=quarter.cast.dave.user, filters=quarter.filters())
    c = report.clinic
    # Sessions that happened: alice 3, frank 2 (one cancelled, not counted), priya 2, sam 1.
    assert (c.sessions, c.checked_in, c.session_patients) == (8, 7, 4)
    assert c.rate == Share(7, 8) and c.rate.percent == 88
    # Totals 36, 20, 36 (priya's correction, not her 40), 28, 27, 28 (frank, no session), 32, 23.
    assert (c.responses, c.response_patients) == (8, 4)
    assert c.mean_total == pytest.approx(28.75)
    assert c.median_total == pytest.approx(28.0)
    assert c.below == 3 and c.below_share.percent == 38
    assert (c.alerts_raised, c.alerts_acknowledged, c.alerts_resolved, c.alert_patients) == (7, 5, 2, 4)
    # Acknowledged after 0.5, 1, 2, 4 and 10 hours: the middle one is 2.
    assert c.median_ack_seconds == pytest.approx(7200)
    assert c.median_ack_hours == Decimal("2.0")
    # Pain, latest minus first: alice 5-8 = -3, frank 5-4 = +1, priya 6.67-7 = -0.33; sam has one.
    p = c.pain
    assert (p.patients, p.single) == (3, 1)
    assert (p.much_better, p.better, p.same, p.worse, p.much_worse) == (1, 0, 1, 1, 0)
    assert p.median == pytest.approx(-0.33)
    assert p.mean == pytest.approx(-0.77667, abs=1e-4)
    assert (p.q1, p.q3) == (pytest.approx(-1.665), pytest.approx(0.335))
    assert [label for label, _ in p.buckets] == [
        "Better by 2 points or more",
        "Better by 1 to 2 points",
        "Less than 1 point either way",
        "Worse by 1 to 2 points",
        "Worse by 2 points or more",
    ]
    assert report.scope.threshold == Decimal(28)
    assert report.scope.alliance_range == (Decimal(0), Decimal(40))


def test_clinicians_side_by_side(quarter):
    report = report_by_clinician(user=quarter.cast.dave.user, filters=quarter.filters())
    bob, carol = report.clinicians
    assert (bob.label, carol.label) == ("Bob Baker", "Carol Clarke")
    assert (bob.sessions, bob.checked_in, bob.session_patients) == (5, 5, 2)
    assert (bob.responses, bob.mean_total, bob.median_total, bob.below) == (5, 31.0, 32.0, 1)
    assert (bob.alerts_raised, bob.alerts_acknowledged, bob.alerts_resolved) == (4, 3, 2)
    assert bob.median_ack_seconds == pytest.approx(3600)
    assert (bob.pain.patients, bob.pain.much_better, bob.pain.same) == (2, 1, 1)
    assert bob.pain.median == pytest.approx(-1.665)
    # frank's check-in without an appointment belongs to the clinic, not to carol.
    assert (carol.sessions, carol.checked_in, carol.session_patients) == (3, 2, 2)
    assert (carol.responses, carol.mean_total, carol.median_total, carol.below) == (2, 23.5, 23.5, 2)
    assert (carol.alerts_raised, carol.alerts_acknowledged, carol.alerts_resolved) == (3, 2, 0)
    assert carol.median_ack_seconds == pytest.approx(7 * 3600)
    assert (carol.pain.patients, carol.pain.single) == (0, 2)
    assert not carol.pain_enough


def test_month_by_month(quarter):
    months = report_trends(user=quarter.cast.dave.user, filters=quarter.filters()).months
    assert [m.label for m in months] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    jan, feb, mar = months
    assert (jan.sessions, jan.checked_in, jan.responses) == (3, 3, 3)
    assert (jan.mean_total, jan.median_total, jan.below) == (pytest.approx(30.6667, abs=1e-4), 36.0, 1)
    assert (jan.alerts_raised, jan.alerts_acknowledged, jan.alerts_resolved) == (2, 2, 0)
    assert jan.median_ack_seconds == pytest.approx(2.25 * 3600)
    assert (feb.sessions, feb.checked_in, feb.responses, feb.mean_total, feb.below) == (3, 2, 2, 27.5, 1)
    assert (feb.alerts_raised, feb.alerts_acknowledged, feb.alerts_resolved) == (3, 2, 1)
    # March: sam's last check-in was 1 April in London, though 31 March in UTC.
    assert (mar.sessions, mar.checked_in, mar.responses, mar.median_total, mar.below) == (2, 2, 3, 28.0, 1)
    assert (mar.alerts_raised, mar.alerts_acknowledged, mar.alerts_resolved) == (2, 1, 1)


def test_a_clinician_filter_gives_that_clinicians_figures(quarter):
    cast = quarter.cast
    carol = report_overview(user=cast.dave.user, filters=quarter.filters(clinician=cast.carol)).clinic
    side_by_side = report_by_clinician(user=cast.dave.user, filters=quarter.filters()).clinicians[1]
    for name in ("sessions", "checked_in", "responses", "mean_total", "median_total", "below", "alerts_raised"):
        assert getattr(carol, name) == getattr(side_by_side, name), name


def test_another_questionnaire_is_reported_on_its_own(quarter):
    import json

    from alliance.services.instruments import instrument_import

    definition = {
        "key": "riverside-alliance",
        "name": "Riverside alliance",
        "purpose": "alliance",
        "scale": {"min": 1, "max": 5},
        "items": [{"key": "a", "text": "A question"}, {"key": "b", "text": "Another"}],
        "thresholds": {"total_below": 6},
    }
    cast = quarter.cast
    version = instrument_import(clinic=cast.riverside, by=cast.dave.user, text=json.dumps(definition), activate=False)
    report = report_overview(user=cast.dave.user, filters=quarter.filters(instrument=version.instrument))
    assert report.scope.alliance_instrument == version.instrument
    assert report.scope.alliance_range == (Decimal(2), Decimal(10))
    assert report.scope.threshold == Decimal(6)
    assert report.clinic.responses == 0
    assert report.clinic.sessions == 8  # sessions do not depend on the questionnaire


def test_another_clinics_admin_sees_only_their_clinic(quarter):
    cast = quarter.cast
    report = report_overview(user=cast.erin.user, filters=quarter.filters(clinic=cast.northgate))
    assert (report.clinic.sessions, report.clinic.responses) == (1, 1)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        report_overview(user=cast.erin.user, filters=quarter.filters())
    with pytest.raises(PermissionDenied):
        report_overview(user=cast.bob.user, filters=quarter.filters())


def _csv_rows(dataset_key, filters):
    out = io.BytesIO()
    dataset = DATASETS[dataset_key](ExportContext(filters=filters, identified=False))
    render(dataset, "csv", out)
    return list(csv.DictReader(io.StringIO(out.getvalue().decode())))


@pytest.mark.parametrize("clinician", [None, "bob", "carol"])
def test_the_reports_show_the_same_numbers_as_the_exports(quarter, clinician):
    """Every figure, counted again from the export files the clinic would download."""
    cast = quarter.cast
    filters = quarter.filters(clinician=getattr(cast, clinician) if clinician else None)
    figures = report_overview(user=cast.dave.user, filters=filters).clinic

    sessions = [row for row in _csv_rows("sessions", filters) if row["status"] == SessionStatus.DONE]
    assert figures.sessions == len(sessions)
    assert figures.checked_in == sum(row["checked_in"] == "true" for row in sessions)
    assert figures.session_patients == len({row["patient_pseudonym"] for row in sessions})

    responses = _csv_rows("checkin_responses", filters)
    alliance = [
        row
        for row in responses
        if row["instrument_key"] == "alliance-checkin"
        and row["respondent_role"] == "patient"
        and row["current"] == "true"
        and row["total"]
    ]
    totals = [Decimal(row["total"]) for row in alliance]
    assert figures.responses == len(alliance)
    assert figures.response_patients == len({row["patient_pseudonym"] for row in alliance})
    assert Decimal(str(figures.mean_total)).quantize(Decimal("0.0001")) == (sum(totals) / len(totals)).quantize(
        Decimal("0.0001")
    )
    assert figures.median_total == pytest.approx(float(statistics.median(totals)))
    assert figures.below == sum(row["below_threshold"] == "true" for row in alliance)

    alerts = _csv_rows("alerts", filters)
    assert figures.alerts_raised == len(alerts)
    assert figures.alerts_acknowledged == sum(bool(row["acknowledged_at"]) for row in alerts)
    assert figures.alerts_resolved == sum(bool(row["resolved_at"]) for row in alerts)
    hours = [Decimal(row["hours_to_acknowledge"]) for row in alerts if row["hours_to_acknowledge"]]
    assert figures.median_ack_hours == Decimal(statistics.median(hours)).quantize(Decimal("0.1"))

    pain_rows = sorted(
        (
            row
            for row in responses
            if row["instrument_key"] == "pain-check" and row["current"] == "true" and row["total"]
        ),
        key=lambda row: (row["submitted_at"], int(row["response_id"])),
    )
    by_patient = {}
    for row in pain_rows:
        by_patient.setdefault(row["patient_pseudonym"], []).append(Decimal(row["total"]))
    changes = [totals[-1] - totals[0] for totals in by_patient.values() if len(totals) >= 2]
    assert figures.pain.patients == len(changes)
    assert figures.pain.single == sum(len(t) == 1 for t in by_patient.values())
    assert figures.pain.much_better == sum(change <= -2 for change in changes)
    assert figures.pain.same == sum(-1 < change < 1 for change in changes)
    assert figures.pain.worse == sum(1 <= change < 2 for change in changes)
    if changes:
        assert figures.pain.median == pytest.approx(float(statistics.median(changes)))


def test_pain_change_month_by_month_with_quartiles_interpolated_like_percentile_cont(cast, settings):
    """Four patients' January pain went 8→9→2, 5→4, 3→3 and 2→7; in February one checked in once."""
    settings.REPORT_MIN_PATIENTS = 2
    patients = [PatientFactory(clinic=cast.riverside) for _ in range(4)]
    for patient, scores in zip(patients, ((8, 9, 2), (5, 4), (3, 3), (2, 7)), strict=True):
        for day, score in zip((3, 10, 17), scores, strict=False):  # two checks, or three
            checkin_submit(
                patient=patient,
                care_session=None,
                alliance_answers=four(6),
                pain_answers=pain(score),
                submitted_at=at(1, day, year=2024),
            )
    checkin_submit(
        patient=patients[0],
        care_session=None,
        alliance_answers=four(6),
        pain_answers=pain(1),
        submitted_at=at(2, 5, year=2024),
    )
    filters = DataFilters(clinic=cast.riverside, date_from=date(2024, 1, 1), date_to=date(2024, 2, 29))
    jan, feb = (month.pain for month in report_trends(user=cast.dave.user, filters=filters).months)
    # Changes −6, −1, 0, +5 (lower pain is better): a quarter of the way from −6 to −1, half way from
    # −1 to 0, a quarter of the way from 0 to +5.
    assert (jan.patients, jan.single) == (4, 0)
    assert (jan.q1, jan.median, jan.q3, jan.mean) == (-2.25, -0.5, 1.25, -0.5)
    assert (jan.much_better, jan.better, jan.same, jan.worse, jan.much_worse) == (1, 1, 1, 0, 1)
    assert (feb.patients, feb.single, feb.median) == (0, 1, None)
    # Over both months the first patient went from 8 to 1 in the end: −7.
    whole = report_overview(user=cast.dave.user, filters=filters).clinic.pain
    assert (whole.patients, whole.q1, whole.median, whole.q3) == (4, -2.5, -0.5, 1.25)


def test_the_percentile_aggregate_interpolates_between_the_nearest_values(cast):
    for minutes in (30, 90, 45, 60):
        CareSessionFactory(patient=cast.alice, clinician=cast.bob, duration_minutes=minutes)
    sessions = CareSession.objects.filter(patient=cast.alice).exclude(pk=cast.alice_session.pk)
    figures = sessions.aggregate(q1=Percentile("duration_minutes", 0.25), median=Median("duration_minutes"))
    assert figures == {"q1": 41.25, "median": 52.5}
    assert CareSession.objects.none().aggregate(m=Median("duration_minutes")) == {"m": None}
    with pytest.raises(ValueError, match="between 0 and 1"):
        Percentile("duration_minutes", 1.5)


# --- the pages -------------------------------------------------------------------------------------


@pytest.fixture
def dave(client, cast):
    client.force_login(cast.dave.user)
    return client


QUARTER = {"date_from": "2025-01-01", "date_to": "2025-03-31"}


def test_overview_page_shows_counts_next_to_every_percentage(dave, quarter):
    text = visible_text(dave.get(reverse("alliance:reports"), QUARTER))
    assert "1 Jan 2025 to 31 Mar 2025" in text
    assert "Sessions the patient checked in for 88% (7 of 8 sessions)" in text
    assert "Average (mean) 28.8 out of 40" in text
    assert "Middle value (median) 28 out of 40" in text
    assert "Below the threshold (28) 38% (3 of 8 check-ins)" in text
    assert "Acknowledged so far 71% (5 of 7 alerts)" in text
    assert "Talked through so far 29% (2 of 7 alerts)" in text
    assert "Middle time to acknowledge (median) 2 hours" in text
    assert "Patients with two or more pain checks 3 (1 more with only one)" in text
    assert "Better by 2 points or more 33% (1 of 3 patients)" in text
    assert "Middle change (median) −0.3 points" in text
    assert "Too few to compare" not in text


def test_clinicians_page_and_its_too_few_to_compare(dave, quarter):
    text = visible_text(dave.get(reverse("alliance:report-clinicians"), QUARTER))
    assert (
        "Bob Baker 5 (2 patients) 100% (5 of 5) 31 32 20% (1 of 5) 4 75% (3 of 4) 1 hour 2 −1.7 points 50% (1 of 2)"
        in text
    )
    # carol has no patient with two pain checks.
    assert "Carol Clarke 3 (2 patients) 67% (2 of 3) 23.5 23.5 100% (2 of 2) 3 67% (2 of 3) 7 hours 0" in text
    assert "0 Too few to compare (fewer than 2 patients)" in text


def test_below_the_minimum_a_figure_says_too_few_to_compare(dave, quarter, settings):
    settings.REPORT_MIN_PATIENTS = 3
    overview = visible_text(dave.get(reverse("alliance:reports"), QUARTER))
    assert "88% (7 of 8 sessions)" in overview  # four patients
    assert "Better by 2 points or more 33% (1 of 3 patients)" in overview  # three patients
    clinicians = visible_text(dave.get(reverse("alliance:report-clinicians"), QUARTER))
    assert "Bob Baker 5 (2 patients) 5 of 5 · Too few to compare (fewer than 3 patients)" in clinicians
    assert "%" not in clinicians.split("Bob Baker", 1)[1].split("How these figures")[0]
    settings.REPORT_MIN_PATIENTS = 5
    overview = visible_text(dave.get(reverse("alliance:reports"), QUARTER))
    assert "7 of 8 · Too few to compare (fewer than 5 patients)" in overview
    assert "28.8" not in overview and "38%" not in overview


def test_trends_page_has_a_chart_and_a_table_for_each_measure(dave, quarter):
    response = dave.get(reverse("alliance:report-trends"), QUARTER)
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    assert html.count("<table") == 3
    for chart in ("alliance-trend", "rate-trend", "alerts-trend"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    text = visible_text(response)
    assert "Jan 2025 3 3 30.7 36 33% (1 of 3)" in text
    assert "Feb 2025 3 3 67% (2 of 3)" in text
    # March's alerts are all priya's: one patient is too few for shares or a middle time.
    # Raised 2: 1 still new (not acknowledged), 1 acknowledged, 1 talked through.
    assert "Mar 2025 2 1 1 1 Too few to compare (fewer than 2 patients)" in text


def test_reports_are_for_the_whole_last_year_by_default(dave, cast):
    response = dave.get(reverse("alliance:reports"))
    assert response.status_code == 200
    assert 'name="date_from"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2025-13-01"}, "date_from", "Please enter a real date"),
        ({"date_to": "yesterday"}, "date_to", "Please enter a real date"),
        ({"date_from": "2025-03-01", "date_to": "2025-01-01"}, "date_to", "The end date is before the start date"),
        ({"date_from": "1999-12-31", "date_to": "2000-01-31"}, "date_from", "from 2000 onwards"),
        ({"date_from": "2000-01-01", "date_to": "2025-01-01"}, "date_to", "ten years or less"),
        ({"clinician": "not-a-number"}, "clinician", "Please choose a clinician from the list"),
        ({"instrument": "99999"}, "instrument", "Please choose a questionnaire from the list"),
    ],
)
def test_bad_filters_are_explained_next_to_the_field_and_kept(dave, cast, query, field, message):
    for name in ("alliance:reports", "alliance:report-trends", "alliance:report-clinicians"):
        if name == "alliance:report-clinicians" and field == "clinician":
            continue
        response = dave.get(reverse(name), query)
        assert response.status_code == 400
        html = response.content.decode()
        assert message in visible_text(response)
        assert f'id="error_1_id_{field}"' in html or f"id_{field}" in html
        for value in query.values():
            if field != "clinician" and field != "instrument":
                assert f'value="{value}"' in html, f"the input {value!r} is kept"
        assert "Please fix the filter" in visible_text(response)


def test_another_clinics_clinician_is_not_a_choice(dave, cast):
    response = dave.get(reverse("alliance:reports"), {"clinician": cast.heidi.pk})
    assert response.status_code == 400
    assert "Please choose a clinician from the list" in visible_text(response)


def test_report_pages_have_a_flat_query_count(cast):
    clinicians = []

    def add(n):
        for _ in range(n):
            if len(clinicians) * 10 <= CareSession.objects.count():
                clinicians.append(ClinicianFactory(clinic=cast.riverside))
            patient = PatientFactory(clinic=cast.riverside)
            CareTeamFactory(patient=patient, clinician=clinicians[-1])
            CareSessionFactory(
                patient=patient,
                clinician=clinicians[-1],
                starts_at=cast.alice_session.starts_at.replace(year=2025),
                status=SessionStatus.DONE,
            )

    query = f"?date_from={START.isoformat()}"
    # The budget counts one query for the device of the admin's second step (django-otp, every request).
    query_counts_at_1_and_50(
        add,
        lambda: [
            (cast.dave.user, reverse(name) + query, 14)
            for name in ("alliance:reports", "alliance:report-clinicians", "alliance:report-trends")
        ],
    )
