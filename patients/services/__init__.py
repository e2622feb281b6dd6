"""Writes about people: invitations, care teams, deactivation.

Each service validates, saves inside one transaction and raises ``ValidationError`` keyed by form
field, so a view can put the message next to the field and nothing is half-saved.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import secrets
from base64 import b32decode
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from patients.emails import as_seen_by, zone_label, zone_note
from patients.models import (
    URGENT_HELP_LIMIT,
    AuditKind,
    CareTeamMembership,
    Clinic,
    ClinicAdmin,
    Clinician,
    FormSubmission,
    Invitation,
    LoginSession,
    Patient,
    Profession,
    Role,
    User,
)
from patients.selectors import second_factor_is_mandatory
from patients.services.audit import audit_record

logger = logging.getLogger(__name__)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def absolute_url(path: str) -> str:
    """``path`` on the public address (``SITE_URL``): every email links to the same site, whichever
    process sends it and whatever address the sender's browser used."""
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class IssuedInvitation:
    """What inviting did. ``invitation`` is always kept; its ``user`` is None when the email already had
    an account elsewhere: then no link exists (``token`` is empty) and that person was told by email
    instead (see ``invitation_create``)."""

    invitation: Invitation
    token: str
    emailed: bool

    @property
    def path(self) -> str:
        return reverse("patients:invitation-accept", kwargs={"token": self.token})


def _invitation_issue(
    *,
    person: User | None,
    clinic: Clinic,
    created_by: User | None,
    email: str,
    full_name: str,
    role: str,
    profession: str,
    clinicians,
) -> tuple[Invitation, str]:
    """A new invitation replacing any open one for the same person (or, with no account, the same email)."""
    now = timezone.now()
    earlier = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    if person is not None:
        earlier = earlier.filter(user=person)
    else:
        earlier = earlier.filter(user__isnull=True, clinic=clinic, email__iexact=email)
    earlier.update(revoked_at=now)
    # An invitation for an account elsewhere has no link; a random hash keeps the column unique.
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=person,
        clinic=clinic,
        email=email,
        full_name=full_name,
        role=role,
        profession=profession if role == Role.CLINICIAN else "",
        token_hash=_hash_token(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )
    invitation.clinicians.set(list(clinicians) if role == Role.PATIENT else [])
    return invitation, (token if person is not None else "")


def _invitation_email(*, invitation: Invitation, token: str, request=None) -> bool:
    """Send the invitation. A mail server that is down must not lose the invitation itself."""
    link = absolute_url(reverse("patients:invitation-accept", kwargs={"token": token}))
    person = invitation.user
    with as_seen_by(person):
        context = {
            "person": person,
            "clinic": invitation.clinic,
            "link": link,
            "expires_at": timezone.localtime(invitation.expires_at),
            # The person has not chosen a zone yet: always say which one the expiry is in.
            "zone": zone_label(person.tzinfo),
            "role": person.role,
        }
        message = render_to_string("patients/email/invitation.txt", context)
        subject = gettext("%(clinic)s has invited you to Alliance") % {"clinic": invitation.clinic.name}
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=None,
            recipient_list=[invitation.user.email],
        )
    except (OSError, ConnectionError) as exc:  # smtplib errors are OSErrors
        logger.warning("Invitation email to user %s failed: %s", invitation.user_id, exc)
        return False
    return True


