"""Middleware of our own: each person's time zone, and every form stored once however often it is sent."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from patients.models import FormSubmission

FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - the name of a form field, not a secret
ALREADY_SENT = "You've already sent this, so it was saved once. Nothing was sent twice."


class UserTimezoneMiddleware:
    """Show times in the person's own time zone (or their clinic's) while storing UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.default = zoneinfo.ZoneInfo(settings.ALLIANCE_DEFAULT_TIMEZONE)

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz = user.tzinfo if user is not None and user.is_authenticated else self.default
        timezone.activate(tz)
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
            if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(target)
        return redirect(settings.LOGIN_REDIRECT_URL)
