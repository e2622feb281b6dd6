import logging
from base64 import b32encode
from urllib.parse import urlencode

import segno
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from kombu.exceptions import OperationalError as KombuOperationalError

from patients import selectors, services, tasks
from patients.decorators import (
    clinic_admin_required,
    recent_second_factor_required,
    second_factor_confirmed,
    second_factor_recently_confirmed,
)
from patients.forms import (
    AcceptInvitationForm,
    AccountForm,
    CareTeamAddForm,
    ClinicSettingsForm,
    EmailChangeForm,
    InvitationForm,
    SecondFactorForm,
    form_save,
    form_status,
)
from patients.middleware import ENROLLED_KEY
from patients.models import Role, User
from patients.redirects import safe_local_url
from patients.resume import resume_form

logger = logging.getLogger(__name__)


class SafeNextMixin:
    """Django's sign-in and sign-out views, with ``next`` checked by our one helper: a local path or nothing."""

    def get_redirect_url(self):
        value = self.request.POST.get(self.redirect_field_name) or self.request.GET.get(self.redirect_field_name)
        return safe_local_url(self.request, value)


class SafeNextLoginView(SafeNextMixin, auth_views.LoginView):
    pass


class SafeNextLogoutView(SafeNextMixin, auth_views.LogoutView):
    pass


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Ask for a reset link: the same page, after the same work, whether or not the account exists.

    Nothing is looked up here. The ask is counted against the email's and the address's limits, and,
    within them, handed to the worker, which finds the account (if any) and sends the email. With the
    broker down nothing could be handed on: the form comes back (503, ``Retry-After``) asking kindly to
    try again in a few minutes, in the same words for every address, and the ask is not counted.
    """

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        address = get_client_ip_address(self.request)
        if services.password_reset_allowed(email=email, address=address):
            try:
                tasks.password_reset_send.delay(email)
            except KombuOperationalError:
                # The email could not be handed on. Say so (the same words whether or not the account
                # exists, so nothing is revealed), keep what was typed, and don't count this ask.
                logger.warning("Password reset email could not be queued: the broker is unreachable")
                services.password_reset_uncount(email=email, address=address)
                form.add_error(None, RESET_NOT_SENT)
                response = self.render_to_response(self.get_context_data(form=form), status=503)
                response["Retry-After"] = str(RESET_RETRY_SECONDS)
                return response
        return redirect(self.get_success_url())


RESET_RETRY_SECONDS = 120
RESET_NOT_SENT = gettext_lazy(
    "Sorry, we can't send emails just now. Nothing is wrong with what you typed: please try again in a few minutes."
)


class PasswordResetSetView(auth_views.PasswordResetConfirmView):
    """Choose the new password; doing so also lifts any pause on signing in to the account."""

    def setup(self, request, *args, **kwargs):
        # The link is the person's own: the page speaks their language, whatever the browser says. (In
        # setup, not dispatch: Django's dispatch carries the "no sign-in needed" mark.)
        super().setup(request, *args, **kwargs)
        _speak_their_language(request, self.get_user(kwargs["uidb64"]))

    def form_valid(self, form):
        response = super().form_valid(form)
        services.sign_in_pause_lift(user=form.user)
        return response


def _speak_their_language(request, person: User | None) -> None:
    """Pages reached from a link emailed to someone (an invitation, a new password) are in the language on
    their account, like the email was; without one, in their browser's."""
    if person is not None and person.language:
        translation.activate(person.language)
        request.LANGUAGE_CODE = translation.get_language()


# --- Invitations (public: the person has no password yet) -------------------------------------


