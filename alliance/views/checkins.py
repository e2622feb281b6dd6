"""The patient's check-in and the clinician's rating of a session."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from alliance.forms.checkins import CheckInForm, RatingForm
from alliance.models import Purpose, Respondent
from alliance.selectors import checkins as selectors
from alliance.selectors.instruments import instrument_current, instruments_current
from alliance.services.checkins import AlreadyCheckedIn, AlreadyRated, checkin_submit, clinician_rating_submit
from patients.decorators import clinician_required, patient_required
from patients.forms import form_save
from patients.resume import resume_form
from patients.selectors import urgent_help_for
from patients.urgent_help import next_working_day
from sessions.models import SessionStatus
from sessions.selectors import care_session_get, care_session_get_for_patient


def _checkin_form(request) -> CheckInForm:
    """The check-in form as the patient's clinic asks it today (unbound)."""
    versions = instruments_current(
        clinic=request.user.patient.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
    )
    return CheckInForm(alliance_version=versions[Purpose.ALLIANCE], pain_version=versions[Purpose.PAIN])


@resume_form(lambda request, **kwargs: _checkin_form(request))
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
            return render(request, "alliance/checkins/already.html", {"checkin": existing})
    versions = instruments_current(
        clinic=patient.clinic, respondent=Respondent.PATIENT, purposes=(Purpose.ALLIANCE, Purpose.PAIN)
    )
    form = CheckInForm(
        request.POST or None, alliance_version=versions[Purpose.ALLIANCE], pain_version=versions[Purpose.PAIN]
    )
    try:
        saved = request.method == "POST" and form_save(
            form,
            lambda data: checkin_submit(
                patient=patient,
                care_session=target,
                alliance_answers=form.answers("alliance"),
                pain_answers=form.answers("pain"),
                note=data["note"],
                versions=versions,
            ),
        )
    except AlreadyCheckedIn as already:
        return render(request, "alliance/checkins/already.html", {"checkin": already.checkin})
    if saved:
        return redirect("alliance:checkin-done", pk=saved.value.checkin.pk)
    if request.method == "POST":
        # A second try for an appointment already checked in for is told so, whatever it holds.
        existing = selectors.checkin_for_session(patient=patient, care_session=target)
        if existing is not None:
            return render(request, "alliance/checkins/already.html", {"checkin": existing})
    context = {
        "form": form,
        "target": target,
        "alliance_groups": form.groups("alliance"),
        "pain_groups": form.groups("pain"),
        "alliance_version": versions[Purpose.ALLIANCE],
        "answers_missing": any(name != NON_FIELD_ERRORS for name in form.errors),
    }
    return render(request, "alliance/checkins/checkin.html", context, status=400 if form.errors else 200)


@patient_required
def checkin_done(request, pk):
    checkin = selectors.checkin_get(user=request.user, pk=pk)
    # The same rule that raised an alert for the care team (a very low answer or total, or a big drop)
    # brings the clinic's urgent help onto this page. A note is shown it too: nobody can tell from here
    # whether what was written can wait, and nobody reads it until clinic hours.
    talk_through = checkin.alliance_response.alerts.exists()
    read_by = next_working_day(checkin.submitted_at, timezone_name=request.user.clinic.timezone)
    appointment = checkin.care_session
    context = {
        "checkin": checkin,
        "talk_through": talk_through,
        "urgent": urgent_help_for(user=request.user) if talk_through or checkin.note else None,
        "read_by": read_by,
        # An appointment on or before that day: "before your appointment" already says when.
        "appointment_first": appointment is not None and timezone.localdate(appointment.starts_at) <= read_by,
    }
    return render(request, "alliance/checkins/done.html", context)


@clinician_required
@require_http_methods(["GET", "POST"])
def rating(request, pk):
    care_session = care_session_get(user=request.user, pk=pk)
    patient = care_session.patient
    if care_session.status == SessionStatus.CANCELLED or care_session.starts_at > timezone.now():
        # Nothing to rate yet: say so rather than offer a form that can only be refused.
        when = date_format(timezone.localtime(care_session.starts_at), "WEEKDAY_DAY_TIME_FORMAT")
        text = (
            _("This session was cancelled, so there's nothing to rate.")
            if care_session.status == SessionStatus.CANCELLED
            else _("You can rate this session once it has started (%(when)s).") % {"when": when}
        )
        messages.info(request, text)
        return redirect("alliance:patient", pk=patient.pk)
    version = instrument_current(clinic=patient.clinic, purpose=Purpose.ALLIANCE, respondent=Respondent.CLINICIAN)
    form = RatingForm(request.POST or None, version=version)
    try:
        saved = request.method == "POST" and form_save(
            form,
            lambda data: clinician_rating_submit(
                clinician=request.user.clinician, care_session=care_session, answers=form.answers("rating")
            ),
        )
    except AlreadyRated:
        messages.info(request, _("You've already rated this session. Ratings aren't changed once they're in."))
        return redirect("alliance:patient", pk=patient.pk)
    if saved:
        _rating, alerts = saved.value
        if alerts:
            messages.warning(
                request,
                ngettext(
                    "Thank you. Your rating raised %(count)s thing(s) to talk through; see below.",
                    "Thank you. Your rating raised %(count)s thing(s) to talk through; see below.",
                    len(alerts),
                )
                % {"count": len(alerts)},
            )
        else:
            messages.success(request, _("Thank you, your rating is saved."))
        return redirect("alliance:patient", pk=patient.pk)
    context = {
        "form": form,
        "care_session": care_session,
        "groups": form.groups("rating"),
        "version": version,
        "answers_missing": any(name != NON_FIELD_ERRORS for name in form.errors),
    }
    return render(request, "alliance/checkins/rating.html", context, status=400 if form.errors else 200)
