"""The home page for each role, and a clinician's page about one patient."""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.db.models import Count, Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from alliance.forms.alerts import AlertNoteForm
from alliance.selectors import alerts as alert_selectors
from alliance.selectors import checkins as checkin_selectors
from alliance.selectors.caseload import QUERY_MAX_LENGTH, caseload_identity, caseload_page
from alliance.selectors.news import HOME_LIMIT, whats_new_for
from alliance.selectors.record import (
    ATTENTION_LIMIT,
    record_attention_for_clinician,
    record_counts_annotate,
    record_prompts_for_patient,
)
from alliance.selectors.reviews import review_status_annotate
from alliance.services.news import news_visit_mark
from alliance.views.progress import progress_context
from patients.decorators import clinician_required
from patients.models import Role
from patients.selectors import care_team_for_patient, patient_get, people_rows_for_admin, urgent_help_needs_review
from patients.services import person_changes
from sessions.models import SessionStatus
from sessions.selectors import (
    agenda_waiting_for_patient,
    care_sessions_awaiting_outcome,
    care_sessions_for_user,
    care_sessions_past,
    care_sessions_upcoming,
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
    # A patient's own appointments: only the clinician's name is shown, so only that is joined.
    upcoming = list(
        care_sessions_upcoming(user=request.user).select_related(None).select_related("clinician__user")[:5]
    )
    target = checkin_selectors.checkin_target_session(patient=patient)
    context = {
        "next_session": upcoming[0] if upcoming else None,
        "upcoming": upcoming[1:],
        "recent": care_sessions_past(user=request.user).select_related(None).select_related("clinician__user")[:5],
        "plan_items": home_plan_today(patient=patient, today=patient_today(patient=patient)),
        "last_record": latest_record_for_patient(patient=patient),
        "agenda_waiting": [] if upcoming else agenda_waiting_for_patient(patient=patient),
        "checkin_target": target,
        "checked_in": checkin_selectors.checkin_for_session(patient=patient, care_session=target),
        "record_prompts": record_prompts_for_patient(user=request.user),
        # Shown here, not yet seen: each stays until opened or until the "What's new" page lists it.
        "news": whats_new_for(user=request.user, limit=HOME_LIMIT),
    }
    # Coming home is a visit: an email about new things waits for the next batch after this.
    news_visit_mark(user=request.user)
    return render(request, "alliance/home/patient.html", context)


LIST_LIMIT = ATTENTION_LIMIT


def _some(qs, limit: int = LIST_LIMIT) -> tuple[list, bool]:
    """The first ``limit`` rows, and whether there are more."""
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


# The clinician's home is the busiest page a clinician opens and the costliest to work out (a
# caseload can hold hundreds of patients), so each clinician's is kept for this many seconds.
# Their own changes show at once (the key counts them), and so does any change to who is on their
# caseload (the key holds its size and newest membership, so nobody stays shown who has left it);
# what others write shows within these seconds. The day and the language are in the key too.
CASELOAD_SECONDS = 30


def caseload_cache_key(*, user, query: str, page_number: str, now=None) -> str:
    """The cache key of a clinician's home as it stands at ``now`` (default: now).

    Whether an alert is overdue changes only at midnight in the clinician's own zone (see
    ``alerts_overdue_cutoff``), so their local day and the clinic's setting are part of the key:
    the day an alert turns overdue, the key is new and the page is worked out afresh.
    """
    local_day = timezone.localdate(now or timezone.now(), timezone=user.tzinfo)
    return "caseload:" + ":".join(
        str(part)
        for part in (
            user.pk,
            person_changes(user=user),
            *caseload_identity(user=user),
            local_day,
            user.clinician.clinic.alert_overdue_days,
            translation.get_language(),
            page_number[:20],
            hashlib.sha256(query.encode()).hexdigest(),
        )
    )


def _clinician_home(request):
    query, page_number = request.GET.get("q", ""), request.GET.get("page", "")
    key = caseload_cache_key(user=request.user, query=query, page_number=page_number)
    content = cache.get(key)
    if content is None:
        content = render_to_string("alliance/home/_clinician_content.html", _clinician_context(request), request)
        cache.set(key, content, CASELOAD_SECONDS)
    return render(request, "alliance/home/clinician.html", {"content": mark_safe(content)})  # noqa: S308 - our own template's output


def _clinician_context(request) -> dict:
    caseload = caseload_page(user=request.user, query=request.GET.get("q", ""), page=request.GET.get("page"))
    page = caseload.page
    awaiting, more_awaiting = _some(
        care_sessions_awaiting_outcome(user=request.user).filter(clinician=request.user.clinician)
    )
    # The list needs only each alert's patient; fewer joins also plan faster.
    open_alerts, more_alerts = _some(
        alert_selectors.alerts_open_for_user(user=request.user).select_related(None).select_related("patient__user")
    )
    context = {
        "caseload": caseload,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "search_query": urlencode({"q": caseload.query}) + "&" if caseload.query else "",
        "query_max_length": QUERY_MAX_LENGTH,
        "awaiting_outcome": awaiting,
        "more_awaiting": more_awaiting,
        "open_alerts": open_alerts,
        "more_alerts": more_alerts,
        "to_rate": checkin_selectors.sessions_to_rate(user=request.user)[:LIST_LIMIT],
        "list_limit": LIST_LIMIT,
        "record_attention": record_attention_for_clinician(user=request.user),
    }
    return context


def _admin_home(request):
    everyone = people_rows_for_admin(user=request.user)
    patients = [p for p in everyone if p.role == Role.PATIENT]
    clinicians = [p for p in everyone if p.role == Role.CLINICIAN]
    context = {
        "clinic": request.user.clinic,
        "urgent_help_needs_review": urgent_help_needs_review(clinic=request.user.clinic),
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
        **progress_context(patient=patient, include_clinician=True, invite=False, you=_("Patient's check-ins")),
        # The record's counts and whether a step-back review is due, in one query.
        "record_counts": review_status_annotate(
            record_counts_annotate(type(patient).objects.filter(pk=patient.pk))
        ).get(),
    }
    return render(request, "alliance/home/patient_detail.html", context)
