"""Writes to the audit trail. Changes to rows are written by the database (see patients/models/audit.py);
these are the other kinds: reads, exports, sign-ins and second factor resets."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Subquery

from patients.models import ActorRole, AuditEvent, AuditKind, Clinic, Patient, User


def actor_role_of(user: User | None) -> str:
    """The role someone acts in right now: their profile's, "support" for a superuser, "system" for nobody."""
    if user is None:
        return ActorRole.SYSTEM
    if not user.is_authenticated:
        return ActorRole.NONE
    role = user.role
    if role is None:
        return ActorRole.SUPPORT if user.is_superuser else ActorRole.NONE
    return role


def audit_record(
    *,
    kind: str,
    actor: User | None,
    patient: Patient | None = None,
    clinic: Clinic | None = None,
    detail: str = "",
    page: str = "",
    path: str = "",
    role: str | None = None,
) -> AuditEvent:
    """Add one entry to the trail and return it.

    ``kind`` is an ``AuditKind`` other than "change" (the database records changes itself); ``actor``
    is who did it (None: the system). ``clinic`` defaults to the patient's, else the actor's own, and
    decides which clinic's admins see the entry. ``detail`` is plain words, cut to 500 characters.
    ``role`` overrides the role worked out from ``actor``. Raises ``ValueError`` for an unknown kind.
    For example, after a clinic admin resets someone's second factor::

        audit_record(kind=AuditKind.FACTOR_RESET, actor=admin, clinic=admin.clinic,
                     detail="Second factor reset for Bob Baker")
    """
    if kind not in AuditKind.values or kind == AuditKind.CHANGE:
        raise ValueError(f"Not a kind of audit entry written by hand: {kind!r}")
    if clinic is None:
        clinic = patient.clinic if patient is not None else (actor.clinic if actor is not None else None)
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_role=role if role is not None else actor_role_of(actor),
        patient=patient,
        clinic=clinic,
        page=page[:100],
        path=path[:500],
        detail=detail[:500],
    )


def audit_reads_record(*, actor: User, patient_ids: Iterable[int], page: str, path: str) -> int:
    """Record that ``actor`` was shown these patients' data by one request: one row per patient, one INSERT.

    A patient's reads of their own record are not recorded. The clinic of each row is the patient's,
    looked up by the INSERT itself. Returns how many rows were written.
    """
    own = actor.patient_profile
    ids = sorted(set(patient_ids) - ({own.pk} if own is not None else set()))
    if not ids:
        return 0
    role = actor_role_of(actor)
    rows = [
        AuditEvent(
            kind=AuditKind.READ,
            actor=actor,
            actor_role=role,
            patient_id=patient_id,
            clinic_id=Subquery(Patient.objects.filter(pk=patient_id).values("clinic_id")[:1]),
            page=page[:100],
            path=path[:500],
        )
        for patient_id in ids
    ]
    AuditEvent.objects.bulk_create(rows)
    return len(rows)


def audit_sign_in_record(*, user: User | None, succeeded: bool, email: str = "", path: str = "") -> AuditEvent:
    """Record a sign-in, or a failed attempt (``user`` is then the account the email names, if any)."""
    detail = "Signed in" if succeeded else f"Sign-in failed for {email}".strip()
    role = None if user is not None and succeeded else (ActorRole.NONE if user is None else None)
    return audit_record(kind=AuditKind.SIGN_IN, actor=user, detail=detail, page="login", path=path, role=role)
