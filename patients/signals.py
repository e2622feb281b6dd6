from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from patients.models import LoginSession


@receiver(user_logged_in)
def remember_login_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    LoginSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_login_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and request.session.session_key:
        LoginSession.objects.filter(session_key=request.session.session_key).delete()


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
