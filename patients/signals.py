from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from patients.models import LoginSession, User
from patients.services.audit import audit_sign_in_record


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
def audit_sign_in(sender, request, user, **kwargs):
    audit_sign_in_record(user=user, succeeded=True, path=getattr(request, "path", ""))


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    email = User.objects.normalize_email(str(credentials.get("username") or credentials.get("email") or ""))[:254]
    user = User.objects.filter(email=email).first() if email else None
    audit_sign_in_record(user=user, succeeded=False, email=email, path=getattr(request, "path", ""))