def invitation_create(
    *,
    clinic: Clinic,
    created_by: User,
    email: str,
    full_name: str,
    role: str,
    profession: str = Profession.OTHER,
    clinicians: list[Clinician] | tuple = (),
    language: str = "",
    request=None,
) -> IssuedInvitation:
    """Create the person's account (with no password yet) and email them a link to set one.

    ``language`` (a code of ``settings.LANGUAGES``, or "" for their browser's) is the one the invitation
    email is written in and their pages follow; they can change it on their account.

    An email already in this clinic, or already invited by it, is refused (the admin can see them in the
    people list). An email that belongs to someone elsewhere (another clinic) must not say so, or the
    clinic's pages would reveal that someone is a patient there: no account is created or changed, that
    person is told by email, and an invitation with no ``user`` is kept so that every page of this clinic
    (the people list, the invitation page, resending, cancelling, counts) shows it exactly as a new one.
    """
    email = User.objects.normalize_email(email)
    full_name = (full_name or "").strip()
    if role not in Role.values:
        raise ValidationError(
            {"role": gettext("Choose whether you are inviting a patient, a clinician or a clinic admin.")}
        )
    if not full_name:
        raise ValidationError({"full_name": gettext("Please give the person's full name.")})
    for clinician in clinicians:
        if clinician.clinic_id != clinic.pk:
            raise ValidationError({"clinicians": gettext("Choose clinicians from your own clinic.")})
    if role == Role.CLINICIAN and profession not in Profession.values:
        raise ValidationError({"profession": gettext("Choose a profession from the list.")})
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext("Choose a language from the list.")})
    asked = {"email": email, "full_name": full_name, "role": role, "profession": profession, "clinicians": clinicians}
    existing = (
        User.objects.select_related("patient__clinic", "clinician__clinic", "clinic_admin__clinic")
        .filter(email__iexact=email)
        .first()
    )
    if existing is not None:
        if existing.clinic is not None and existing.clinic.pk == clinic.pk:
            raise ValidationError({"email": ALREADY_HERE})
        if Invitation.objects.filter(clinic=clinic, user__isnull=True, email__iexact=email).exists():
            raise ValidationError({"email": ALREADY_HERE})
        try:
            with transaction.atomic():
                invitation, _ = _invitation_issue(person=None, clinic=clinic, created_by=created_by, **asked)
        except IntegrityError:
            raise ValidationError({"email": ALREADY_HERE}) from None
        emailed = _elsewhere_email(person=existing, clinic=clinic, request=request)
        return IssuedInvitation(invitation=invitation, token="", emailed=emailed)
    try:
        with transaction.atomic():
            person = User.objects.create_user(email=email, full_name=full_name, language=language)
            if role == Role.PATIENT:
                patient = Patient.objects.create(user=person, clinic=clinic)
                CareTeamMembership.objects.bulk_create(
                    CareTeamMembership(patient=patient, clinician=c, added_by=created_by) for c in clinicians
                )
            elif role == Role.CLINICIAN:
                Clinician.objects.create(user=person, clinic=clinic, profession=profession)
            else:
                ClinicAdmin.objects.create(user=person, clinic=clinic)
            invitation, token = _invitation_issue(person=person, clinic=clinic, created_by=created_by, **asked)
    except IntegrityError:
        # Someone was added with this email in the same moment: the admin's own colleague, most likely.
        raise ValidationError({"email": ALREADY_HERE}) from None
    emailed = _invitation_email(invitation=invitation, token=token, request=request)
    return IssuedInvitation(invitation=invitation, token=token, emailed=emailed)


ALREADY_HERE = gettext_lazy("This person is already in your clinic. Find them in the people list.")


def _elsewhere_email(*, person: User, clinic: Clinic, request=None) -> bool:
    """Tell someone who already has an account that a clinic tried to invite them; nothing is changed."""
    with as_seen_by(person):
        message = render_to_string(
            "patients/email/invitation_elsewhere.txt",
            {"person": person, "clinic": clinic, "sign_in": absolute_url(reverse("login"))},
        )
        subject = gettext("%(clinic)s tried to invite you to Alliance") % {"clinic": clinic.name}
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=None,
            recipient_list=[person.email],
        )
    except (OSError, ConnectionError) as exc:
        logger.warning("Invitation notice to user %s failed: %s", person.pk, exc)
        return False
    return True


INVITATION_RESENDS_PER_HOUR = 5
RESENT_TOO_OFTEN = gettext_lazy(
    "This invitation was sent several times in the last hour. Please wait a while and try again."
)


def invitation_resend(*, person: User, clinic: Clinic, created_by: User, request=None) -> IssuedInvitation:
    """A fresh link for someone who has not joined yet; earlier links stop working.

    Raises ``ValidationError`` when the person has joined, is deactivated, or was sent
    ``INVITATION_RESENDS_PER_HOUR`` invitations from this clinic in the last hour.
    """
    if person.has_joined:
        raise ValidationError(
            gettext("This person has already set their password; they can reset it from the sign-in page.")
        )
    if not person.is_active:
        raise ValidationError(gettext("This account is deactivated. Reactivate it before sending a new invitation."))
    latest = Invitation.objects.filter(user=person).order_by("-created_at", "-pk").first()
    if latest is not None:
        return invitation_resend_for(invitation=latest, created_by=created_by, request=request)
    _resend_count(clinic=clinic, email=person.email)
    asked = {"email": person.email, "full_name": person.full_name, "role": person.role or ""}
    with transaction.atomic():
        invitation, token = _invitation_issue(
            person=person, clinic=clinic, created_by=created_by, profession="", clinicians=(), **asked
        )
    emailed = _invitation_email(invitation=invitation, token=token, request=request)
    return IssuedInvitation(invitation=invitation, token=token, emailed=emailed)


