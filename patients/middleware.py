"""Middleware of our own: each person's time zone, every form stored once however often it is sent,
nothing lost when a sign-in runs out before a form is sent, the second factor before anything else,
signed-in pages kept out of every cache, a kind 503 while the database cannot be reached, and the audit
of what each page showed."""

import zoneinfo
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from patients.models import FormSubmission
from patients.redirects import safe_local_url
from patients.resume import sent_fields
from patients.selectors import second_factor_enrolled, second_factor_is_mandatory
from patients.selectors.audit import read_note_start, read_note_stop
from patients.services import person_changed_something
from patients.services.audit import audit_reads_record
from patients.signals import ENDED_KEY, SIGNED_IN_AT_KEY

DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_DOWN_FLAG = "alliance_database_down"
RETRY_AFTER_SECONDS = 30


def database_down_response() -> HttpResponse:
    """The 503 page: a static template, rendered with no request, so it needs no database, session or user."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseDownMiddleware:
    """While PostgreSQL cannot be reached, answer 503 with a kind page and ``Retry-After``, never 500.

    A view's ``OperationalError``/``InterfaceError`` is caught in ``process_exception``. The session and
    authentication middleware reach the database before (and after) the view, where Django turns the
    error into a 500 inside that middleware; ``patients.signals`` marks the request when that happens,
    and this middleware, placed outside the session middleware, answers 503 instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, DATABASE_DOWN_FLAG, False):
            return database_down_response()
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            setattr(request, DATABASE_DOWN_FLAG, True)
            # Nothing can be written now: leave the session as it is rather than fail to save it.
            request.session = None
            return database_down_response()
        return None


# Pages about signing in, passwords and invitations hold private things even before anyone is signed in.
PRIVATE_PREFIXES = ("/accounts/",)