INVITATION_PROBLEMS = {
    "unknown": (
        gettext_lazy("We don't recognise this link"),
        gettext_lazy(
            "It may have been copied only in part. Please open the link from your email again, or ask your "
            "clinic to send a new invitation."
        ),
    ),
    "used": (
        gettext_lazy("This link has already been used"),
        gettext_lazy(
            "Your account is set up, so you can sign in with your email address and password. If you have "
            "forgotten your password, you can reset it from the sign-in page."
        ),
    ),
    "expired": (
        gettext_lazy("This link has expired"),
        gettext_lazy("Invitation links work for 7 days. Please ask your clinic to send you a new one."),
    ),
    "revoked": (
        gettext_lazy("This link has been replaced"),
        gettext_lazy(
            "A newer invitation was sent to you. Please use the link in the most recent email from your clinic."
        ),
    ),
    "cancelled": (
        gettext_lazy("This invitation was cancelled"),
        gettext_lazy(
            "Your clinic cancelled it, so the link no longer works. "
            "If you expected to join, please contact your clinic."
        ),
    ),
    "inactive": (
        gettext_lazy("This account is not active"),
        gettext_lazy("Please contact your clinic if you think this is a mistake."),
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
    _speak_their_language(request, person)
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
            messages.success(
                request, _("Welcome to Alliance, %(name)s. Your password is set.") % {"name": person.get_short_name()}
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"form": form, "invitation": invitation}
    return render(request, "patients/invitation_accept.html", context, status=form_status(form))


# --- Your own account --------------------------------------------------------------------------


@never_cache
@require_GET
def keepalive(request):
    """ "Stay signed in": any signed-in request renews the sign-in; this one does only that."""
    return HttpResponse(status=204)


@resume_form(lambda request, **kwargs: AccountForm())
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    form = AccountForm(
        request.POST or None,
        initial={"full_name": user.full_name, "timezone": user.timezone, "language": user.language},
    )
    if request.method == "POST" and (
        form_save(
            form,
            lambda data: services.user_update_own_details(
                user=user, full_name=data["full_name"], timezone_name=data["timezone"], language=data.get("language")
            ),
        )
    ):
        # Said in the language just chosen (or, for "the same as my browser", the browser's).
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your details are saved."))
        return redirect("patients:account")
    return render(request, "patients/account.html", {"form": form}, status=form_status(form))


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@recent_second_factor_required
def email_change(request):
    """Ask to sign in with a new email address: confirmed by a link sent to that address."""
    user = request.user
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(
            form,
            lambda data: services.email_change_request(
                user=user, password=data["password"], new_email=data["new_email"]
            ),
        )
    ):
        # The same words whether the address is free or already someone's (here or at another clinic).
        new_email = User.objects.normalize_email(form.cleaned_data["new_email"])
        if saved.value:
            messages.success(
                request,
                _(
                    "We've emailed %(new_email)s. Open the link in that email, while signed in here, to start using "
                    "it. Until then you keep signing in with %(email)s."
                )
                % {"new_email": new_email, "email": user.email},
            )
        else:
            messages.warning(request, _("We couldn't send the email just now. Please try again in a few minutes."))
        return redirect("patients:account")
    return render(request, "patients/email_change.html", {"form": form}, status=form_status(form))


EMAIL_CHANGE_PROBLEMS = {
    "unknown": (
        404,
        gettext_lazy("We don't recognise this link"),
        gettext_lazy("It may have been copied only in part. Please open the link from your email again."),
    ),
    "not_yours": (
        404,
        gettext_lazy("This link is for another account"),
        gettext_lazy(
            "You are signed in as someone else. Please sign out, sign in with the account that asked for the change, "
            "and open the link again."
        ),
    ),
    "expired": (
        410,
        gettext_lazy("This link has expired"),
        gettext_lazy("Links to confirm a new address work for 24 hours. Please ask again from your account page."),
    ),
    "used": (
        410,
        gettext_lazy("This link has already been used"),
        gettext_lazy("Your account page shows the address you sign in with now."),
    ),
    "taken": (
        410,
        gettext_lazy("This address can't be used"),
        gettext_lazy(
            "It can no longer be used for your account. Please ask again from your account page with another address."
        ),
    ),
}


@never_cache
@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token):
    """The link from the new address: shows the change, and makes it when the person presses the button."""
    try:
        if request.method == "POST":
            services.email_change_confirm(user=request.user, token=token)
            messages.success(request, _("Done. You now sign in with %(email)s.") % {"email": request.user.email})
            return redirect("patients:account")
        new_email = services.email_change_check(user=request.user, token=token)
    except services.EmailChangeUnusable as problem:
        status, title, detail = EMAIL_CHANGE_PROBLEMS[problem.reason]
        context = {"title": title, "detail": detail}
        return render(request, "patients/email_change_unusable.html", context, status=status)
    return render(request, "patients/email_change_confirm.html", {"new_email": new_email})