def _resend_count(*, clinic: Clinic, email: str) -> None:
    key = f"invitation-resend:{clinic.pk}:" + _hash_token(email.strip().lower())
    if not _under_limit(key, limit=INVITATION_RESENDS_PER_HOUR, seconds=3600):
        raise ValidationError(RESENT_TOO_OFTEN)


def invitation_resend_for(*, invitation: Invitation, created_by: User, request=None) -> IssuedInvitation:
    """Send ``invitation`` again as a new one (earlier links stop working), the same way for every email.

    For a new account the person gets a fresh link; for an email that had an account elsewhere, the
    same careful note as the first time. Either way the clinic sees a new invitation with a new expiry.
    Raises ``ValidationError`` (no field) when the person has joined, when their account is
    deactivated, or after ``INVITATION_RESENDS_PER_HOUR`` sends in an hour.
    """
    person = invitation.user
    if person is not None:
        if person.has_joined:
            raise ValidationError(
                gettext("This person has already set their password; they can reset it from the sign-in page.")
            )
        if not person.is_active:
            raise ValidationError(
                gettext("This account is deactivated. Reactivate it before sending a new invitation.")
            )
    _resend_count(clinic=invitation.clinic, email=invitation.email)
    asked = {
        "email": invitation.email,
        "full_name": invitation.full_name,
        "role": invitation.role,
        "profession": invitation.profession,
        "clinicians": list(invitation.clinicians.all()),
    }
    with transaction.atomic():
        fresh, token = _invitation_issue(person=person, clinic=invitation.clinic, created_by=created_by, **asked)
    if person is not None:
        emailed = _invitation_email(invitation=fresh, token=token, request=request)
    else:
        elsewhere = User.objects.filter(email__iexact=invitation.email).first()
        # Should that account have gone since, there is nobody to tell; the clinic still sees a new invitation.
        emailed = _elsewhere_email(person=elsewhere, clinic=invitation.clinic) if elsewhere is not None else True
    return IssuedInvitation(invitation=fresh, token=token, emailed=emailed)


def invitation_cancel(*, invitation: Invitation, by: User) -> bool:
    """Stop ``invitation`` (and any other open one for the same person) working. Nothing else changes:
    an account made for it stays, without a password, and can be invited again. Returns whether an open
    invitation was cancelled (False when it had already been used, cancelled or replaced)."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return False
    with transaction.atomic():
        open_ones = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        if invitation.user_id is not None:
            open_ones = open_ones.filter(user_id=invitation.user_id)
        else:
            open_ones = open_ones.filter(user__isnull=True, clinic=invitation.clinic, email__iexact=invitation.email)
        return open_ones.update(revoked_at=timezone.now()) > 0


class InvitationUnusable(Exception):
    """The link cannot be used; ``reason`` is one of unknown, used, expired, revoked (replaced by a newer
    link), cancelled, inactive."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_check(*, token: str) -> Invitation:
    """The open invitation behind a token, or ``InvitationUnusable`` saying why not."""
    if not token or len(token) > 128:
        raise InvitationUnusable("unknown")
    invitation = Invitation.objects.select_related("user", "clinic").filter(token_hash=_hash_token(token)).first()
    if invitation is None or invitation.user is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if invitation.revoked_at is not None:
        # Replaced by a newer one that still works (a resend), or cancelled with none to follow it.
        newer = Invitation.objects.filter(
            user=invitation.user,
            created_at__gt=invitation.created_at,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        raise InvitationUnusable("revoked" if newer.exists() else "cancelled")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired")
    if not invitation.user.is_active:
        raise InvitationUnusable("inactive")
    return invitation


def invitation_accept(*, token: str, password: str) -> User:
    """Set the person's password through their link. The link works once, even under a race."""
    invitation = invitation_check(token=token)
    password_validation.validate_password(password, user=invitation.user)
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).update(accepted_at=timezone.now())
        if claimed != 1:
            raise InvitationUnusable("used")
        person = invitation.user
        person.set_password(password)
        person.save(update_fields=["password"])
    return person


def care_team_assign(*, patient: Patient, clinician: Clinician, by: User) -> CareTeamMembership:
    if clinician.clinic_id != patient.clinic_id:
        raise ValidationError({"clinician": gettext("Choose a clinician from the patient's own clinic.")})
    if not clinician.user.is_active:
        raise ValidationError({"clinician": gettext("This clinician's account is deactivated.")})
    membership, _ = CareTeamMembership.objects.get_or_create(
        patient=patient, clinician=clinician, defaults={"added_by": by}
    )
    return membership


