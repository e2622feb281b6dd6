"""Check-ins, clinician ratings, alerts, progress and instruments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from alliance import charts
from alliance.forms import AlertNoteForm, CheckInForm, InstrumentImportForm, RatingForm
from alliance.models import Purpose, Respondent
from alliance.selectors import checkins as selectors
from alliance.selectors.checkins import CheckInTarget
from alliance.services.alerts import alert_acknowledge, alert_resolve
from alliance.services.checkins import AlreadyCheckedIn, AlreadyRated, checkin_submit, clinician_rating_submit
from alliance.services.measures import instrument_current, instrument_import, instruments_current
from alliance.summaries import change_sentence
from patients.decorators import clinic_admin_required, clinician_required, patient_required
from patients.forms import apply_errors
from sessions.models import CareSession
from sessions.selectors import care_session_get, care_session_get_for_patient

# --- the patient's check-in -------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    patient = request.user.patient
    if request.method == "POST":
        # A check-in belongs to the appointment the page was shown for (only the patient's own can
        # be named), or stands alone if none was, as the page told them.
        if "session" in request.POST:
            posted = request.POST["session"]
        else:
            current = selectors.checkin_target_session(patient=patient)
            posted = current.pk if current else ""
        target = care_session_get_for_patient(patient=patient, pk=posted) if posted else None
    else:
        target = selectors.checkin_target_session(patient=patient)
        existing = selectors.checkin_for_session(patient=patient, care_session=target)
        if existing is not None:
            return render(request, "alliance/checkin_already.html", {"checkin": existing})
    versions = instruments_current(
        clinic=patient.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
    )
    form = CheckInForm(
        request.POST or None, alliance_version=versions[Purpose.ALLIANCE], pain_version=versions[Purpose.PAIN]
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = checkin_submit(
                patient=patient,
                care_session=target,
                alliance_answers=form.answers("alliance"),
                pain_answers=form.answers("pain"),
                note=form.cleaned_data["note"],
                versions=versions,
            )
        except AlreadyCheckedIn as already:
            return render(request, "alliance/checkin_already.html", {"checkin": already.checkin})
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("alliance:checkin-done", pk=result.checkin.pk)
    if request.method == "POST":
        # A second try for an appointment already checked in for is told so, whatever it holds.
        existing = selectors.checkin_for_session(patient=patient, care_session=target)
        if existing is not None:
            return render(request, "alliance/checkin_already.html", {"checkin": existing})
    context = {
        "form": form,
        "target": CheckInTarget.from_session(target) if isinstance(target, CareSession) else target,
        "alliance_groups": form.groups("alliance"),
        "pain_groups": form.groups("pain"),
        "alliance_version": versions[Purpose.ALLIANCE],
    }
    return render(request, "alliance/checkin.html", context, status=400 if form.errors else 200)


@patient_required
def checkin_done(request, pk):
    checkin = selectors.checkin_get(user=request.user, pk=pk)
    talk_through = checkin.alliance_response.alerts.exists()
    return render(request, "alliance/checkin_done.html", {"checkin": checkin, "talk_through": talk_through})


# --- the clinician's rating -------------------------------------------------------------------


@clinician_required
@require_http_methods(["GET", "POST"])
def rating(request, pk):
    care_session = care_session_get(user=request.user, pk=pk)
    patient = care_session.patient
    version = instrument_current(clinic=patient.clinic, purpose=Purpose.ALLIANCE, respondent="clinician")
    form = RatingForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            _, alerts = clinician_rating_submit(
                clinician=request.user.clinician, care_session=care_session, answers=form.answers("rating")
            )
        except AlreadyRated:
            messages.info(request, "You've already rated this session. Ratings aren't changed once they're in.")
            return redirect("alliance:patient", pk=patient.pk)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if alerts:
                messages.warning(
                    request, f"Thank you. Your rating raised {len(alerts)} thing(s) to talk through; see below."
                )
            else:
                messages.success(request, "Thank you, your rating is saved.")
            return redirect("alliance:patient", pk=patient.pk)
    context = {"form": form, "care_session": care_session, "groups": form.groups("rating"), "version": version}
    return render(request, "alliance/rating.html", context, status=400 if form.errors else 200)


# --- alerts ------------------------------------------------------------------------------------


def _alert_action(request, pk, action, done_message):
    alert = selectors.alert_get(user=request.user, pk=pk)
    form = AlertNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please keep the note under 2,000 characters; nothing was changed.")
        return redirect("alliance:patient", pk=alert.patient_id)
    action(alert=alert, by=request.user, note=form.cleaned_data["note"])
    messages.success(request, done_message)
    return redirect("alliance:patient", pk=alert.patient_id)


@clinician_required
@require_POST
def alert_acknowledge_view(request, pk):
    return _alert_action(request, pk, alert_acknowledge, "Noted. It stays on the list until you've talked it through.")


@clinician_required
@require_POST
def alert_resolve_view(request, pk):
    return _alert_action(request, pk, alert_resolve, "Marked as talked through.")


# --- progress ----------------------------------------------------------------------------------


def progress_context(*, patient, include_clinician: bool, invite: bool, you: str) -> dict:
    """Charts, tables and sentences for one patient's progress, shared by both sides' pages."""
    progress = selectors.progress_for_patient(patient=patient, include_clinician=include_clinician)
    alliance_series = [charts.Series(you, [(p.at, p.value) for p in progress.patient_alliance])]
    if include_clinician and progress.clinician_alliance:
        alliance_series.append(
            charts.Series("Clinician's rating", [(p.at, p.value) for p in progress.clinician_alliance])
        )
    pain_series = [charts.Series(s.text, [(p.at, p.value) for p in s.points]) for s in progress.pain_items]
    low, high = progress.alliance_range
    summaries = []
    if progress.patient_alliance:
        summaries.append(
            change_sentence(
                "Your alliance check-in total" if invite else "The patient's alliance total",
                progress.patient_alliance,
                lower_is_better=False,
                out_of=high,
                invite=invite,
            )
        )
    for series in progress.pain_items:
        summaries.append(change_sentence(series.text, series.points, lower_is_better=True, invite=invite))
    return {
        "progress": progress,
        "summaries": [s for s in summaries if s],
        "alliance_chart": charts.line_chart(
            chart_id="alliance-chart",
            title="Alliance check-ins over time",
            description=f"Totals from {low:g} to {high:g}; higher means the working relationship feels stronger.",
            series=alliance_series,
            y_min=low,
            y_max=high,
            threshold=progress.alliance_threshold,
            threshold_label="worth a conversation below this line" if progress.alliance_threshold else "",
        ),
        "alliance_legend": charts.legend(alliance_series),
        "pain_chart": charts.line_chart(
            chart_id="pain-chart",
            title="Pain check over time",
            description="Each question from 0 to 10; lower means pain is getting in the way less.",
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
    context = progress_context(patient=request.user.patient, include_clinician=False, invite=True, you="Your check-ins")
    return render(request, "alliance/progress.html", context)


# --- instruments (clinic admins) -----------------------------------------------------------------


@clinic_admin_required
def instruments(request):
    return render(
        request, "alliance/instruments.html", {"instruments": selectors.instruments_for_admin(user=request.user)}
    )


@clinic_admin_required
def instrument_detail(request, pk):
    instrument = selectors.instrument_get_for_admin(user=request.user, pk=pk)
    versions = list(instrument.versions.order_by("-number"))
    if not versions:
        raise Http404
    return render(request, "alliance/instrument_detail.html", {"instrument": instrument, "versions": versions})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def instrument_import_view(request):
    form = InstrumentImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = instrument_import(
                clinic=request.user.clinic,
                by=request.user,
                text=form.cleaned_data["definition"],
                activate=form.cleaned_data["activate"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Imported {version.instrument.name}, version {version.number}.")
            return redirect("alliance:instrument", pk=version.instrument_id)
    return render(request, "alliance/instrument_import.html", {"form": form}, status=400 if form.errors else 200)
