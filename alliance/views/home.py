"""The home page for each role, and a clinician's page about one patient."""

from __future__ import annotations

import logging

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from alliance.forms.alerts import AlertNoteForm
from alliance.selectors import alerts as alert_selectors
from alliance.selectors import checkins as checkin_selectors
from alliance.selectors.record import record_attention_for_clinician, record_counts_annotate, record_prompts_for_patient
from alliance.views.progress import progress_context
from patients.decorators import clinician_required
from patients.models import Role
from patients.selectors import care_team_for_patient, patient_get, people_for_admin
from sessions.models import SessionStatus
from sessions.selectors import (
    agenda_waiting_for_patient,
    care_sessions_awaiting_outcome,
    care_sessions_for_user,
    care_sessions_past,
    care_sessions_upcoming,
    caseload_with_next_session,
    home_plan_today,
    latest_record_for_patient,
)
from sessions.services.plans import patient_today

logger = logging.getLogger(__name__)


def home(request):
    role = request.user.role
    if role == Role.PATIENT:
        return _patient_home(request)
    if role == Role.CLINICIAN:
        return _clinician_home(request)
    if role == Role.CLINIC_ADMIN:
        return _admin_home(request)
    return render(request, "no_role.html", status=403)


def _patient_home(request):
    patient = request.user.patient
    upcoming = list(care_sessions_upcoming(user=request.user)[:5])
    target = checkin_selectors.checkin_target_session(patient=patient)
    context = {
        "next_session": upcoming[0] if upcoming else None,
        "upcoming": upcoming[1:],
        "recent": care_sessions_past(user=request.user)[:5],
        "plan_items": home_plan_today(patient=patient, today=patient_today(patient=patient)),
        "last_record": latest_record_for_patient(patient=patient),
        "agenda_waiting": [] if upcoming else agenda_waiting_for_patient(patient=patient),
        "checkin_target": target,
        "checked_in": checkin_selectors.checkin_for_session(patient=patient, care_session=target),
        "record_prompts": record_prompts_for_patient(user=request.user),
    }
    return render(request, "alliance/home/patient.html", context)


def _clinician_home(request):
    awaiting = care_sessions_awaiting_outcome(user=request.user).filter(clinician=request.user.clinician)
    context = {
        "caseload": alert_selectors.caseload_annotate_alliance(caseload_with_next_session(user=request.user)),
        "awaiting_outcome": awaiting[:20],
        "open_alerts": alert_selectors.alerts_open_for_user(user=request.user)[:20],
        "to_rate": checkin_selectors.sessions_to_rate(user=request.user)[:20],
        "record_attention": record_attention_for_clinician(user=request.user),
    }
    return render(request, "alliance/home/clinician.html", context)


def _admin_home(request):
    everyone = list(people_for_admin(user=request.user))
    patients = [p for p in everyone if p.role == Role.PATIENT]
    clinicians = [p for p in everyone if p.role == Role.CLINICIAN]
    context = {
        "clinic": request.user.clinic,
        "patients": patients,
        "clinicians": clinicians,
        "without_care_team": [p for p in patients if p.is_active and p.care_team_size == 0],
        "not_joined": [p for p in everyone if p.is_active and not p.has_joined],
        "counts": care_sessions_for_user(user=request.user).aggregate(
            upcoming=Count("pk", filter=Q(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())),
        ),
    }
    return render(request, "alliance/home/admin.html", context)


@clinician_required
def patient_detail(request, pk):
    patient = patient_get(user=request.user, pk=pk)
    context = {
        "patient": patient,
        "care_team": care_team_for_patient(patient=patient),
        "upcoming": care_sessions_upcoming(user=request.user).filter(patient=patient)[:10],
        "past": care_sessions_past(user=request.user).filter(patient=patient)[:20],
        "alerts": alert_selectors.alerts_for_patient(user=request.user, patient=patient)[:50],
        "to_rate": checkin_selectors.sessions_to_rate(user=request.user).filter(patient=patient)[:10],
        "note_form": AlertNoteForm(),
        **progress_context(patient=patient, include_clinician=True, invite=False, you="Patient's check-ins"),
        "record_counts": record_counts_annotate(type(patient).objects.filter(pk=patient.pk)).get(),
    }
    return render(request, "alliance/home/patient_detail.html", context)
