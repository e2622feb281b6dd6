"""People and who cares for whom.

One account is one person. Their role comes from a profile: a ``Patient``, a ``Clinician`` or a
``ClinicAdmin`` membership, each tied to one ``Clinic``. A patient's care team is the set of
clinicians linked to them through ``CareTeamMembership``; only those clinicians see the patient.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils.timezone import now
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patients.models.audit import TRACKED, ActorRole, AuditEvent, AuditKind, Tracked, tracked
from patients.validators import validate_no_direction_controls

__all__ = ["TRACKED", "ActorRole", "AuditEvent", "AuditKind", "Tracked", "tracked"]


def validate_timezone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(gettext("Choose a time zone from the list, such as Europe/London."))


def validate_language(value: str) -> None:
    if value and value not in dict(settings.LANGUAGES):
        raise ValidationError(gettext("Choose a language from the list."))


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")


URGENT_HELP_LIMIT = 3000


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[validate_no_direction_controls])
    timezone = models.CharField(
        max_length=64, default=settings.ALLIANCE_DEFAULT_TIMEZONE, validators=[validate_timezone]
    )
    created_at = models.DateTimeField(default=now)
    # Settings the clinic's admins choose on the Clinic settings page.
    alert_overdue_days = models.PositiveSmallIntegerField(
        _("Days before an alert is overdue"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "An alert nobody on the care team has acknowledged after this many days moves to the top of "
            "the caseload and into the clinician's daily email as overdue. From 1 to 30."
        ),
    )
    review_every_sessions = models.PositiveSmallIntegerField(
        _("Sessions between step-back reviews"),
        default=6,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_(
            "After this many sessions the clinician is prompted to write a step-back review with the patient. "
            "Either of them can ask for one sooner. From 2 to 20."
        ),
    )
    # The clinic's own urgent-help text, one tap from every patient page. Until an admin has saved it
    # (``urgent_help_reviewed_at``), their home page asks them to review it.
    urgent_help = models.TextField(
        _("Urgent help"),
        blank=True,
        max_length=URGENT_HELP_LIMIT,
        help_text=_(
            "What a patient should do if they need help before their next appointment: your phone numbers and "
            "opening hours, and who to call when you are closed. Patients see it, word for word, from every page. "
            "Left empty, they see general advice (999, 111, their GP)."
        ),
    )
    # The same text in the other languages Alliance offers, {"es": "…"}: a patient reading in one of them
    # sees it instead. Without one, they see the text above with, in their own language, the general advice.
    urgent_help_translations = models.JSONField(default=dict, blank=True)
    urgent_help_reviewed_at = models.DateTimeField(null=True, blank=True)
    urgent_help_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email=self.normalize_email(username))

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


@tracked(
    patient="pgh_obj__patient",
    clinic=Coalesce("pgh_obj__patient__clinic", "pgh_obj__clinician__clinic", "pgh_obj__clinic_admin__clinic"),
    # The password hash is a secret and the last sign-in is noise (sign-ins are audited on their own).
    exclude=["password", "last_login"],
    title=_("Account"),
)
class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(max_length=150, validators=[validate_no_direction_controls])
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Leave blank to use the clinic's time zone."),
    )
    # A code from settings.LANGUAGES; blank follows the browser's language (Django's LocaleMiddleware).
    language = models.CharField(max_length=16, blank=True, validators=[validate_language])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text=_("Can use the Django admin site."))
    date_joined = models.DateTimeField(default=now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def first_name(self) -> str:
        return self.get_short_name()

    @property
    def patient_profile(self) -> Patient | None:
        return getattr(self, "patient", None)

    @property
    def clinician_profile(self) -> Clinician | None:
        return getattr(self, "clinician", None)

    @property
    def clinic_admin_profile(self) -> ClinicAdmin | None:
        return getattr(self, "clinic_admin", None)

    @property
    def role(self) -> str | None:
        """The person's role, or None (a superuser without a profile, or no profile yet)."""
        if not self.is_authenticated or not self.pk:
            return None
        if self.patient_profile is not None:
            return Role.PATIENT
        if self.clinician_profile is not None:
            return Role.CLINICIAN
        if self.clinic_admin_profile is not None:
            return Role.CLINIC_ADMIN
        return None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else gettext("No role")

    @property
    def clinic(self) -> Clinic | None:
        profile = self.patient_profile or self.clinician_profile or self.clinic_admin_profile
        return profile.clinic if profile is not None else None

    @property
    def has_joined(self) -> bool:
        """True once the person has set a password through their invitation."""
        return self.has_usable_password()

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        name = self.timezone or (self.clinic.timezone if self.clinic else settings.ALLIANCE_DEFAULT_TIMEZONE)
        return zoneinfo.ZoneInfo(name)


