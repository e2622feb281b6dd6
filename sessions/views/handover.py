"""Before a clinician leaves a care team or an account closes, the admin decides about each appointment ahead."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patients.decorators import clinic_admin_required
from patients.forms import changed_meanwhile, form_save
from patients.models import CareTeamMembership, Role
from patients.selectors import clinician_get, person_get_for_admin
from sessions.forms import HandoverForm
from sessions.services.handover import account_close, appointments_ahead, care_team_leave


def _takers(appointments) -> dict:
    """For each appointment, the other active clinicians on its patient's care team who could take it."""
    teams: dict[int, list] = {}
    memberships = CareTeamMembership.objects.filter(
        patient__in={a.patient_id for a in appointments}, clinician__user__is_active=True
    ).select_related("clinician__user")
    for membership in memberships.order_by("clinician__user__full_name"):
        teams.setdefault(membership.patient_id, []).append(membership.clinician)
    return {a: [c for c in teams.get(a.patient_id, []) if c.pk != a.clinician_id] for a in appointments}


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def care_team_leave_view(request, pk, clinician_pk):
    person = person_get_for_admin(user=request.user, pk=pk)
    clinician = clinician_get(user=request.user, pk=clinician_pk)
    not_on_team = _("%(clinician)s is not on %(person)s's care team.") % {
        "clinician": clinician.user.full_name,
        "person": person.full_name,
    }
    if person.role != Role.PATIENT:
        messages.info(request, not_on_team)
        return redirect("patients:person", pk=person.pk)
    on_team = CareTeamMembership.objects.filter(patient=person.patient, clinician=clinician).exists()
    if not on_team and request.method != "POST":
        messages.info(request, not_on_team)
        return redirect("patients:person", pk=person.pk)
    appointments = list(appointments_ahead(patient=person.patient, clinician=clinician))
    form = HandoverForm(request.POST if request.method == "POST" else None, options=_takers(appointments))
    if not on_team:
        # Someone else took them off the care team while this page was open.
        changed_meanwhile(
            form,
            _("%(not_on_team)s Someone took them off it meanwhile, so nothing was changed.")
            % {"not_on_team": not_on_team},
        )
    elif request.method == "POST" and form_save(
        form,
        lambda data: care_team_leave(
            by=request.user,
            patient=person.patient,
            clinician=clinician,
            decisions=form.decisions(),
            reason=data["reason"],
        ),
    ):
        messages.success(
            request,
            _("%(clinician)s is no longer on %(person)s's care team.")
            % {"clinician": clinician.user.full_name, "person": person.full_name},
        )
        return redirect("patients:person", pk=person.pk)
    context = {"person": person, "clinician": clinician, "form": form, "appointments": appointments, "leaving": True}
    return render(request, "care_sessions/handover.html", context, status=400 if form.errors else 200)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def account_close_view(request, pk):
    person = person_get_for_admin(user=request.user, pk=pk)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account. Ask another admin of your clinic."))
        return redirect("patients:person", pk=person.pk)
    if not person.is_active and request.method != "POST":
        messages.info(request, _("%(name)s's account is already deactivated.") % {"name": person.full_name})
        return redirect("patients:person", pk=person.pk)
    if person.role == Role.CLINICIAN:
        appointments = list(appointments_ahead(clinician=person.clinician))
        options = _takers(appointments)
    elif person.role == Role.PATIENT:
        appointments = list(appointments_ahead(patient=person.patient))
        options = {appointment: [] for appointment in appointments}
    else:
        appointments, options = [], {}
    form = HandoverForm(request.POST if request.method == "POST" else None, options=options)
    if not person.is_active:
        changed_meanwhile(
            form,
            _("%(name)s's account was deactivated by someone else meanwhile, so nothing was changed.")
            % {"name": person.full_name},
        )
    elif request.method == "POST" and form_save(
        form,
        lambda data: account_close(by=request.user, person=person, decisions=form.decisions(), reason=data["reason"]),
    ):
        messages.success(
            request,
            _("%(name)s can no longer sign in. Everything in their record is kept.") % {"name": person.full_name},
        )
        return redirect("patients:person", pk=person.pk)
    context = {"person": person, "form": form, "appointments": appointments, "leaving": False}
    return render(request, "care_sessions/handover.html", context, status=400 if form.errors else 200)
