from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patients import selectors, services
from patients.decorators import clinic_admin_required
from patients.forms import AcceptInvitationForm, AccountForm, CareTeamAddForm, InvitationForm, form_save, form_status
from patients.models import Role

# --- Invitations (public: the person has no password yet) -------------------------------------


INVITATION_PROBLEMS = {
    "unknown": (
        "We don't recognise this link",
        "It may have been copied only in part. Please open the link from your email again, or ask your "
        "clinic to send a new invitation.",
    ),
    "used": (
        "This link has already been used",
        "Your account is set up, so you can sign in with your email address and password. If you have "
        "forgotten your password, you can reset it from the sign-in page.",
    ),
    "expired": (
        "This link has expired",
        "Invitation links work for 7 days. Please ask your clinic to send you a new one.",
    ),
    "revoked": (
        "This link has been replaced",
        "A newer invitation was sent to you. Please use the link in the most recent email from your clinic.",
    ),
    "inactive": (
        "This account is not active",
        "Please contact your clinic if you think this is a mistake.",
    ),
}


def _invitation_unusable(request, reason: str):
    title, detail = INVITATION_PROBLEMS[reason]
    status = 404 if reason == "unknown" else 410
    return render(request, "patients/invitation_unusable.html", {"title": title, "detail": detail}, status=status)


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = services.invitation_check(token=token)
    except services.InvitationUnusable as problem:
        return _invitation_unusable(request, problem.reason)
    person = invitation.user
    form = AcceptInvitationForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except services.InvitationUnusable as problem:
            return _invitation_unusable(request, problem.reason)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            login(request, person, backend="patients.backends.EmailBackend")
            messages.success(request, f"Welcome to Alliance, {person.get_short_name()}. Your password is set.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "invitation": invitation}
    return render(request, "patients/invitation_accept.html", context, status=form_status(form))


# --- Your own account --------------------------------------------------------------------------


@never_cache
@require_GET
def keepalive(request):
    """ "Stay signed in": any signed-in request renews the sign-in; this one does only that."""
    return HttpResponse(status=204)


@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    form = AccountForm(request.POST or None, initial={"full_name": user.full_name, "timezone": user.timezone})
    if request.method == "POST" and (
        form_save(
            form,
            lambda data: services.user_update_own_details(
                user=user, full_name=data["full_name"], timezone_name=data["timezone"]
            ),
        )
    ):
        messages.success(request, "Your details are saved.")
        return redirect("patients:account")
    return render(request, "patients/account.html", {"form": form}, status=form_status(form))


# --- Clinic admin: people and care teams --------------------------------------------------------


@clinic_admin_required
def people(request):
    everyone = list(selectors.people_for_admin(user=request.user))
    groups = {
        "patients": [p for p in everyone if p.role == Role.PATIENT],
        "clinicians": [p for p in everyone if p.role == Role.CLINICIAN],
        "admins": [p for p in everyone if p.role == Role.CLINIC_ADMIN],
    }
    return render(request, "patients/people.html", {"groups": groups, "clinic": request.user.clinic})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def invite(request):
    clinic = request.user.clinic
    form = InvitationForm(request.POST or None, clinic=clinic, initial={"role": request.GET.get("role")})
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: services.invitation_create(
                clinic=clinic,
                created_by=request.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                profession=data.get("profession") or "other",
                clinicians=list(data.get("clinicians") or []),
                request=request,
            ),
        )
    ):
        issued = saved.value
        person = issued.invitation.user
        if issued.emailed:
            messages.success(request, f"We've emailed an invitation to {person.full_name} at {person.email}.")
        else:
            messages.warning(
                request,
                f"{person.full_name} is added, but the invitation email could not be sent just now. "
                "Use “Send a new invitation” on their page to try again.",
            )
        return redirect("patients:person", pk=person.pk)
    return render(request, "patients/invite.html", {"form": form}, status=form_status(form))


@clinic_admin_required
def person(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    context = {"person": person, "invitation": selectors.invitation_latest_for(person=person)}
    if person.role == Role.PATIENT:
        context["care_team"] = selectors.care_team_for_patient(patient=person.patient)
        context["care_team_form"] = CareTeamAddForm(patient=person.patient)
    elif person.role == Role.CLINICIAN:
        context["caseload"] = person.clinician.patients.select_related("user").order_by("user__full_name")
    return render(request, "patients/person.html", context)


@clinic_admin_required
@require_POST
def care_team_add(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    if person.role != Role.PATIENT:
        messages.error(request, "Care teams are for patients.")
        return redirect("patients:person", pk=person.pk)
    form = CareTeamAddForm(request.POST, patient=person.patient)
    if form_save(
        form,
        lambda data: services.care_team_assign(patient=person.patient, clinician=data["clinician"], by=request.user),
    ):
        clinician = form.cleaned_data["clinician"]
        messages.success(request, f"{clinician.user.full_name} is now on {person.full_name}'s care team.")
        return redirect("patients:person", pk=person.pk)
    context = {
        "person": person,
        "invitation": selectors.invitation_latest_for(person=person),
        "care_team": selectors.care_team_for_patient(patient=person.patient),
        "care_team_form": form,
    }
    return render(request, "patients/person.html", context, status=400)


@clinic_admin_required
@require_POST
def reactivate(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    services.user_reactivate(person=person, by=request.user)
    messages.success(request, f"{person.full_name} can sign in again.")
    return redirect("patients:person", pk=person.pk)


@clinic_admin_required
@require_POST
def resend_invitation(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    try:
        issued = services.invitation_resend(
            person=person, clinic=request.user.clinic, created_by=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if issued.emailed:
            messages.success(
                request, f"We've emailed a new invitation to {person.email}. Earlier links no longer work."
            )
        else:
            messages.warning(request, "The new invitation could not be emailed just now. Please try again shortly.")
    return redirect("patients:person", pk=person.pk)