def care_team_unassign(*, patient: Patient, clinician: Clinician, by: User) -> bool:
    deleted, _ = CareTeamMembership.objects.filter(patient=patient, clinician=clinician).delete()
    return bool(deleted)


def _end_login_sessions(*, person: User) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user=person).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user=person).delete()
    return len(keys)


def user_deactivate(*, person: User, by: User) -> User:
    """Stop someone signing in and end their open sessions. Everything they wrote is kept."""
    if person.pk == by.pk:
        raise ValidationError(gettext("You cannot deactivate your own account. Ask another admin of your clinic."))
    with transaction.atomic():
        person.is_active = False
        person.deactivated_at = timezone.now()
        person.deactivated_by = by
        person.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
        Invitation.objects.filter(user=person, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        _end_login_sessions(person=person)
    return person


def user_reactivate(*, person: User, by: User) -> User:
    person.is_active = True
    person.deactivated_at = None
    person.deactivated_by = None
    person.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
    return person


def user_update_own_details(*, user: User, full_name: str, timezone_name: str, language: str | None = None) -> User:
    """Save the details a person keeps themself. ``language`` None leaves it as it is; "" follows the
    browser. Raises ``ValidationError`` naming the field for a zone or language not on the lists."""
    user.full_name = full_name.strip()
    user.timezone = timezone_name
    fields = ["full_name", "timezone"]
    if language is not None:
        user.language = language
        fields.append("language")
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=fields)
    return user


CLINIC_SETTINGS = ("alert_overdue_days", "review_every_sessions")
# Saved on the same page; saving it records who reviewed it and when.
CLINIC_SETTINGS += ("urgent_help", "urgent_help_translations")


def _urgent_help_clean(text: str | None, field: str) -> str:
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))
    if len(text) > URGENT_HELP_LIMIT:
        raise ValidationError(
            {
                field: gettext("Please keep this under %(limit)s characters.")
                % {"limit": number_format(URGENT_HELP_LIMIT, force_grouping=True)}
            }
        )
    return text


def urgent_help_field(language: str) -> str:
    """The clinic settings form's field for the urgent-help text in ``language``: "urgent_help_es"."""
    return "urgent_help_" + language.replace("-", "_")


def urgent_help_languages() -> list[str]:
    """The languages a clinic may write its urgent-help text in besides its main one (``LANGUAGE_CODE``)."""
    main = settings.LANGUAGE_CODE.split("-")[0]
    return [code for code, _name in settings.LANGUAGES if code.split("-")[0] != main]


def clinic_settings_update(*, clinic: Clinic, by: User, **values) -> Clinic:
    """Save the clinic's own settings (``CLINIC_SETTINGS``; see the fields on ``Clinic``).

    ``by`` must be one of this clinic's admins. Raises ``ValidationError`` naming the field for a value
    out of range; nothing is saved then.
    """
    if by.clinic != clinic or by.role != Role.CLINIC_ADMIN:
        raise PermissionDenied("Only this clinic's admins change its settings.")
    unknown = set(values) - set(CLINIC_SETTINGS)
    if unknown:
        raise ValueError(f"Not clinic settings: {sorted(unknown)}")
    if "urgent_help_translations" in values:
        given = values["urgent_help_translations"] or {}
        unknown = set(given) - set(urgent_help_languages())
        if unknown:
            raise ValueError(f"Not languages Alliance offers: {sorted(unknown)}")
        texts = {code: _urgent_help_clean(text, urgent_help_field(code)) for code, text in given.items()}
        values["urgent_help_translations"] = {code: text for code, text in texts.items() if text}
    if "urgent_help" in values:
        values["urgent_help"] = _urgent_help_clean(values["urgent_help"], "urgent_help")
        values["urgent_help_reviewed_at"], values["urgent_help_reviewed_by"] = timezone.now(), by
    for name, value in values.items():
        setattr(clinic, name, value)
    clinic.full_clean(exclude=["name", "timezone", "created_at"])
    clinic.save(update_fields=list(values))
    return clinic


def login_sessions_clear_expired() -> int:
    """Delete expired login sessions and the rows that point at them."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    from django.contrib.sessions.models import Session

    stale = LoginSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
    deleted, _ = stale.delete()
    return deleted


FORM_TOKEN_DAYS = 7


def form_submissions_clear_old(*, now=None) -> int:
    """Forget form tokens older than ``FORM_TOKEN_DAYS``: no page stays open that long. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=FORM_TOKEN_DAYS)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _changes_key(user: User) -> str:
    return f"person-changes:{user.pk}"