class NoStoreMiddleware:
    """Every signed-in page, and the sign-in and password pages, tell browsers and proxies to keep no copy:
    on a shared computer, Back or the history must not reopen someone's record after they sign out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = _signed_in(request)
        response = self.get_response(request)
        if signed_in or _signed_in(request) or request.path.startswith(PRIVATE_PREFIXES):
            add_never_cache_headers(response)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - the name of a form field, not a secret
ALREADY_SENT = _("You've already sent this, so it was saved once. Nothing was sent twice.")


class UserTimezoneMiddleware:
    """Show times in the person's own time zone (or their clinic's) while storing UTC, and pages in the
    language they chose on their account (else the browser's, which ``LocaleMiddleware`` picked)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.default = zoneinfo.ZoneInfo(settings.ALLIANCE_DEFAULT_TIMEZONE)

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        timezone.activate(user.tzinfo if signed_in else self.default)
        if signed_in and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class _NotKept(Exception):
    """Carries a response whose form did not go through, so the token's row is rolled back with it."""

    def __init__(self, response):
        super().__init__("form not kept")
        self.response = response


def _went_through(response) -> bool:
    """A POST that saved something answers with a redirect (or a file it streams straight back)."""
    return 300 <= response.status_code < 400 or getattr(response, "streaming", False)


class FormOnceMiddleware:
    """Store each rendered form once, however many times it is sent (double taps, Back and Send).

    A signed-in POST that carries a ``form_token`` runs inside one transaction that first inserts the
    token (``FormSubmission.token`` is unique). If the page then saves and redirects, both commit
    together; if it shows the form again with errors, both roll back and the same form can be sent
    again once corrected. A second request with the same token blocks on the unique index until the
    first finishes, then is told kindly that it was already sent and is sent where the first one went.
    The database enforces this, not a check-then-insert.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.POST.get(FORM_TOKEN_FIELD, "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not token or user is None or not user.is_authenticated:
            return self.get_response(request)
        token = token[:64]
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        submission = FormSubmission.objects.create(token=token, user=user, path=request.path[:500])
                except IntegrityError:
                    return self._already_sent(request, token)
                response = self.get_response(request)
                if not _went_through(response):
                    raise _NotKept(response)
                submission.redirect_to = (response.get("Location") or "")[:500]
                submission.save(update_fields=["redirect_to"])
                return response
        except _NotKept as not_kept:
            return not_kept.response

    def _already_sent(self, request, token: str):
        first = FormSubmission.objects.filter(token=token).first()
        messages.info(request, ALREADY_SENT)
        for target in (first.redirect_to if first else "", request.headers.get("Referer", "")):
            if local := safe_local_url(request, target):
                return redirect(local)
        return redirect(settings.LOGIN_REDIRECT_URL)


SIGNED_IN_COOKIE = "alliance_signed_in_as"
SIGNED_IN_SALT = "alliance.signed-in-as"
PENDING_KEY = "alliance_pending_post"
PENDING_HOURS = 12
# What is never kept or sent again: Django's and our own one-time tokens (fresh ones come with the page).
NOT_KEPT = {"csrfmiddlewaretoken", FORM_TOKEN_FIELD}


class ExpiredSignInMiddleware:
    """When a sign-in runs out before a form is sent, keep what was sent and offer it again afterwards.

    A signed cookie remembers who was last signed in on this browser. If a POST arrives after that
    person's sign-in ran out, ``LoginRequiredMiddleware`` sends it to the sign-in page; this keeps the
    posted fields, server-side in the new (anonymous) session, with the person they belong to. When
    that same person has signed in again and opens the page the form was sent to, they are shown what
    they wrote and can send it with one button. Anyone else who signs in on that browser never sees it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in and self._past_absolute_limit(request):
            # Signed out here, before LoginRequiredMiddleware: a POST then takes the same kind path
            # as an idle sign-in that ran out (kept, offered again after signing in).
            logout(request)
            request.session[ENDED_KEY] = "absolute"
            signed_in = False
        if signed_in and request.method == "GET" and PENDING_KEY in request.session:
            resume = self._resume(request, user)
            if resume is not None:
                return resume
        response = self.get_response(request)
        # The person may have signed in during this very request (the sign-in form).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._remember(request, response, user)
        elif request.method == "POST" and self._went_to_sign_in(response):
            self._keep(request)
        return response

    @staticmethod
    def _past_absolute_limit(request) -> bool:
        """Whether this sign-in began more than ``SESSION_MAX_HOURS`` ago, however active it has been."""
        began = request.session.get(SIGNED_IN_AT_KEY)
        if began is None:
            # A sign-in from before the limit existed: it starts counting now.
            request.session[SIGNED_IN_AT_KEY] = timezone.now().isoformat()
            return False
        return timezone.now() - datetime.fromisoformat(began) > timedelta(hours=settings.SESSION_MAX_HOURS)

    @staticmethod
    def _went_to_sign_in(response) -> bool:
        login = resolve_url(settings.LOGIN_URL)
        return response.status_code == 302 and response.get("Location", "").startswith(login + "?")

    def _keep(self, request) -> None:
        person = request.get_signed_cookie(SIGNED_IN_COOKIE, default=None, salt=SIGNED_IN_SALT)
        if not person:
            return  # nobody was signed in on this browser: nothing of theirs to keep
        data = {key: request.POST.getlist(key) for key in request.POST if key not in NOT_KEPT}
        request.session[PENDING_KEY] = {
            "user": person,
            "path": request.path,
            "data": data,
            "kept_at": timezone.now().isoformat(),
        }

    def _resume(self, request, user):
        pending = request.session[PENDING_KEY]
        kept_at = datetime.fromisoformat(pending.get("kept_at", "2000-01-01T00:00:00+00:00"))
        if str(pending.get("user")) != str(user.pk) or timezone.now() - kept_at > timedelta(hours=PENDING_HOURS):
            del request.session[PENDING_KEY]  # someone else's, or too old: never shown
            return None
        if request.path != pending["path"]:
            return None
        del request.session[PENDING_KEY]
        fields = [(key, value) for key, values in pending["data"].items() for value in values]
        sent = sent_fields(request=request, path=pending["path"], data=pending["data"])
        context = {"action": pending["path"], "fields": fields, "sent": sent}
        return render(request, "patients/resume_post.html", context)

    @staticmethod
    def _remember(request, response, user) -> None:
        if request.get_signed_cookie(SIGNED_IN_COOKIE, default=None, salt=SIGNED_IN_SALT) == str(user.pk):
            return
        response.set_signed_cookie(
            SIGNED_IN_COOKIE,
            str(user.pk),
            salt=SIGNED_IN_SALT,
            # Outlives the longest sign-in, so a post sent just after it ends is still known as theirs.
            max_age=(settings.SESSION_MAX_HOURS + PENDING_HOURS) * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


class OwnChangesMiddleware:
    """A POST that went through marks its person's cached pages out of date (``person_changed_something``),
    so what they just did shows on the next page they open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method == "POST" and user is not None and user.is_authenticated and _went_through(response):
            person_changed_something(user=user)
        return response


# The pages someone signed in but not yet past their second factor may open: signing out, giving or
# setting up the factor (and the passkey ceremonies behind those pages). Pages that need no sign-in at
# all (health, password reset, invitations) stay open to everyone, as ever.
SECOND_FACTOR_PAGES = {"logout", "patients:second-factor", "patients:second-factor-setup"}
SECOND_FACTOR_NAMESPACES = {"otp_webauthn"}
# Whether a person who need not give a second factor has chosen to: asked once per sign-in.
ENROLLED_KEY = "alliance_second_factor_enrolled"


class SecondFactorMiddleware:
    """Clinicians, clinic admins and superusers give a second factor before any other page, the Django
    admin included; so does a patient who has set one up.

    Someone signed in but not yet verified (``django_otp``'s ``user.is_verified()``) is sent to the code
    page if they have a factor, or to set one up if they have none, with the page they asked for kept in
    ``next``. Runs after ``LoginRequiredMiddleware``, so a visitor who is not signed in is sent to sign
    in first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is None or match.view_name in SECOND_FACTOR_PAGES or match.namespace in SECOND_FACTOR_NAMESPACES:
            return None
        if second_factor_is_mandatory(user=user):
            enrolled = second_factor_enrolled(user=user)
        else:
            if ENROLLED_KEY not in request.session:
                request.session[ENROLLED_KEY] = second_factor_enrolled(user=user)
            if not (enrolled := request.session[ENROLLED_KEY]):
                return None
        page = "patients:second-factor" if enrolled else "patients:second-factor-setup"
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")


class ReadAuditMiddleware:
    """One audit row per page that showed someone a patient's data (see patients/selectors/audit.py).

    Each GET notes the patients whose objects ``scoped_get`` handed out; if the page was shown (2xx),
    one INSERT records them. Nothing is written for a refusal, a redirect or a patient's own pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = read_note_start()
        try:
            response = self.get_response(request)
        finally:
            shown = read_note_stop(token)
        user = getattr(request, "user", None)
        if shown and 200 <= response.status_code < 300 and user is not None and user.is_authenticated:
            match = request.resolver_match
            audit_reads_record(actor=user, patient_ids=shown, page=match.view_name if match else "", path=request.path)
        return response