# --- Clinic admin: the clinic's settings -------------------------------------------------------------


@resume_form(lambda request, **kwargs: ClinicSettingsForm())
@clinic_admin_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request):
    clinic = request.user.clinic
    languages = services.urgent_help_languages()
    initial = {name: getattr(clinic, name) for name in services.CLINIC_SETTINGS}
    initial |= {services.urgent_help_field(code): clinic.urgent_help_translations.get(code, "") for code in languages}
    form = ClinicSettingsForm(request.POST or None, initial=initial)

    def save(data):
        values = {name: data[name] for name in services.CLINIC_SETTINGS if name in data}
        values["urgent_help_translations"] = {code: data[services.urgent_help_field(code)] for code in languages}
        return services.clinic_settings_update(clinic=clinic, by=request.user, **values)

    if request.method == "POST" and form_save(form, save):
        messages.success(request, _("The clinic's settings are saved."))
        return redirect("patients:clinic-settings")
    return render(request, "patients/clinic_settings.html", {"form": form, "clinic": clinic}, status=form_status(form))


# --- Everyone: the clinic's urgent help ----------------------------------------------------------


@require_GET
def urgent_help(request):
    return render(request, "patients/urgent_help.html", {"urgent": selectors.urgent_help_for(user=request.user)})


# --- Clinic admin: people and care teams --------------------------------------------------------


@clinic_admin_required
def people(request):
    everyone = selectors.people_rows_for_admin(user=request.user)
    groups = {
        "patients": [p for p in everyone if p.role == Role.PATIENT],
        "clinicians": [p for p in everyone if p.role == Role.CLINICIAN],
        "admins": [p for p in everyone if p.role == Role.CLINIC_ADMIN],
    }
    return render(request, "patients/people.html", {"groups": groups, "clinic": request.user.clinic})


@resume_form(lambda request, **kwargs: InvitationForm(clinic=request.user.clinic))
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
                language=data.get("language") or "",
                request=request,
            ),
        )
    ):
        # Said in the admin's own words and the same whether the email was new or already someone's
        # elsewhere (another clinic): the page must not reveal that someone is a patient there.
        name, email = form.cleaned_data["full_name"].strip(), User.objects.normalize_email(form.cleaned_data["email"])
        if saved.value.emailed:
            messages.success(
                request, _("We've emailed an invitation to %(name)s at %(email)s.") % {"name": name, "email": email}
            )
        else:
            messages.warning(
                request,
                _("The invitation email to %(name)s at %(email)s could not be sent just now. Please try again later.")
                % {"name": name, "email": email},
            )
        return redirect("patients:people")
    return render(request, "patients/invite.html", {"form": form}, status=form_status(form))


