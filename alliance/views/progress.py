"""Progress: charts, tables and plain sentences about a patient's own check-ins."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from alliance.selectors import progress as selectors
from alliance.selectors.progress import progress_sentences
from alliance.views import charts
from patients.decorators import patient_required


def progress_context(*, patient, include_clinician: bool, invite: bool, you: str) -> dict:
    """Charts, tables and sentences for one patient's progress, shared by both sides' pages."""
    progress = selectors.progress_for_patient(patient=patient, include_clinician=include_clinician)
    alliance_series = [charts.Series(you, [(p.at, p.value) for p in progress.patient_alliance])]
    if include_clinician and progress.clinician_alliance:
        alliance_series.append(
            charts.Series(_("Clinician's rating"), [(p.at, p.value) for p in progress.clinician_alliance])
        )
    pain_series = [charts.Series(s.text, [(p.at, p.value) for p in s.points]) for s in progress.pain_items]
    low, high = progress.alliance_range
    return {
        "progress": progress,
        "summaries": progress_sentences(progress, invite=invite),
        "alliance_chart": charts.line_chart(
            chart_id="alliance-chart",
            title=_("Alliance check-ins over time"),
            description=_("Totals from %(low)s to %(high)s; higher means the working relationship feels stronger.")
            % {"low": f"{low:g}", "high": f"{high:g}"},
            series=alliance_series,
            y_min=low,
            y_max=high,
            threshold=progress.alliance_threshold,
            threshold_label=_("worth a conversation below this line") if progress.alliance_threshold else "",
        ),
        "alliance_legend": charts.legend(alliance_series),
        "pain_chart": charts.line_chart(
            chart_id="pain-chart",
            title=_("Pain check over time"),
            description=_("Each question from 0 to 10; lower means pain is getting in the way less."),
            series=pain_series,
            y_min=progress.pain_range[0],
            y_max=progress.pain_range[1],
        ),
        "pain_legend": charts.legend(pain_series),
        "alliance_rows": _alliance_rows(progress),
        "pain_rows": _pain_rows(progress),
    }


def _alliance_rows(progress) -> list[dict]:
    by_session = {p.care_session_id: p for p in progress.clinician_alliance if p.care_session_id}
    rows = []
    for point in progress.patient_alliance:
        clinician = by_session.pop(point.care_session_id, None) if point.care_session_id else None
        rows.append({"at": point.at, "patient": point.value, "clinician": clinician.value if clinician else None})
    rows.extend({"at": p.at, "patient": None, "clinician": p.value} for p in by_session.values())
    return sorted(rows, key=lambda row: row["at"], reverse=True)


def _pain_rows(progress) -> list[dict]:
    rows: dict = {}
    for series in progress.pain_items:
        for point in series.points:
            rows.setdefault(point.at, {"at": point.at, "values": {}})["values"][series.key] = point.value
    totals = {p.at: p.value for p in progress.pain_total}
    result = []
    for at, row in sorted(rows.items(), reverse=True):
        row["cells"] = [(series.text, row["values"].get(series.key)) for series in progress.pain_items]
        row["total"] = totals.get(at)
        result.append(row)
    return result


@patient_required
def progress(request):
    context = progress_context(
        patient=request.user.patient, include_clinician=False, invite=True, you=_("Your check-ins")
    )
    return render(request, "alliance/progress/progress.html", context)