def person_changes(*, user: User) -> int:
    """How many times this person has changed something: pages cached for them are keyed by it."""
    return cache.get(_changes_key(user), 0)


def person_changed_something(*, user: User) -> None:
    """After a person's own change, the pages cached for them are out of date at once."""
    try:
        cache.incr(_changes_key(user))
    except ValueError:  # not counted yet (or forgotten by the cache)
        cache.set(_changes_key(user), 1, timeout=None)


# --- Password reset and sign-in pauses ------------------------------------------------------------


def _under_limit(key: str, *, limit: int, seconds: int) -> bool:
    """Count one use of ``key`` in the shared cache; whether it is still within ``limit`` per ``seconds``."""
    cache.add(key, 0, timeout=seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first use of a new window
        cache.set(key, 1, timeout=seconds)
        used = 1
    return used <= limit


def _password_reset_keys(*, email: str, address: str) -> tuple[str, str]:
    email_key = "password-reset:email:" + _hash_token(email.strip().lower())
    address_key = "password-reset:address:" + _hash_token(address or "unknown")
    return email_key, address_key


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Whether a reset email may be sent for ``email`` asked from ``address`` (an IP), counting this ask.

    At most ``PASSWORD_RESET_PER_EMAIL`` per email and ``PASSWORD_RESET_PER_ADDRESS`` per address in
    ``PASSWORD_RESET_WINDOW_SECONDS``. The same work whether or not the email has an account: nothing
    is looked up here.
    """
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    email_key, address_key = _password_reset_keys(email=email, address=address)
    by_email = _under_limit(email_key, limit=settings.PASSWORD_RESET_PER_EMAIL, seconds=window)
    by_address = _under_limit(address_key, limit=settings.PASSWORD_RESET_PER_ADDRESS, seconds=window)
    return by_email and by_address


def password_reset_uncount(*, email: str, address: str) -> None:
    """Take back the count of an ask that could not be handed on (the broker was down), so asking again
    once it is back is not refused for asks that never sent anything."""
    for key in _password_reset_keys(email=email, address=address):
        try:
            if cache.decr(key) < 0:
                cache.set(key, 0, timeout=settings.PASSWORD_RESET_WINDOW_SECONDS)
        except ValueError:  # already forgotten: nothing to take back
            pass


def password_reset_email_send(*, email: str) -> int:
    """Email a link to choose a new password to each active account with this email; how many were sent.

    Accounts without a usable password (invited, not joined yet) are skipped: their invitation sets it.
    The email says until when the link works, in the recipient's own time zone.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    sent = 0
    for person in User.objects.filter(email__iexact=email.strip(), is_active=True):
        if not person.has_usable_password():
            continue
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
                "token": default_token_generator.make_token(person),
            },
        )
        with as_seen_by(person):
            context = {
                "user": person,
                "link": absolute_url(path),
                "expires_at": timezone.localtime(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)),
                "zone_note": zone_note(person),
            }
            subject = render_to_string("registration/password_reset_subject.txt", context).strip()
            message = render_to_string("registration/password_reset_email.html", context)
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[person.email])
        sent += 1
    return sent


def sign_in_pause_lift(*, user: User) -> int:
    """Lift the pause on signing in to this account (after a password reset proves it is theirs)."""
    from axes.utils import reset

    return reset(username=user.email.strip().lower())


# --- the second factor ------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator-app secret being set up: the same one on every visit until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def totp_secret_check(*, secret: str) -> bytes:
    """The key behind a base32 secret as authenticator apps show it (spaces and case ignored), or
    ``ValidationError``. Keys of 10 to 40 bytes (16 to 64 base32 letters) are accepted."""
    text = "".join((secret or "").split()).upper().rstrip("=")
    try:
        key = b32decode(text + "=" * (-len(text) % 8))
    except (ValueError, binascii.Error):
        raise ValidationError("A TOTP secret is base32: the letters A to Z and the digits 2 to 7.") from None
    if not 10 <= len(key) <= 40:
        raise ValidationError("A TOTP secret must be 16 to 64 base32 letters long (10 to 40 bytes).")
    return key


def totp_device_enrol(*, user: User, secret: str | None = None) -> TOTPDevice:
    """Give the person a confirmed authenticator app and return it (for the demo's named accounts).

    Without ``secret`` the app they already have is kept (so an authenticator app set up from an earlier
    run goes on working), or a new random key is made. With ``secret`` (base32), their app's key becomes
    exactly that one. Raises ``ValidationError`` for a secret that is not base32 of a usable length.
    """
    key = totp_secret_check(secret=secret) if secret else None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").last()
    if device is None:
        device = TOTPDevice(user=user, name=APP_DEVICE_NAME, confirmed=True)
    if key is not None and (device.pk is None or device.bin_key != key):
        device.key, device.last_t, device.drift = key.hex(), -1, 0
    device.save()
    return device


