"""Reads, always scoped to the person asking.

Every view reaches people through these functions. Something outside the requester's reach
raises ``Http404``, exactly as something that does not exist, so nothing leaks by status code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from patients.models import CareTeamMembership, Clinic, Clinician, Invitation, Patient, Role, User
from patients.selectors.audit import read_note
from patients.urgent_help import GENERAL_URGENT_HELP, Piece, urgent_help_paragraphs

M = TypeVar("M", bound=Model)


def scoped_get(queryset: QuerySet[M], pk, *, message: str = "Not found.") -> M:
    """The row ``pk`` of a queryset already scoped to the person asking, else ``Http404``.

    Every view reaches an object this way. Not-yours, does-not-exist and a malformed id all answer
    404 alike, so nothing leaks by status code (healthchecks' ``_get_check_for_user``).
    """
    try:
        found = queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(message) from None
    # Whose data this page shows goes into the audit trail, once, after the page is sent.
    read_note(found)
    return found


def is_own_record(*, user: User, patient: Patient) -> bool:
    """True when ``user`` is ``patient`` themself."""
    profile = user.patient_profile
    return profile is not None and profile.pk == patient.pk


def on_care_team(*, clinician: Clinician | None, patient: Patient) -> bool:
    """True when ``clinician`` works at the patient's clinic and is on the patient's care team.

    The one place this rule is written (one query). ``clinician`` may be None, e.g.
    ``user.clinician_profile`` for someone who is not a clinician.
    """
    return (
        clinician is not None
        and clinician.clinic_id == patient.clinic_id
        and CareTeamMembership.objects.filter(patient=patient, clinician=clinician).exists()
    )


def patients_for_user(*, user: User) -> QuerySet[Patient]:
    """The patients this person may see: themself, their caseload, or their clinic."""
    base = Patient.objects.select_related("user", "clinic")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(pk=user.patient.pk)
    if role == Role.CLINICIAN:
        clinician = user.clinician
        return base.filter(clinic_id=clinician.clinic_id, care_team__clinician=clinician)
    if role == Role.CLINIC_ADMIN:
        return base.filter(clinic_id=user.clinic_admin.clinic_id)
    return base.none()


def patient_get(*, user: User, pk) -> Patient:
    return scoped_get(patients_for_user(user=user), pk, message="No such patient.")


def caseload_for_clinician(*, user: User) -> QuerySet[Patient]:
    """A clinician's active caseload, each patient with the names of their care team."""
    return (
        patients_for_user(user=user)
        .filter(user__is_active=True)
        .prefetch_related(Prefetch("care_team", queryset=CareTeamMembership.objects.select_related("clinician__user")))
        .order_by("user__full_name")
    )


def clinicians_for_user(*, user: User) -> QuerySet[Clinician]:
    """Clinicians this person may see: their care team, their colleagues, or their clinic's."""
    base = Clinician.objects.select_related("user", "clinic")
    role = user.role
    if role == Role.PATIENT:
        return base.filter(care_team_memberships__patient=user.patient)
    if role == Role.CLINICIAN:
        return base.filter(clinic_id=user.clinician.clinic_id)
    if role == Role.CLINIC_ADMIN:
        return base.filter(clinic_id=user.clinic_admin.clinic_id)
    return base.none()


def clinician_get(*, user: User, pk) -> Clinician:
    return scoped_get(clinicians_for_user(user=user), pk, message="No such clinician.")


def people_for_admin(*, user: User) -> QuerySet[User]:
    """Everyone in a clinic admin's clinic, with their profile and invitation state."""
    if user.role != Role.CLINIC_ADMIN:
        return User.objects.none()
    clinic_id = user.clinic_admin.clinic_id
    open_invitation = Invitation.objects.filter(user=OuterRef("pk"), accepted_at__isnull=True, revoked_at__isnull=True)
    return (
        User.objects.filter(
            Q(patient__clinic_id=clinic_id) | Q(clinician__clinic_id=clinic_id) | Q(clinic_admin__clinic_id=clinic_id)
        )
        .select_related("patient", "clinician", "clinic_admin")
        .annotate(
            has_open_invitation=Exists(open_invitation),
            care_team_size=Count("patient__care_team", distinct=True),
            caseload_size=Count("clinician__care_team_memberships", distinct=True),
        )
        .order_by("full_name", "email")
    )


def person_get_for_admin(*, user: User, pk) -> User:
    return scoped_get(people_for_admin(user=user), pk, message="No such person.")


def care_team_for_patient(*, patient: Patient) -> QuerySet[CareTeamMembership]:
    return (
        CareTeamMembership.objects.filter(patient=patient)
        .select_related("clinician__user")
        .order_by("clinician__user__full_name")
    )


def invitation_latest_for(*, person: User) -> Invitation | None:
    return Invitation.objects.filter(user=person).order_by("-created_at").first()


# --- the second factor ------------------------------------------------------------------------


def second_factor_is_mandatory(*, user: User) -> bool:
    """Clinicians, clinic admins and superusers (and any Django staff) must give a second factor."""
    return bool(user.is_superuser or user.is_staff or user.role in (Role.CLINICIAN, Role.CLINIC_ADMIN))


def second_factor_enrolled(*, user: User) -> bool:
    """True when the person has a confirmed authenticator app or passkey (one query)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


@dataclass(frozen=True)
class SecondFactors:
    """What a person has set up: their authenticator app (or None), their passkeys (oldest first), and
    how many single-use recovery codes they have left."""

    app: TOTPDevice | None
    passkeys: list[WebAuthnCredential]
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return self.app is not None or bool(self.passkeys)


def passkey_get(*, user: User, pk) -> WebAuthnCredential:
    """One of the person's own confirmed passkeys, or ``Http404``."""
    found = WebAuthnCredential.objects.filter(user=user, confirmed=True, pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("No such passkey.")
    return found


def second_factors_for(*, user: User) -> SecondFactors:
    """The person's own confirmed factors (three queries)."""
    return SecondFactors(
        app=TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").last(),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")),
        recovery_codes_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


@dataclass(frozen=True)
class UrgentHelp:
    """What the urgent-help page shows: the clinic's own text (``own``) or, when it has written none,
    the general advice; ``paragraphs`` are its lines cut into text and phone numbers."""

    clinic: Clinic | None
    own: bool
    paragraphs: list[list[list[Piece]]]


def urgent_help_for(*, user: User) -> UrgentHelp:
    """The urgent help for the person's own clinic (none for a site administrator without one)."""
    clinic = user.clinic
    text = clinic.urgent_help.strip() if clinic is not None else ""
    return UrgentHelp(clinic=clinic, own=bool(text), paragraphs=urgent_help_paragraphs(text or GENERAL_URGENT_HELP))


def urgent_help_needs_review(*, clinic: Clinic) -> bool:
    """True until one of the clinic's admins has saved its urgent-help text on the Clinic settings page."""
    return clinic.urgent_help_reviewed_at is None
