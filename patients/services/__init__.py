"""Writes about people: invitations, care teams, deactivation.

Each service validates, saves inside one transaction and raises ``ValidationError`` keyed by form
field, so a view can put the message next to the field and nothing is half-saved.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from patients.emails import as_seen_by, zone_label
from patients.models import (
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

logger = logging.getLogger(__name__)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def absolute_url(path: str, *, request=None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str
    emailed: bool

    @property
    def path(self) -> str:
        return reverse("patients:invitation-accept", kwargs={"token": self.token})


def _invitation_issue(*, person: User, clinic: Clinic, created_by: User | None) -> tuple[Invitation, str]:
    now = timezone.now()
    Invitation.objects.filter(user=person, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=person,
        clinic=clinic,
        token_hash=_hash_token(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )
    return invitation, token


def _invitation_email(*, invitation: Invitation, token: str, request=None) -> bool:
    """Send the invitation. A mail server that is down must not lose the invitation itself."""
    link = absolute_url(reverse("patients:invitation-accept", kwargs={"token": token}), request=request)
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
    try:
        send_mail(
            subject=f"{invitation.clinic.name} has invited you to Alliance",
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
    request=None,
) -> IssuedInvitation:
    """Create the person's account (with no password yet) and email them a link to set one."""
    email = User.objects.normalize_email(email)
    full_name = (full_name or "").strip()
    if role not in Role.values:
        raise ValidationError({"role": "Choose whether you are inviting a patient, a clinician or a clinic admin."})
    if not full_name:
        raise ValidationError({"full_name": "Please give the person's full name."})
    for clinician in clinicians:
        if clinician.clinic_id != clinic.pk:
            raise ValidationError({"clinicians": "Choose clinicians from your own clinic."})
    try:
        with transaction.atomic():
            person = User.objects.create_user(email=email, full_name=full_name)
            if role == Role.PATIENT:
                patient = Patient.objects.create(user=person, clinic=clinic)
                CareTeamMembership.objects.bulk_create(
                    CareTeamMembership(patient=patient, clinician=c, added_by=created_by) for c in clinicians
                )
            elif role == Role.CLINICIAN:
                if profession not in Profession.values:
                    raise ValidationError({"profession": "Choose a profession from the list."})
                Clinician.objects.create(user=person, clinic=clinic, profession=profession)
            else:
                ClinicAdmin.objects.create(user=person, clinic=clinic)
            invitation, token = _invitation_issue(person=person, clinic=clinic, created_by=created_by)
    except IntegrityError:
        raise ValidationError(
            {"email": "Someone with this email address already has an account. Find them in the people list."}
        ) from None
    emailed = _invitation_email(invitation=invitation, token=token, request=request)
    return IssuedInvitation(invitation=invitation, token=token, emailed=emailed)


def invitation_resend(*, person: User, clinic: Clinic, created_by: User, request=None) -> IssuedInvitation:
    """A fresh link for someone who has not joined yet; earlier links stop working."""
    if person.has_joined:
        raise ValidationError("This person has already set their password; they can reset it from the sign-in page.")
    if not person.is_active:
        raise ValidationError("This account is deactivated. Reactivate it before sending a new invitation.")
    with transaction.atomic():
        invitation, token = _invitation_issue(person=person, clinic=clinic, created_by=created_by)
    emailed = _invitation_email(invitation=invitation, token=token, request=request)
    return IssuedInvitation(invitation=invitation, token=token, emailed=emailed)


class InvitationUnusable(Exception):
    """The link cannot be used; ``reason`` is one of unknown, used, expired, revoked, inactive."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_check(*, token: str) -> Invitation:
    """The open invitation behind a token, or ``InvitationUnusable`` saying why not."""
    if not token or len(token) > 128:
        raise InvitationUnusable("unknown")
    invitation = Invitation.objects.select_related("user", "clinic").filter(token_hash=_hash_token(token)).first()
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked")
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
        raise ValidationError({"clinician": "Choose a clinician from the patient's own clinic."})
    if not clinician.user.is_active:
        raise ValidationError({"clinician": "This clinician's account is deactivated."})
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
        raise ValidationError("You cannot deactivate your own account. Ask another admin of your clinic.")
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


def user_update_own_details(*, user: User, full_name: str, timezone_name: str) -> User:
    user.full_name = full_name.strip()
    user.timezone = timezone_name
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=["full_name", "timezone"])
    return user


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