def recovery_codes_issue(*, user: User) -> list[str]:
    """Ten new single-use recovery codes (8 letters and digits each); any earlier ones stop working.

    Returns the codes: they are shown once and cannot be read back later.
    """
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()[:32]


WRONG_CODE = gettext_lazy(
    "That code didn't work. Check the newest code in your app, or use one of your recovery codes."
)
NO_APP = gettext_lazy("You haven't set up an authenticator app. Please use a recovery code or a passkey.")
APP_CODE_WRONG = gettext_lazy(
    "That code didn't work. Check you typed the newest six-digit code from your authenticator app."
)


def _throttled(device: Device) -> str | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    until = (data or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    wait = ngettext(
        "Please wait %(seconds)d second and try again.", "Please wait %(seconds)d seconds and try again.", seconds
    ) % {"seconds": seconds}
    if getattr(device, "throttling_failure_count", 0) <= 1:
        return gettext("The last code didn't work, and there is a short pause before the next one. %(wait)s") % {
            "wait": wait
        }
    return gettext("Too many codes in a row didn't work, so we've paused for a moment. %(wait)s") % {"wait": wait}


def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm a new authenticator app with a code it shows; it replaces any app set up before.

    Returns new recovery codes when the person had none left (shown once), else []. Raises
    ``ValidationError`` on ``code`` for a wrong code, or one sent too soon after several wrong ones.
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"code": gettext("This set-up has already been used. Please start again.")})
    if problem := _throttled(device):
        raise ValidationError({"code": problem})
    token = _normalise_code(code)
    if not (token.isdigit() and len(token) == device.digits):
        device.throttle_increment()
        raise ValidationError({"code": APP_CODE_WRONG})
    if not device.verify_token(token):  # counts the failure itself
        raise ValidationError({"code": APP_CODE_WRONG})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    logger.info("Second factor: user %s set up an authenticator app", user.pk)
    if StaticToken.objects.filter(device__user=user).exists():
        return []
    return recovery_codes_issue(user=user)


def second_factor_check(*, user: User, code: str) -> Device:
    """The device that accepts ``code``: a code from the person's authenticator app, or one of their
    recovery codes (which then stops working).

    Raises ``ValidationError`` on ``code`` when nothing accepts it, or when several wrong codes in a
    row mean waiting a moment first (django-otp's throttling: 1, 2, 4, 8 … seconds).
    """
    token = _normalise_code(code)
    if not token:
        raise ValidationError(
            {"code": gettext("Please type the code from your authenticator app, or a recovery code.")}
        )
    kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    devices = list(kind.objects.filter(user=user, confirmed=True).order_by("pk"))
    if not devices:
        raise ValidationError({"code": WRONG_CODE if kind is StaticDevice else NO_APP})
    for device in devices:
        if problem := _throttled(device):
            raise ValidationError({"code": problem})
    with transaction.atomic():
        for device in devices:
            device = kind.objects.select_for_update().get(pk=device.pk)
            if device.verify_token(token):
                if kind is StaticDevice:
                    logger.info("Second factor: user %s used a recovery code", user.pk)
                return device
    raise ValidationError({"code": WRONG_CODE})


def passkey_remove(*, user: User, passkey_id: int) -> bool:
    """Remove one of the person's own passkeys. Returns False when it was not theirs (or already gone).

    Raises ``ValidationError`` when it is the last factor of someone who must have one.
    """
    others = WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=passkey_id)
    app = TOTPDevice.objects.filter(user=user, confirmed=True)
    if second_factor_is_mandatory(user=user) and not others.exists() and not app.exists():
        raise ValidationError(
            gettext("This passkey is your only second step. Set up an authenticator app or another passkey first.")
        )
    deleted, _ = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).delete()
    if deleted:
        logger.info("Second factor: user %s removed a passkey", user.pk)
    return bool(deleted)


