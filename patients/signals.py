import sys

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.utils import timezone

from patients.models import LoginSession, User
from patients.services.audit import audit_sign_in_record

SIGNED_IN_AT_KEY = "alliance_signed_in_at"
# Why the last sign-in on this browser ended, for the sign-in page to say: "absolute" or absent.
ENDED_KEY = "alliance_sign_in_ended"


@receiver(user_logged_in)
def remember_login_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # The absolute limit counts from here, however active the person is afterwards.
    request.session[SIGNED_IN_AT_KEY] = timezone.now().isoformat()
    request.session.pop(ENDED_KEY, None)
    if request.session.session_key is None:
        request.session.save()
    LoginSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_login_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and request.session.session_key:
        LoginSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(got_request_exception)
def note_database_down(sender, request=None, **kwargs):
    """Mark a request whose error was an unreachable database, so DatabaseDownMiddleware answers 503.

    Django sends this from inside the ``except`` that caught the error, so ``sys.exc_info`` names it.
    """
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, (OperationalError, InterfaceError)):
        request.alliance_database_down = True


@receiver(user_logged_in)
def second_factor_afresh(sender, request, user, **kwargs):
    """Each sign-in asks for the second factor anew, even when the same person signs in again in the
    same browser session (Django keeps its data then)."""
    if request is None or not hasattr(request, "session"):
        return
    from django_otp import DEVICE_ID_SESSION_KEY

    from patients.decorators import CONFIRMED_AT
    from patients.middleware import ENROLLED_KEY

    if getattr(user, "otp_device", None) is None:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    for key in (CONFIRMED_AT, ENROLLED_KEY):
        request.session.pop(key, None)


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    audit_sign_in_record(user=user, succeeded=True, path=getattr(request, "path", ""))


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    email = User.objects.normalize_email(str(credentials.get("username") or credentials.get("email") or ""))[:254]
    user = User.objects.filter(email=email).first() if email else None
    audit_sign_in_record(user=user, succeeded=False, email=email, path=getattr(request, "path", ""))