@clinic_admin_required
def person(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    context = {
        "person": person,
        "row": selectors.person_row(person),
        "invitation": selectors.invitation_latest_for(person=person),
        "second_factors": selectors.second_factors_for(user=person),
    }
    if person.role == Role.PATIENT:
        context["care_team"] = selectors.care_team_for_patient(patient=person.patient)
        context["care_team_form"] = CareTeamAddForm(patient=person.patient)
    elif person.role == Role.CLINICIAN:
        # Patients who have joined: someone invited is shown from their invitation, not here.
        context["caseload"] = (
            person.clinician.patients.select_related("user")
            .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .order_by("user__full_name")
        )
    return render(request, "patients/person.html", context)


@clinic_admin_required
@require_POST
def care_team_add(request, pk):
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    if person.role != Role.PATIENT:
        messages.error(request, _("Care teams are for patients."))
        return redirect("patients:person", pk=person.pk)
    form = CareTeamAddForm(request.POST, patient=person.patient)
    if form_save(
        form,
        lambda data: services.care_team_assign(patient=person.patient, clinician=data["clinician"], by=request.user),
    ):
        clinician = form.cleaned_data["clinician"]
        messages.success(
            request,
            _("%(clinician)s is now on %(patient)s's care team.")
            % {"clinician": clinician.user.full_name, "patient": person.full_name},
        )
        return redirect("patients:person", pk=person.pk)
    context = {
        "person": person,
        "row": selectors.person_row(person),
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
    messages.success(request, _("%(name)s can sign in again.") % {"name": person.full_name})
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
                request,
                _("We've emailed a new invitation to %(email)s. Earlier links no longer work.")
                % {"email": person.email},
            )
        else:
            messages.warning(request, _("The new invitation could not be emailed just now. Please try again shortly."))
    return redirect("patients:person", pk=person.pk)


@clinic_admin_required
def invitation(request, pk):
    """An invitation, the same page whether the email was new or already had an account elsewhere."""
    invitation = selectors.invitation_get_for_admin(user=request.user, pk=pk)
    context = {
        "invitation": invitation,
        "state": invitation.state,
        "is_latest": selectors.invitation_is_latest(invitation=invitation),
        "intended_care_team": invitation.clinicians.select_related("user").order_by("user__full_name"),
    }
    return render(request, "patients/invitation.html", context)


@clinic_admin_required
@require_POST
def invitation_resend(request, pk):
    invitation = selectors.invitation_get_for_admin(user=request.user, pk=pk)
    try:
        issued = services.invitation_resend_for(invitation=invitation, created_by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:invitation", pk=invitation.pk)
    if issued.emailed:
        messages.success(
            request,
            _("We've emailed a new invitation to %(email)s. Earlier links no longer work.")
            % {"email": invitation.email},
        )
    else:
        messages.warning(request, _("The new invitation could not be emailed just now. Please try again shortly."))
    return redirect("patients:invitation", pk=issued.invitation.pk)


@clinic_admin_required
@require_POST
def invitation_cancel(request, pk):
    invitation = selectors.invitation_get_for_admin(user=request.user, pk=pk)
    if services.invitation_cancel(invitation=invitation, by=request.user):
        messages.success(
            request,
            _("The invitation to %(email)s is cancelled. Its link no longer works.") % {"email": invitation.email},
        )
    else:
        messages.info(request, _("This invitation was no longer open, so there was nothing to cancel."))
    return redirect("patients:invitation", pk=invitation.pk)


# --- The second factor ---------------------------------------------------------------------------
# The code forms carry no form token on purpose: FormOnceMiddleware rolls a refused form's transaction
# back, and that would undo django-otp's count of wrong codes, the throttle that slows down guessing.

RECOVERY_CODES_KEY = "alliance_recovery_codes"


def _next(request) -> str:
    """Where to go after this step: the page first asked for, if it is on this site; else home."""
    target = safe_local_url(request, request.POST.get("next") or request.GET.get("next"))
    return target or resolve_url(settings.LOGIN_REDIRECT_URL)


def _passed(request, device) -> None:
    """The person has just given their second factor with ``device``."""
    otp_login(request, device)
    second_factor_confirmed(request)


def _used_a_recovery_code(request, device) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        messages.warning(
            request,
            ngettext(
                "You used a recovery code; it won't work again. You have %(left)d left. "
                "You can make a new set from Account → Sign-in and security.",
                "You used a recovery code; it won't work again. You have %(left)d left. "
                "You can make a new set from Account → Sign-in and security.",
                left,
            )
            % {"left": left},
        )


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Step two of signing in: one field for a code (app or recovery), or a passkey."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    factors = selectors.second_factors_for(user=user)
    if not factors.any and not factors.recovery_codes_left:
        return redirect(f"{reverse('patients:second-factor-setup')}?{urlencode({'next': _next(request)})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: services.second_factor_check(user=user, code=data["code"]))
    ):
        _passed(request, saved.value)
        _used_a_recovery_code(request, saved.value)
        return redirect(_next(request))
    context = {"form": form, "factors": factors, "next": _next(request)}
    return render(request, "patients/second_factor.html", context, status=form_status(form))


def _qr_svg(uri: str) -> str:
    # segno writes the SVG itself (no HTML is assembled here); light modules are white so the code
    # reads on any background.
    return segno.make(uri, error="m").svg_inline(scale=4, light="#fff", svgclass="qr-code", title=_("QR code"))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@recent_second_factor_required
def second_factor_setup(request):
    """Set up an authenticator app (or a passkey): the first time, or to replace an app."""
    user = request.user
    device = services.totp_device_pending(user=user)
    form = SecondFactorForm(
        request.POST or None, help_text=_("The six-digit code your authenticator app shows for Alliance now.")
    )
    if request.method == "POST" and (
        saved := form_save(form, lambda data: services.totp_device_confirm(user=user, device=device, code=data["code"]))
    ):
        _passed(request, device)
        request.session.pop("alliance_second_factor_enrolled", None)
        if saved.value:
            request.session[RECOVERY_CODES_KEY] = saved.value
            return redirect(f"{reverse('patients:recovery-codes')}?{urlencode({'next': _next(request)})}")
        messages.success(request, _("Your authenticator app is set up. Use it the next time you sign in."))
        return redirect("patients:security")
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - an SVG segno drew from our own secret
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": _next(request),
        # After a passkey instead: its new recovery codes (if any were made), then on to ``next``.
        "after_passkey": f"{reverse('patients:recovery-codes')}?{urlencode({'next': _next(request)})}",
        "replacing": selectors.second_factors_for(user=user).app is not None,
        "mandatory": selectors.second_factor_is_mandatory(user=user),
    }
    return render(request, "patients/second_factor_setup.html", context, status=form_status(form))


@never_cache
@require_GET
def recovery_codes(request):
    """New recovery codes, shown this once (they are kept only as the codes themselves, never shown again)."""
    codes = request.session.pop(RECOVERY_CODES_KEY, None)
    if not codes:
        return redirect("patients:security")
    return render(request, "patients/recovery_codes.html", {"codes": codes, "next": _next(request)})


@require_POST
@recent_second_factor_required
def recovery_codes_new(request):
    if not selectors.second_factors_for(user=request.user).any:
        messages.info(
            request, _("Recovery codes go with an authenticator app or a passkey: set one of those up first.")
        )
        return redirect("patients:security")
    request.session[RECOVERY_CODES_KEY] = services.recovery_codes_issue(user=request.user)
    return redirect(f"{reverse('patients:recovery-codes')}?{urlencode({'next': reverse('patients:security')})}")


@require_GET
def security(request):
    """Sign-in and security: the person's own second factors."""
    factors = selectors.second_factors_for(user=request.user)
    context = {
        "factors": factors,
        "mandatory": selectors.second_factor_is_mandatory(user=request.user),
        "confirmed": second_factor_recently_confirmed(request),
        "after_passkey": f"{reverse('patients:recovery-codes')}?{urlencode({'next': reverse('patients:security')})}",
    }
    return render(request, "patients/security.html", context)


@require_http_methods(["GET", "POST"])
@recent_second_factor_required
def passkey_remove(request, pk):
    """GET: what removing this passkey does, and a button to do it. POST: remove it."""
    if request.method == "GET":
        passkey = selectors.passkey_get(user=request.user, pk=pk)
        added = date_format(timezone.localtime(passkey.created_at), "DATE_FORMAT")
        return render(
            request,
            "patients/confirm_action.html",
            {
                "heading": _("Remove this passkey?"),
                "explanation": _(
                    "The passkey “%(name)s”, added %(added)s, will no longer sign you in to Alliance. "
                    "You can add it again later."
                )
                % {"name": passkey.name or _("Passkey"), "added": added},
                "action": reverse("patients:passkey-remove", args=[passkey.pk]),
                "confirm": _("Remove the passkey"),
                "back": reverse("patients:security"),
                "back_label": _("Keep it"),
            },
        )
    try:
        removed = services.passkey_remove(user=request.user, passkey_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patients:security")
    if not removed:
        raise Http404("No such passkey.")
    messages.success(request, _("The passkey is removed. It can no longer be used to sign in to Alliance."))
    return redirect("patients:security")


@require_POST
def second_factor_turn_off(request):
    """A patient turns their second step off, once they have confirmed it's them. Staff must keep theirs (403)."""
    if selectors.second_factor_is_mandatory(user=request.user):
        raise PermissionDenied("Staff must keep a second step.")
    return _second_factor_turn_off(request)


@recent_second_factor_required
def _second_factor_turn_off(request):
    # What the second-step check noted at sign-in (she has one) is no longer so.
    request.session.pop(ENROLLED_KEY, None)
    if services.second_factor_turn_off(user=request.user):
        messages.success(request, _("Your second step is off. You now sign in with your password alone."))
    else:
        messages.info(request, _("You had no second step set up, so there was nothing to turn off."))
    return redirect("patients:security")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def confirm_it_is_you(request):
    """Ask for the second factor again before a change to the password, the email or the factors."""
    user = request.user
    if second_factor_recently_confirmed(request) or not selectors.second_factor_enrolled(user=user):
        return redirect(_next(request))
    factors = selectors.second_factors_for(user=user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and (
        saved := form_save(form, lambda data: services.second_factor_check(user=user, code=data["code"]))
    ):
        _passed(request, saved.value)
        _used_a_recovery_code(request, saved.value)
        return redirect(_next(request))
    context = {"form": form, "factors": factors, "next": _next(request)}
    return render(request, "patients/confirm_it_is_you.html", context, status=form_status(form))


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def factors_reset(request, pk):
    """GET: what resetting someone's second step does, and a button to do it. POST: reset it."""
    person = selectors.person_get_for_admin(user=request.user, pk=pk)
    if request.method == "GET":
        return render(
            request,
            "patients/confirm_action.html",
            {
                "heading": _("Reset %(name)s's second step?") % {"name": person.full_name},
                "explanation": _(
                    "%(name)s's authenticator app, passkeys and recovery codes will stop "
                    "working, and any open sign-in of theirs will end. We'll email them to say so, and they'll set up "
                    "a new second step the next time they sign in."
                )
                % {"name": person.full_name},
                "action": reverse("patients:factors-reset", args=[person.pk]),
                "confirm": _("Reset %(name)s's second step") % {"name": person.full_name},
                "back": reverse("patients:person", args=[person.pk]),
                "back_label": _("Back to %(name)s") % {"name": person.full_name},
            },
        )
    try:
        removed = services.factors_reset(by=request.user, user=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if removed:
            messages.success(
                request,
                _(
                    "%(name)s's second step is reset and they are signed out. We've emailed them; "
                    "they'll set up a new one the next time they sign in."
                )
                % {"name": person.full_name},
            )
        else:
            messages.info(
                request,
                _("%(name)s had no second step set up, so there was nothing to reset.") % {"name": person.full_name},
            )
    return redirect("patients:person", pk=person.pk)


# Passkeys: django-otp-webauthn's own JSON views, with two rules of ours.


class PasskeyRegistrationBegin(webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self):
        """Adding a passkey changes the factors: someone who has any must have confirmed it is them lately."""
        if selectors.second_factor_enrolled(user=self.request.user) and not second_factor_recently_confirmed(
            self.request
        ):
            raise webauthn_errors.NotVerified(
                detail=_("Please confirm it's you again (Account → Sign-in and security) before adding a passkey.")
            )


class PasskeyRegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    def check_can_register(self):
        PasskeyRegistrationBegin.check_can_register(self)

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            second_factor_confirmed(self.request)
            self.request.session.pop("alliance_second_factor_enrolled", None)
            if not selectors.second_factors_for(user=self.request.user).recovery_codes_left:
                self.request.session[RECOVERY_CODES_KEY] = services.recovery_codes_issue(user=self.request.user)
        return response


class PasskeyAuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        """A passkey used at sign-in or to confirm it's you counts as the second factor just given."""
        super().complete_auth(device)
        second_factor_confirmed(self.request)