def factors_reset(*, by: User, user: User) -> int:
    """An admin clears someone's second factors, for example after a lost phone. Their open sign-ins end,
    and they set up a new factor the next time they sign in. Returns how many factors were removed.

    ``by`` must be a clinic admin of ``user``'s own clinic (``PermissionDenied`` otherwise; views reach
    ``user`` through ``selectors.person_get_for_admin``, so another clinic's person is a 404 first). The
    person is told by email, in their own time zone, once this has committed.
    """
    if by.role != Role.CLINIC_ADMIN or by.clinic is None or user.clinic is None or by.clinic.pk != user.clinic.pk:
        raise PermissionDenied("Only an admin of the person's own clinic can reset their second factor.")
    if by.pk == user.pk:
        raise ValidationError(gettext("You can't reset your own second factor. Ask another admin of your clinic."))
    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
            devices = model.objects.filter(user=user)
            removed += devices.filter(confirmed=True).count()
            devices.delete()
        _end_login_sessions(person=user)
        reset_at = timezone.now()
        audit_record(
            kind=AuditKind.FACTOR_RESET,
            actor=by,
            patient=getattr(user, "patient", None),
            clinic=by.clinic,
            detail=f"Second factor reset for {user.full_name or user.email} ({removed} removed)",
        )
        transaction.on_commit(lambda: _factors_reset_dispatch(user_id=user.pk, by_id=by.pk, reset_at=reset_at))
    logger.info("Second factor: admin %s reset the factors of user %s (%s removed)", by.pk, user.pk, removed)
    return removed


def _factors_reset_dispatch(*, user_id: int, by_id: int, reset_at: datetime) -> None:
    try:
        factors_reset_notify.delay(user_id, by_id, reset_at.isoformat())
    except Exception:  # the reset itself stands even if the broker is down; the admin can tell them
        logger.exception("Could not queue the second-factor reset email for user %s", user_id)


@shared_task(name="patients.tasks.factors_reset_notify", acks_late=True, ignore_result=True)
def factors_reset_notify(user_id: int, by_id: int, reset_at: str) -> bool:
    """The worker's half of a reset: the email. Kept beside the service (a service never imports a task)."""
    return factors_reset_email(user_id=user_id, by_id=by_id, reset_at=datetime.fromisoformat(reset_at))


def factors_reset_email(*, user_id: int, by_id: int, reset_at: datetime) -> bool:
    """Tell a person their second factor was reset (by an admin, or turned off by themself when ``by_id``
    is theirs), with the time in their own zone. False if they are gone."""
    person = User.objects.filter(pk=user_id, is_active=True).first()
    by = User.objects.filter(pk=by_id).first()
    if person is None:
        return False
    themself = by is not None and by.pk == person.pk
    with as_seen_by(person):
        context = {
            "person": person,
            "by": by,
            "reset_at": timezone.localtime(reset_at),
            "zone": zone_note(person),
            "link": absolute_url(reverse("patients:security" if themself else "login")),
        }
        message = render_to_string("patients/email/factors_reset.txt", context)
        subject = (
            gettext("Your Alliance sign-in: you turned off your second step")
            if themself
            else gettext("Your Alliance sign-in: your second step was reset")
        )
    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[person.email],
    )
    return True


def second_factor_turn_off(*, user: User) -> int:
    """A patient turns off their own second step: their authenticator app, passkeys and recovery codes
    all go, and they sign in with their password alone again. Returns how many factors were removed.

    Raises ``PermissionDenied`` for anyone who must have a second factor (staff). Kept in the audit
    trail as a factor reset by the person themself, and they are told by email (in case it wasn't them).
    """
    if second_factor_is_mandatory(user=user):
        raise PermissionDenied("Staff must keep a second step.")
    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
            devices = model.objects.filter(user=user)
            removed += devices.filter(confirmed=True).count()
            devices.delete()
        if removed:
            audit_record(
                kind=AuditKind.FACTOR_RESET,
                actor=user,
                patient=getattr(user, "patient", None),
                clinic=user.clinic,
                detail=f"Second step turned off by the person themself ({removed} removed)",
            )
            turned_off_at = timezone.now()
            transaction.on_commit(
                lambda: _factors_reset_dispatch(user_id=user.pk, by_id=user.pk, reset_at=turned_off_at)
            )
    logger.info("Second factor: user %s turned off their own second step (%s removed)", user.pk, removed)
    return removed


# --- changing one's email address -------------------------------------------------------------

EMAIL_CHANGE_SALT = "patients.email-change"
EMAIL_CHANGE_TTL = timedelta(hours=24)
EMAIL_CHANGE_PER_HOUR = 5
WRONG_PASSWORD = gettext_lazy("That isn't your current password. Please check it and try again.")