@tracked(patient="pgh_obj", clinic="clinic", title=_("Patient"))
class Patient(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="patient")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    clinicians = models.ManyToManyField("Clinician", through="CareTeamMembership", related_name="patients", blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return self.user.full_name


class Profession(models.TextChoices):
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    PAIN_SPECIALIST = "pain_specialist", _("Pain specialist")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    GP = "gp", _("GP")
    NURSE = "nurse", _("Nurse")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Occupational therapist")
    OTHER = "other", _("Other")


class Clinician(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="clinician")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clinicians")
    profession = models.CharField(max_length=32, choices=Profession.choices, default=Profession.OTHER)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(profession__in=Profession.values), name="clinician_profession_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.user.full_name


class ClinicAdmin(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="clinic_admin")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="admins")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return self.user.full_name


@tracked(patient="patient", title=_("Care team"))
class CareTeamMembership(models.Model):
    """A clinician treats a patient. Both belong to the same clinic (checked in the service)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="care_team_memberships")
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], name="care_team_once_per_clinician"),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} treats {self.patient}"


class Invitation(models.Model):
    """An invitation to join a clinic: a single-use link through which an invited person sets their password.

    Only a hash of the token is stored, so a copy of the database cannot be used to take over an
    account that has not been claimed yet.

    ``email``, ``full_name``, ``role``, ``profession`` and ``clinicians`` (the intended care team) are what
    the admin asked for, kept on every invitation. ``user`` is the account the link sets up; it is empty
    when the email already belonged to someone in another clinic. Then no link is sent (that person is
    told by email instead), yet the invitation is kept exactly like any other, so the clinic's pages
    never reveal that someone has an account elsewhere.
    """

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    profession = models.CharField(max_length=32, choices=Profession.choices, blank=True)
    clinicians = models.ManyToManyField("Clinician", blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="invitation_expires_after_creation"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""), name="invitation_has_user_or_email"
            ),
            # The same email is invited to a clinic once; a resend replaces the open invitation.
            models.UniqueConstraint(
                Lower("email"),
                models.F("clinic"),
                condition=models.Q(user__isnull=True, revoked_at__isnull=True, accepted_at__isnull=True),
                name="invitation_open_once_per_email_without_account",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "email"], name="invitation_clinic_email")]

    def __str__(self) -> str:
        return f"Invitation for {self.email or self.user.email}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now()

    @property
    def state(self) -> str:
        """One of ``InvitationState``: what the clinic sees, the same whoever the email belongs to."""
        return invitation_state(accepted_at=self.accepted_at, revoked_at=self.revoked_at, expires_at=self.expires_at)


class InvitationState(models.TextChoices):
    INVITED = "invited", _("Invited")
    EXPIRED = "expired", _("Invitation expired")
    CANCELLED = "cancelled", _("Invitation cancelled")
    JOINED = "joined", _("Joined")


def invitation_state(*, accepted_at, revoked_at, expires_at) -> str:
    if accepted_at is not None:
        return InvitationState.JOINED
    if revoked_at is not None:
        return InvitationState.CANCELLED
    if expires_at is None or expires_at <= now():
        return InvitationState.EXPIRED
    return InvitationState.INVITED


class LoginSession(models.Model):
    """Which login sessions belong to whom, so deactivating an account can end them all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"Login session of {self.user}"


class FormSubmission(models.Model):
    """A rendered form that was sent and went through, kept so that the same form sent again is refused.

    Every POST form carries a one-time ``form_token`` (``{% form_token %}``). The first request that
    brings a token inserts this row in the same transaction as everything the page then saves; a second
    request with the same token (a double tap, or Back and Send) waits on the unique index, then finds
    the row and changes nothing. ``redirect_to`` is where the first one led, so the second can go there.
    Rows older than ``FORM_TOKEN_DAYS`` are deleted by the daily housekeeping task.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=500)
    redirect_to = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)

    def __str__(self) -> str:
        return f"Form sent to {self.path} at {self.created_at:%Y-%m-%d %H:%M}"
