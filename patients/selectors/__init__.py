"""Reads, always scoped to the person asking.

Every view reaches people through these functions. Something outside the requester's reach
raises ``Http404``, exactly as something that does not exist, so nothing leaks by status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet, Subquery, TextChoices
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language, get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from patients.models import (
    CareTeamMembership,
    Clinic,
    Clinician,
    Invitation,
    InvitationState,
    Patient,
    Role,
    User,
    invitation_state,
)
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
    """Everyone in a clinic admin's clinic, with their profile and their latest invitation's dates
    (``invitation_id``, ``invitation_accepted_at``, ``invitation_revoked_at``, ``invitation_expires_at``)."""
    if user.role != Role.CLINIC_ADMIN:
        return User.objects.none()
    clinic_id = user.clinic_admin.clinic_id
    latest = Invitation.objects.filter(user=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        User.objects.filter(
            Q(patient__clinic_id=clinic_id) | Q(clinician__clinic_id=clinic_id) | Q(clinic_admin__clinic_id=clinic_id)
        )
        .select_related("patient", "clinician", "clinic_admin")
        .annotate(
            invitation_id=Subquery(latest.values("pk")[:1]),
            invitation_accepted_at=Subquery(latest.values("accepted_at")[:1]),
            invitation_revoked_at=Subquery(latest.values("revoked_at")[:1]),
            invitation_expires_at=Subquery(latest.values("expires_at")[:1]),
            care_team_size=Count("patient__care_team", distinct=True),
            # Only people who have joined: an invitation's intended care team is not a caseload yet.
            caseload_size=Count(
                "clinician__care_team_memberships",
                filter=~Q(
                    clinician__care_team_memberships__patient__user__password__startswith=UNUSABLE_PASSWORD_PREFIX
                ),
                distinct=True,
            ),
        )
        .order_by("full_name", "email")
    )


@dataclass(frozen=True)
class PersonRow:
    """One line of a clinic's people list.

    Someone who has not joined yet is shown from their invitation, whether the email was new or
    already had an account in another clinic: the same columns, state and kind of link (to the
    invitation's page), so the list never reveals which. ``state`` is one of ``PersonState``.
    """

    full_name: str
    email: str
    role: str
    profession_label: str
    state: str
    url: str
    care_team_size: int
    caseload_size: int

    @property
    def is_active(self) -> bool:
        return self.state != PersonState.DEACTIVATED

    @property
    def has_joined(self) -> bool:
        return self.state == PersonState.ACTIVE

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT


class PersonState(TextChoices):
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")
    INVITED = InvitationState.INVITED.value, InvitationState.INVITED.label
    EXPIRED = InvitationState.EXPIRED.value, InvitationState.EXPIRED.label
    CANCELLED = InvitationState.CANCELLED.value, InvitationState.CANCELLED.label


def person_row(person: User) -> PersonRow:
    if not person.is_active:
        state = PersonState.DEACTIVATED
    elif person.has_joined:
        state = PersonState.ACTIVE
    else:
        state = invitation_state(
            accepted_at=None, revoked_at=person.invitation_revoked_at, expires_at=person.invitation_expires_at
        )
    if state in (PersonState.INVITED, PersonState.EXPIRED, PersonState.CANCELLED) and person.invitation_id:
        url = reverse("patients:invitation", kwargs={"pk": person.invitation_id})
    else:
        url = reverse("patients:person", kwargs={"pk": person.pk})
    clinician = person.clinician_profile
    return PersonRow(
        full_name=person.full_name,
        email=person.email,
        role=person.role or "",
        profession_label=clinician.get_profession_display() if clinician is not None else "",
        state=state,
        url=url,
        care_team_size=person.care_team_size,
        caseload_size=person.caseload_size,
    )


def _row_for_invitation(invitation: Invitation) -> PersonRow:
    return PersonRow(
        full_name=invitation.full_name,
        email=invitation.email,
        role=invitation.role,
        profession_label=invitation.get_profession_display() if invitation.profession else "",
        state=invitation_state(accepted_at=None, revoked_at=invitation.revoked_at, expires_at=invitation.expires_at),
        url=reverse("patients:invitation", kwargs={"pk": invitation.pk}),
        care_team_size=invitation.intended_size,
        caseload_size=0,
    )


def people_rows_for_admin(*, user: User) -> list[PersonRow]:
    """Everyone in a clinic admin's clinic and everyone it has invited, ordered by name then email
    (two queries, however many people). Empty for anyone but a clinic admin."""
    if user.role != Role.CLINIC_ADMIN:
        return []
    rows = [person_row(person) for person in people_for_admin(user=user)]
    # Invitations to emails that had an account elsewhere: the latest per email.
    without_account = Invitation.objects.filter(clinic_id=user.clinic_admin.clinic_id, user__isnull=True)
    newer = without_account.filter(email__iexact=OuterRef("email"), created_at__gt=OuterRef("created_at"))
    elsewhere = without_account.filter(~Exists(newer)).annotate(intended_size=Count("clinicians"))
    rows += [_row_for_invitation(invitation) for invitation in elsewhere]
    return sorted(rows, key=lambda row: (row.full_name.casefold(), row.full_name, row.email))


def invitations_for_admin(*, user: User) -> QuerySet[Invitation]:
    """The invitations a clinic admin's clinic has sent (none for anyone else)."""
    if user.role != Role.CLINIC_ADMIN:
        return Invitation.objects.none()
    return Invitation.objects.filter(clinic_id=user.clinic_admin.clinic_id).select_related("user", "clinic")


def invitation_get_for_admin(*, user: User, pk) -> Invitation:
    return scoped_get(invitations_for_admin(user=user), pk, message="No such invitation.")


def invitation_is_latest(*, invitation: Invitation) -> bool:
    """Whether no newer invitation replaced this one (one query)."""
    newer = Invitation.objects.filter(clinic_id=invitation.clinic_id, created_at__gt=invitation.created_at)
    if invitation.user_id is not None:
        newer = newer.filter(user_id=invitation.user_id)
    else:
        newer = newer.filter(user__isnull=True, email__iexact=invitation.email)
    return not newer.exists()


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
    the general advice; ``paragraphs`` are its lines cut into text and phone numbers. When the clinic's
    text is not in the reader's language, ``written_in`` names its language and ``general`` holds the
    general advice in the reader's language, shown after it."""

    clinic: Clinic | None
    own: bool
    paragraphs: list[list[list[Piece]]]
    written_in: str = ""
    written_in_code: str = ""
    general: list[list[list[Piece]]] = field(default_factory=list)


# A language's name as it reads inside a sentence ("written in English", "escrito en inglés").
IN_A_SENTENCE = {"en": pgettext_lazy("a language's name inside a sentence", "English")}


def urgent_help_for(*, user: User) -> UrgentHelp:
    """The urgent help for the person's own clinic (none for a site administrator without one), in the
    language of the page: the clinic's text in that language if it wrote one, else its main text."""
    clinic = user.clinic
    general = urgent_help_paragraphs(str(GENERAL_URGENT_HELP))
    if clinic is None:
        return UrgentHelp(clinic=None, own=False, paragraphs=general)
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    translations = clinic.urgent_help_translations or {}
    translated = (translations.get(language) or translations.get(language.split("-")[0]) or "").strip()
    if translated:
        return UrgentHelp(clinic=clinic, own=True, paragraphs=urgent_help_paragraphs(translated))
    text = clinic.urgent_help.strip()
    if not text:
        return UrgentHelp(clinic=clinic, own=False, paragraphs=general)
    if language.split("-")[0] == settings.LANGUAGE_CODE.split("-")[0]:
        return UrgentHelp(clinic=clinic, own=True, paragraphs=urgent_help_paragraphs(text))
    written_in = (
        IN_A_SENTENCE.get(settings.LANGUAGE_CODE.split("-")[0])
        or get_language_info(settings.LANGUAGE_CODE)["name_translated"]
    )
    return UrgentHelp(
        clinic=clinic,
        own=True,
        paragraphs=urgent_help_paragraphs(text),
        written_in=written_in,
        written_in_code=settings.LANGUAGE_CODE,
        general=general,
    )


def urgent_help_needs_review(*, clinic: Clinic) -> bool:
    """True until one of the clinic's admins has saved its urgent-help text on the Clinic settings page."""
    return clinic.urgent_help_reviewed_at is None