def _email_send(*, person: User, to: str, subject: str | Promise, template: str, context: dict) -> bool:
    """One email about ``person``'s account, in their own zone, to ``to``; whether the mail server took it."""
    with as_seen_by(person):
        message = render_to_string(template, {"person": person, "zone": zone_note(person), **context})
        subject = str(subject)  # a lazy subject, said in the person's own language
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[to])
    except (OSError, ConnectionError) as exc:  # smtplib errors are OSErrors
        logger.warning("Email about user %s's address change failed: %s", person.pk, exc)
        return False
    return True


def email_change_request(*, user: User, password: str, new_email: str) -> bool:
    """Ask to sign in with ``new_email`` instead: a link to confirm is emailed to the new address, and the
    current address is told that a change was asked. Nothing changes until the link is opened.

    Whether the new address is free or already someone's account (in this clinic or any other) is never
    said: the same work is done and the same answer given. An address already taken gets a note instead
    of a link. Returns whether the emails went out. Raises ``ValidationError`` on ``password`` (not the
    current one), on ``new_email`` (not an address, or the current one), or for the form as a whole after
    ``EMAIL_CHANGE_PER_HOUR`` asks in an hour.
    """
    if not _under_limit(f"email-change:{user.pk}", limit=EMAIL_CHANGE_PER_HOUR, seconds=3600):
        raise ValidationError(
            gettext("You've asked several times in the last hour. Please wait a while and try again.")
        )
    if not user.check_password(password or ""):
        raise ValidationError({"password": WRONG_PASSWORD})
    new_email = User.objects.normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise ValidationError({"new_email": gettext("Please give an email address, like name@example.org.")}) from None
    if new_email == user.email.lower():
        raise ValidationError({"new_email": gettext("This is already the address you sign in with.")})
    taken = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists()
    expires_at = timezone.now() + EMAIL_CHANGE_TTL
    with as_seen_by(user):
        expires_local = timezone.localtime(expires_at)
    if taken:
        to_new = _email_send(
            person=user,
            to=new_email,
            subject=gettext_lazy("Your Alliance account: this address is already in use"),
            template="patients/email/email_change_taken.txt",
            context={"sign_in": absolute_url(reverse("login"))},
        )
    else:
        token = signing.dumps(
            {"user": user.pk, "from": _hash_token(user.email.lower()), "to": new_email}, salt=EMAIL_CHANGE_SALT
        )
        link = absolute_url(reverse("patients:email-change-confirm", kwargs={"token": token}))
        to_new = _email_send(
            person=user,
            to=new_email,
            subject=gettext_lazy("Confirm your new email address for Alliance"),
            template="patients/email/email_change_confirm.txt",
            context={"link": link, "expires_at": expires_local},
        )
    to_old = _email_send(
        person=user,
        to=user.email,
        subject=gettext_lazy("Your Alliance account: a change of email address was asked"),
        template="patients/email/email_change_asked.txt",
        context={"new_email": new_email, "asked_at": timezone.localtime(timezone.now(), user.tzinfo)},
    )
    return to_new and to_old


class EmailChangeUnusable(Exception):
    """The confirmation link cannot be used; ``reason`` is one of unknown, expired, not_yours, used, taken."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def email_change_check(*, user: User, token: str) -> str:
    """The new address behind a confirmation link opened by ``user``, or ``EmailChangeUnusable`` saying why not."""
    if not token or len(token) > 500:
        raise EmailChangeUnusable("unknown")
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_TTL)
    except signing.SignatureExpired:
        raise EmailChangeUnusable("expired") from None
    except signing.BadSignature:
        raise EmailChangeUnusable("unknown") from None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        raise EmailChangeUnusable("not_yours")
    new_email = str(data.get("to") or "")
    if user.email.lower() == new_email:
        raise EmailChangeUnusable("used")
    if data.get("from") != _hash_token(user.email.lower()):
        raise EmailChangeUnusable("used")  # the address changed since: a newer link, or this one, was used
    return new_email


def email_change_confirm(*, user: User, token: str) -> User:
    """Make the new address behind ``token`` the one ``user`` signs in with (raises ``EmailChangeUnusable``).

    The change is a tracked change of the account, so the audit trail keeps the address before and after,
    and who made it.
    """
    new_email = email_change_check(user=user, token=token)
    try:
        with transaction.atomic():
            person = User.objects.select_for_update().get(pk=user.pk)
            email_change_check(user=person, token=token)
            if User.objects.filter(email__iexact=new_email).exclude(pk=person.pk).exists():
                raise EmailChangeUnusable("taken")
            person.email = new_email
            person.save(update_fields=["email"])
    except IntegrityError:  # taken in the same moment
        raise EmailChangeUnusable("taken") from None
    user.email = new_email
    logger.info("User %s changed their email address", user.pk)
    return person
